"""The roster's 同步 mode and units with work still open (issue 13): a unit the workbook would deactivate while items
await its sign-off or review, deadlines run for it or instructions and topic requests wait on it is listed in the
preview with what is open, and stays active unless the administrator explicitly chooses to deactivate it."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from infohub import openwork
from infohub.models import AuditLog, Level, Role, Unit, User
from infohub.roster.apply import RosterRefused, roster_import
from infohub.roster.export import roster_workbook
from infohub.roster.layout import read_workbook
from infohub.roster.plan import BUSY_DEACTIVATE, BUSY_KEEP, SYNC, build_plan
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from tests.factories import UnitFactory, person

pytestmark = pytest.mark.django_db

def sheet_without(*codes, renamed=None) -> bytes:
    """The roster as exported, its 单位 sheet alone, leaving out the units `codes` (and renaming one, `renamed` =
    (code, name), to see the rest of the workbook applied)."""
    book = load_workbook(io.BytesIO(roster_workbook()))
    for title in book.sheetnames:
        if title != "单位":
            del book[title]
    units = book["单位"]
    for row in reversed(range(2, units.max_row + 1)):
        code = units.cell(row, 1).value
        if code in codes:
            units.delete_rows(row)
        elif renamed and code == renamed[0]:
            units.cell(row, 2).value = renamed[1]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filed(clerk, unit, title="西岭县推进基层减负", **data):
    item = submissions.item_create(actor=clerk, unit=unit, data={
        "title": title, "body": f"{title}，情况如下。", "category": "work_progress", "urgency": "normal",
        "classification": "internal", "contact_phone": "0571-88886666", **data})
    return submissions.item_submit(actor=clerk, item=item)


@pytest.fixture
def admin(chain):
    return User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-9")


@pytest.fixture
def busy_xl(chain):
    """西岭县 with open work: an item awaiting its director's sign-off, and an emergency whose deadlines it owes."""
    net = chain.net
    filed(net.other_clerk, net.other_county)
    filed(net.other_clerk, net.other_county, "西岭县一仓库起火", category="emergency", urgency="extra_urgent",
          event_time=timezone.now() - timedelta(minutes=5), event_place="西岭县城关镇", event_grade="general",
          event_type="accident")
    return net.other_county


# --- the registry ------------------------------------------------------------------------------------------------------


def test_each_app_reports_what_is_open_at_a_unit(chain, busy_xl):
    net = chain.net
    hop_item = filed(net.clerk, net.county, "东湖区一条来稿")
    reviews.signoff_approve(actor=net.director, item=hop_item)  # awaiting review at the city
    returned = filed(net.clerk, net.county, "东湖区退回的一条")
    reviews.signoff_return(actor=net.director, item=returned, reason="请补充数字")

    found = openwork.open_work([net.other_county.pk, net.county.pk, net.city.pk, chain.foreign_city.pk])

    as_text = {unit: sorted(map(str, work)) for unit, work in found.items()}
    assert as_text[net.other_county.pk] == ["待审核签发的信息 2", "本单位须报送的时限 3"]
    assert as_text[net.county.pk] == ["退回修改的信息 1"]
    assert as_text[net.city.pk] == ["待审核的来稿 1", "等待下级报送的时限 1"]
    assert chain.foreign_city.pk not in found  # nothing open there
    assert openwork.open_work([]) == {}


def test_the_registry_asks_each_app_once_whatever_the_number_of_units(chain, busy_xl, django_assert_max_num_queries):
    units = [UnitFactory(code=f"t-many-{n}", level=Level.TOWNSHIP, parent=chain.net.other_county) for n in range(30)]
    with django_assert_max_num_queries(2 * len(openwork._REPORTERS) + 1):
        openwork.open_work([u.pk for u in units] + [busy_xl.pk])


# --- the plan ------------------------------------------------------------------------------------------------------------


def test_sync_keeps_a_unit_with_open_work_active_and_says_what_is_open(chain, busy_xl, admin):
    # given a workbook that leaves 西岭县 out and renames 东湖区
    data = sheet_without("t-xl", renamed=("t-dh", "东湖区委"))

    # when it is previewed in the 同步 mode
    plan = build_plan(read_workbook(data), mode=SYNC, actor=admin)

    # then 西岭县 is listed with what is open there, and kept active
    assert plan.ok, plan.problems
    assert [(b.code, b.name, b.row, sorted(map(str, b.work))) for b in plan.busy] == [
        ("t-xl", "西岭县委办公室", None, ["待审核签发的信息 2", "本单位须报送的时限 3"])]
    assert plan.kept == ["t-xl"] and plan.changes["units"]["deactivated"] == []
    assert any("西岭县委办公室（t-xl）" in notice for notice in plan.notices)
    assert [c.key for c in plan.changes["units"]["changed"]] == ["t-dh"]

    # and importing it imports the rest and leaves 西岭县 active
    roster_import(workbook=read_workbook(data), actor=admin, mode=SYNC, expected_digest=plan.digest)
    assert Unit.objects.get(code="t-xl").is_active
    assert Unit.objects.get(code="t-dh").name == "东湖区委"
    audit = AuditLog.objects.get(action="roster.import")
    assert audit.data["kept"] == ["t-xl"] and audit.data["busy_choice"] == BUSY_KEEP


