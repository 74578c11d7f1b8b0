"""The emulator is its own distribution: it must not lean on any QuickBooks client."""

from __future__ import annotations

import ast
from pathlib import Path

import qbo_emulator

SOURCE = Path(qbo_emulator.__file__).resolve().parent


def _imported_roots(module: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_imports_nothing_from_qbsync() -> None:
    modules = sorted(SOURCE.rglob("*.py"))
    assert len(modules) > 30
    leaning = [str(m.relative_to(SOURCE)) for m in modules if "qbsync" in _imported_roots(m)]
    assert leaning == []


def test_ships_its_consent_page() -> None:
    assert (SOURCE / "templates" / "consent.html").is_file()
    assert (SOURCE / "py.typed").is_file()
