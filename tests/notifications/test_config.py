"""KDC_SMTP_URL, KDC_MAIL_FROM and KDC_BASE_URL: defaults, and one clear line when unusable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_mean_inbox_only(tmp_path, monkeypatch):
    for var in ("KDC_SMTP_URL", "KDC_MAIL_FROM", "KDC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(tmp_path, {"SECRET_KEY": "x"})
    assert cfg["SMTP_URL"] is None
    assert cfg["BASE_URL"] == "http://127.0.0.1:5000"
    assert cfg["MAIL_FROM"] == "K-Data Catalog <noreply@kdc.test>"


def test_good_values(tmp_path):
    cfg = load_config(
        tmp_path,
        {
            "SECRET_KEY": "x",
            "SMTP_URL": "smtp+starttls://user:p%40ss@mail.example.kr:587",
            "MAIL_FROM": "K-데이터 카탈로그 <noreply@data.example.kr>",
            "BASE_URL": "https://data.example.kr/",
        },
    )
    assert cfg["BASE_URL"] == "https://data.example.kr"  # no trailing slash: links add paths


@pytest.mark.parametrize(
    "override, words",
    [
        ({"SMTP_URL": "smtps://mail.example.kr"}, "unknown scheme 'smtps'"),
        ({"SMTP_URL": "mail.example.kr:25"}, "unknown scheme"),
        ({"SMTP_URL": "smtp://:25"}, "needs a host"),
        ({"SMTP_URL": "smtp://mail.example.kr:99999"}, "not a URL"),
        ({"SMTP_URL": "smtp://mail.example.kr/inbox"}, "no path"),
        ({"MAIL_FROM": "noreply"}, "KDC_MAIL_FROM is not an e-mail address"),
        ({"BASE_URL": "data.example.kr"}, "KDC_BASE_URL must be an http"),
        ({"BASE_URL": "ftp://data.example.kr"}, "KDC_BASE_URL must be an http"),
    ],
)
def test_unusable_values_raise_config_error(tmp_path, override, words):
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path, {"SECRET_KEY": "x", **override})


def test_bad_smtp_url_stops_start_up_with_one_line(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "deliver"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KDC_INSTANCE_PATH": str(tmp_path),
            "KDC_SMTP_URL": "imap://mail.example.kr",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "kdc: configuration error: KDC_SMTP_URL has unknown scheme 'imap'; "
        "use smtp://host:port or smtp+starttls://host:port"
    ]
