"""Fault tests of the deadline sweep with a real Redis and real Celery processes (issue 4).

"SIGKILL the worker in the middle of a sweep and restart it; stop beat for ten minutes and restart it: every
due clock is breached exactly once, none is lost, none escalates twice, and catching up takes no more than two
sweep intervals."

The tests commit their data (transactional_db) and start `celery -A infohub worker` and `celery -A infohub beat`
from the venv against the *test* database. The processes' broker is REDIS_URL's server with database 15
(14 when REDIS_URL itself names 15): CI gives the suite db 1 (.ci/run), `make run` uses db 0, and nothing else
in this project touches 15. A lock in that database serialises two test sessions sharing one Redis, and every
other key there is deleted before a test starts, so no stale sweep or delivery from an earlier run can
interfere. The processes' logs go to files under tmp_path; a failing test prints their tails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from alerts.models import Clock, Escalation, Lapse
from alerts.sweep import sweep_all
from infohub.models import AuditLog, Notification
from submissions.models import Category, EventGrade, EventType, Item, ReportKind

from .conftest import file_emergency

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CELERY = Path(sys.executable).parent / "celery"
LOCK_KEY = "infohub:fault-tests:lock"
# Each breach here notifies the county's director, the city's two duty officers and the province's one.
RECIPIENTS_PER_BREACH = 4


# --- real processes ------------------------------------------------------------------------------------------


def broker_url() -> str:
    """REDIS_URL's server, database 15 (or 14): see the module docstring."""
    parts = urlsplit(settings.REDIS_URL)
    given = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{14 if given == 15 else 15}"))


def test_database_url() -> str:
    """DATABASE_URL with the test database's name (query arguments such as ?host=/socket/dir kept)."""
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/infohub"))
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


test_database_url.__test__ = False  # a helper, not a test


class Proc:
    """One celery process (a worker is a parent and its pool children, all in one process group)."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path):
        self.name, self.log = name, log
        self.started = time.monotonic()
        self._log_file = open(log, "ab")  # closed in stop()
        self.popen = subprocess.Popen([str(CELERY), "-A", "infohub", *args], env=env, cwd=settings.BASE_DIR,
                                      stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def children(self) -> list[int]:
        """The prefork pool: processes whose parent is this one."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid and fields[0] != "Z":
                found.append(int(stat.parent.name))
        return found

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig=signal.SIGKILL) -> None:
        """The whole process group: the parent and every pool child."""
        if self.popen.poll() is None:
            os.killpg(self.pid, sig)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 5) -> None:
        if self.popen.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()