def test_deactivating_a_unit_with_open_work_takes_an_explicit_choice(chain, busy_xl, admin):
    data = sheet_without("t-xl")
    preview = build_plan(read_workbook(data), mode=SYNC, actor=admin)  # what the administrator saw

    plan = roster_import(workbook=read_workbook(data), actor=admin, mode=SYNC, busy=BUSY_DEACTIVATE,
                         expected_digest=preview.digest)

    assert not Unit.objects.get(code="t-xl").is_active
    assert [c.key for c in plan.changes["units"]["deactivated"]] == ["t-xl"] and plan.kept == []
    audit = AuditLog.objects.get(action="roster.import")
    assert audit.data["busy_choice"] == BUSY_DEACTIVATE and set(audit.data["busy"]) == {"t-xl"}


def test_a_unit_with_nothing_open_is_deactivated_as_before(chain, admin):
    plan = roster_import(workbook=read_workbook(sheet_without("t-xl")), actor=admin, mode=SYNC)

    assert plan.busy == [] and not Unit.objects.get(code="t-xl").is_active


def test_units_up_the_reporting_chain_of_a_kept_unit_stay_active_too(chain, admin):
    # given a township below 西岭县 with an item awaiting its sign-off; 西岭县 itself has nothing open
    net = chain.net
    net.other_county.refresh_from_db()
    town = UnitFactory(name="石桥镇党委办公室", code="t-xl-sq", level=Level.TOWNSHIP, parent=net.other_county)
    filed(person(town, Role.CLERK, username="sq_clerk"), town, "石桥镇一条信息")

    # when a workbook leaves out both
    data = sheet_without("t-xl", "t-xl-sq")
    plan = build_plan(read_workbook(data), mode=SYNC, actor=admin)

    # then the township is kept for its work, and 西岭县 because the township reports to it
    assert plan.ok, plan.problems
    assert [b.code for b in plan.busy] == ["t-xl-sq"]
    assert plan.kept == ["t-xl-sq", "t-xl"] and plan.changes["units"]["deactivated"] == []
    assert any("西岭县委办公室（t-xl）" in notice for notice in plan.notices)
    # chosen the other way, both go
    plan = build_plan(read_workbook(data), mode=SYNC, actor=admin, busy=BUSY_DEACTIVATE)
    assert sorted(c.key for c in plan.changes["units"]["deactivated"]) == ["t-xl", "t-xl-sq"]


def test_a_unit_that_got_work_open_after_the_preview_refuses_the_confirmation(chain, admin):
    data = sheet_without("t-xl")
    preview = build_plan(read_workbook(data), mode=SYNC, actor=admin)
    assert preview.busy == []
    filed(chain.net.other_clerk, chain.net.other_county)  # meanwhile, 西岭县 files an item

    with pytest.raises(RosterRefused):
        roster_import(workbook=read_workbook(data), actor=admin, mode=SYNC, busy=BUSY_DEACTIVATE,
                      expected_digest=preview.digest)
    assert Unit.objects.get(code="t-xl").is_active


def test_more_or_less_open_work_at_a_unit_already_listed_does_not_refuse_it(chain, busy_xl, admin):
    data = sheet_without("t-xl")
    preview = build_plan(read_workbook(data), mode=SYNC, actor=admin)
    filed(chain.net.other_clerk, chain.net.other_county, "又一条")

    roster_import(workbook=read_workbook(data), actor=admin, mode=SYNC, expected_digest=preview.digest)

    assert Unit.objects.get(code="t-xl").is_active


# --- the admin -----------------------------------------------------------------------------------------------------------


def _preview(client, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("admin:infohub_unit_import"), {
        "import_file": SimpleUploadedFile("名册.xlsx", data), "format": "0", "mode": SYNC})


def _confirm(client, preview, **choice):
    confirm = preview.context["confirm_form"]
    data = {confirm.add_prefix(name): value for name, value in confirm.initial.items()}
    return client.post(reverse("admin:infohub_unit_process_import"), {**data, **choice}, follow=True)


@pytest.mark.parametrize(("choice", "active"), [({}, True), ({"busy": BUSY_KEEP}, True),
                                                ({"busy": BUSY_DEACTIVATE}, False)])
@pytest.mark.usefixtures("chain", "busy_xl")
def test_the_admin_lists_units_with_open_work_and_deactivates_them_only_when_told(client, admin, choice, active):
    client.force_login(admin)

    preview = _preview(client, sheet_without("t-xl"))

    html = preview.content.decode()
    assert 'data-testid="roster-busy"' in html
    assert "名册将停用的单位中有 1 个仍有未办结事项" in html
    assert "待审核签发的信息 2" in html and "本单位须报送的时限 3" in html
    assert 'value="keep" required id="id_busy_0" checked' in html or 'value="keep" id="id_busy_0" checked' in html
    assert "确认导入" in html

    done = _confirm(client, preview, **choice)

    assert done.status_code == 200 and "名册已导入" in done.content.decode()
    assert Unit.objects.get(code="t-xl").is_active is active
    assert ("保持启用" in done.content.decode()) is active


def test_hops_left_at_a_kept_office_still_reach_it(chain, busy_xl, admin):
    """What keeping means: the city office's inbox still receives what 西岭县 signs off."""
    net = chain.net
    roster_import(workbook=read_workbook(sheet_without("t-xl")), actor=admin, mode=SYNC)
    item = filed(net.other_clerk, net.other_county, "保持启用后签发的一条")
    reviews.signoff_approve(actor=person(net.other_county, Role.DIRECTOR, username="xl_director"), item=item)
    assert Hop.objects.filter(item=item, office=net.city).exists()
