"""The roster workbook at a province's size (issue 13, point 12): 10,000 units, 30,000 people and their roles.

Through the admin's own door (django-import-export's import view, in-process with Django's test client, so the
figures include reading the upload, planning, rendering the preview and keeping the upload in Redis):
* first load into an empty network: preview, then confirm (apply);
* the same workbook again (idempotent: nothing to write): preview, confirm;
* an update exported from the database and edited as an administrator would (1,000 units renamed, 300 moved to
  another county, 3,000 phones changed, 500 people deactivated, 2,000 clerks moved to another unit): preview,
  confirm;
* the export of the whole roster;
* for comparison, django-import-export's stock row-by-row ModelResource on BENCH_STOCK_ROWS people (dry run, as its
  preview does), extrapolated per row.
Each figure is printed with the machine's load average. BENCH_UNITS / BENCH_PEOPLE change the size.
"""

from __future__ import annotations

import io
import os
import re
import time

from .common import fresh_database

UNITS = int(os.environ.get("BENCH_UNITS", "10000"))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "30000"))
STOCK_ROWS = int(os.environ.get("BENCH_STOCK_ROWS", "3000"))


def _load() -> str:
    return f"[load {os.getloadavg()[0]:.2f}]"


def province_rows(units: int, people: int) -> dict[str, list[list]]:
    """A province's roster: the provincial office and departments, 14 cities (office and departments), their
    counties (office, departments, townships), 1 in 40 county departments a direct-reporting point to the
    province; people spread over the units, each with a role where they work and 1 in 10 with a second one."""
    rows = [["p", "基准省委办公厅", "省委办", "省", "党委办公室", "", "", "是"]]
    cities = [f"p-c{c:02}" for c in range(14)]
    for code in cities:
        rows.append([code, f"基准{code}市委办公室", "", "市", "党委办公室", "p", "", "是"])
    counties = [f"{city}-x{k:02}" for city in cities for k in range(10)]
    for code in counties:
        rows.append([code, f"基准{code}县委办公室", "", "县（区）", "党委办公室", code.rsplit("-", 1)[0], "", "是"])
    n = 0
    while len(rows) < units:  # departments and townships, round the counties, cities and the province
        parent = counties[n % len(counties)] if n % 10 < 8 else cities[n % len(cities)] if n % 10 == 8 else "p"
        level = {"p": "省"}.get(parent, "市" if parent in cities else "县（区）")
        if level == "县（区）" and n % 3 == 0:
            rows.append([f"{parent}-t{n}", f"基准{n}镇党委办公室", "", "乡镇（街道）", "党委办公室", parent, "", "是"])
        elif level == "县（区）" and n % 40 == 1:
            rows.append([f"{parent}-z{n}", f"基准{n}园区（直报点）", "", "县（区）", "直报点", parent, "p", "是"])
        else:
            rows.append([f"{parent}-d{n}", f"基准{n}局", "", level, "部门", parent, "", "是"])
        n += 1
    codes = [row[0] for row in rows]
    people_rows, role_rows = [], []
    roles = ["信息员", "单位负责人（签发人）", "信息编辑", "值班员", "领导"]
    for k in range(people):
        username = f"bench{k:06}"
        people_rows.append([username, f"基准人员{k}", f"139{k:08}", f"{username}@example.cn", "内部", "是"])
        role_rows.append([username, codes[k % len(codes)], roles[k % 2 if k % 7 else 2]])
        if k % 10 == 0:
            role_rows.append([username, codes[(k * 7 + 3) % len(codes)], "领导"])
    return {"units": rows[:units], "people": people_rows, "roles": role_rows}


