"""Make a throwaway PostgreSQL available for tests (Debian cluster as root, or PITWALL_TEST_PG_URL)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "PITWALL_TEST_PG_URL"
ROLE = "pitwall"
PASSWORD = "pitwall"
MARKER_DIR = Path(tempfile.gettempdir())

_T = TypeVar("_T")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PgToolError(RuntimeError):
    """A human-readable failure of the local PostgreSQL tool."""


@dataclass(frozen=True)
class Cluster:
    """A Debian postgresql-common cluster as listed by pg_lsclusters."""

    version: str
    name: str
    port: int
    running: bool


def _run(cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip()
        raise PgToolError(f"{shlex.join(cmd)} failed (rc={proc.returncode}): {msg}")
    return proc


def _require_installed() -> None:
    for tool in ("pg_lsclusters", "pg_ctlcluster", "psql"):
        if shutil.which(tool) is None:
            raise PgToolError(
                f"PostgreSQL is not installed ({tool} not found); apt-get install postgresql, "
                f"or set {ENV_URL} to an existing server"
            )


def find_cluster() -> Cluster:
    """Return the local Debian cluster to use (prefers one named 'main', highest version)."""
    _require_installed()
    out = _run(["pg_lsclusters", "--no-header"]).stdout
    clusters = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2].isdigit():
            clusters.append(Cluster(parts[0], parts[1], int(parts[2]), parts[3].startswith("online")))
    if not clusters:
        raise PgToolError("PostgreSQL is installed but has no cluster; create one with pg_createcluster 15 main")
    clusters.sort(key=lambda c: (c.name == "main", float(c.version) if _is_number(c.version) else 0.0))
    return clusters[-1]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _marker(cluster: Cluster) -> Path:
    return MARKER_DIR / f"pitwall-localpg-started-{cluster.version}-{cluster.name}"


def local_url(cluster: Cluster | None = None, database: str = "postgres") -> str:
    """Return the SQLAlchemy asyncpg URL for the local cluster's pitwall role."""
    port = (cluster or find_cluster()).port
    return f"postgresql+asyncpg://{ROLE}:{PASSWORD}@127.0.0.1:{port}/{database}"


def _psql_as_postgres(cluster: Cluster, sql: str) -> str:
    # Peer authentication over the Unix socket only works as the postgres OS user.
    cmd = ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-p", str(cluster.port), "-d", "postgres", "-c", sql]
    return _run(["su", "postgres", "-c", f"cd / && {shlex.join(cmd)}"]).stdout.strip()


def ensure_running() -> str:
    """Return a URL for a usable PostgreSQL, starting the local Debian cluster and role if needed."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    cluster = find_cluster()
    if os.geteuid() != 0:
        raise PgToolError(f"starting the local PostgreSQL cluster needs root; otherwise set {ENV_URL}")
    if not cluster.running:
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster.version, cluster.name, "start"])
        _marker(cluster).write_text("started by tools.localpg\n")
    exists = _psql_as_postgres(cluster, f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'")
    if exists != "1":
        _psql_as_postgres(cluster, f"CREATE ROLE {ROLE} WITH LOGIN SUPERUSER CREATEDB PASSWORD '{PASSWORD}'")
    return local_url(cluster)


def stop() -> bool:
    """Stop the local cluster if this tool started it; return True if it was stopped."""
    if os.environ.get(ENV_URL):
        return False
    cluster = find_cluster()
    marker = _marker(cluster)
    if not marker.exists():
        return False
    if cluster.running:
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster.version, cluster.name, "stop"])
    marker.unlink(missing_ok=True)
    return True


def _base_url() -> str:
    return os.environ.get(ENV_URL) or local_url()


def with_database(url: str, name: str) -> str:
    """Return url with its database path replaced by name."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _asyncpg_dsn(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def _check_name(name: str) -> str:
    if not _IDENT.match(name):
        raise PgToolError(f"invalid database name {name!r}: use letters, digits and underscores")
    return name


async def _execute(statements: list[str]) -> None:
    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError as exc:
        raise PgToolError("asyncpg is not installed; it is needed to create or drop databases") from exc
    conn = await asyncpg.connect(_asyncpg_dsn(with_database(_base_url(), "postgres")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _drop_sql(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


async def acreate_database(name: str) -> str:
    """Create (or recreate empty) database name and return its URL."""
    _check_name(name)
    await _execute([_drop_sql(name), f'CREATE DATABASE "{name}"'])
    return with_database(_base_url(), name)


async def adrop_database(name: str) -> None:
    """Drop database name if it exists, disconnecting its sessions."""
    _check_name(name)
    await _execute([_drop_sql(name)])


def _run_coro(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to completion, even when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[_T] = []
    error: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=runner, name="localpg")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def create_database(name: str) -> str:
    """Create (or recreate empty) database name and return its URL."""
    return _run_coro(acreate_database(name))


def drop_database(name: str) -> None:
    """Drop database name if it exists, disconnecting its sessions."""
    _run_coro(adrop_database(name))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: start, stop or print the URL of the test PostgreSQL."""
    parser = argparse.ArgumentParser(prog="python -m tools.localpg", description=__doc__)
    parser.add_argument("command", choices=("start", "stop", "url"))
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(ensure_running())
        elif args.command == "stop":
            print("stopped" if stop() else "nothing stopped (cluster not started by localpg)")
        else:
            print(_base_url())
        return 0
    except PgToolError as exc:
        print(f"localpg: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
