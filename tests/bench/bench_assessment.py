"""Assessment at a national year's scale (issue 16): 10,000 units, 2,000,000 items, ~600,000 adoptions in signed
issues, 20,000 leader instructions, 50,000 topic-request targets, 5,000 lapses.

Prints: pricing the whole year once (the central office's rule set over every unit, and one province's), re-pricing
a quarter after a rule change (target < 60 s), the year-end ranking of all units (target < 2 s), the monthly sheet of
a province through the page and the API at 20 concurrent clients (p95 target < 300 ms), and the quarterly 通报 as
.docx and .xlsx (target < 10 s each).
BENCH_KEEP=1 keeps the data (and the priced ledger) for the next run, which then starts at once;
BENCH_PARTS=ranking,reprice,bulletins,sheet picks the measurements.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

from .common import fresh_database, gunicorn, load, session_for

ITEMS = int(os.environ.get("BENCH_ITEMS", "2000000"))
CLIENTS = 20
# BENCH_PARTS picks what is measured once the year is priced (default: all of them).
PARTS = set(os.environ.get("BENCH_PARTS", "ranking,reprice,bulletins,sheet").split(","))
YEAR = 2026
PROVINCES, PROVINCE_DEPARTMENTS, DIRECT_POINTS, CITIES, CITY_DEPARTMENTS, COUNTIES = 31, 17, 4, 10, 10, 19
CENTRAL_DEPARTMENTS = 17  # 1 + 17 + 31 × (1 + 17 + 4 + 10 × (1 + 10 + 19)) = 10,000 units


def build_network() -> dict:
    """The units (bulk, with their tree paths), one leader, editor and director per office, a clerk per filing unit,
    and a publication per office. Returns ids the other builders use."""
    from infohub.models import Level, Role, RoleAssignment, Unit, User, path_below
    from publications.models import PublicationType

    K = Unit.Kind
    units: list[Unit] = []
    next_id = iter(range(1, 10**6))

    def add(name, level, kind, parent=None, upstream=None):
        pk = next(next_id)
        unit = Unit(pk=pk, name=name, code=f"n{pk}", level=level, kind=kind, parent_id=parent and parent.pk,
                    upstream_id=(upstream or parent) and (upstream or parent).pk,
                    path=path_below(parent and parent.path, pk))
        units.append(unit)
        return unit

    central = add("中央办公厅信息局", Level.CENTRAL, K.COMMITTEE_OFFICE)
    for d in range(CENTRAL_DEPARTMENTS):
        add(f"中央部委{d}", Level.CENTRAL, K.DEPARTMENT, central)
    for p in range(PROVINCES):
        province = add(f"第{p}省委办公厅", Level.PROVINCE, K.COMMITTEE_OFFICE, central)
        for d in range(PROVINCE_DEPARTMENTS):
            add(f"第{p}省厅局{d}", Level.PROVINCE, K.DEPARTMENT, province)
        for c in range(CITIES):
            city = add(f"第{p}省{c}市委办公室", Level.CITY, K.COMMITTEE_OFFICE, province)
            for d in range(CITY_DEPARTMENTS):
                add(f"第{p}省{c}市局{d}", Level.CITY, K.DEPARTMENT, city)
            for k in range(COUNTIES):
                add(f"第{p}省{c}市{k}县委办公室", Level.COUNTY, K.COMMITTEE_OFFICE, city)
        for d in range(DIRECT_POINTS):  # sits in the first county of the first city, reports to the province
            county = next(u for u in reversed(units) if u.level == Level.COUNTY and u.path.startswith(province.path))
            add(f"第{p}省直报点{d}", Level.COUNTY, K.DIRECT_POINT, county, upstream=province)
    Unit.objects.bulk_create(units, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('infohub_unit', 'id'), (SELECT max(id) FROM infohub_unit))")
    offices = [u for u in units if u.kind == K.COMMITTEE_OFFICE and u.level != Level.COUNTY]
    people, roles = [], []
    for unit in units:
        wanted = ((Role.EDITOR, Role.DIRECTOR, Role.LEADER) if unit in offices else (Role.CLERK, Role.DIRECTOR))
        for role in wanted:
            people.append(User(username=f"{unit.code}-{role}", display_name=f"{unit.name}{Role(role).label}"))
            roles.append((unit.pk, role))
    User.objects.bulk_create(people, batch_size=5000)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, unit_id=unit_id, role=role) for user, (unit_id, role) in zip(people, roles, strict=True)],
        batch_size=5000)
    PublicationType.objects.bulk_create(
        [PublicationType(name=f"{o.name[:10]}信息", office=o) for o in offices], batch_size=2000)
    return {"central": central.pk}


def fill_facts() -> float:
    """Items filed through the year by the counties and city departments; adoptions at the city (20%), the province
    (8%) and the centre (2%), each used in a weekly signed issue of that office's publication and credited; 20,000
    instructions on adopted items; 500 topic requests of 100 targets (10% ignored); 5,000 lapses. Plain SQL."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # the bulk load skips the signed-issue triggers
        cursor.execute("""
            CREATE TEMP TABLE filer AS
            SELECT row_number() OVER (ORDER BY u.id) - 1 AS n, u.id AS unit_id, ra.user_id AS clerk_id
            FROM infohub_unit u JOIN infohub_roleassignment ra ON ra.unit_id = u.id AND ra.role = 'clerk'
            WHERE u.level = 'county' OR (u.kind = 'department' AND u.level = 'city')""")
        cursor.execute("SELECT count(*) FROM filer")
        filers = cursor.fetchone()[0]
        cursor.execute("""
            INSERT INTO submissions_item (title, body, category, urgency, classification, authors, contact_phone,
                keywords, status, revision, created_at, updated_at, submitted_at, return_reason, event_place,
                event_grade, event_type, losses, measures, report_kind, created_by_id, source_unit_id, outcome,
                adopted_level, outcome_trail, outcome_reason)
            SELECT '第' || g || '条 推进基层治理工作取得新进展', '某地聚焦基层治理，建立网格化服务机制。',
                   'work_progress', 'normal', 'internal', '', '0571-88886666', '', 'signed_off', 1, t, t, t, '', '',
                   '', '', '', '', '', f.clerk_id, f.unit_id, '', '', '', ''
            FROM generate_series(1, %s) AS g
            JOIN filer f ON f.n = g %% %s
            CROSS JOIN LATERAL (SELECT make_timestamptz(%s, 1, 1, 0, 0, 0, 'Asia/Shanghai')
                                       + make_interval(secs => (g::bigint * 31449599 / %s)) AS t) AS at""",
                       [ITEMS, filers, YEAR, ITEMS])
        # Adoptions: every 5th item at its city office; of those, 2 in 5 also at the province; 1 in 10 at the centre.
        for level, office_sql, where, delay in (
            ("city", "u.parent_id", "i.id %% 5 = 0", "1 day"),
            ("province", "p.parent_id", "i.id %% 5 = 0 AND (i.id / 5) %% 5 < 2", "8 days"),
            ("central", "(SELECT id FROM infohub_unit WHERE level = 'central' AND parent_id IS NULL)",
             "i.id %% 5 = 0 AND (i.id / 5) %% 10 = 0", "20 days"),
        ):
            cursor.execute(f"""
                INSERT INTO reviews_hop (item_id, office_id, level, sender_id, received_at, priority, status, adoption,
                    reason, acted_at, forward, forwarded_at)
                SELECT i.id, {office_sql}, %s, i.source_unit_id, i.submitted_at, 2, 'adopted',
                       CASE WHEN i.id %% 7 = 0 THEN 'combined' ELSE 'full' END, '', i.submitted_at + %s::interval,
                       '', NULL
                FROM submissions_item i JOIN infohub_unit u ON u.id = i.source_unit_id
                JOIN infohub_unit p ON p.id = u.parent_id
                WHERE {where}""", [level, delay])
        # Forwarded upward: the city's hop of an item adopted higher up.
        cursor.execute("""
            UPDATE reviews_hop h SET forward = 'forwarded', forwarded_at = h.acted_at
            WHERE h.level = 'city' AND EXISTS (SELECT 1 FROM reviews_hop up WHERE up.item_id = h.item_id
                                                AND up.level = 'province')""")
        # One signed issue a week per publication.
        cursor.execute("""
            INSERT INTO publications_issue (ptype_id, office_id, kind, status, editor_note, classification, urgency,
                copies, revision, return_reason, year, number, issue_date, created_by_id, created_at, updated_at,
                signed_at, signed_by_id)
            SELECT pt.id, pt.office_id, 'regular', 'signed', '', 'internal', 'normal', 50, 1, '', %s, w,
                   make_date(%s, 1, 1) + (w - 1) * 7, ra.user_id, now(), now(),
                   make_timestamptz(%s, 1, 1, 18, 0, 0, 'Asia/Shanghai') + make_interval(days => (w - 1) * 7 + 6),
                   ra.user_id
            FROM publications_publicationtype pt
            JOIN infohub_roleassignment ra ON ra.unit_id = pt.office_id AND ra.role = 'director'
            CROSS JOIN generate_series(1, 52) AS w""", [YEAR, YEAR, YEAR])
        cursor.execute("""
            CREATE TEMP TABLE used AS
            SELECT h.id AS hop_id, h.item_id, h.office_id, h.level, h.adoption, i.source_unit_id,
                   (SELECT iss.id FROM publications_issue iss JOIN publications_publicationtype pt ON pt.id = iss.ptype_id
                    WHERE iss.office_id = h.office_id
                      AND iss.number = LEAST(52, 1 + (extract(doy FROM h.acted_at AT TIME ZONE 'Asia/Shanghai')::int - 1) / 7)
                    LIMIT 1) AS issue_id
            FROM reviews_hop h JOIN submissions_item i ON i.id = h.item_id WHERE h.status = 'adopted'""")
        cursor.execute("""
            INSERT INTO publications_entry (issue_id, item_id, hop_id, position, title, added_by_id, added_at,
                printed_title, printed_body, printed_sources)
            SELECT u.issue_id, u.item_id, u.hop_id, row_number() OVER (PARTITION BY u.issue_id ORDER BY u.hop_id),
                   '', iss.created_by_id, iss.signed_at, '', '', ''
            FROM used u JOIN publications_issue iss ON iss.id = u.issue_id""")
        cursor.execute("""
            INSERT INTO publications_credit (issue_id, entry_id, item_id, source_item_id, unit_id, share, ptype_id,
                office_id, office_level, adoption, combined, issue_kind, year, signed_at)
            SELECT e.issue_id, e.id, e.item_id, e.item_id, u.source_unit_id, 1, iss.ptype_id, iss.office_id, u.level,
                   u.adoption, u.adoption <> 'full', 'regular', %s, iss.signed_at
            FROM publications_entry e JOIN used u ON u.hop_id = e.hop_id
            JOIN publications_issue iss ON iss.id = e.issue_id""", [YEAR])
        # Leader instructions on 20,000 adopted items, by the adopting office's leader.
        cursor.execute("""
            INSERT INTO instructions_instruction (leader_id, office_id, level, item_id, title, kind, text, written_at,
                source, classification, state, asked, report, reopened, created_at, updated_at)
            SELECT ra.user_id, h.office_id, h.level, h.item_id, '批示', 'comment', '请认真研究。',
                   h.acted_at + interval '2 days', 'online', 'internal', 'noted', '', '', 0, now(), now()
            FROM (SELECT * FROM reviews_hop WHERE status = 'adopted' ORDER BY id %% 97, id LIMIT 20000) h
            JOIN infohub_roleassignment ra ON ra.unit_id = h.office_id AND ra.role = 'leader'""".replace("%%", "%"))
        # Topic requests: each province office asks its counties 9 times (≈ 53,000 targets); 1 in 10 ignored.
        cursor.execute("""
            INSERT INTO topics_topicrequest (office_id, kind, subject, guidance, due_at, urgent, status, created_by_id,
                created_at, withdraw_reason)
            SELECT p.id, 'request', '约稿' || r, '', make_timestamptz(%s, 1 + r %% 11, 20, 18, 0, 0, 'Asia/Shanghai'),
                   false, 'open', ra.user_id, make_timestamptz(%s, 1 + r %% 11, 5, 9, 0, 0, 'Asia/Shanghai'), ''
            FROM infohub_unit p JOIN infohub_roleassignment ra ON ra.unit_id = p.id AND ra.role = 'editor'
            CROSS JOIN generate_series(1, 9) AS r WHERE p.level = 'province' AND p.kind = 'committee_office'""",
                       [YEAR, YEAR])
        cursor.execute("""
            INSERT INTO topics_target (unit_id, office_id, due_at, created_at, answered_at, plan, round, next_step,
                quarantine_error, request_id, reply, decline_note, decline_return_reason, revision)
            SELECT c.id, t.office_id, t.due_at, t.created_at,
                   CASE WHEN (c.id + t.id) %% 10 = 0 THEN NULL ELSE t.due_at - interval '1 day' END,
                   '[]', 1, '', '', t.id, CASE WHEN (c.id + t.id) %% 10 = 0 THEN 'waiting' ELSE 'answered' END, '', '', 1
            FROM topics_topicrequest t JOIN infohub_unit c ON c.level = 'county' AND c.kind = 'committee_office'
                 AND c.path LIKE (SELECT path FROM infohub_unit WHERE id = t.office_id) || '%%'""".replace("%%", "%"))
        cursor.execute("""
            INSERT INTO followup_shortfall (kind, unit_id, office_id, content_type_id, object_id, subject, due_at,
                occurred_at, working_days_late, created_at, withdrawn_reason)
            SELECT 'ignored', t.unit_id, t.office_id, (SELECT id FROM django_content_type WHERE app_label = 'topics'
                AND model = 'target'), t.id, '约稿', t.due_at, t.due_at, 0, t.due_at, ''
            FROM topics_target t WHERE t.reply = 'waiting'""")
        # 5,000 lapses on the counties, one in ten a false report.
        cursor.execute("""
            INSERT INTO alerts_lapse (kind, unit_id, reason, created_at, withdrawn_reason)
            SELECT CASE WHEN g %% 10 = 0 THEN 'false' WHEN g %% 3 = 0 THEN 'missed' ELSE 'late' END, f.unit_id,
                   '突发事件迟报', make_timestamptz(%s, 1 + g %% 12, 1 + g %% 28, 10, 0, 0, 'Asia/Shanghai'), ''
            FROM generate_series(1, 5000) AS g JOIN filer f ON f.n = (g * 7) %% (SELECT count(*) FROM filer)""",
                       [YEAR])
        cursor.execute("SET session_replication_role = origin")
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def counts() -> str:
    from alerts.models import Lapse
    from infohub.models import Unit
    from instructions.models import Instruction
    from publications.models import Credit
    from submissions.models import Item
    from topics.models import Target

    return (f"{Unit.objects.count():,} units, {Item.objects.count():,} items, {Credit.objects.count():,} adoptions "
            f"credited, {Instruction.objects.count():,} instructions, {Target.objects.count():,} topic targets, "
            f"{Lapse.objects.count():,} lapses")


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label}: {time.perf_counter() - started:.2f} s", flush=True)
    return result


