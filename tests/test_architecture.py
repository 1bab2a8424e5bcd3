"""Services never import each other; the shared library imports no service; domains stay pure; rules raise domain errors."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())


def imported_modules(folder: Path) -> list[tuple[Path, str]]:
    """The absolute imports of every file under a folder."""
    return [found for path in folder.rglob("*.py") for found in imported_modules_of(path)]


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
    offending = [
        f"{p.relative_to(ROOT)} imports {m}" for p, m in imported_modules(ROOT / "shared") if m.startswith("services")
    ]
    assert offending == []


# --- layering: pure domains, an HTTP-free command pipeline, use cases that raise domain errors ---------------------

INFRASTRUCTURE = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "aiokafka", "httpx", "pydantic_settings")
DOMAIN_FILES = sorted(
    path
    for path in (ROOT / "services").rglob("*.py")
    if "migrations" not in path.parts and (path.name == "domain.py" or "domain" in path.parts[:-1])
)


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _roots(modules: list[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


def test_every_service_but_kpi_has_a_domain() -> None:
    assert {p.relative_to(ROOT / "services").parts[0] for p in DOMAIN_FILES} >= {"reception", "workshop", "parts"}


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_domain_module_imports_no_framework_database_broker_or_http_client(path: Path) -> None:
    offending = [m for p, m in imported_modules_of(path) if m.split(".")[0] in INFRASTRUCTURE]
    assert offending == []


def test_loading_every_domain_loads_no_framework_database_broker_or_http_client() -> None:
    """Transitively too: a domain's imports (shared modules, its own helpers) stay pure."""
    script = (
        "import importlib, sys\n"
        f"for name in {[_module(p) for p in DOMAIN_FILES]!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert sorted(_roots(loaded.stdout.split()) & set(INFRASTRUCTURE)) == []


PIPELINE = [
    "shared/uow.py",
    "shared/outbox.py",
    "shared/errors.py",
    "shared/clock.py",
    "shared/columns.py",
    "shared/jobclock.py",
]


@pytest.mark.parametrize("name", PIPELINE)
def test_the_command_pipeline_and_the_shared_pieces_know_no_http(name: str) -> None:
    offending = [m for p, m in imported_modules_of(ROOT / name) if m.split(".")[0] in ("fastapi", "starlette", "httpx")]
    assert offending == []


@pytest.mark.parametrize("service", ["reception", "workshop", "parts"])
def test_domains_and_use_cases_raise_domain_errors_not_http_problems(service: str) -> None:
    folder = ROOT / "services" / service
    rule_files = [p for p in folder.rglob("*.py") if p in DOMAIN_FILES or "usecases" in p.parts]
    offending = [
        f"{p.relative_to(ROOT)} imports {m}"
        for path in rule_files
        for p, m in imported_modules_of(path)
        if m == "shared.problems.ProblemError"
    ]
    assert rule_files and offending == []


def imported_modules_of(path: Path) -> list[tuple[Path, str]]:
    """The absolute imports of one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(path, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(path, node.module)] + [(path, f"{node.module}.{a.name}") for a in node.names]
    return found
