"""docs/rights.md prints the policy table and the scopes exactly as catalog/policy.py has them."""

from __future__ import annotations

from pathlib import Path

from catalog import policy

DOC = Path(__file__).parents[2] / "docs" / "rights.md"


def test_the_rights_page_prints_the_table_of_the_code():
    assert policy.markdown_table() in DOC.read_text()


def test_the_rights_page_lists_each_scope_with_its_actions():
    doc = DOC.read_text()
    for scope, actions in policy.SCOPES.items():
        name = f"`{scope}`" if scope else "any valid token"
        row = f"| {name} | " + ", ".join(f"`{a}`" for a in actions) + " |"
        assert row in doc, row


def test_the_readme_and_the_purchasing_page_link_to_it():
    root = DOC.parents[1]
    assert "docs/rights.md" in (root / "README.md").read_text()
    assert "rights.md" in (root / "docs" / "purchasing.md").read_text()
