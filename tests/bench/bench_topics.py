"""Topic requests (约稿) under load: 10,000 open requests × 50 target units (500,000 open targets), with a real Celery
worker and beat and a real gunicorn on this machine (issue 15).

1. Sweep lateness. BENCH_DUE_REQUESTS (200) of the requests — 10,000 targets — fall due within one minute, starting
   ~30 s after the worker (`celery -A infohub worker --concurrency 2`, as the Procfile) and one beat are up, with the
   product's follow-up sweep settings (every INFOHUB_FOLLOWUP_SWEEP_SECONDS, INFOHUB_FOLLOWUP_SWEEP_BATCH rows a
   transaction); nobody answered, so each is recorded "ignored" (followup.models.Shortfall) and its office's editor and
   director and its unit's director are told. Lateness = when the record's transaction committed − due_at; the commit
   time is taken as the last audit row written in that transaction (the rows one transaction inserted share its xmin;
   the step's `followup.overdue` audit row is the last thing each record writes). The other 490,000 targets are due in
   the coming weeks: they are the sweep's haystack. Printed: lost (due, not recorded), duplicates, throughput.

2. The status board (topics:request_detail as the requesting office) of requests with 50 targets each — 20 answered
   with an item (sent, received or adopted at the city), 10 "nothing to report", 20 no answer — 20 concurrent clients,
   each an editor of that city, walking the boards of 100 of its requests against gunicorn; p50/p95/p99, req/s and the
   SQL statements of one board page.

Scale with BENCH_REQUESTS_TOTAL (10,000), BENCH_TARGETS (50), BENCH_DUE_REQUESTS (200), BENCH_SECONDS (wrk); parts
with BENCH_PARTS=lateness,board. The broker of the worker and beat is REDIS_URL's server with database 11 (10 if
REDIS_URL names 11), its keys deleted first. The machine's load average is printed beside each figure.
"""

from __future__ import annotations

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

from .common import ROOT, fresh_database, gunicorn, load, queries_per_page, session_for

REQUESTS_TOTAL = int(os.environ.get("BENCH_REQUESTS_TOTAL", "10000"))
TARGETS = int(os.environ.get("BENCH_TARGETS", "50"))
DUE_REQUESTS = int(os.environ.get("BENCH_DUE_REQUESTS", "200"))
CITIES = 20
CLIENTS = 20
BOARDS = 100  # boards of city 0 the clients walk
SPREAD_SECONDS, LEAD_SECONDS = 60, 30
PARTS = os.environ.get("BENCH_PARTS", "lateness,board").split(",")


def loadavg() -> str:
    return f"[load {os.getloadavg()[0]:.2f}]"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


# --- the network and the requests ----------------------------------------------------------------------------------


def build_network():
    """A province over 20 cities of TARGETS counties. Counties: a clerk and a director. City 0: 20 editors and a
    director (the clients); the other cities an editor and a director."""
    from infohub.models import Level, Role, RoleAssignment, Unit, User

    province = Unit.objects.create(name="基准省委办公厅", code="t-prov", level=Level.PROVINCE, kind="committee_office")
    cities, counties = [], {}
    for c in range(CITIES):
        city = Unit.objects.create(name=f"基准{c}市委办公室", code=f"t-c{c}", level=Level.CITY,
                                   kind="committee_office", parent=province, upstream=province)
        cities.append(city)
        counties[city.pk] = [Unit.objects.create(name=f"基准{c}-{k}县委办公室", code=f"t-c{c}-{k}",
                                                 level=Level.COUNTY, kind="committee_office", parent=city,
                                                 upstream=city) for k in range(TARGETS)]
    users, roles = [], []

    def add(unit, role, n=1):
        for i in range(n):
            user = User(username=f"{unit.code}-{role}-{i}", display_name=f"{unit.name}{role}{i}",
                        email=f"{unit.code}-{role}-{i}@example.invalid", phone=f"1390000{len(users):04d}")
            users.append(user)
            roles.append((user, unit, role))

    for units in counties.values():
        for unit in units:
            add(unit, Role.CLERK)
            add(unit, Role.DIRECTOR)
    for city in cities:
        add(city, Role.EDITOR, CLIENTS if city is cities[0] else 1)
        add(city, Role.DIRECTOR)
    User.objects.bulk_create(users)
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, unit=unit, role=role) for u, unit, role in roles])
    return province, cities, counties


