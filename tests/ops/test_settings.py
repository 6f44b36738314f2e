"""The operations settings: defaults, and one clear sentence for unusable values."""

from __future__ import annotations

import pytest

from catalog.config import ConfigError, load_config


def test_defaults(tmp_path, monkeypatch):
    for var in (
        "KDC_S3_TIMEOUT",
        "KDC_S3_READ_TIMEOUT",
        "KDC_METRICS_TOKEN",
        "KDC_LOG_FORMAT",
        "KDC_REQUEST_ID_HEADER",
    ):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(tmp_path, {"SECRET_KEY": "x"})
    assert cfg["S3_TIMEOUT"] == 2 and cfg["S3_READ_TIMEOUT"] == 60
    assert cfg["METRICS_TOKEN"] == "" and cfg["LOG_FORMAT"] == "text"
    assert cfg["REQUEST_ID_HEADER"] == ""


def test_environment_values_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("KDC_S3_TIMEOUT", "0.5")
    monkeypatch.setenv("KDC_LOG_FORMAT", "JSON")
    monkeypatch.setenv("KDC_METRICS_TOKEN", "a-long-enough-metrics-token")
    monkeypatch.setenv("KDC_REQUEST_ID_HEADER", "X-Request-Id")
    cfg = load_config(tmp_path, {"SECRET_KEY": "x"})
    assert cfg["S3_TIMEOUT"] == 0.5 and cfg["LOG_FORMAT"] == "json"
    assert cfg["METRICS_TOKEN"] == "a-long-enough-metrics-token"
    assert cfg["REQUEST_ID_HEADER"] == "X-Request-Id"


@pytest.mark.parametrize(
    "override, words",
    [
        ({"S3_TIMEOUT": "soon"}, "KDC_S3_TIMEOUT must be a number"),
        ({"S3_TIMEOUT": "0"}, "KDC_S3_TIMEOUT must be between 0.1 and 30"),
        ({"S3_READ_TIMEOUT": "7200"}, "KDC_S3_READ_TIMEOUT must be between 1 and 3600"),
        ({"LOG_FORMAT": "xml"}, "KDC_LOG_FORMAT must be text or json"),
        ({"METRICS_TOKEN": "short"}, "KDC_METRICS_TOKEN must be at least 16"),
        ({"REQUEST_ID_HEADER": "X Request"}, "KDC_REQUEST_ID_HEADER must be an HTTP header"),
    ],
)
def test_unusable_values_raise_config_error(tmp_path, override, words):
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path, {"SECRET_KEY": "x", **override})