class Celery:
    """Starts workers and beats against the test database; stops them all at the end of the test."""

    def __init__(self, tmp_path: Path, sweep_seconds: float, batch: int):
        self.tmp_path, self.sweep_seconds = tmp_path, sweep_seconds
        self.procs: list[Proc] = []
        broker = broker_url()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "infohub.settings",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "CACHE_KEY_PREFIX": "infohub-fault-tests",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "INFOHUB_SWEEP_SECONDS": str(sweep_seconds),
            "INFOHUB_FOLLOWUP_SWEEP_SECONDS": str(sweep_seconds),  # beat's other sweep, as often (/healthz/ reads both)
            "INFOHUB_SWEEP_BATCH": str(batch),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }

    def worker(self) -> Proc:
        """As the Procfile's worker (prefork, concurrency 2); no mingle/gossip, so it is ready in a second."""
        n = sum(p.name.startswith("worker") for p in self.procs) + 1
        proc = Proc(f"worker{n}", ["worker", "--concurrency", "2", "--loglevel", "info", "-n", f"fault{n}-{os.getpid()}@%h",
                                   "--without-mingle", "--without-gossip"],
                    self.env, self.tmp_path / f"worker{n}.log")
        self.procs.append(proc)
        self.wait(lambda: " ready." in proc.text() or proc.popen.poll() is not None, 60, f"{proc.name} ready")
        assert proc.popen.poll() is None, f"{proc.name} exited at start-up\n{self.logs()}"
        return proc

    def beat(self) -> Proc:
        n = sum(p.name.startswith("beat") for p in self.procs) + 1
        proc = Proc(f"beat{n}", ["beat", "--loglevel", "info", "--pidfile", str(self.tmp_path / f"beat{n}.pid")],
                    self.env, self.tmp_path / f"beat{n}.log")
        self.procs.append(proc)
        return proc

    def wait(self, condition, timeout: float, what: str, poll: float = 0.02):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := condition():
                return value
            time.sleep(poll)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{database_sessions()}\n{self.logs()}")

    def wait_for_progress(self, count, total: int, what: str, stall: float = 30) -> None:
        """Until count() reaches total; fails only when it stops moving for `stall` seconds (a busy machine is
        slow, a stuck worker makes no progress at all)."""
        last, moved = -1, time.monotonic()
        while (now := count()) < total:
            if now != last:
                last, moved = now, time.monotonic()
            elif time.monotonic() - moved > stall:
                pytest.fail(f"no progress for {stall:.0f} s ({now} of {total}) waiting for {what}\n"
                            f"{database_sessions()}\n{self.logs()}")
            time.sleep(0.02)

    def logs(self, lines: int = 40) -> str:
        return "\n".join(f"--- {p.name} (pid {p.pid}), last {lines} lines ---\n"
                         + "\n".join(p.text().splitlines()[-lines:]) for p in self.procs)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    """A factory: celery_processes(sweep_seconds, batch) -> Celery. Holds the broker database's lock."""
    broker = redis.Redis.from_url(broker_url())
    lock = broker.lock(LOCK_KEY, timeout=300, blocking_timeout=300)  # another session's fault tests finish first
    assert lock.acquire(), "another test session held the fault tests' Redis lock for 5 minutes"
    started: list[Celery] = []

    def start(sweep_seconds: float, batch: int) -> Celery:
        for key in broker.scan_iter():  # stale queues, unacked messages and bindings of earlier runs
            if key != LOCK_KEY.encode():
                broker.delete(key)
        started.append(Celery(tmp_path, sweep_seconds, batch))
        return started[-1]

    try:
        yield start
    finally:
        for celery in started:
            celery.stop_all()
            print(celery.logs(80))  # shown by pytest only when the test failed
        lock.release()


# --- data ----------------------------------------------------------------------------------------------------


def make_clocks(net, due_times: list) -> list[int]:
    """One first report and one running city clock per due time, made with bulk_create (thousands in a second).

    The items await the county director's sign-off, so the county holds them and answers for the lateness."""
    now = timezone.now()
    items = Item.objects.bulk_create([
        Item(title=f"故障测试：化工厂火灾{n}", body="今日9时许，一化工厂仓库起火，消防已到场处置。",
             category=Category.EMERGENCY, urgency="extra_urgent", classification="internal",
             contact_phone="0571-88886666", source_unit=net.county, created_by=net.clerk,
             status=Item.Status.PENDING_SIGNOFF, submitted_at=now, event_time=due - timedelta(hours=2),
             event_place="东湖区化工园区", event_grade=EventGrade.GENERAL, event_type=EventType.ACCIDENT,
             report_kind=ReportKind.FIRST)
        for n, due in enumerate(due_times)
    ])
    clocks = Clock.objects.bulk_create([
        Clock(kind=Clock.Kind.REPORT, item=item, office=net.city, level=net.city.level, unit=net.county,
              started_at=item.event_time, due_at=due)
        for item, due in zip(items, due_times, strict=True)
    ])
    return [c.pk for c in clocks]


def breached(ids) -> int:
    return Clock.objects.filter(pk__in=ids, state=Clock.State.BREACHED).count()


def assert_consistent(ids) -> None:
    """What is committed is whole: a breached clock has its lapse and escalation, a running one has neither."""
    done = set(Clock.objects.filter(pk__in=ids, state=Clock.State.BREACHED).values_list("pk", flat=True))
    assert set(Lapse.objects.filter(clock_id__in=ids).values_list("clock_id", flat=True)) == done
    assert set(Escalation.objects.filter(clock_id__in=ids, key="breach").values_list("clock_id", flat=True)) == done