def main() -> None:
    with fresh_database():
        from django.core.cache import cache
        from django.test import Client
        from django.urls import reverse
        from openpyxl import load_workbook

        from infohub.models import RoleAssignment, Unit, User
        from infohub.roster.export import roster_workbook
        from infohub.roster.layout import read_workbook, write_workbook
        from infohub.roster.plan import build_plan

        cache.clear()
        root = User.objects.create_superuser("bench-root", "root@example.invalid", "bench-password-1")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(root)

        started = time.perf_counter()
        rows = province_rows(UNITS, PEOPLE)
        data = write_workbook(rows)
        print(f"workbook: {len(rows['units'])} units, {len(rows['people'])} people, {len(rows['roles'])} role rows, "
              f"{len(data) / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s {_load()}", flush=True)

        def through_admin(label: str, workbook: bytes) -> None:
            from django.core.files.uploadedfile import SimpleUploadedFile

            started = time.perf_counter()
            workbook_rows = read_workbook(workbook)
            read = time.perf_counter() - started
            started = time.perf_counter()
            plan = build_plan(workbook_rows, actor=root)
            planned = time.perf_counter() - started
            assert plan.ok, plan.problems[:5]
            started = time.perf_counter()
            preview = client.post(reverse("admin:infohub_unit_import"), {
                "import_file": SimpleUploadedFile("bench.xlsx", workbook), "format": "0",
                "mode": "keep"})
            previewed = time.perf_counter() - started
            assert preview.status_code == 200, preview.status_code
            html = preview.content.decode()
            form = html[html.index('data-testid="roster-confirm"'):]
            fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form[:form.index("</form>")]))
            started = time.perf_counter()
            done = client.post(reverse("admin:infohub_unit_process_import"), fields)
            applied = time.perf_counter() - started
            assert done.status_code == 302, done.content[:2000]
            counts = " | ".join(f"{sheet} " + " ".join(f"{k} {v}" for k, v in c.items() if v)
                                for sheet, c in plan.counts.items())
            print(f"{label}: preview {previewed:.1f} s (of which reading {read:.1f} s, planning {planned:.1f} s), "
                  f"confirm {applied:.1f} s, total {previewed + applied:.1f} s {_load()}\n    {counts}", flush=True)

        through_admin("first load", data)
        assert Unit.objects.count() == UNITS and User.objects.count() == PEOPLE + 1
        through_admin("same workbook again", data)

        started = time.perf_counter()
        exported = roster_workbook()
        print(f"export: {len(exported) / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s {_load()}", flush=True)

        book = load_workbook(io.BytesIO(exported))
        units, people, roles = book["单位"], book["人员"], book["角色"]
        counties = [row[0].value for row in units.iter_rows(min_row=2) if row[3].value == "县（区）"
                    and row[4].value == "党委办公室"]
        renamed = min(1000, units.max_row // 10)
        for row in units.iter_rows(min_row=3, max_row=2 + renamed):
            row[1].value = f"{row[1].value}（更名）"
        moved = 0
        for row in units.iter_rows(min_row=2):
            if moved < renamed * 3 // 10 and row[4].value == "部门" and row[3].value == "县（区）":
                row[5].value = counties[(moved * 13) % len(counties)]
                moved += 1
        rephoned = min(3000, people.max_row // 10)
        for k, row in enumerate(people.iter_rows(min_row=3, max_row=2 + rephoned + rephoned // 6)):
            if k < rephoned:
                row[2].value = f"138{k:08}"
            else:
                row[5].value = "否"
        rerolled = 0
        for row in roles.iter_rows(min_row=2):
            if rerolled < rephoned * 2 // 3 and row[2].value == "信息员":
                row[1].value = counties[rerolled % len(counties)]
                rerolled += 1
        out = io.BytesIO()
        book.save(out)
        through_admin("an edited export", out.getvalue())
        print(f"after: {Unit.objects.count()} units, {User.objects.filter(is_active=True).count()} active people, "
              f"{RoleAssignment.objects.count()} role rows", flush=True)

        stock(STOCK_ROWS)


def stock(rows: int) -> None:
    """django-import-export's own ModelResource on `rows` new people, dry run (its preview), for comparison."""
    import tablib
    from import_export import resources

    from infohub.models import User

    class PeopleResource(resources.ModelResource):
        class Meta:
            model = User
            fields = ("username", "display_name", "phone", "email", "clearance", "is_active")
            import_id_fields = ("username",)

    dataset = tablib.Dataset(headers=["username", "display_name", "phone", "email", "clearance", "is_active"])
    for k in range(rows):
        dataset.append([f"stock{k:06}", f"对照人员{k}", f"137{k:08}", f"stock{k}@example.cn", "internal", True])
    started = time.perf_counter()
    result = PeopleResource().import_data(dataset, dry_run=True)
    seconds = time.perf_counter() - started
    assert not result.has_errors()
    per_row = seconds / rows * 1000
    print(f"stock ModelResource (row by row, dry run): {rows} people in {seconds:.1f} s = {per_row:.2f} ms a row; "
          f"at {UNITS + PEOPLE + int(PEOPLE * 1.1)} rows ≈ {per_row * (UNITS + PEOPLE * 2.1) / 1000:.0f} s for the "
          f"preview alone, the same again to apply {_load()}", flush=True)
