"""The dependency rule of ARCHITECTURE.md: ``cds/`` imports only the standard library and
itself (never ``hooks``, pydantic, FastAPI, httpx or fhir.resources)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CDS = Path(__file__).resolve().parent.parent / "cds"
MODULES = sorted(CDS.rglob("*.py"))


def imported_roots(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) for every absolute import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Call) and (
            getattr(node.func, "attr", None) == "import_module"
            or getattr(node.func, "id", None) == "__import__"
        ):
            found.append((node.lineno, "<dynamic import>"))
    return found


def test_cds_has_modules() -> None:
    assert CDS.is_dir()
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_cds_imports_only_stdlib_and_itself(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | {"cds", "__future__"}
    bad = [
        f"{path.name}:{line} {root}" for line, root in imported_roots(path) if root not in allowed
    ]
    assert not bad, f"cds/ must import only the standard library and cds: {bad}"


def test_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom hooks.cli import main\nimport pydantic\n", encoding="utf-8")
    roots = [root for _, root in imported_roots(sample)]
    assert roots == ["os", "hooks", "pydantic"]
    allowed = set(sys.stdlib_module_names) | {"cds", "__future__"}
    assert [r for r in roots if r not in allowed] == ["hooks", "pydantic"]
