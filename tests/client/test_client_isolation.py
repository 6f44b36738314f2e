"""The ``kdc`` client talks HTTP only: importing it loads nothing of the server."""

from __future__ import annotations

import subprocess
import sys

from tests.client.conftest import ROOT

SERVER_PACKAGES = (
    "catalog",
    "schemas",
    "storage",
    "flask",
    "sqlalchemy",
    "werkzeug",
    "marshmallow",
    "boto3",
    "app",
)


def test_kdc_imports_nothing_of_the_server():
    code = (
        "import sys, kdc.cli, kdc.client, kdc.fetch, kdc.upload, kdc.progress, kdc.audit_cmd\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({SERVER_PACKAGES!r}))\n"
        "print(','.join(bad))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""
