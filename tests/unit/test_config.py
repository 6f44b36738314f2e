"""Configuration: defaults, and one clear sentence (not a traceback) for unusable values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_live_under_instance(tmp_path, monkeypatch):
    for var in ("KDC_DATABASE_URL", "KDC_STORAGE_URL", "KDC_SECRET_KEY", "KDC_URL_TTL"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(tmp_path)
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kdc.sqlite3'}"
    assert cfg["STORAGE_URL"] == f"file://{tmp_path / 'storage'}"
    assert cfg["URL_TTL"] == 900
    # The generated secret key is kept and reused.
    assert (tmp_path / "secret_key").exists()
    assert load_config(tmp_path)["SECRET_KEY"] == cfg["SECRET_KEY"]


def test_postgres_urls_use_psycopg3(tmp_path):
    cfg = load_config(tmp_path, {"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "x"})
    assert cfg["DATABASE_URL"].startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    "override, words",
    [
        ({"DATABASE_URL": "mysql://x/y"}, "supported"),
        ({"DATABASE_URL": "not a url"}, "not a database URL"),
        ({"STORAGE_URL": "ftp://x/y"}, "unknown scheme"),
        ({"URL_TTL": "7200"}, "between 1 and 3600"),
    ],
)
def test_unusable_values_raise_config_error(tmp_path, override, words):
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path, {"SECRET_KEY": "x", **override})


def _flask(args, env_extra, cwd):
    env = {**os.environ, **env_extra, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_storage_url_at_start_is_one_line_not_a_traceback(tmp_path):
    res = _flask(
        ["db", "upgrade"],
        {"KDC_STORAGE_URL": "gopher://x", "KDC_INSTANCE_PATH": str(tmp_path)},
        ROOT,
    )
    assert res.returncode == 2
    assert "configuration error" in res.stderr and "gopher" in res.stderr
    assert "Traceback" not in res.stderr


def test_unreachable_database_at_start(tmp_path):
    res = _flask(
        ["db", "upgrade"],
        {
            "KDC_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "KDC_INSTANCE_PATH": str(tmp_path),
        },
        ROOT,
    )
    assert res.returncode == 2
    assert "cannot reach the database" in res.stderr
    assert "Traceback" not in res.stderr


def test_first_start_path_of_make_run(tmp_path):
    """What `make run` does on an empty instance: migrate, load the demo, answer requests."""
    env = {"KDC_INSTANCE_PATH": str(tmp_path / "instance")}
    for var in ("KDC_DATABASE_URL", "KDC_STORAGE_URL", "KDC_SECRET_KEY"):
        env[var] = ""
    env = {k: v for k, v in env.items() if v}
    base = {k: v for k, v in os.environ.items() if not k.startswith("KDC_")}
    run = lambda args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env={**base, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run(["db", "upgrade"]).returncode == 0
    first = run(["demo"])
    assert first.returncode == 0, first.stderr
    again = run(["demo"])  # idempotent
    assert again.returncode == 0 and "0 datasets added" in again.stderr
    assert (tmp_path / "instance" / "kdc.sqlite3").exists()
    assert (tmp_path / "instance" / "secret_key").exists()
    code = (
        "from app import create_app;"
        "c=create_app().test_client();"
        "r=c.get('/api/v1/datasets',query_string={'q':'실록'});"
        "print(r.status_code, r.json['total'])"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    status, total = res.stdout.split()
    assert status == "200" and int(total) >= 1


def test_security_settings_have_defaults_and_read_the_environment(tmp_path, monkeypatch):
    for var in (
        "KDC_TRUSTED_PROXIES",
        "KDC_SESSION_IDLE",
        "KDC_SESSION_MAX",
        "KDC_AUDIT_CHECKPOINT_EVENTS",
        "KDC_AUDIT_CHECKPOINT_HOURS",
    ):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(tmp_path, {"SECRET_KEY": "x"})
    assert (cfg["TRUSTED_PROXIES"], cfg["SESSION_IDLE"], cfg["SESSION_MAX"]) == (0, 1800, 43200)
    assert (cfg["AUDIT_CHECKPOINT_EVENTS"], cfg["AUDIT_CHECKPOINT_HOURS"]) == (1000, 1)
    monkeypatch.setenv("KDC_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("KDC_SESSION_IDLE", "600")
    monkeypatch.setenv("KDC_SESSION_MAX", "3600")
    cfg = load_config(tmp_path, {"SECRET_KEY": "x"})
    assert (cfg["TRUSTED_PROXIES"], cfg["SESSION_IDLE"], cfg["SESSION_MAX"]) == (2, 600, 3600)


@pytest.mark.parametrize(
    "override, words",
    [
        ({"TRUSTED_PROXIES": "one"}, "KDC_TRUSTED_PROXIES must be a whole number"),
        ({"TRUSTED_PROXIES": "9"}, "KDC_TRUSTED_PROXIES must be between 0 and 5"),
        ({"SESSION_IDLE": "10"}, "KDC_SESSION_IDLE must be between 60"),
        ({"SESSION_IDLE": "7200", "SESSION_MAX": "3600"}, "must not exceed KDC_SESSION_MAX"),
        ({"AUDIT_CHECKPOINT_EVENTS": "0"}, "KDC_AUDIT_CHECKPOINT_EVENTS must be between 1"),
        ({"AUDIT_CHECKPOINT_HOURS": "soon"}, "KDC_AUDIT_CHECKPOINT_HOURS must be a whole number"),
    ],
)
def test_unusable_security_settings_raise_config_error(tmp_path, override, words):
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path, {"SECRET_KEY": "x", **override})


def test_a_bad_trusted_proxies_value_at_start_is_one_line(tmp_path):
    res = _flask(
        ["db", "upgrade"],
        {"KDC_TRUSTED_PROXIES": "-1", "KDC_INSTANCE_PATH": str(tmp_path)},
        ROOT,
    )
    assert res.returncode == 2 and "KDC_TRUSTED_PROXIES" in res.stderr
    assert "Traceback" not in res.stderr
