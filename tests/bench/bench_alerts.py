"""Emergency deadlines under load, with a real Celery worker and beat and a real gunicorn on this machine.

1. Breach lateness. 10,000 clocks fall due within one minute, starting ~30 s after the worker (`celery -A infohub
   worker --concurrency 2`, as the Procfile) and one beat are up, with the product's sweep settings (every
   INFOHUB_SWEEP_SECONDS, INFOHUB_SWEEP_BATCH rows a transaction). Each clock's county has a director and each
   waiting city office two duty officers, the province two more: every breach notifies five people and queues
   their e-mail/SMS delivery. Lateness of a breach = when its escalation was committed − due_at. Postgres here
   does not record commit times (track_commit_timestamp is off), so the commit time of a sweep transaction is
   taken as the last created_at written in it: the rows one transaction inserted share its xmin, the clock's
   audit row is the last thing each breach writes, and COMMIT follows the batch's last breach at once. (The
   escalation's own created_at comes earlier, by up to one batch of work; both are printed.) Also printed: lost
   clocks (due, still running at the end), duplicates (a clock with more than one breach escalation or lapse,
   or more notifications than recipients), and the sweep's throughput.
   Targets (issue 4): p99 ≤ 5 s, max ≤ 10 s, zero lost, zero duplicates.

2. The urgent queue page (alerts:queue) with 100,000 open clocks, 40% of them at one city office: 20 concurrent
   clients, each a duty officer of that office, walk its first pages (50 rows each) against gunicorn; p50/p95/p99,
   req/s and the SQL queries per page for a large and a 2-row queue (they must be equal); then the same clients
   asking for what an open page refreshes every few seconds, the rows alone (htmx); each with the rows kept, kept
   while the queue changes every BENCH_CHANGE_SECONDS (10), and rendered every time. Target: p95 < 100 ms.

Scale with BENCH_CLOCKS (10,000), BENCH_QUEUE_CLOCKS (100,000), BENCH_SECONDS (wrk) / BENCH_REQUESTS (Python
client); run only some parts with BENCH_PARTS=lateness,catchup,queue. The broker of the worker and beat is REDIS_URL's server with database 13 (12 if REDIS_URL names 13), its
keys deleted first; the fault tests use 15/14, CI and `make run` 1 and 0. The database is always rebuilt.
The machine's load average is printed beside each figure: the machine has 2 cores and may be shared.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .common import CHANGE_SECONDS, ROOT, changing, fresh_database, gunicorn, load, queries_per_page, session_for

CLOCKS = int(os.environ.get("BENCH_CLOCKS", "10000"))
QUEUE_CLOCKS = int(os.environ.get("BENCH_QUEUE_CLOCKS", "100000"))
REQUESTS_PER_CLIENT = int(os.environ.get("BENCH_REQUESTS", "50"))
CLIENTS = 20
CITIES, COUNTIES_PER_CITY = 20, 10
SPREAD_SECONDS, LEAD_SECONDS = 60, 30
BIG_SHARE = 0.4
PARTS = os.environ.get("BENCH_PARTS", "lateness,catchup,queue").split(",")


def loadavg() -> str:
    return f"[load {os.getloadavg()[0]:.2f}]"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


# --- the network -----------------------------------------------------------------------------------------------


def build_network():
    """A province over 20 cities of 10 counties. Counties: a clerk and a director. Cities: an editor, a director
    and two duty officers (the big city 22: its duty officers are the page's 20 clients). Province: two duty
    officers and a director. One more city office with one county, for a queue of two rows."""
    from infohub.models import Level, Role, RoleAssignment, Unit, User

    province = Unit.objects.create(name="基准省委办公厅", code="a-prov", level=Level.PROVINCE, kind="committee_office")
    cities, counties = [], []
    for c in range(CITIES + 1):
        city = Unit.objects.create(name=f"基准{c}市委办公室", code=f"a-c{c}", level=Level.CITY,
                                   kind="committee_office", parent=province, upstream=province)
        cities.append(city)
        for k in range(COUNTIES_PER_CITY if c < CITIES else 1):
            counties.append(Unit.objects.create(name=f"基准{c}-{k}县委办公室", code=f"a-c{c}-{k}",
                                                level=Level.COUNTY, kind="committee_office", parent=city,
                                                upstream=city))
    users, roles = [], []

    def add(unit, role, n=1):
        for i in range(n):
            user = User(username=f"{unit.code}-{role}-{i}", display_name=f"{unit.name}{role}{i}",
                        email=f"{unit.code}-{role}-{i}@example.invalid", phone=f"1380000{len(users):04d}")
            users.append(user)
            roles.append((user, unit, role))

    for unit in counties:
        add(unit, Role.CLERK)
        add(unit, Role.DIRECTOR)
    for city in cities:
        add(city, Role.EDITOR)
        add(city, Role.DIRECTOR)
        add(city, Role.DUTY_OFFICER, CLIENTS if city is cities[0] else 2)
    add(province, Role.DUTY_OFFICER, 2)
    add(province, Role.DIRECTOR)
    User.objects.bulk_create(users)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, unit=unit, role=role) for u, unit, role in roles])
    return province, cities, counties


def insert_clocks(cursor, *, counties, clerk_of, due_sql: str, n: int, args=()) -> None:
    """n emergency first reports awaiting their county director's sign-off, and a running city clock for each.
    due_sql is an SQL expression of g (1..n) for due_at, with %s for args."""
    county_ids = [u.pk for u in counties]
    city_ids = [u.parent_id for u in counties]
    clerk_ids = [clerk_of[u.pk] for u in counties]
    cursor.execute(
        f"""
        CREATE TEMP TABLE new_items AS
        SELECT g, (%s::bigint[])[1 + g %% %s] AS county, (%s::bigint[])[1 + g %% %s] AS city,
               (%s::bigint[])[1 + g %% %s] AS clerk, {due_sql} AS due
        FROM generate_series(1, %s) AS g
        """,
        [county_ids, len(county_ids), city_ids, len(city_ids), clerk_ids, len(clerk_ids), *args, n],
    )
    cursor.execute(
        """
        WITH items AS (
            INSERT INTO submissions_item (title, body, category, urgency, classification, authors, contact_phone,
                keywords, status, revision, created_at, updated_at, submitted_at, return_reason, event_time,
                event_place, event_grade, event_type, losses, measures, report_kind, created_by_id, source_unit_id)
            SELECT '基准突发事件' || g || '：某化工园区仓库起火', '今日9时许，某化工园区一仓库起火，消防已到场处置。',
                   'emergency', 'extra_urgent', 'internal', '', '0571-88886666', '', 'pending_signoff', 1,
                   now(), now(), now(), '', due - interval '2 hours', '化工园区',
                   (ARRAY['general','large','major'])[1 + g % 3], 'accident', '', '', 'first', clerk, county
            FROM new_items ORDER BY g
            RETURNING id, source_unit_id, event_time
        )
        INSERT INTO alerts_clock (kind, item_id, office_id, level, unit_id, started_at, due_at, state,
            reminder_plan, remind_key, note, stopped_by, acknowledge_step, acknowledge_every_minutes, created_at, terms)
        SELECT 'report', i.id, u.parent_id, 'city', i.source_unit_id, i.event_time, i.event_time + interval '2 hours',
               'running', '[]', '', '', '', 0, 15, now(), '{}'
        FROM items i JOIN infohub_unit u ON u.id = i.source_unit_id
        """
    )
    cursor.execute("DROP TABLE new_items")


# --- Celery processes --------------------------------------------------------------------------------------------


def broker_url() -> str:
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    given = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{12 if given == 13 else 13}"))


class Celery:
    """The Procfile's worker and beat, against the bench database, logs in a temporary directory."""

    def __init__(self):
        import redis

        self.dir = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
        broker = broker_url()
        client = redis.Redis.from_url(broker)
        for key in client.scan_iter():
            client.delete(key)
        self.env = {**os.environ, "REDIS_URL": broker, "CELERY_BROKER_URL": broker, "PYTHONUNBUFFERED": "1",
                    "CACHE_KEY_PREFIX": "infohub-bench-alerts", "CELERY_TASK_ALWAYS_EAGER": "0",
                    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        with open(self.dir / f"{name}.log", "ab") as log:  # the child has its own copy
            self.procs[name] = subprocess.Popen(
                [str(Path(sys.executable).parent / "celery"), "-A", "infohub", *args], env=self.env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    def wait_for(self, name: str, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline or self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} did not log {text!r}:\n{self.log(name)[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# --- 1. breach lateness ----------------------------------------------------------------------------------------


def breach_lateness(counties, clerk_of) -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from alerts.models import Clock

    celery = Celery()
    try:
        celery.start("worker", "worker", "--concurrency", "2", "--loglevel", "info", "-n", f"bench-{os.getpid()}@%h")
        celery.start("beat", "beat", "--loglevel", "info", "--pidfile", str(celery.dir / "beat.pid"))
        celery.wait_for("worker", " ready.")
        celery.wait_for("beat", "Sending due task")
        first_due = timezone.now() + timedelta(seconds=LEAD_SECONDS)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            insert_clocks(cursor, counties=counties, clerk_of=clerk_of, n=CLOCKS,
                          due_sql="%s::timestamptz + make_interval(secs => %s * (g - 1) / %s::float)",
                          args=(first_due, SPREAD_SECONDS, CLOCKS))
        made = time.perf_counter() - started
        last_due = first_due + timedelta(seconds=SPREAD_SECONDS * (CLOCKS - 1) / CLOCKS)
        print(f"{CLOCKS:,} clocks due {timezone.localtime(first_due):%H:%M:%S}–{timezone.localtime(last_due):%H:%M:%S} (made in {made:.1f} s, "
              f"{(first_due - timezone.now()).total_seconds():.0f} s ahead); sweep every {settings.INFOHUB_SWEEP_SECONDS:g} s, "
              f"batches of {settings.INFOHUB_SWEEP_BATCH}; worker concurrency 2 {loadavg()}", flush=True)
        loads = []
        deadline = last_due + timedelta(seconds=180)
        while timezone.now() < deadline:
            time.sleep(1)
            loads.append(os.getloadavg()[0])
            if timezone.now() > last_due and not Clock.objects.filter(state=Clock.State.RUNNING).exists():
                break
        time.sleep(2 * settings.INFOHUB_SWEEP_SECONDS)  # a later sweep must find nothing to do twice
    finally:
        celery.stop()
    report_lateness(loads)
    print(f"  worker and beat logs: {celery.dir}")


def report_lateness(loads: list[float]) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from alerts.models import Clock, Escalation, Lapse
    from infohub.models import Notification

    with connection.cursor() as cursor:
        # One row per breach: its escalation's created_at, and its transaction's last write (≈ its commit).
        cursor.execute(
            """
            WITH tx AS (SELECT xmin::text AS tx, max(created_at) AS last_write, count(*) AS n
                        FROM infohub_auditlog WHERE action = 'clock.breach' GROUP BY 1)
            SELECT extract(epoch FROM e.created_at - c.due_at), extract(epoch FROM tx.last_write - c.due_at),
                   tx.tx, tx.n, extract(epoch FROM e.created_at), extract(epoch FROM tx.last_write)
            FROM alerts_escalation e JOIN alerts_clock c ON c.id = e.clock_id
            JOIN tx ON tx.tx = e.xmin::text
            WHERE e.key = 'breach'
            """
        )
        rows = cursor.fetchall()
    written = [float(r[0]) for r in rows]
    committed = [float(r[1]) for r in rows]
    batches = {r[2]: int(r[3]) for r in rows}
    lost = Clock.objects.filter(due_at__lte=timezone.now(), state=Clock.State.RUNNING).count()
    breaches = Escalation.objects.filter(key="breach")
    double = breaches.values("clock").annotate(n=Count("id")).filter(n__gt=1).count()
    lapses = Lapse.objects.count()
    recipients = sum(breaches.values_list("recipients", flat=True))
    notified = Notification.objects.filter(verb="clock.breached").count()
    print(f"breached {len(rows):,} of {Clock.objects.count():,}; lost {lost}; duplicates: {double} clocks with two "
          f"breach escalations, {lapses - len(rows)} extra lapses, {notified - recipients} extra notifications "
          f"({notified:,} notifications to {recipients:,} recipients)")
    if not rows:
        return
    print(f"lateness, due → committed: median {statistics.median(committed):.2f} s  p99 {pct(committed, 99):.2f} s  "
          f"max {max(committed):.2f} s   (targets: p99 ≤ 5 s, max ≤ 10 s)")
    print(f"lateness, due → escalation row written: median {statistics.median(written):.2f} s  "
          f"p99 {pct(written, 99):.2f} s  max {max(written):.2f} s")
    first, last = min(float(r[4]) for r in rows), max(float(r[5]) for r in rows)
    sizes = sorted(batches.values())
    print(f"sweep: {len(batches)} transactions (breaches each: median {statistics.median(sizes):.0f}, max {sizes[-1]}); "
          f"{len(rows):,} breaches in {last - first:.1f} s = {len(rows) / max(last - first, 1e-9):.0f}/s "
          f"(the clocks fall due at {CLOCKS / SPREAD_SECONDS:.0f}/s)  "
          f"[load during the run: mean {statistics.mean(loads or [0]):.2f}, max {max(loads or [0]):.2f}]")


def catch_up_throughput(counties, clerk_of) -> None:
    """The sweep's top speed: CLOCKS // 2 clocks already overdue when the worker starts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from alerts.models import Clock

    n = CLOCKS // 2
    with transaction.atomic(), connection.cursor() as cursor:
        insert_clocks(cursor, counties=counties, clerk_of=clerk_of, n=n,
                      due_sql="now() - make_interval(secs => g / 100.0)")
    ids = list(Clock.objects.filter(state=Clock.State.RUNNING, due_at__lte=timezone.now()).values_list("pk", flat=True))
    celery = Celery()
    try:
        celery.start("worker", "worker", "--concurrency", "2", "--loglevel", "info", "-n", f"bench2-{os.getpid()}@%h")
        celery.wait_for("worker", " ready.")
        celery.start("beat", "beat", "--loglevel", "info", "--pidfile", str(celery.dir / "beat.pid"))
        celery.wait_for("beat", "Sending due task")
        began = time.perf_counter()
        while Clock.objects.filter(pk__in=ids, state=Clock.State.RUNNING).exists():
            if time.perf_counter() - began > 300:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - began
    finally:
        celery.stop()
    left = Clock.objects.filter(pk__in=ids, state=Clock.State.RUNNING).count()
    print(f"catch-up: {n - left:,} overdue clocks breached in {seconds:.1f} s after beat's first sweep = "
          f"{(n - left) / seconds:.0f}/s, {left} left {loadavg()}")


# --- 2. the urgent queue page ------------------------------------------------------------------------------------


def fill_queue(province, cities, counties, clerk_of) -> float:
    """QUEUE_CLOCKS open clocks: 40% at city 0, the rest over cities 1–19; due from 2 h ago to 2 h ahead (the
    overdue ones breached, still open); a third acknowledged. Two more at the last city, for the small queue."""
    from django.db import connection, transaction

    from infohub.models import Role, RoleAssignment

    started = time.perf_counter()
    big = [u for u in counties if u.parent_id == cities[0].pk]
    rest = [u for u in counties if u.parent_id not in (cities[0].pk, cities[-1].pk)]
    small = [u for u in counties if u.parent_id == cities[-1].pk]
    duty = dict(RoleAssignment.objects.filter(role=Role.DUTY_OFFICER).values_list("unit_id", "user_id"))
    spread = "now() + make_interval(secs => (g %% 14400) - 7200)"
    with transaction.atomic(), connection.cursor() as cursor:
        for units, n in ((big, int(QUEUE_CLOCKS * BIG_SHARE)), (rest, QUEUE_CLOCKS - int(QUEUE_CLOCKS * BIG_SHARE)),
                         (small, 2)):
            insert_clocks(cursor, counties=units, clerk_of=clerk_of, n=n, due_sql=spread)
        cursor.execute("UPDATE alerts_clock SET state = 'breached', breached_at = due_at WHERE due_at < now()")
        cursor.execute("UPDATE alerts_clock SET acknowledged_at = created_at, acknowledged_by_id = "
                       "(%s::jsonb ->> office_id::text)::bigint WHERE id %% 3 = 0",
                       [json.dumps({str(k): v for k, v in duty.items()})])
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def urgent_queue_page(province, cities, counties, clerk_of) -> None:
    from django.utils import timezone

    from alerts.models import Clock
    from infohub import listcache
    from infohub.models import Role, User

    # The clocks of the runs above: their late reports have arrived since.
    Clock.objects.filter(stopped_at=None).update(stopped_at=timezone.now(), stopped_by="received")
    seconds = fill_queue(province, cities, counties, clerk_of)
    open_clocks = Clock.objects.filter(stopped_at=None)
    print(f"\nurgent queue: {open_clocks.count():,} open clocks (made in {seconds:.0f} s); "
          f"{open_clocks.filter(office=cities[0]).count():,} at the big office, "
          f"{open_clocks.filter(office=cities[-1]).count()} at the small one")
    officers = list(User.objects.filter(roles__unit=cities[0], roles__role=Role.DUTY_OFFICER).order_by("pk"))
    small_officer = User.objects.filter(roles__unit=cities[-1], roles__role=Role.DUTY_OFFICER).first()
    htmx = {"HTTP_HX_REQUEST": "true"}
    print("SQL queries per page, rendered / rows kept (big queue vs 2 rows): "
          f"full page {queries_per_page(officers[0], '/alerts/')} vs {queries_per_page(small_officer, '/alerts/')}, "
          f"page 3 {queries_per_page(officers[0], '/alerts/?page=3')}; "
          f"htmx refresh {queries_per_page(officers[0], '/alerts/', **htmx)} vs "
          f"{queries_per_page(small_officer, '/alerts/', **htmx)}")
    sessions = [session_for(user) for user in officers[:CLIENTS]]
    paths = [[(f"/alerts/?page={1 + n % 3}", sessions[c]) for n in range(REQUESTS_PER_CLIENT)] for c in range(CLIENTS)]
    # What an open page asks every INFOHUB_QUEUE_REFRESH_SECONDS: the rows alone.
    refresh = [[("/alerts/", sessions[c])] * REQUESTS_PER_CLIENT for c in range(CLIENTS)]
    for kept, settings_env, changes in (
        ("rows kept", {}, []),
        (f"rows kept, the queue changed every {CHANGE_SECONDS:g} s", {}, [listcache.office(cities[0].pk)]),
        ("rendered every time", {"LIST_CACHE_SECONDS": "0"}, []),
    ):
        with gunicorn(**settings_env) as port, changing(changes):
            load(port, [[("/alerts/", s)] * 3 for s in sessions], "warm-up")
            print(load(port, paths, f"urgent queue, 20 duty officers of the big office, pages 1–3 ({kept})").report())
            print(load(port, refresh, f"the same, htmx refresh of page 1 ({kept})", headers={"HX-Request": "true"}).report())


def main() -> None:
    from django.core.management import call_command

    with fresh_database():
        from infohub.models import Role, RoleAssignment

        call_command("flush", interactive=False, verbosity=0)
        province, cities, counties = build_network()
        clerk_of = dict(RoleAssignment.objects.filter(role=Role.CLERK).values_list("unit_id", "user_id"))
        work = [u for u in counties if u.parent_id != cities[-1].pk]
        if "lateness" in PARTS:
            breach_lateness(work, clerk_of)
        if "catchup" in PARTS:
            catch_up_throughput(work, clerk_of)
        if "queue" in PARTS:
            urgent_queue_page(province, cities, counties, clerk_of)
