"""Shared plumbing for benchmarks: a throwaway database, a real gunicorn, a bounded concurrent HTTP load.

A benchmark never touches the database named in DATABASE_URL: it creates `<name>_bench` beside it,
drops it at the end, and serves it with gunicorn on a free loopback port. With BENCH_KEEP=1 the database
stays, and the next run reuses it (a benchmark then skips building data that is already there).
The load comes from `wrk` when it is installed (apt-get install wrk): a Python client would eat a good
share of the same cores it measures.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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
    """Create an empty bench database (or reuse a kept one), migrate it, point this process's Django at it;
    drop it afterwards unless BENCH_KEEP is set."""
    url = bench_database_url()
    admin, name = _admin_conninfo(url)
    keep = bool(os.environ.get("BENCH_KEEP"))  # BENCH_KEEP=1 leaves the data for EXPLAIN and the next run
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (keep and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ["CACHE_KEY_PREFIX"] = f"bench-{time.time_ns()}"  # no kept list rows of an earlier run
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
        if not keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(**settings_env):
    """A real gunicorn serving the bench database on a free loopback port, configured as the Procfile's
    (`settings_env`: environment variables besides, e.g. LIST_CACHE_SECONDS="0")."""
    port = free_port()
    env = {**os.environ, "DEBUG": "0", "AXES_ENABLED": "0", **settings_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "infohub.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", env.get("WEB_CONCURRENCY", "3"), "--log-level", "warning"],
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


CHANGE_SECONDS = float(os.environ.get("BENCH_CHANGE_SECONDS", "10"))


@contextmanager
def changing(scopes: list[str], every: float = CHANGE_SECONDS):
    """While the block runs, each of `scopes` is marked changed every `every` seconds, one scope at a time at
    even intervals, as committed actions would mark it: the kept rows of its list are drawn anew on the next
    request (infohub.listcache). With no scopes, nothing changes."""
    from infohub import listcache

    stop = threading.Event()

    def change_in_turn():
        turn = 0
        while not stop.wait(every / len(scopes)):
            listcache.changed(scopes[turn % len(scopes)])
            turn += 1

    thread = threading.Thread(target=change_in_turn, daemon=True) if scopes else None
    if thread:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread:
            thread.join()


@dataclass
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float

    def report(self) -> str:
        return (
            f"{self.label}: {self.requests} requests, {self.errors} errors, {self.requests / self.seconds:.0f} req/s | "
            f"latency ms p50 {self.p50:.1f}  p95 {self.p95:.1f}  p99 {self.p99:.1f}  max {self.max:.1f}"
            f"  [load {os.getloadavg()[0]:.2f}]"
        )


def load(port: int, paths_by_client: list[list[tuple[str, str]]], label: str,
         headers: dict[str, str] | None = None) -> LoadResult:
    """Each client issues its (path, session cookie) requests one after another, with `headers` besides the
    cookie; clients run concurrently."""
    if shutil.which("wrk"):
        return _wrk_load(port, paths_by_client, label, headers or {})
    return _python_load(port, paths_by_client, label, headers or {})


# wrk runs for BENCH_SECONDS; each thread walks the request list round-robin from its own offset.
WRK_SCRIPT = """
local reqs = {%s}
local threads = 0
function setup(thread) thread:set("offset", threads * 7919); threads = threads + 1 end
function init(args) n = offset end
function request()
  n = n + 1
  local r = reqs[n %% #reqs + 1]
  return wrk.format("GET", r[1], {%s["Cookie"] = "sessionid=" .. r[2]})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%f %%f\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def _wrk_load(port: int, paths_by_client: list[list[tuple[str, str]]], label: str,
              headers: dict[str, str]) -> LoadResult:
    # Interleave the clients' lists so that consecutive requests come from different sessions.
    flat = [req for row in zip(*paths_by_client, strict=True) for req in row]
    entries = ",".join(f'{{"{path}", "{cookie}"}}' for path, cookie in flat)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % (entries, "".join(f'["{k}"] = "{v}", ' for k, v in headers.items())))
        script.flush()
        out = subprocess.run(
            ["wrk", "-t2", f"-c{len(paths_by_client)}", f"-d{os.environ.get('BENCH_SECONDS', '20')}s",
             "--timeout", "30s", "-s", script.name, f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, check=True,
        ).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    requests, errors = int(fields[0]), int(fields[1])
    seconds, p50, p95, p99, worst = map(float, fields[2:])
    return LoadResult(label, requests, errors, seconds, p50, p95, p99, worst)


def _python_load(port: int, paths_by_client: list[list[tuple[str, str]]], label: str,
                 headers: dict[str, str]) -> LoadResult:
    def client(requests: list[tuple[str, str]]) -> tuple[list[float], int]:
        latencies, errors = [], 0
        for path, cookie in requests:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            conn.request("GET", path, headers={**headers, "Cookie": f"sessionid={cookie}"})
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
    lat = sorted(ms for latencies, _ in results for ms in latencies)
    pct = lambda p: lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))]  # noqa: E731
    return LoadResult(label, len(lat), sum(e for _, e in results), seconds,
                      statistics.median(lat), pct(95), pct(99), lat[-1])


def ask_each_once(port: int, paths_by_client: list[list[tuple[str, str]]]) -> LoadResult:
    """Every request of every client once, the clients concurrently: fills the kept lists a load then measures."""
    return _python_load(port, paths_by_client, "every request once", {})


def session_for(user) -> str:
    """A logged-in session cookie for the user, made directly in the session store."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "infohub.auth.InfoHubBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def queries_per_page(user, path, **headers) -> tuple[int, int]:
    """SQL statements of one page in the steady state: with its rows rendered on every request
    (LIST_CACHE_SECONDS=0), and with its rows kept (infohub.listcache)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from infohub.tree import forget_units

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    counts = []
    for cache_seconds in (0, 60):
        with override_settings(INFOHUB_LIST_CACHE_SECONDS=cache_seconds):
            forget_units()
            for _ in range(3):  # the last of three: versions started, rows kept, then served
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(path, **headers).status_code == 200
            counts.append(len(captured))
    return counts[0], counts[1]
