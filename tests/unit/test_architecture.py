"""The layering rules of docs/architecture.md, checked on the source code itself.

Each rule reads the Python files with ``ast`` (nothing is imported, so the check is fast and
sees imports inside functions too) and reports every breach as ``path:line: what``. The last
test runs every rule over a small tree that breaks each of them, so none can pass vacuously.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The server's code and the packages that must stay independent of it.
SOURCE_ROOTS = ("app.py", "catalog", "schemas", "storage", "auditchain", "kdc")
# Where `.commit()` / `.rollback()` may appear outside the application code.
NOT_APPLICATION_CODE = ("tests", "bench", "migrations")
SERVER_ONLY = ("app", "catalog", "schemas", "storage", "flask", "sqlalchemy", "werkzeug")
FLASK_FAMILY = re.compile(r"^flask(_\w+)?$")
ISSUE_NOTE = re.compile(r"\bissues?\s*#?\d+", re.IGNORECASE)
# The comments of the web files, by suffix: Jinja and HTML comments in templates, block
# comments in style sheets, block and line comments in scripts (a // inside a string or a
# URL is read as a comment too: harmless, as only issue numbers are looked for).
WEB_COMMENTS = {
    ".html": re.compile(r"\{#.*?#\}|<!--.*?-->", re.S),
    ".css": re.compile(r"/\*.*?\*/", re.S),
    ".js": re.compile(r"/\*.*?\*/|//[^\n]*", re.S),
}


@dataclass(frozen=True)
class Import:
    line: int
    module: str  # absolute dotted name; ``from a import b`` yields ``a`` and ``a.b``
    in_function: bool  # imported when a function runs, not when the module loads
    type_checking_only: bool  # under ``if TYPE_CHECKING:``


def python_files(root: Path, *names: str) -> list[Path]:
    """Every ``.py`` file of ``names`` (files or folders under ``root``), sorted."""
    found: list[Path] = []
    for name in names:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(found)


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(root: Path, path: Path) -> Iterator[Import]:
    """The modules ``path`` imports, relative imports resolved against its package."""
    package = _module_name(root, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]

    def walk(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(child.lineno, alias.name, in_function, type_checking)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - child.level + 1]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module or ""
                yield Import(child.lineno, module, in_function, type_checking)
                for alias in child.names:
                    if alias.name != "*":
                        name = f"{module}.{alias.name}"
                        yield Import(child.lineno, name, in_function, type_checking)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(child, True, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), in_function, False)
            else:
                yield from walk(child, in_function, type_checking)

    yield from walk(_parse(path), False, False)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _where(root: Path, path: Path, line: int) -> str:
    return f"{path.relative_to(root).as_posix()}:{line}"


# --------------------------------------------------------------------------- the rules


def services_never_import_flask(root: Path) -> list[str]:
    """Services are called by the web UI, the API and the CLI alike: no request in sight
    (no Flask or Flask extension, no Werkzeug)."""
    return [
        f"{_where(root, path, imp.line)}: a service imports {imp.module}"
        for path in python_files(root, "catalog/services")
        for imp in imports_of(root, path)
        if FLASK_FAMILY.match(imp.module.split(".")[0]) or _within(imp.module, "werkzeug")
    ]


def client_packages_stay_apart(root: Path) -> list[str]:
    """``kdc`` and ``auditchain`` run on a team's machine without the server's code."""
    return [
        f"{_where(root, path, imp.line)}: {path.relative_to(root).parts[0]} imports {imp.module}"
        for path in python_files(root, "kdc", "auditchain")
        for imp in imports_of(root, path)
        if any(_within(imp.module, banned) for banned in SERVER_ONLY)
        or FLASK_FAMILY.match(imp.module.split(".")[0])
    ]


def auditchain_is_standard_library_only(root: Path) -> list[str]:
    """Anyone can run the verifier with a bare Python; ``cryptography`` only to check keys."""
    allowed = set(sys.stdlib_module_names) | {"auditchain"}
    problems = []
    for path in python_files(root, "auditchain"):
        for imp in imports_of(root, path):
            top = imp.module.split(".")[0]
            if top in allowed:
                continue
            if top == "cryptography" and (imp.in_function or imp.type_checking_only):
                continue
            what = "at module level" if top == "cryptography" else "(not the standard library)"
            problems.append(f"{_where(root, path, imp.line)}: imports {imp.module} {what}")
    return problems


def only_services_commit(root: Path) -> list[str]:
    """Transactions belong to the unit of work (catalog/db.py) and the services."""
    allowed = {root / "catalog" / "db.py"}
    services = root / "catalog" / "services"
    problems = []
    for path in python_files(root, *_application_code(root)):
        if path in allowed or services in path.parents:
            continue
        for node in ast.walk(_parse(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "rollback")
            ):
                problems.append(
                    f"{_where(root, path, node.lineno)}: calls .{node.func.attr}() "
                    "outside catalog/db.py and catalog/services/"
                )
    return problems


def _application_code(root: Path) -> list[str]:
    """Every top-level file and folder with Python code, but tests, benchmarks, migrations."""
    return sorted(
        entry.name
        for entry in root.iterdir()
        if not entry.name.startswith(".")
        and entry.name not in NOT_APPLICATION_CODE
        and (entry.suffix == ".py" or (entry.is_dir() and (entry / "__init__.py").exists()))
    )


def api_and_web_stay_apart(root: Path) -> list[str]:
    """The API and the web UI share services and catalog.error_handlers, never each other."""
    problems = []
    for side, other in (("api", "web"), ("web", "api")):
        for path in python_files(root, f"catalog/{side}"):
            for imp in imports_of(root, path):
                if _within(imp.module, f"catalog.{other}"):
                    problems.append(
                        f"{_where(root, path, imp.line)}: catalog/{side} imports {imp.module}"
                    )
    return problems


def no_issue_numbers_in_comments(root: Path) -> list[str]:
    """Comments say why the code is so; which ticket brought it is in the history."""
    problems = []
    for path in python_files(root, *SOURCE_ROOTS):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
        for tok in tokens:
            if tok.type == tokenize.COMMENT and ISSUE_NOTE.search(tok.string):
                problems.append(f"{_where(root, path, tok.start[0])}: {tok.string.strip()}")
    web = root / "catalog" / "web"
    for path in sorted(web.rglob("*")) if web.is_dir() else []:
        comments = WEB_COMMENTS.get(path.suffix)
        if comments is None or not path.is_file():
            continue
        text = path.read_text("utf-8")
        for match in comments.finditer(text):
            if ISSUE_NOTE.search(match.group()):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{_where(root, path, line)}: {match.group()[:60]}")
    return problems


RULES: list[Callable[[Path], list[str]]] = [
    services_never_import_flask,
    client_packages_stay_apart,
    auditchain_is_standard_library_only,
    only_services_commit,
    api_and_web_stay_apart,
    no_issue_numbers_in_comments,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_code_keeps_the_rule(rule):
    problems = rule(ROOT)
    assert not problems, f"{rule.__doc__}\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the rules bite

BROKEN_TREE = {
    "catalog/__init__.py": "",
    "catalog/db.py": "def end(session):\n    session.commit()\n",
    "catalog/services/__init__.py": "",
    "catalog/services/buying.py": (
        "def buy(session):\n"
        "    from flask import request\n"
        "    session.commit()\n"
        "    return request\n"
    ),
    "catalog/services/naming.py": "import flask_babel\nfrom werkzeug.utils import secure_filename\n",
    "catalog/api/__init__.py": "",
    "catalog/api/things.py": (
        "from catalog.error_handlers import render\n"
        "from catalog.web import views\n"
        "\n"
        "\n"
        "def save(session):\n"
        "    session.rollback()  # issue 12: undo\n"
    ),
    "catalog/web/__init__.py": "from ..api import things  # noqa\n",
    "catalog/web/templates/page.html": "<p>{# issue 3 #}</p>\n",
    "catalog/web/static/site.css": "a { color: red; }\n/* issue 7: pages */\n/* issues page */\n",
    "catalog/web/static/js/site.js": (
        "// Issue #4: uploads\nconst x = 1; /* see\n   issue 9 */\nconst url = '/issues';\n"
    ),
    "kdc/__init__.py": "import httpx\n",
    "kdc/cli.py": "import click\n\n\ndef run():\n    from catalog.services import buying\n",
    "auditchain/__init__.py": (
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "\n"
        "import cryptography\n"
        "import requests\n"
        "from sqlalchemy import select\n"
        "\n"
        "if TYPE_CHECKING:\n"
        "    from cryptography.x509 import Certificate\n"
        "\n"
        "\n"
        "def check():\n"
        "    from cryptography.exceptions import InvalidSignature\n"
    ),
    "tests/__init__.py": "",
    "tests/test_x.py": "def test(session):\n    session.commit()\n",
    "bench/__init__.py": "",
    "bench/bench_x.py": "def run(session):\n    session.commit()\n",
}

EXPECTED = {
    "services_never_import_flask": [
        "catalog/services/buying.py:2: a service imports flask",
        "catalog/services/buying.py:2: a service imports flask.request",
        "catalog/services/naming.py:1: a service imports flask_babel",
        "catalog/services/naming.py:2: a service imports werkzeug.utils",
        "catalog/services/naming.py:2: a service imports werkzeug.utils.secure_filename",
    ],
    "client_packages_stay_apart": [
        "auditchain/__init__.py:6: auditchain imports sqlalchemy",
        "auditchain/__init__.py:6: auditchain imports sqlalchemy.select",
        "kdc/cli.py:5: kdc imports catalog.services",
        "kdc/cli.py:5: kdc imports catalog.services.buying",
    ],
    "auditchain_is_standard_library_only": [
        "auditchain/__init__.py:4: imports cryptography at module level",
        "auditchain/__init__.py:5: imports requests (not the standard library)",
        "auditchain/__init__.py:6: imports sqlalchemy (not the standard library)",
        "auditchain/__init__.py:6: imports sqlalchemy.select (not the standard library)",
    ],
    "only_services_commit": [
        "catalog/api/things.py:6: calls .rollback() outside catalog/db.py and catalog/services/",
    ],
    "api_and_web_stay_apart": [
        "catalog/api/things.py:2: catalog/api imports catalog.web",
        "catalog/api/things.py:2: catalog/api imports catalog.web.views",
        "catalog/web/__init__.py:1: catalog/web imports catalog.api",
        "catalog/web/__init__.py:1: catalog/web imports catalog.api.things",
    ],
    "no_issue_numbers_in_comments": [
        "catalog/api/things.py:6: # issue 12: undo",
        "catalog/web/static/js/site.js:1: // Issue #4: uploads",
        "catalog/web/static/js/site.js:2: /* see\n   issue 9 */",
        "catalog/web/static/site.css:2: /* issue 7: pages */",
        "catalog/web/templates/page.html:1: {# issue 3 #}",
    ],
}


def test_every_rule_names_each_breach_by_file_and_line(tmp_path):
    for name, text in BROKEN_TREE.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    found = {rule.__name__: sorted(rule(tmp_path)) for rule in RULES}
    assert found == EXPECTED
