"""docs/api.md lists every problem ``code`` the server can answer with."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = [
    re.compile(r'\bcode="([a-z_]+)"'),  # raise X(..., code="...")
    re.compile(r'^\s+code = "([a-z_]+)"', re.M),  # class attributes
    re.compile(r'_UploadRefused\(\d+, "([a-z_]+)"'),  # storage routes
    re.compile(r'^\s+(\d{3}): "([a-z_]+)",', re.M),  # HTTP_CODES
]


def raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in list((ROOT / "catalog").rglob("*.py")) + list((ROOT / "storage").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            for match in pattern.finditer(text):
                codes.add(match.groups()[-1])
    # Signed-URL refusals are built as f"url_{why}".
    codes |= {"url_expired", "url_bad_signature", "url_malformed"}
    return codes


def test_every_problem_code_is_documented():
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    codes = raised_codes()
    assert len(codes) > 60
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"docs/api.md does not document: {', '.join(missing)}"
