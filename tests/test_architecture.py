"""Services never import each other; the shared library imports no service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())


def imported_modules(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(path, node.module)] + [(path, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_there_are_four_services() -> None:
    assert {"reception", "workshop", "parts", "kpi"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = [s for s in SERVICES if s != service]
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imported_modules(ROOT / "services" / service)
        if any(module == f"services.{o}" or module.startswith(f"services.{o}.") for o in others)
        or module in {"services", *others}
    ]
    assert offending == []


def test_the_shared_library_imports_no_service() -> None:
    offending = [f"{p.relative_to(ROOT)} imports {m}" for p, m in imported_modules(ROOT / "shared") if m.startswith("services")]
    assert offending == []
