"""Rights are asked of the policy: nothing else in the service judges an actor's role."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2] / "catalog"
# A role compared, or an actor's role/team/institution used to decide a right.
JUDGING = re.compile(
    r"\b(actor|current_user|a)\.role\s*(==|!=|\bin\b|\bnot in\b)"
    r"|\bcurrent_user\.role\.value\s*(==|!=|\bin\b)"
    r"|\.is_(admin|auditor|team_user|system|team_role)\b"
    r"|\bRole\.(ADMIN|PROVIDER|TEAM_LEAD|TEAM_MEMBER|AUDITOR)\b"
)
# Where roles are data, not rights: the policy itself, the account forms and their checks
# (which roles need a team or an institution), the demo accounts.
ALLOWED = {
    "policy.py",
    "services/users.py",
    "services/administration.py",
    "web/admin.py",
    "demo/__init__.py",
}


def test_no_role_is_judged_outside_the_policy():
    offenders = []
    for path in sorted([*ROOT.rglob("*.py"), *ROOT.rglob("*.html")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if JUDGING.search(line):
                offenders.append(f"catalog/{rel}:{n}: {line.strip()}")
    assert offenders == [], "ask catalog.policy instead:\n" + "\n".join(offenders)


def test_the_allowed_files_use_roles_only_as_data():
    # administration.py may compare the *edited user's* role, never the actor's.
    text = (ROOT / "services" / "administration.py").read_text()
    assert not re.search(r"\bactor\.role\b", text)
    assert 'policy.require(actor, "programme.manage")' in text