def assert_breached_exactly_once(ids) -> None:
    ids = list(ids)
    states = dict(Clock.objects.filter(pk__in=ids).order_by().values_list("state").annotate(n=Count("id")))
    assert states == {Clock.State.BREACHED: len(ids)}, "every due clock breached, none lost, none left running"
    assert Lapse.objects.filter(clock_id__in=ids).count() == len(ids)
    per_clock = Escalation.objects.filter(clock_id__in=ids, key="breach").values("clock").annotate(n=Count("id"))
    assert len(per_clock) == len(ids) and {row["n"] for row in per_clock} == {1}, "exactly one escalation each"
    assert Escalation.objects.filter(clock_id__in=ids).exclude(key="breach").count() == 0
    # Nobody was told twice, and the audit log has one breach per clock.
    assert Notification.objects.filter(verb="clock.breached").count() == RECIPIENTS_PER_BREACH * len(ids)
    audits = AuditLog.objects.filter(action="clock.breach", object_id__in=[str(pk) for pk in ids])
    assert audits.count() == len(ids)
    assert not Clock.objects.filter(state=Clock.State.RUNNING, due_at__lte=timezone.now()).exists()


def database_sessions() -> str:
    """The other sessions on the test database, for a failure message: who waits for what."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, state, wait_event_type, wait_event, xact_start, pg_blocking_pids(pid), "
                       "left(query, 120) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return "--- database sessions ---\n" + "\n".join(str(row) for row in cursor.fetchall())


def open_sweep_transactions() -> int:
    """Other sessions on the test database inside a transaction right now (the worker's sweeps)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'")
        return cursor.fetchone()[0]


# --- the tests -----------------------------------------------------------------------------------------------


def test_sigkill_of_the_worker_mid_sweep_loses_nothing_and_breaches_nothing_twice(chain, duty, celery_processes):
    """1,200 overdue clocks, swept 10 at a time by a real worker: its pool children are SIGKILLed in the middle
    of a sweep (the parent requeues the task and forks new children), then the whole worker — parent and
    children — is SIGKILLed and started again."""
    total = 1200
    now = timezone.now()
    ids = make_clocks(chain.net, [now - timedelta(seconds=600 * n / total) for n in range(total)])
    celery = celery_processes(sweep_seconds=1, batch=10)
    celery.beat()
    first = celery.worker()

    # 1. the pool children, while a sweep's transaction is open
    celery.wait(lambda: breached(ids) >= total // 10 and open_sweep_transactions(), 60, "a sweep under way")
    children = first.children()
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    assert children, "a prefork worker has pool children"
    celery.wait(lambda: "exited with 'signal 9 (SIGKILL)'" in first.text(), 10, "the worker noticing its lost children")
    at_first_kill = breached(ids)

    # 2. the whole worker, parent and children, while a sweep's transaction is open again
    celery.wait(lambda: breached(ids) >= at_first_kill + total // 10 and open_sweep_transactions(), 60,
                "the respawned pool sweeping")
    first.kill()
    celery.wait(lambda: open_sweep_transactions() == 0, 10, "Postgres to roll back the killed transactions")
    at_second_kill = breached(ids)
    assert at_second_kill < total, "the kill must land in the middle of the sweep"
    assert_consistent(ids)  # the killed batches left nothing half-done
    time.sleep(2 * celery.sweep_seconds)
    assert breached(ids) == at_second_kill, "nothing sweeps while no worker runs"

    celery.worker()
    celery.wait_for_progress(lambda: breached(ids), total, "the restarted worker to finish the sweep")
    time.sleep(2 * celery.sweep_seconds)  # later sweeps must find nothing more to do

    assert_breached_exactly_once(ids)
    print(f"breached before the first kill: {at_first_kill}, before the second: {at_second_kill}, of {total}")


def test_beat_stopped_for_ten_minutes_catches_up_within_two_sweep_intervals(chain, duty, celery_processes):
    """Beat is down while clocks fall due: 120 spread over the last ten minutes (beat's ten-minute outage, its
    time compressed into the due times: one emergency deadline every ten seconds, far more than a province
    sees), 30 more falling due during a real outage of a few seconds, and three emergencies filed through the
    real filing service whose city deadlines also run out during it. Beat comes back: everything is breached
    exactly once within two sweep intervals.

    The interval is the product default (INFOHUB_SWEEP_SECONDS, 2 s). The clock for the bound starts when the
    restarted beat sends its first sweep (seen in its log, polled every 20 ms), not when the process is
    spawned: starting Python, Django and Celery takes a second or more on a busy 2-core machine, which is the
    cost of any restart and is printed beside the figure, not part of catching up. It stops at the last breach
    escalation's created_at (written in the breach's transaction, just before its commit).
    How big a backlog fits in two intervals depends on the sweep's throughput (150–300 breaches a second on a
    busy 2-core machine, each notifying four people); the alerts benchmark measures it.
    """
    interval = float(settings.INFOHUB_SWEEP_SECONDS)
    celery = celery_processes(sweep_seconds=interval, batch=50)
    celery.worker()
    beat = celery.beat()
    celery.wait(lambda: "Sending due task" in beat.text(), 60, "beat's first sweep")
    beat.stop()  # SIGTERM: beat saves its schedule and goes away
    assert beat.popen.returncode is not None

    now = timezone.now()
    backlog = make_clocks(chain.net, [now - timedelta(seconds=10 * n) for n in range(1, 61)])
    outage = 3.0
    during = make_clocks(chain.net, [now + timedelta(seconds=outage * n / 30) for n in range(30)])
    filed = [file_emergency(chain.net, event_time=now - timedelta(hours=2) + timedelta(seconds=1 + n))
             for n in range(3)]
    through_filing = list(Clock.objects.filter(item__in=filed, level="city").values_list("pk", flat=True))
    assert len(through_filing) == 3
    ids = backlog + during + through_filing
    time.sleep(max(0.0, (now + timedelta(seconds=outage + 0.5) - timezone.now()).total_seconds()))
    assert breached(ids) == 0, "nothing is swept while beat is down"

    spawned = time.time()
    restarted = celery.beat()
    first_sweep = celery.wait(lambda: "Sending due task" in restarted.text() and time.time(), 60,
                              "the restarted beat's first sweep")
    celery.wait_for_progress(lambda: breached(ids), len(ids), "catching up")
    done = max(Escalation.objects.filter(clock_id__in=ids, key="breach").values_list("created_at", flat=True))
    catch_up = done.timestamp() - first_sweep
    print(f"beat start-up {first_sweep - spawned:.2f} s; caught up {len(ids)} clocks {catch_up:.2f} s after its "
          f"first sweep ({done.timestamp() - spawned:.2f} s after the restart); interval {interval:g} s")
    assert catch_up <= 2 * interval, f"caught up in {catch_up:.2f} s, more than two sweep intervals\n{celery.logs()}"

    time.sleep(interval)
    assert_breached_exactly_once(ids)
    # The three filed emergencies: province and central clocks still run, their time is not up.
    assert Clock.objects.filter(item__in=filed, state=Clock.State.RUNNING).count() == 6


def test_sweeps_that_no_worker_takes_expire_after_one_interval(celery_processes):
    """Beat with no worker: each queued sweep carries an expiry of one interval, so a worker that comes back
    after an outage discards the stale ones instead of running a sweep for every interval it missed."""
    celery = celery_processes(sweep_seconds=1, batch=50)
    beat = celery.beat()
    broker = redis.Redis.from_url(broker_url())
    # The queue also carries the follow-up sweep (followup.tasks.sweep): take the deadline sweep's messages.
    queued = celery.wait(lambda: [m for m in map(json.loads, broker.lrange("sweeps", 0, -1))
                                  if m["headers"]["task"] == "alerts.tasks.sweep"], 60, "a deadline sweep in its queue")
    message = queued[0]  # the newest (kombu pushes on the left)
    assert message["headers"]["expires"], f"the sweep never expires: {message['headers']}"
    expires = datetime.fromisoformat(message["headers"]["expires"])
    assert expires - timezone.now() <= timedelta(seconds=1)
    beat.stop()


def test_two_sweeps_at_once_split_the_work_without_duplicates(chain, duty):
    """Two sweeps in two threads, each on its own database connection, start together on 600 due clocks."""
    total = 600
    now = timezone.now()
    ids = make_clocks(chain.net, [now - timedelta(seconds=n) for n in range(total)])
    start = threading.Barrier(2)
    counts, errors = [], []

    def sweep():
        try:
            start.wait()
            counts.append(sweep_all(batch_size=10)["breached"])
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(counts) == total, "each clock breached by exactly one of the two"
    assert min(counts) > 0, f"both sweeps did part of the work: {counts}"
    assert_breached_exactly_once(ids)

