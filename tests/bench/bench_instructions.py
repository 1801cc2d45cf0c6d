"""Leader-instruction follow-up under load (issue 15), with a real Celery worker and beat on this machine.

100,000 open assignments (交办事项) of 50,000 instructions, spread over 20 cities × 10 counties; the product's sweep
settings (INFOHUB_FOLLOWUP_SWEEP_SECONDS, INFOHUB_FOLLOWUP_SWEEP_BATCH). BENCH_FOLLOWUP_DUE of them (5,000) reach
their overdue step (the record for the 通报 and scoring) within one minute, starting 30 s after the worker and beat
are up; the rest are due days ahead (their next steps spread over the next month). Each overdue step writes one
Shortfall, one Notice, its audit rows and notifications to the city's editor and director and the county's
director, and queues their e-mail.

Lateness of a record = when its transaction committed − the step's time. As in bench_alerts, the commit time is the
last created_at written by the transaction (rows one transaction inserted share its xmin; the step's audit row is the
last thing it writes). Also printed: lost steps (time passed, not done), duplicates (an assignment with more than
one overdue Notice or Shortfall), the sweep's throughput, and the machine's load average.

BENCH_ASSIGNMENTS (100,000) and BENCH_FOLLOWUP_DUE (5,000) scale it. The broker is REDIS_URL's server, database
BENCH_FOLLOWUP_BROKER_DB (11), emptied first. The database is always rebuilt.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

from .bench_alerts import Celery, loadavg, pct
from .common import fresh_database


class FollowupCelery(Celery):
    """bench_alerts' worker and beat, on a broker database of their own (BENCH_FOLLOWUP_BROKER_DB, 11): a
    benchmark of the deadline sweep may run beside this one."""

    def __init__(self):
        import tempfile
        from pathlib import Path
        from urllib.parse import urlsplit, urlunsplit

        import redis

        self.dir = Path(tempfile.mkdtemp(prefix="bench-followup-"))
        parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        broker = urlunsplit(parts._replace(path=f"/{os.environ.get('BENCH_FOLLOWUP_BROKER_DB', '11')}"))
        client = redis.Redis.from_url(broker)
        for key in client.scan_iter():
            client.delete(key)
        self.env = {**os.environ, "REDIS_URL": broker, "CELERY_BROKER_URL": broker, "PYTHONUNBUFFERED": "1",
                    "CACHE_KEY_PREFIX": "infohub-bench-followup", "CELERY_TASK_ALWAYS_EAGER": "0",
                    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        self.procs = {}

ASSIGNMENTS = int(os.environ.get("BENCH_ASSIGNMENTS", "100000"))
DUE = int(os.environ.get("BENCH_FOLLOWUP_DUE", "5000"))
CITIES, COUNTIES_PER_CITY = 20, 10
SPREAD_SECONDS, LEAD_SECONDS = 60, 30


def build_network():
    from infohub.models import Level, Role, RoleAssignment, Unit, User

    province = Unit.objects.create(name="基准省委办公厅", code="f-prov", level=Level.PROVINCE, kind="committee_office")
    cities, counties, users, roles = [], [], [], []

    def add(unit, role):
        user = User(username=f"{unit.code}-{role}", display_name=f"{unit.name}{role}",
                    email=f"{unit.code}-{role}@example.invalid")
        users.append(user)
        roles.append((user, unit, role))
        return user

    leaders = {}
    for c in range(CITIES):
        city = Unit.objects.create(name=f"基准{c}市委办公室", code=f"f-c{c}", level=Level.CITY,
                                   kind="committee_office", parent=province, upstream=province)
        cities.append(city)
        add(city, Role.EDITOR)
        add(city, Role.DIRECTOR)
        leaders[city.pk] = add(city, Role.LEADER)
        for k in range(COUNTIES_PER_CITY):
            county = Unit.objects.create(name=f"基准{c}-{k}县委办公室", code=f"f-c{c}-{k}", level=Level.COUNTY,
                                         kind="committee_office", parent=city, upstream=city)
            counties.append(county)
            add(county, Role.CLERK)
            add(county, Role.DIRECTOR)
    User.objects.bulk_create(users)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, unit=unit, role=role) for u, unit, role in roles])
    return counties, leaders


def insert_assignments(cursor, counties, leaders, first_due) -> None:
    """ASSIGNMENTS open assignments, two per instruction; the first DUE reach their overdue step between first_due
    and first_due + SPREAD_SECONDS, the others have their next step (a reminder) spread over the next 30 days."""
    county_ids = [u.pk for u in counties]
    city_ids = [u.parent_id for u in counties]
    leader_ids = [leaders[u.parent_id].pk for u in counties]
    n_instructions = (ASSIGNMENTS + 1) // 2
    cursor.execute(
        """
        INSERT INTO instructions_instruction (leader_id, office_id, level, title, kind, text, written_at, source,
            classification, state, asked, working_days, due_at, assigned_at, report, reopened, created_at, updated_at)
        SELECT (%s::bigint[])[1 + (g * 2) %% %s], (%s::bigint[])[1 + (g * 2) %% %s], 'city', '基准批示' || g, 'handle',
               '请抓好落实。', now(), 'paper', 'internal', 'assigned', '请反馈。', 5, now() + interval '5 days', now(),
               '', 0, now(), now()
        FROM generate_series(0, %s - 1) AS g ORDER BY g
        """,
        [leader_ids, len(leader_ids), city_ids, len(city_ids), n_instructions],
    )
    cursor.execute(
        """
        WITH i AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS g FROM instructions_instruction),
        rows AS (
            SELECT i.id AS instruction, 2 * i.g + r AS n, r FROM i CROSS JOIN (VALUES (0), (1)) AS v(r)
            WHERE 2 * i.g + r < %s
        ), timed AS (
            SELECT *, CASE WHEN n < %s
                           THEN %s::timestamptz + make_interval(secs => %s * n / %s::float)
                           ELSE now() + make_interval(secs => 86400 + (n %% 2592000)) END AS step_at
            FROM rows
        )
        INSERT INTO instructions_assignment (instruction_id, unit_id, office_id, role, state, due_at, created_at,
            plan, round, next_at, next_step, chased_at, quarantine_error)
        SELECT instruction, (%s::bigint[])[1 + (n / 2 * 2 + r) %% %s], (%s::bigint[])[1 + (n / 2 * 2) %% %s],
               CASE WHEN r = 0 THEN 'lead' ELSE 'support' END, 'signed',
               CASE WHEN n < %s THEN step_at - interval '7 days' ELSE step_at + interval '1 day' END, now(),
               CASE WHEN n < %s THEN jsonb_build_array(jsonb_build_array('overdue', step_at))
                    ELSE jsonb_build_array(jsonb_build_array('remind-1', step_at)) END,
               1, step_at, CASE WHEN n < %s THEN 'overdue' ELSE 'remind-1' END,
               CASE WHEN n < %s THEN step_at - interval '7 days' END, ''
        FROM timed
        """,
        [ASSIGNMENTS, DUE, first_due, SPREAD_SECONDS, DUE, county_ids, len(county_ids), city_ids, len(city_ids),
         DUE, DUE, DUE, DUE],
    )


def main() -> None:
    with fresh_database():
        from django.conf import settings
        from django.db import connection, transaction
        from django.utils import timezone

        counties, leaders = build_network()
        celery = FollowupCelery()
        try:
            celery.start("worker", "worker", "--concurrency", "2", "--loglevel", "info", "-n",
                         f"bench-f-{os.getpid()}@%h")
            celery.start("beat", "beat", "--loglevel", "info", "--pidfile", str(celery.dir / "beat.pid"))
            celery.wait_for("worker", " ready.")
            celery.wait_for("beat", "Sending due task")
            first_due = timezone.now() + timedelta(seconds=LEAD_SECONDS)
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                insert_assignments(cursor, counties, leaders, first_due)
                cursor.execute("ANALYZE instructions_assignment")
            made = time.perf_counter() - started
            last_due = first_due + timedelta(seconds=SPREAD_SECONDS)
            print(f"{ASSIGNMENTS:,} open assignments (made in {made:.1f} s); {DUE:,} overdue steps due "
                  f"{timezone.localtime(first_due):%H:%M:%S}–{timezone.localtime(last_due):%H:%M:%S}; sweep every "
                  f"{settings.INFOHUB_FOLLOWUP_SWEEP_SECONDS:g} s, batches of {settings.INFOHUB_FOLLOWUP_SWEEP_BATCH}; "
                  f"worker concurrency 2 {loadavg()}", flush=True)
            loads = []
            from instructions.models import Assignment

            deadline = last_due + timedelta(seconds=240)
            while timezone.now() < deadline:
                time.sleep(1)
                loads.append(os.getloadavg()[0])
                if timezone.now() > last_due and not Assignment.objects.filter(
                        next_step="overdue", next_at__lte=timezone.now()).exists():
                    break
            time.sleep(2 * settings.INFOHUB_FOLLOWUP_SWEEP_SECONDS)
        finally:
            celery.stop()
        report(loads)
        print(f"  worker and beat logs: {celery.dir}")


def report(loads) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from followup.models import Notice, Shortfall
    from instructions.models import Assignment

    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH tx AS (SELECT xmin::text AS tx, max(created_at) AS last_write, count(*) AS n
                        FROM infohub_auditlog WHERE action = 'followup.overdue' GROUP BY 1)
            SELECT extract(epoch FROM tx.last_write - (a.plan->0->>1)::timestamptz),
                   extract(epoch FROM s.created_at - (a.plan->0->>1)::timestamptz), tx.tx, tx.n,
                   extract(epoch FROM s.created_at), extract(epoch FROM tx.last_write)
            FROM followup_shortfall s JOIN instructions_assignment a ON a.id = s.object_id
            JOIN tx ON tx.tx = s.xmin::text
            """
        )
        rows = cursor.fetchall()
    committed = [float(r[0]) for r in rows]
    written = [float(r[1]) for r in rows]
    batches = {r[2]: int(r[3]) for r in rows}
    lost = Assignment.objects.filter(next_step="overdue", next_at__lte=timezone.now()).count()
    double = (Notice.objects.filter(key="1:overdue").values("object_id").annotate(n=Count("id"))
              .filter(n__gt=1).count())
    extra = Shortfall.objects.count() - len(rows)
    print(f"recorded {len(rows):,} of {DUE:,}; lost {lost}; duplicates: {double} with two overdue notices, "
          f"{extra} extra shortfalls")
    if not rows:
        return
    print(f"lateness, due → record committed: median {statistics.median(committed):.2f} s  "
          f"p99 {pct(committed, 99):.2f} s  max {max(committed):.2f} s")
    print(f"lateness, due → record written: median {statistics.median(written):.2f} s  p99 {pct(written, 99):.2f} s")
    first, last = min(float(r[4]) for r in rows), max(float(r[5]) for r in rows)
    sizes = sorted(batches.values())
    print(f"sweep: {len(batches)} transactions (records each: median {statistics.median(sizes):.0f}, max {sizes[-1]}); "
          f"{len(rows):,} records in {last - first:.1f} s = {len(rows) / max(last - first, 1e-9):.0f}/s "
          f"(due at {DUE / SPREAD_SECONDS:.0f}/s)  [load during the run: mean {statistics.mean(loads or [0]):.2f}, "
          f"max {max(loads or [0]):.2f}]")
