"""Shared plumbing for benchmarks: a throwaway database, a real gunicorn, a bounded concurrent HTTP load.

A benchmark never touches the database named in DATABASE_URL: it creates `<name>_bench` beside it,
drops it at the end, and serves it with gunicorn on a free loopback port.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/infohub")
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "infohub"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def _admin_conninfo(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1), parts.path.lstrip("/")


@contextmanager
def fresh_database():
    """Create an empty bench database, migrate it, point this process's Django at it; drop it afterwards."""
    url = bench_database_url()
    admin, name = _admin_conninfo(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infohub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1 leaves the data for EXPLAIN and friends
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(workers: int = 4):
    """A real gunicorn serving the bench database on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DEBUG": "0", "AXES_ENABLED": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "infohub.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@dataclass
class LoadResult:
    label: str
    latencies_ms: list[float]
    errors: int
    seconds: float

    def report(self) -> str:
        lat = sorted(self.latencies_ms)
        pct = lambda p: lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))]  # noqa: E731
        return (
            f"{self.label}: {len(lat)} requests, {self.errors} errors, {len(lat) / self.seconds:.0f} req/s | "
            f"latency ms p50 {statistics.median(lat):.1f}  p95 {pct(95):.1f}  p99 {pct(99):.1f}  max {lat[-1]:.1f}"
        )


def load(port: int, paths_by_client: list[list[tuple[str, str]]], label: str) -> LoadResult:
    """Each client issues its (path, session cookie) requests one after another; clients run concurrently."""

    def client(requests: list[tuple[str, str]]) -> tuple[list[float], int]:
        latencies, errors = [], 0
        for path, cookie in requests:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status != 200
            conn.close()
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(paths_by_client)) as pool:
        results = list(pool.map(client, paths_by_client))
    seconds = time.perf_counter() - started
    return LoadResult(label, [ms for lat, _ in results for ms in lat], sum(e for _, e in results), seconds)


def session_for(user) -> str:
    """A logged-in session cookie for the user, made directly in the session store."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key
