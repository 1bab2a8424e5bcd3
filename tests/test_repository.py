"""What a fresh clone shows a newcomer and a dealer's IT: a clean git status, a lean Docker context, test durations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _docker_ignores(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (its patterns, without exceptions, as Docker reads them)."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "exceptions are not modelled here"
    parts = path.split("/")
    for pattern in patterns:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            return True
    return False


def test_the_docker_build_context_leaves_out_the_venv_the_kafka_jars_local_data_and_secrets() -> None:
    for heavy in (".venv/lib/python3.11/site-packages/x.py", "deploy/kafka/lib/kafka_2.13.jar", ".data/logs/reception.log", ".env",
                  ".git/HEAD", "services/reception/__pycache__/app.cpython-311.pyc", "reception.db"):
        assert _docker_ignores(heavy), heavy
    for needed in ("requirements.lock", "shared/db.py", "services/reception/app.py", "tools/run.py", "deploy/Dockerfile"):
        assert not _docker_ignores(needed), needed
    copied = re.findall(r"^COPY (?!--from)(\S+)", (ROOT / "deploy" / "Dockerfile").read_text(), flags=re.M)
    assert copied and not [source for source in copied if _docker_ignores(source)]


def test_what_a_first_run_writes_is_ignored_by_git() -> None:
    for written in ("deploy/kafka/.lib.lock", "deploy/kafka/lib/kafka.jar", ".data/kafka/meta.properties", ".venv/bin/python"):
        checked = subprocess.run(["git", "check-ignore", "-q", written], cwd=ROOT)
        assert checked.returncode == 0, f"{written} would show in git status"


def test_the_readme_names_both_compose_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up" in readme and "docker-compose up" in readme


def test_a_test_run_lists_the_slowest_tests(tmp_path: Path) -> None:
    slow = tmp_path / "test_slow.py"
    slow.write_text("import time\n\n\ndef test_takes_a_while() -> None:\n    time.sleep(1.1)\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(slow), "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "slowest 15 durations" in run.stdout and re.search(r"^\d+\.\d\ds call .*::test_takes_a_while$", run.stdout, flags=re.M)
