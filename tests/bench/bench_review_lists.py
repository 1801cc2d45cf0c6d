"""Editor's inbox and director's sign-off list with 1,000,000 items in the database.

20 concurrent clients against a real gunicorn on this machine; prints p50/p95/p99 latency, and the number of
SQL queries each page makes for a small and a large list (it must not grow with the list). Each list three ways:
rows kept (infohub.listcache), rows kept while every client's list changes every BENCH_CHANGE_SECONDS (10), and
rendered on every request.
Scale with BENCH_ITEMS (default 1,000,000) and BENCH_REQUESTS per client (default 50; with wrk, BENCH_SECONDS per
list instead). BENCH_KEEP=1 keeps the data for the next run, which then starts at once.
"""

import importlib
import os
import time

from .common import CHANGE_SECONDS, changing, fresh_database, gunicorn, load, queries_per_page, session_for

ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
REQUESTS_PER_CLIENT = int(os.environ.get("BENCH_REQUESTS", "50"))
CLIENTS = 20
CITIES, COUNTIES_PER_CITY = 20, 10


def build_network():
    from infohub.models import Level, Role, RoleAssignment, Unit, User

    province = Unit.objects.create(name="基准省委办公厅", code="b-prov", level=Level.PROVINCE, kind="committee_office")
    cities, counties = [], []
    for c in range(CITIES):
        city = Unit.objects.create(name=f"基准{c}市委办公室", code=f"b-c{c}", level=Level.CITY,
                                   kind="committee_office", parent=province, upstream=province)
        cities.append(city)
        for k in range(COUNTIES_PER_CITY):
            counties.append(Unit.objects.create(name=f"基准{c}-{k}县委办公室", code=f"b-c{c}-{k}", level=Level.COUNTY,
                                                kind="committee_office", parent=city, upstream=city))
    people = {}
    for unit in [*cities, *counties]:
        for role in ((Role.EDITOR, Role.DIRECTOR) if unit.level == Level.CITY else (Role.CLERK, Role.DIRECTOR)):
            user = User.objects.create(username=f"{unit.code}-{role}", display_name=f"{unit.name}{role}")
            RoleAssignment.objects.create(user=user, unit=unit, role=role)
            people[(unit.pk, role)] = user
    return cities, counties, people


def load_network():
    """The network of a kept bench database, as build_network returned it."""
    from infohub.models import Level, RoleAssignment, Unit

    cities = list(Unit.objects.filter(level=Level.CITY).order_by("pk"))
    counties = list(Unit.objects.filter(level=Level.COUNTY).order_by("pk"))
    people = {(a.unit_id, a.role): a.user for a in RoleAssignment.objects.select_related("user")}
    return cities, counties, people