def main() -> None:
    with fresh_database():
        from infohub.models import Unit

        if Unit.objects.count() >= 10000:
            print(f"data kept from an earlier run: {counts()}")
        else:
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
            timed("network", build_network)
            seconds = fill_facts()
            print(f"data: {counts()}, made in {seconds:.0f} s", flush=True)
        measure()


def measure() -> None:
    from assessment import selectors
    from infohub.models import Level, Role, Unit, User

    central = Unit.objects.get(level=Level.CENTRAL, parent=None)
    province = Unit.objects.filter(level=Level.PROVINCE, kind=Unit.Kind.COMMITTEE_OFFICE).order_by("pk").first()
    national = ensure_rule_set(central, "B")
    provincial = ensure_rule_set(province, "A")
    year = (dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 1))
    for ruleset in (national, provincial):
        if not ruleset.pricings.filter(state="done").exists():
            timed(f"pricing the year, {ruleset.name}", lambda rs=ruleset: price(rs, *year, reason=""))
    if "ranking" in PARTS:
        timed("ranking of all units for the year (selectors.ranking)",
              lambda: len(selectors.ranking(selectors.Period(national, *year))))
        timed("monthly sheet of a province (selectors.monthly_sheet, June)",
              lambda: len(list(selectors.monthly_sheet(provincial, dt.date(YEAR, 6, 1)))))
    if "reprice" in PARTS:
        # A rule change re-priced for a quarter: the city's standalone adoption is worth more.
        rule = national.rules.filter(fact="adopted").order_by("pk").first()
        rule.points += Decimal("1")
        rule.save()
        timed("re-pricing Q2 after a rule change", lambda: price(national, dt.date(YEAR, 4, 1), dt.date(YEAR, 6, 1),
                                                                 reason="基准：调整采用分值"))
    if "bulletins" in PARTS:
        bulletins(national)
    if "sheet" in PARTS:
        editor = User.objects.get(username=f"{province.code}-{Role.EDITOR}")
        http_load(provincial, editor)


