"""Publications: the exports of a 30-item issue, and the compile page with 100,000 adopted items at the office.

* export: a signed issue of 30 items (bodies of ~260 characters) made into a .docx (python-docx) and a PDF (the .docx
  converted by LibreOffice headless, fonts from publications/fonts/fonts.conf): seconds, median of 5, each time from
  the database as the Celery task does it; the first conversion of a process (LibreOffice's profile being made) is
  printed apart.
* compile: 100,000 items adopted at one city office (BENCH_ADOPTED to change), 1,000 of them already in issues of
  the publication; 20 editors each compiling an issue of it open the compile page (the issue's 10 items, and the
  first page of the adopted items not yet in the publication, with its count capped at 1,000) from 20 concurrent
  clients against a real gunicorn: p50/p95/p99 latency; also with a search term.

BENCH_PARTS=export,compile picks the parts; BENCH_KEEP=1 keeps the data for the next run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time

from .common import fresh_database, gunicorn, load, queries_per_page, session_for

ADOPTED = int(os.environ.get("BENCH_ADOPTED", "100000"))
PARTS = set(os.environ.get("BENCH_PARTS", "export,compile").split(","))
CLIENTS = 20
RUNS = 5
USED = 1000  # adopted items already in issues of the publication


def build(adopted: int):
    """A city office with 20 counties, 20 editors and a director; `adopted` items adopted at the city by SQL; the
    publication 《基准信息》 with 50 signed issues holding 1,000 of them, and one issue being compiled per editor."""
    from django.db import connection

    from infohub.models import Level, Role, RoleAssignment, Unit, User
    from publications.models import Entry, Issue, PublicationType, TypeRecipient
    from reviews.models import Hop

    province = Unit.objects.create(name="基准省委办公厅", code="pb-prov", level=Level.PROVINCE, kind="committee_office")
    city = Unit.objects.create(name="基准市委办公室", code="pb-city", level=Level.CITY, kind="committee_office",
                               parent=province, upstream=province)
    counties = [Unit.objects.create(name=f"基准{k}县委办公室", code=f"pb-c{k}", level=Level.COUNTY,
                                    kind="committee_office", parent=city, upstream=city) for k in range(20)]
    editors = []
    for n in range(CLIENTS):
        user = User.objects.create(username=f"pb-editor-{n}", display_name=f"基准编辑{n}")
        RoleAssignment.objects.create(user=user, unit=city, role=Role.EDITOR)
        editors.append(user)
    director = User.objects.create(username="pb-director", display_name="基准主任")
    RoleAssignment.objects.create(user=director, unit=city, role=Role.DIRECTOR)
    clerk = User.objects.create(username="pb-clerk", display_name="基准信息员")
    county_ids = [c.pk for c in counties]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO submissions_item (title, body, category, urgency, classification, authors, contact_phone,
                keywords, status, revision, created_at, updated_at, submitted_at, return_reason, event_place,
                event_grade, event_type, losses, measures, report_kind, created_by_id, source_unit_id,
                search_document)
            SELECT '第' || g || '条 某县推进基层治理工作取得新进展',
                   repeat('某县聚焦基层治理，建立网格化服务机制，全县设立网格二百余个，群众满意度明显提升。', 3) || E'\\n'
                   || repeat('下一步，该县将总结经验，在全县推广网格化服务，推动矛盾纠纷就地化解。', 2),
                   (ARRAY['work_progress','experience','problem','public_opinion','policy'])[1 + g %% 5],
                   (ARRAY['normal','normal','normal','urgent','extra_urgent'])[1 + (g / 7) %% 5],
                   'internal', '', '0571-88886666', '', 'signed_off', 1,
                   now() - make_interval(secs => g * 60), now() - make_interval(secs => g * 60),
                   now() - make_interval(secs => g * 60), '', '', '', '', '', '', '', %s,
                   (%s::bigint[])[1 + g %% %s],
                   to_tsvector('simple', regexp_replace('第' || g || '条 某县推进基层治理工作取得新进展', '(..)', '\\1 ', 'g'))
            FROM generate_series(1, %s) AS g
            """,
            [clerk.pk, county_ids, len(county_ids), adopted],
        )
        cursor.execute(
            """
            INSERT INTO reviews_hop (item_id, office_id, level, sender_id, received_at, priority, status, adoption,
                reason, forward, acted_at, acted_by_id)
            SELECT i.id, %s, 'city', i.source_unit_id, i.submitted_at + interval '10 minutes', 2, 'adopted', 'full',
                   '', '', i.submitted_at + interval '40 minutes', %s
            FROM submissions_item i
            """,
            [city.pk, editors[0].pk],
        )
    ptype = PublicationType.objects.create(name="基准信息", office=city, rhythm="weekly")
    TypeRecipient.objects.create(ptype=ptype, kind="report", unit=province)
    hops = list(Hop.objects.filter(office=city).order_by("-acted_at").values_list("pk", "item_id")[
        : USED + CLIENTS * 10])
    used, compiling = hops[:USED], hops[USED:]
    for n in range(USED // 20):  # 50 signed issues of 20 items
        issue = Issue.objects.create(ptype=ptype, office=city, created_by=editors[0])
        Entry.objects.bulk_create([Entry(issue=issue, item_id=item, hop_id=hop, position=p + 1, added_by=editors[0])
                                   for p, (hop, item) in enumerate(used[n * 20:(n + 1) * 20])])
        Issue.objects.filter(pk=issue.pk).update(status="signed", year=2026, number=n + 1, issue_date="2026-01-01",
                                                 signed_by=director, signed_at=issue.created_at)
    issues = []
    for n, editor in enumerate(editors):
        issue = Issue.objects.create(ptype=ptype, office=city, created_by=editor)
        Entry.objects.bulk_create([Entry(issue=issue, item_id=item, hop_id=hop, position=p + 1, added_by=editor)
                                   for p, (hop, item) in enumerate(compiling[n * 10:(n + 1) * 10])])
        issues.append(issue)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return city, editors, director, ptype, issues


def export_part(editor, director, ptype) -> None:
    """A 30-item issue signed through the services, then its files made as the task makes them."""
    from publications import pdf, selectors, services
    from publications.documents import build_docx
    from reviews.models import Hop
    from submissions.models import Item

    issue = services.issue_start(actor=editor, ptype=ptype)
    used = Item.objects.filter(publication_entries__isnull=False)
    for hop in Hop.objects.filter(office=issue.office, status="adopted").exclude(item__in=used).order_by("-id")[:30]:
        services.issue_add_item(actor=editor, issue=issue, item=hop.item)
    services.issue_update(actor=editor, issue=issue, editor_note="现将近期各地基层治理工作情况编发，供参阅。")
    services.issue_submit(actor=editor, issue=issue)
    services.issue_review(actor=director, issue=issue)
    issue = services.issue_sign(actor=director, issue=issue)

    def docx() -> bytes:
        fresh = selectors.issue_for(director, issue.pk)
        return build_docx(selectors.printable(fresh))

    shutil.rmtree(pdf._profile(), ignore_errors=True)  # the first conversion of a process makes its profile
    started = time.perf_counter()
    pages = pdf.docx_to_pdf(docx())
    cold = time.perf_counter() - started
    docx_times, pdf_times = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        data = docx()
        docx_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        pages = pdf.docx_to_pdf(docx())
        pdf_times.append(time.perf_counter() - started)
    count = subprocess.run(["pdfinfo", "-"], input=pages, capture_output=True, check=False).stdout.decode()
    count = next((line.split()[-1] for line in count.splitlines() if line.startswith("Pages:")), "?")
    print(f"30-item issue: .docx {len(data) // 1024} KB, median of {RUNS} {statistics.median(docx_times):.3f} s "
          f"(min {min(docx_times):.3f}, max {max(docx_times):.3f})")
    print(f"30-item issue: PDF {len(pages) // 1024} KB, {count} pages, median of {RUNS} {statistics.median(pdf_times):.2f} s "
          f"(min {min(pdf_times):.2f}, max {max(pdf_times):.2f}); first conversion of a process {cold:.2f} s")


def compile_part(editors, issues) -> None:
    print(f"SQL queries of the compile page: {queries_per_page(editors[0], f'/publications/{issues[0].pk}/')[0]}")
    sessions = [session_for(editor) for editor in editors]
    requests = int(os.environ.get("BENCH_REQUESTS", "50"))
    plain = [[(f"/publications/{issues[c].pk}/", sessions[c])] * requests for c in range(CLIENTS)]
    search = [[(f"/publications/{issues[c].pk}/?q=%E5%9F%BA%E5%B1%82", sessions[c])] * requests
              for c in range(CLIENTS)]
    with gunicorn() as port:
        load(port, [[(path, cookie)] * 3 for path, cookie in (row[0] for row in plain)], "warm-up")
        # two clients (wrk's least): what a page costs, apart from waiting for a worker behind the others
        print(load(port, plain[:2], "compile page, 2 clients").report())
        print(load(port, plain, f"compile page, {ADOPTED:,} adopted items at the office (20 clients)").report())
        print(load(port, search, "compile page searching 基层 (20 clients)").report())


def main() -> None:
    from django.core.management import call_command

    with fresh_database():
        from infohub.models import User
        from publications.models import Issue, PublicationType
        from reviews.models import Hop

        if Hop.objects.filter(status="adopted").count() == ADOPTED and PublicationType.objects.exists():
            ptype = PublicationType.objects.get(name="基准信息")
            editors = list(User.objects.filter(username__startswith="pb-editor-").order_by("pk"))
            director = User.objects.get(username="pb-director")
            issues = list(Issue.objects.filter(status="compiling", created_by__in=editors).order_by("created_by_id"))
            print(f"data: {ADOPTED:,} adopted items kept from an earlier run")
        else:
            call_command("flush", interactive=False, verbosity=0)
            started = time.perf_counter()
            _city, editors, director, ptype, issues = build(ADOPTED)
            print(f"data: {Hop.objects.filter(status='adopted').count():,} items adopted at the office, "
                  f"{USED:,} of them in 50 signed issues, made in {time.perf_counter() - started:.0f} s")
        if "compile" in PARTS:
            compile_part(editors, issues[:CLIENTS])
        if "export" in PARTS:
            export_part(editors[0], director, ptype)
