"""What the benchmarks share: fresh databases, Django, gunicorn, timing and percentiles.

Not a benchmark itself (`make bench` skips it). A benchmark imports it first:

    import harness

    harness.django_setup()          # or after harness.mariadb_recreate(...) for its own URLs
    with harness.test_databases():  # throw-away test_<name> databases, dropped at the end
        with harness.measured() as took:
            ...
        print(f"{took.seconds:.3f} s, {took.queries} queries")
"""

from __future__ import annotations

import math
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALIASES = ("default", "telemetry")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_setup(env: dict[str, str] | None = None) -> None:
    """Django on the project's settings, after putting `env` into the environment."""
    os.environ.update(env or {})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solarsite.settings")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    for alias in ALIASES:
        call_command("migrate", database=alias, verbosity=0)


def server_env(**extra: str) -> dict[str, str]:
    """Settings as a production server runs (DEBUG off), for a server on 127.0.0.1."""
    return {
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
        **extra,
    }  # fmt: skip


def api_server_env(*, prefix: str, reuse: bool, redis_url: str, **extra: str) -> dict[str, str]:
    """server_env for a benchmark's API server on databases PREFIX and PREFIX_tel at
    $MARIADB_URL (re-created unless `reuse`), throttles out of the way, the shared cache
    as deployed; Django is set up on it and migrated."""
    names = [prefix, f"{prefix}_tel"]
    server = mariadb_url() if reuse else mariadb_recreate(names)
    env = server_env(
        DATABASE_URL=f"{server}/{prefix}", TELEMETRY_DATABASE_URL=f"{server}/{prefix}_tel",
        API_THROTTLE_USER="1000000/min", API_THROTTLE_LOGIN="1000/min", REDIS_URL=redis_url,
        **extra,
    )  # fmt: skip
    django_setup(env)
    migrate()
    return env


# --- Databases -----------------------------------------------------------------------------------
def mariadb_url() -> str:
    """The MariaDB server of the benchmarks ($MARIADB_URL), without a database name."""
    return os.environ.get("MARIADB_URL", "mysql://root@127.0.0.1:3306/").rstrip("/")


def mariadb_recreate(names: Iterable[str], *, server: str | None = None) -> str:
    """Drop and create these databases (utf8mb4) on the server; returns the server's URL."""
    server = (server or mariadb_url()).rstrip("/")
    _mariadb_run(server, [
        statement
        for name in names
        for statement in (f"DROP DATABASE IF EXISTS `{name}`",
                          f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    ])  # fmt: skip
    return server


def mariadb_drop(names: Iterable[str], *, server: str | None = None) -> None:
    _mariadb_run(server or mariadb_url(), [f"DROP DATABASE IF EXISTS `{n}`" for n in names])


def _mariadb_run(server: str, statements: list[str]) -> None:
    import environ
    import MySQLdb

    config = environ.Env.db_url_config(server.rstrip("/") + "/mysql")
    connection = MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        user=config["USER"],
        passwd=config["PASSWORD"] or "",
        port=int(config["PORT"] or 3306),
    )
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


@contextmanager
def test_databases(*, keep: bool = False) -> Iterator[None]:
    """Throw-away test databases (test_<name>) for both aliases, made fresh and dropped at the
    end; with `keep`, kept and reused by the next run."""
    from django.db import connections

    old_names = {alias: connections[alias].settings_dict["NAME"] for alias in ALIASES}
    for alias in ALIASES:
        connections[alias].creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep)
    try:
        yield
    finally:
        if not keep:
            for alias in ALIASES:
                connections[alias].creation.destroy_test_db(old_names[alias], verbosity=0)


# --- Timing --------------------------------------------------------------------------------------
@dataclass
class Measured:
    seconds: float = 0.0
    queries: int = 0  # on both databases


@contextmanager
def measured() -> Iterator[Measured]:
    """Wall-clock seconds and the queries sent to both databases inside the block."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    result = Measured()
    captures = [CaptureQueriesContext(connections[alias]) for alias in ALIASES]
    for capture in captures:
        capture.__enter__()
    started = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - started
        for capture in captures:
            capture.__exit__(None, None, None)
        result.queries = sum(len(capture) for capture in captures)


def percentile(values: Iterable[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least `share` of the values reach."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# --- A server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2) -> Iterator[str]:
    """gunicorn with `workers` sync workers on a free port, serving the project's settings with
    `env`; yields its URL once /healthz answers."""
    import httpx

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "solarsite.wsgi"],
        cwd=ROOT, env=dict(os.environ, **env),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