def fill_items(counties, people) -> float:
    """1M items of ~260 characters by plain SQL: 90% signed off and received by their city (5% of those still
    in the inbox), 5% awaiting sign-off, 5% drafts."""
    from django.db import connection

    from infohub.models import Role

    county_ids = [u.pk for u in counties]
    clerk_ids = [people[(u.pk, Role.CLERK)].pk for u in counties]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO submissions_item (title, body, category, urgency, classification, authors, contact_phone,
                keywords, status, revision, created_at, updated_at, submitted_at, return_reason, event_place,
                event_grade, event_type, losses, measures, report_kind, created_by_id, source_unit_id,
                search_document)
            SELECT '第' || g || '条 某县推进基层治理工作取得新进展',
                   repeat('某县聚焦基层治理，建立网格化服务机制，全县设立网格二百余个，群众满意度明显提升。', 6),
                   (ARRAY['work_progress','experience','problem','public_opinion','policy'])[1 + g %% 5],
                   (ARRAY['normal','normal','normal','urgent','extra_urgent'])[1 + (g / 7) %% 5],
                   'internal', '', '0571-88886666', '',
                   -- g / 200, not g: the unit is g %% 200, and every unit should have some of each status
                   CASE (g / 200) %% 20 WHEN 0 THEN 'pending_signoff' WHEN 1 THEN 'draft' ELSE 'signed_off' END,
                   1, now() - make_interval(secs => g * 30), now() - make_interval(secs => g * 30),
                   CASE WHEN (g / 200) %% 20 = 1 THEN NULL ELSE now() - make_interval(secs => g * 30 - 600) END,
                   '', '', '', '', '', '', '', (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s],
                   -- about what jieba makes of a real item (~260 characters): two-character words
                   to_tsvector('simple', regexp_replace('第' || g || '条 某县推进基层治理工作取得新进展 '
                       || '某县聚焦基层治理，建立网格化服务机制，全县设立网格二百余个，群众满意度明显提升。', '(..)', '\\1 ', 'g'))
            FROM generate_series(1, %s) AS g
            """,
            [clerk_ids, len(clerk_ids), county_ids, len(county_ids), ITEMS],
        )
        cursor.execute(
            """
            INSERT INTO reviews_hop (item_id, office_id, level, sender_id, received_at, priority, status, adoption,
                reason, forward)
            SELECT i.id, u.parent_id, 'city', i.source_unit_id, i.submitted_at + interval '10 minutes',
                   CASE i.urgency WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END,
                   CASE WHEN (i.id / 200) % 20 = 2 THEN 'received' ELSE 'adopted' END,
                   CASE WHEN (i.id / 200) % 20 = 2 THEN '' ELSE 'full' END, '', ''
            FROM submissions_item i JOIN infohub_unit u ON u.id = i.source_unit_id
            WHERE i.status = 'signed_off'
            """
        )
        # where each item stands along the chain, as reviews.services keeps it (the migration's own statement)
        cursor.execute(importlib.import_module("reviews.migrations.0002_item_outcome").OUTCOMES)
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table: index-only scans need no heap visits
    return time.perf_counter() - started


def main() -> None:
    from django.core.management import call_command

    with fresh_database():
        from django.db.models import Count

        from infohub import listcache
        from infohub.models import Role
        from reviews.models import Hop
        from submissions.models import Item

        if Item.objects.count() == ITEMS:  # kept from an earlier run with BENCH_KEEP=1
            cities, counties, people = load_network()
            print(f"data: {ITEMS:,} items kept from an earlier run")
        else:
            call_command("flush", interactive=False, verbosity=0)
            cities, counties, people = build_network()
            seconds = fill_items(counties, people)
            print(f"data: {Item.objects.count():,} items, {Hop.objects.count():,} hops, made in {seconds:.0f} s")
        inbox_sizes = Hop.objects.filter(status="received").order_by().values("office").annotate(n=Count("id"))
        print(f"inbox per city office: ~{sum(r['n'] for r in inbox_sizes) // len(cities):,} items awaiting review")
        print(f"sign-off list per county: ~{Item.objects.filter(status='pending_signoff').count() // len(counties):,}")

        editor, director = people[(cities[0].pk, Role.EDITOR)], people[(counties[0].pk, Role.DIRECTOR)]
        small_city = cities[-1]
        received = Hop.objects.filter(office=small_city, status="received")
        keep = list(received.order_by("pk").values_list("pk", flat=True)[:2])
        received.exclude(pk__in=keep).update(status="adopted", adoption="full")
        small_editor = people[(small_city.pk, Role.EDITOR)]
        print("SQL queries per page, rendered / rows kept (large list vs 2 rows): inbox "
              f"{queries_per_page(editor, '/reviews/inbox/')} vs {queries_per_page(small_editor, '/reviews/inbox/')}, "
              f"sign-off list {queries_per_page(director, '/reviews/signoff/')}")

        editors = [session_for(people[(c.pk, Role.EDITOR)]) for c in cities]
        directors = [session_for(people[(c.pk, Role.DIRECTOR)]) for c in counties[:CLIENTS]]
        inbox_paths = [[(f"/reviews/inbox/?page={1 + n % 5}", editors[c]) for n in range(REQUESTS_PER_CLIENT)]
                       for c in range(CLIENTS)]
        signoff_paths = [[(f"/reviews/signoff/?page={1 + n % 3}", directors[c]) for n in range(REQUESTS_PER_CLIENT)]
                         for c in range(CLIENTS)]
        inboxes = [listcache.office(c.pk) for c in cities]
        signoff_lists = [listcache.unit(u.pk) for u in counties[:CLIENTS]]
        for kept, settings_env, (inbox_changes, signoff_changes) in (
            ("rows kept", {}, ([], [])),
            (f"rows kept, each list changed every {CHANGE_SECONDS:g} s", {}, (inboxes, signoff_lists)),
            ("rendered every time", {"LIST_CACHE_SECONDS": "0"}, ([], [])),
        ):
            with gunicorn(**settings_env) as port:
                load(port, [[("/reviews/inbox/", s)] * 3 for s in editors], "warm-up")
                with changing(inbox_changes):
                    print(load(port, inbox_paths, f"editor inbox (20 clients, {kept})").report())
                with changing(signoff_changes):
                    print(load(port, signoff_paths, f"director sign-off list (20 clients, {kept})").report())