def insert_requests(cursor, *, cities, editor_of, n: int, due_sql: str, args=()) -> None:
    """n requests spread over the cities (g % cities), each to every county of its city; due_at = due_sql (an SQL
    expression of g). Each target planned as the follow-up mechanism plans a request's target with no reminder left:
    one step, "overdue" (recorded ignored) at the due time."""
    city_ids = [c.pk for c in cities]
    editors = [editor_of[c.pk] for c in cities]
    cursor.execute(
        f"""
        INSERT INTO topics_topicrequest (office_id, kind, subject, guidance, length_limit, due_at, urgent, status,
            created_by_id, created_at, withdraw_reason)
        SELECT (%s::bigint[])[1 + g %% %s], 'request', '基准约稿' || g || '：基层减负工作进展',
               '请报送整治形式主义为基层减负的做法和成效。', 800, {due_sql}, false, 'open',
               (%s::bigint[])[1 + g %% %s], now(), ''
        FROM generate_series(1, %s) AS g
        """,
        [city_ids, len(city_ids), *args, editors, len(editors), n],
    )
    cursor.execute(
        """
        INSERT INTO topics_target (request_id, unit_id, office_id, due_at, created_at, plan, round, next_at, next_step,
            reply, decline_note, decline_return_reason, revision, quarantine_error)
        SELECT r.id, u.id, r.office_id, r.due_at, now(),
               jsonb_build_array(jsonb_build_array('overdue', to_char(r.due_at AT TIME ZONE 'UTC',
                                                   'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))),
               1, r.due_at, 'overdue', 'waiting', '', '', 1, ''
        FROM topics_topicrequest r JOIN infohub_unit u ON u.parent_id = r.office_id
        WHERE NOT EXISTS (SELECT 1 FROM topics_target t WHERE t.request_id = r.id)
        """
    )


# --- Celery processes ----------------------------------------------------------------------------------------------


def broker_url() -> str:
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    given = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{10 if given == 11 else 11}"))