def ensure_rule_set(office, shape: str):
    """The rule set in force for `office` this year, else example rule set A (a city committee office's 计分办法)
    or B (a provincial government office's 考核办法) made for it."""
    from assessment import examples
    from assessment.models import RuleSet

    existing = RuleSet.objects.filter(office=office, year=YEAR, is_active=True).first()
    make = examples.city_committee_rules if shape == "A" else examples.provincial_government_rules
    # in force for the whole year (a 通报 of a period before the 施行日期 is refused: bulletin_rules.nothing_to_assess)
    return existing or make(office=office, year=YEAR, effective_from=dt.date(YEAR, 1, 1))


def price(ruleset, first_month, last_month, *, reason: str):
    from assessment import services
    from assessment.models import Pricing

    pricing = services.pricing_request(ruleset=ruleset, first_month=first_month, last_month=last_month, actor=None,
                                       reason=reason, kind=Pricing.Kind.REPRICE if reason else Pricing.Kind.ROUTINE)
    services.pricing_run(pricing.pk)
    pricing.refresh_from_db()
    print(f"  {pricing.added:,} rows added, {pricing.superseded:,} superseded ({pricing.state})")


def bulletins(ruleset) -> None:
    """The quarterly 通报 of every unit under `ruleset`: the figures, the .docx and the .xlsx, as the task makes them."""
    from assessment import bulletins as service
    from assessment.bulletin_making import bulletin_generate
    from assessment.models import Bulletin
    from infohub.models import Role, User

    director = User.objects.filter(roles__unit=ruleset.office, roles__role=Role.DIRECTOR).first()
    bulletin = service.bulletin_request(ruleset=ruleset, kind=Bulletin.Kind.QUARTERLY, first_month=dt.date(YEAR, 4, 1),
                                        last_month=dt.date(YEAR, 6, 1), actor=director)
    Bulletin.objects.filter(pk=bulletin.pk).update(state=Bulletin.State.QUEUED)
    timed("quarterly 通报 of all units, the whole task (figures, .docx, .xlsx, saved)",
          lambda: bulletin_generate(bulletin.pk))
    bulletin.refresh_from_db()
    print(f"  {bulletin.state}: .docx {bulletin.docx.size if bulletin.docx else 0:,} bytes, "
          f".xlsx {bulletin.xlsx.size if bulletin.xlsx else 0:,} bytes", flush=True)
    from assessment import bulletin_docx, bulletin_figures, bulletin_xlsx

    figures = timed("  its figures (a few aggregate statements)", lambda: bulletin_figures.collect(
        ruleset, bulletin.kind, bulletin.first_month, bulletin.last_month))
    timed("  its .docx", lambda: bulletin_docx.build(figures, progress=lambda stage: None))
    timed("  its .xlsx", lambda: bulletin_xlsx.build(figures))


def http_load(ruleset, editor) -> None:
    cookie = session_for(editor)
    month = f"{YEAR}-06"
    for label, path in (("monthly sheet page", f"/assessment/{ruleset.pk}/sheet/?month={month}"),
                        ("monthly sheet API", f"/api/assessment/rulesets/{ruleset.pk}/sheet/?month={month}")):
        with gunicorn() as port:
            # each worker's first request imports and compiles what the page needs (seconds): not what a user waits
            load(port, [[(path, cookie)] * 3 for _ in range(CLIENTS)], f"{label}, warming up")
            result = load(port, [[(path, cookie)] * 50 for _ in range(CLIENTS)], f"{label}, {CLIENTS} clients")
            print(result.report(), flush=True)