class Celery:
    """The Procfile's worker and beat, against the bench database, logs in a temporary directory."""

    def __init__(self):
        import redis

        self.dir = Path(tempfile.mkdtemp(prefix="bench-topics-"))
        broker = broker_url()
        client = redis.Redis.from_url(broker)
        for key in client.scan_iter():
            client.delete(key)
        self.env = {**os.environ, "REDIS_URL": broker, "CELERY_BROKER_URL": broker, "PYTHONUNBUFFERED": "1",
                    "CACHE_KEY_PREFIX": "infohub-bench-topics", "CELERY_TASK_ALWAYS_EAGER": "0",
                    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        with open(self.dir / f"{name}.log", "ab") as log:
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


# --- 1. sweep lateness -----------------------------------------------------------------------------------------------


def sweep_lateness(cities, editor_of) -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from topics.models import Target

    celery = Celery()
    try:
        celery.start("worker", "worker", "--concurrency", "2", "--loglevel", "info", "-n", f"bench-{os.getpid()}@%h")
        celery.start("beat", "beat", "--loglevel", "info", "--pidfile", str(celery.dir / "beat.pid"))
        celery.wait_for("worker", " ready.")
        celery.wait_for("beat", "Sending due task")
        first_due = timezone.now() + timedelta(seconds=LEAD_SECONDS)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            # the measured ones: cities 1–19 (city 0's boards are measured below)
            insert_requests(cursor, cities=cities[1:], editor_of=editor_of, n=DUE_REQUESTS,
                            due_sql="%s::timestamptz + make_interval(secs => %s * (g - 1) / %s::float)",
                            args=(first_due, SPREAD_SECONDS, DUE_REQUESTS))
        made = time.perf_counter() - started
        due = Target.objects.filter(due_at__lte=first_due + timedelta(seconds=SPREAD_SECONDS))
        measured = due.count()
        last_due = first_due + timedelta(seconds=SPREAD_SECONDS * (DUE_REQUESTS - 1) / DUE_REQUESTS)
        print(f"{DUE_REQUESTS} requests, {measured:,} targets due {timezone.localtime(first_due):%H:%M:%S}–"
              f"{timezone.localtime(last_due):%H:%M:%S} (made in {made:.1f} s) among {Target.objects.count():,} open "
              f"targets; follow-up sweep every {settings.INFOHUB_FOLLOWUP_SWEEP_SECONDS:g} s, batches of "
              f"{settings.INFOHUB_FOLLOWUP_SWEEP_BATCH}; worker concurrency 2 {loadavg()}", flush=True)
        loads = []
        deadline = last_due + timedelta(seconds=300)
        while timezone.now() < deadline:
            time.sleep(1)
            loads.append(os.getloadavg()[0])
            if timezone.now() > last_due and not Target.objects.filter(next_at__lte=timezone.now()).exists():
                break
        time.sleep(2 * settings.INFOHUB_FOLLOWUP_SWEEP_SECONDS)
    finally:
        celery.stop()
    report_lateness(loads, measured)
    print(f"  worker and beat logs: {celery.dir}")


def report_lateness(loads: list[float], measured: int) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from followup.models import Notice, Shortfall
    from infohub.models import Notification
    from topics.models import Target

    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH tx AS (SELECT xmin::text AS tx, max(created_at) AS last_write, count(*) AS n
                        FROM infohub_auditlog WHERE action = 'followup.overdue' GROUP BY 1)
            SELECT extract(epoch FROM s.created_at - s.due_at), extract(epoch FROM tx.last_write - s.due_at), tx.tx,
                   tx.n, extract(epoch FROM s.created_at), extract(epoch FROM tx.last_write)
            FROM followup_shortfall s JOIN tx ON tx.tx = s.xmin::text
            WHERE s.kind = 'ignored'
            """
        )
        rows = cursor.fetchall()
    written = [float(r[0]) for r in rows]
    committed = [float(r[1]) for r in rows]
    batches = {r[2]: int(r[3]) for r in rows}
    lost = Target.objects.filter(due_at__lte=timezone.now(), overdue_recorded_at__isnull=True).count()
    double = Shortfall.objects.values("object_id", "kind").annotate(n=Count("id")).filter(n__gt=1).count()
    told = sum(Notice.objects.values_list("recipients", flat=True))
    notified = Notification.objects.filter(verb="followup.overdue").count()
    print(f"recorded {len(rows):,} of {measured:,} due; lost {lost}; duplicates: {double} targets with two records, "
          f"{Notice.objects.count() - len(rows)} extra notices, {notified - told} extra notifications "
          f"({notified:,} notifications)")
    if not rows:
        return
    print(f"lateness, due → committed: median {statistics.median(committed):.2f} s  p99 {pct(committed, 99):.2f} s  "
          f"max {max(committed):.2f} s")
    print(f"lateness, due → record row written: median {statistics.median(written):.2f} s  "
          f"p99 {pct(written, 99):.2f} s  max {max(written):.2f} s")
    first, last = min(float(r[4]) for r in rows), max(float(r[5]) for r in rows)
    sizes = sorted(batches.values())
    print(f"sweep: {len(batches)} transactions (records each: median {statistics.median(sizes):.0f}, max {sizes[-1]}); "
          f"{len(rows):,} records in {last - first:.1f} s = {len(rows) / max(last - first, 1e-9):.0f}/s "
          f"(the targets fall due at {measured / SPREAD_SECONDS:.0f}/s)  "
          f"[load during the run: mean {statistics.mean(loads or [0]):.2f}, max {max(loads or [0]):.2f}]")


# --- 2. the status board -------------------------------------------------------------------------------------------


def fill_boards(city, counties, editor, director) -> list[int]:
    """For BOARDS requests of city 0: 20 targets answered with an item signed off and received (half adopted) at the
    city, 10 "nothing to report" signed, the rest no answer. Returns the requests' ids."""
    from django.db import transaction
    from django.utils import timezone

    from infohub.models import Role, RoleAssignment
    from reviews.models import Hop
    from submissions.models import Item
    from topics.models import Answer, Target, TopicRequest

    clerk_of = dict(RoleAssignment.objects.filter(role=Role.CLERK, unit__in=counties).values_list("unit_id", "user_id"))
    director_of = dict(RoleAssignment.objects.filter(role=Role.DIRECTOR, unit__in=counties)
                       .values_list("unit_id", "user_id"))
    ids = list(TopicRequest.objects.filter(office=city).order_by("pk").values_list("pk", flat=True)[:BOARDS])
    now = timezone.now()
    with transaction.atomic():
        targets = list(Target.objects.filter(request_id__in=ids).order_by("request_id", "unit__path"))
        by_request: dict[int, list] = {}
        for target in targets:
            by_request.setdefault(target.request_id, []).append(target)
        answered = [t for rows in by_request.values() for t in rows[:20]]
        declined = [t for rows in by_request.values() for t in rows[20:30]]
        items = Item.objects.bulk_create([
            Item(title=f"基准回应稿件{t.pk}：清理考核评比事项三十余项", body="取消考核评比事项三十二项，合并报表四十余张。",
                 category="work_progress", contact_phone="0571-88886666", source_unit_id=t.unit_id,
                 created_by_id=clerk_of[t.unit_id], status=Item.Status.SIGNED_OFF, submitted_at=now)
            for t in answered], batch_size=500)
        Hop.objects.bulk_create([
            Hop(item=item, office=city, level=city.level, sender_id=t.unit_id, received_at=now,
                status=Hop.Status.ADOPTED if n % 2 else Hop.Status.RECEIVED, adoption="full" if n % 2 else "",
                acted_at=now if n % 2 else None, acted_by=editor if n % 2 else None)
            for n, (item, t) in enumerate(zip(items, answered, strict=True))], batch_size=500)
        Answer.objects.bulk_create([
            Answer(item=item, target=t, unit_id=t.unit_id, linked_by_id=clerk_of[t.unit_id], sent_at=now, sent_to=city)
            for item, t in zip(items, answered, strict=True)], batch_size=500)
        Target.objects.filter(pk__in=[t.pk for t in answered]).update(reply="answered", answered_at=now, next_at=None,
                                                                      next_step="")
        for t in declined:
            Target.objects.filter(pk=t.pk).update(reply="declined", answered_at=now, next_at=None, next_step="",
                                                  decline_note="无此类情况", decline_by_id=clerk_of[t.unit_id],
                                                  decline_signed_by_id=director_of[t.unit_id], decline_at=now)
    return ids


def board_page(cities, counties) -> None:
    from django.db import connection

    from infohub.models import Role, User

    city = cities[0]
    editors = list(User.objects.filter(roles__unit=city, roles__role=Role.EDITOR).order_by("pk"))
    director = User.objects.filter(roles__unit=city, roles__role=Role.DIRECTOR).first()
    started = time.perf_counter()
    ids = fill_boards(city, counties[city.pk], editors[0], director)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\nstatus board: {len(ids)} requests of one city with {TARGETS} targets each (20 answered with an item, 10 "
          f"“nothing to report”), answers made in {time.perf_counter() - started:.0f} s")
    path = f"/topics/{ids[0]}/"
    print(f"SQL statements of one board page: {queries_per_page(editors[0], path)[0]}")
    sessions = [session_for(user) for user in editors[:CLIENTS]]
    requests = int(os.environ.get("BENCH_REQUESTS", "50"))
    paths = [[(f"/topics/{ids[(c * 7 + n) % len(ids)]}/", sessions[c]) for n in range(requests)]
             for c in range(CLIENTS)]
    with gunicorn() as port:
        load(port, [[(f"/topics/{ids[0]}/", s)] * 3 for s in sessions], "warm-up")
        print(load(port, paths, f"status board, {CLIENTS} editors of the requesting office, {len(ids)} boards").report())


def main() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    with fresh_database():
        from infohub.models import Role, RoleAssignment

        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        _province, cities, counties = build_network()
        editor_of = dict(RoleAssignment.objects.filter(role=Role.EDITOR, unit__in=cities).order_by("user_id")
                         .values_list("unit_id", "user_id"))
        with transaction.atomic(), connection.cursor() as cursor:
            # the haystack: open requests due in the coming weeks (every city; city 0's are the boards)
            insert_requests(cursor, cities=cities, editor_of=editor_of, n=REQUESTS_TOTAL - DUE_REQUESTS,
                            due_sql="%s::timestamptz + make_interval(secs => 86400 + (g * 97) %% 2592000)",
                            args=(timezone.now(),))
            cursor.execute("ANALYZE")
        from topics.models import Target

        print(f"{REQUESTS_TOTAL - DUE_REQUESTS:,} open requests, {Target.objects.count():,} open targets, made in "
              f"{time.perf_counter() - started:.0f} s {loadavg()}", flush=True)
        if "lateness" in PARTS:
            sweep_lateness(cities, editor_of)
        if "board" in PARTS:
            board_page(cities, counties)
