"""The roster workbook (issue 13, point 12; SPEC §10 administrator): the unit tree, people and roles loaded from one
.xlsx with a preview, errors per row in Chinese, all or nothing, exported in the same shape."""

import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from infohub import listcache, tree
from infohub.models import AuditLog, Level, Role, RoleAssignment, Unit, User
from infohub.roster import apply as roster_apply
from infohub.roster.apply import RosterRefused, roster_import
from infohub.roster.export import roster_workbook, template_workbook
from infohub.roster.layout import WorkbookUnreadable, read_workbook
from infohub.roster.plan import KEEP, SYNC, build_plan
from tests.factories import UnitFactory, person

pytestmark = pytest.mark.django_db

UNIT_HEADER = ["单位代码*", "单位名称*", "简称", "层级*", "类型", "上级单位代码", "报送至单位代码", "启用"]
PEOPLE_HEADER = ["用户名*", "姓名", "电话", "邮箱", "密级", "启用"]
ROLE_HEADER = ["用户名*", "单位代码*", "角色*"]

UNITS = [
    ["hx", "河西省委办公厅", "省委办", "省", "党委办公室", "", "", "是"],
    ["hx-sz", "沙洲市委办公室", "", "市", "党委办公室", "hx", "", "是"],
    ["hx-sz-pa", "平安县委办公室", "", "县（区）", "党委办公室", "hx-sz", "", "是"],
    ["hx-sz-pa-jt", "金滩镇党委办公室", "", "乡镇（街道）", "", "hx-sz-pa", "", ""],
    # sits in 平安县 and reports straight to the province (a direct-reporting point)
    ["hx-park", "河西化工园区", "", "县（区）", "直报点", "hx-sz-pa", "hx", "是"],
]
PEOPLE = [
    ["pa_clerk", "钱小平", "138 0000 0012", "Qian@Example.CN", "内部", "是"],
    ["pa_director", "孙主任", "0571-88886666转123", "", "", ""],
    ["park_clerk", "吴工", "", "", "公开", "是"],
]
ROLES = [
    ["pa_clerk", "hx-sz-pa", "信息员"],
    ["pa_director", "hx-sz-pa", "单位负责人（签发人）"],
    ["park_clerk", "hx-park", "信息员"],
    ["park_clerk", "hx-park", "director"],  # the stored value is understood too
]


def xlsx(units=None, people=None, roles=None, *, extra_sheets=()) -> bytes:
    """A workbook as an administrator would make it: sheets named 单位/人员/角色, the header in row 1."""
    book = Workbook()
    book.remove(book.active)
    for title in extra_sheets:
        book.create_sheet(title).append(["随便写点什么"])
    for title, header, rows in (("单位", UNIT_HEADER, units), ("人员", PEOPLE_HEADER, people),
                                ("角色", ROLE_HEADER, roles)):
        if rows is not None:
            sheet = book.create_sheet(title)
            sheet.append(header)
            for row in rows:
                sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plan_of(data: bytes, **kwargs):
    return build_plan(read_workbook(data), **kwargs)


def load(data: bytes, actor=None, **kwargs):
    actor = actor or User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-9")
    return roster_import(workbook=read_workbook(data), actor=actor, **kwargs)


def snapshot() -> tuple:
    """Everything the roster holds, as stored."""
    return (
        sorted(Unit.objects.values_list("code", "name", "short_name", "level", "kind", "parent__code",
                                        "upstream__code", "is_active", "path")),
        sorted(User.objects.values_list("username", "display_name", "phone", "email", "clearance", "is_active",
                                        "password")),
        sorted(RoleAssignment.objects.values_list("user__username", "unit__code", "role")),
    )


# Layout ----------------------------------------------------------------------------------------------------------

def test_the_template_has_the_three_sheets_headers_and_drop_downs_and_reads_back_empty():
    book = load_workbook(io.BytesIO(template_workbook()))
    assert book.sheetnames == ["说明", "单位", "人员", "角色"]
    assert [c.value for c in book["单位"][1]] == UNIT_HEADER
    assert [c.value for c in book["人员"][1]] == PEOPLE_HEADER
    assert [c.value for c in book["角色"][1]][:3] == ROLE_HEADER
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in book["单位"].data_validations.dataValidation}
    assert lists["D2"] == '"中央,省,市,县（区）,乡镇（街道）"'
    assert book["单位"].column_dimensions["A"].number_format == "@"  # codes stay text when typed
    workbook = read_workbook(template_workbook())
    assert {key: len(sheet.rows) for key, sheet in workbook.sheets.items()} == {"units": 0, "people": 0, "roles": 0}
    assert workbook.ignored_sheets == ["说明"]


def test_a_file_that_is_no_workbook_or_has_none_of_the_sheets_is_refused_with_a_reason():
    with pytest.raises(WorkbookUnreadable) as error:
        read_workbook(b"name,code\n")
    assert ".xlsx" in str(error.value.message)
    with pytest.raises(WorkbookUnreadable) as error:
        read_workbook(xlsx(extra_sheets=["Sheet1"]))
    assert "单位" in str(error.value.message)


# A new province's tree, people and roles --------------------------------------------------------------------------

def test_the_preview_says_what_would_be_new_and_writes_nothing():
    before = snapshot()
    plan = plan_of(xlsx(UNITS, PEOPLE, ROLES))
    assert plan.ok, plan.problems
    assert plan.counts["units"]["new"] == 5
    assert plan.counts["people"]["new"] == 3
    assert plan.counts["roles"]["new"] == 4
    assert [c.key for c in plan.changes["units"]["new"]][:2] == ["hx", "hx-sz"]
    assert plan.changes["units"]["new"][0].row == 2  # as Excel numbers it
    assert snapshot() == before


def test_loading_builds_the_tree_with_paths_upstreams_normalised_phones_and_roles():
    plan = load(xlsx(UNITS, PEOPLE, ROLES))
    assert plan.changes_anything
    province, city, county, town, park = (Unit.objects.get(code=c) for c in
                                          ["hx", "hx-sz", "hx-sz-pa", "hx-sz-pa-jt", "hx-park"])
    assert town.path == "/" + "".join(f"{u.pk:010d}/" for u in (province, city, county, town))
    assert tree.is_within(park, county) and tree.is_within(town, province)
    assert tree.destination_of(park) == province  # the direct-reporting point skips the city
    assert tree.destination_of(town) == county
    assert [u.code for u in tree.offices_above(town)] == ["hx-sz-pa", "hx-sz", "hx"]
    assert (town.level, town.kind, town.is_active) == (Level.TOWNSHIP, Unit.Kind.DEPARTMENT, True)  # blanks: defaults
    assert province.short_name == "省委办"
    clerk = User.objects.get(username="pa_clerk")
    assert (clerk.phone, clerk.email, clerk.clearance) == ("13800000012", "Qian@example.cn", "internal")
    assert not clerk.has_usable_password()
    assert User.objects.get(username="pa_director").phone == "0571-88886666-123"
    assert set(RoleAssignment.objects.filter(user__username="park_clerk").values_list("role", flat=True)) == {
        Role.CLERK, Role.DIRECTOR}
    record = AuditLog.objects.get(action="roster.import")
    assert record.data["counts"]["units"]["new"] == 5


def test_loading_the_same_workbook_twice_changes_nothing_the_second_time():
    data = xlsx(UNITS, PEOPLE, ROLES)
    load(data)
    after_first = snapshot()
    plan = plan_of(data)
    assert plan.ok and not plan.changes_anything
    assert plan.counts["units"] == {"new": 0, "changed": 0, "unchanged": 5, "deactivated": 0, "deleted": 0}
    assert plan.counts["people"]["unchanged"] == 3 and plan.counts["roles"]["unchanged"] == 4
    roster_import(workbook=read_workbook(data), actor=User.objects.get(username="root"))
    assert snapshot() == after_first


def test_full_width_and_invisible_characters_are_normalised_before_checking():
    load(xlsx(UNITS, PEOPLE, ROLES))
    typed = [row[:] for row in UNITS]
    typed[1][0] = "ｈｘ-\u200bｓｚ"  # full-width letters and a zero-width space: still hx-sz
    typed[2][5] = "ｈｘ-ｓｚ\ufeff"
    people = [row[:] for row in PEOPLE]
    people[0][2] = "１３８\u3000００００\u200b００１２"  # full-width digits, an ideographic space, a zero-width space
    people[0][0] = "\u200bpa_clerk"
    plan = plan_of(xlsx(typed, people, ROLES))
    assert plan.ok, plan.problems
    assert not plan.changes_anything


# Errors, each kind, in Chinese, with the row --------------------------------------------------------------------

def _problems(plan) -> list[tuple[str, int, str]]:
    return [(p.sheet, p.row, p.message) for p in plan.problems]


@pytest.mark.parametrize(("units", "people", "roles", "sheet", "row", "words"), [
    # unknown parent
    ([["a", "甲", "", "省", "", "nowhere", "", ""]], None, None, "单位", 2, ["上级单位代码", "nowhere", "找不到"]),
    # a duplicate code
    ([["a", "甲", "", "省", "", "", "", ""], ["a", "乙", "", "省", "", "", "", ""]], None, None, "单位", 3,
     ["单位代码", "“a”", "第 2 行"]),
    # a bad level
    ([["a", "甲", "", "地球", "", "", "", ""]], None, None, "单位", 2, ["层级", "地球", "中央、省、市、县（区）、乡镇（街道）"]),
    # a bad kind
    ([["a", "甲", "", "省", "学校", "", "", ""]], None, None, "单位", 2, ["类型", "学校"]),
    # a code that is no code
    ([["甲 单位", "甲", "", "省", "", "", "", ""]], None, None, "单位", 2, ["单位代码"]),
    # an empty name
    ([["a", "", "", "省", "", "", "", ""]], None, None, "单位", 2, ["名称"]),
    # a unit below a unit of a lower level
    ([["a", "甲", "", "县（区）", "", "", "", ""], ["b", "乙", "", "省", "", "a", "", ""]], None, None, "单位", 3,
     ["省", "县（区）"]),
    # reporting to a lower level
    ([["a", "甲", "", "县（区）", "", "", "", ""], ["b", "乙", "", "省", "", "", "a", ""]], None, None, "单位", 3,
     ["报送", "“a”"]),
    # an active unit reporting to an inactive one
    ([["a", "甲", "", "省", "", "", "", "否"], ["b", "乙", "", "市", "", "a", "", "是"]], None, None, "单位", 3,
     ["停用"]),
    # a malformed phone (full-width digits are fine; this has too few)
    (None, [["x", "某甲", "１３８０００", "", "", ""]], None, "人员", 2, ["电话", "１３８０００".translate(
        {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})]),
    # a malformed e-mail
    (None, [["x", "某甲", "", "x@@example", "", ""]], None, "人员", 2, ["邮箱", "x@@example"]),
    # a duplicate username
    (None, [["x", "某甲", "", "", "", ""], ["x", "某乙", "", "", "", ""]], None, "人员", 3, ["用户名", "第 2 行"]),
    # a bad clearance
    (None, [["x", "某甲", "", "", "绝密级", ""]], None, "人员", 2, ["密级", "绝密级"]),
    # a role in a unit that does not exist
    (None, [["x", "某甲", "", "", "", ""]], [["x", "nowhere", "信息员"]], "角色", 2, ["nowhere", "不存在"]),
    # an unknown role
    (None, [["x", "某甲", "", "", "", ""]], [["x", "t-dh", "局长"]], "角色", 2, ["角色", "局长", "信息员"]),
    # a role for a person who does not exist
    (None, None, [["nobody", "t-dh", "信息员"]], "角色", 2, ["nobody", "人员"]),
    # the same role twice
    (None, [["x", "某甲", "", "", "", ""]], [["x", "t-dh", "信息员"], ["x", "t-dh", "信息员"]], "角色", 3, ["第 2 行"]),
])
def test_each_kind_of_error_names_its_sheet_row_and_reason_in_chinese(  # noqa: PLR0917
        network, units, people, roles, sheet, row, words):
    plan = plan_of(xlsx(units, people, roles))
    problems = [p for p in _problems(plan) if p[0] == sheet and p[1] == row]
    assert problems, _problems(plan)
    message = " ".join(p[2] for p in problems)
    for word in words:
        assert word in message, message
    with pytest.raises(RosterRefused):
        load(xlsx(units, people, roles))


def test_a_cycle_in_the_tree_is_named_on_every_row_in_it(network):
    units = [["a", "甲", "", "市", "", "c", "", ""], ["b", "乙", "", "市", "", "a", "", ""],
             ["c", "丙", "", "市", "", "b", "", ""], ["d", "丁", "", "市", "", "a", "", ""]]
    plan = plan_of(xlsx(units))
    cycles = [p for p in plan.problems if "循环" in p.message]
    assert sorted(p.row for p in cycles) == [2, 3, 4]  # d hangs below the circle but is not in it
    assert "a → c → b → a" in cycles[0].message


def test_a_cycle_closed_through_a_stored_unit_is_found(network):
    # the stored county sits below the city; the sheet puts the city below the county
    plan = plan_of(xlsx([["t-lj", "临江市委办公室", "", "市", "", "t-dh", "", ""]]))
    assert any("循环" in p.message and "t-lj" in p.message for p in plan.problems), _problems(plan)


def test_a_cycle_in_the_reporting_chain_is_found(network):
    units = [["a", "甲", "", "市", "", "t-jn", "b", ""], ["b", "乙", "", "市", "", "t-jn", "a", ""]]
    plan = plan_of(xlsx(units))
    assert sum("报送" in p.message and "循环" in p.message for p in plan.problems) == 2, _problems(plan)


def test_a_sheet_without_its_key_column_is_refused_as_a_whole():
    book = Workbook()
    book.active.title = "单位"
    book.active.append(["单位名称", "层级"])
    book.active.append(["甲", "省"])
    out = io.BytesIO()
    book.save(out)
    plan = plan_of(out.getvalue())
    assert [(p.row, "单位代码" in p.message) for p in plan.problems] == [(1, True)]


# All or nothing ------------------------------------------------------------------------------------------------

def test_one_bad_row_among_good_ones_writes_nothing(network):
    before = snapshot()
    with pytest.raises(RosterRefused) as refused:
        load(xlsx([*UNITS, ["bad", "坏单位", "", "省", "", "nowhere", "", ""]], PEOPLE, ROLES))
    assert [p.row for p in refused.value.plan.problems] == [7]
    assert snapshot()[0] == before[0] and not User.objects.filter(username="pa_clerk").exists()


def test_a_failure_while_writing_leaves_nothing_half_loaded(network, monkeypatch):
    before = snapshot()

    def fail():
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(roster_apply, "_recompute_paths", fail)  # after the units were inserted
    with pytest.raises(RuntimeError):
        load(xlsx(UNITS, PEOPLE, ROLES))
    assert not Unit.objects.filter(code="hx").exists()
    assert snapshot()[0] == before[0]


def test_the_confirmation_is_refused_when_the_data_changed_after_the_preview(network):
    data = xlsx([["t-dh", "东湖区委办公室（新）", "", "县（区）", "党委办公室", "t-lj", "", "是"]])
    plan = plan_of(data)
    assert plan.ok and plan.counts["units"]["changed"] == 1
    Unit.objects.filter(code="t-dh").update(short_name="东湖")  # someone edits the unit meanwhile
    with pytest.raises(RosterRefused) as refused:
        load(data, expected_digest=plan.digest)
    assert "预览" in str(refused.value.message)
    assert Unit.objects.get(code="t-dh").name == "东湖区委办公室"


# Updates -----------------------------------------------------------------------------------------------------------

def test_moving_a_unit_rewrites_its_subtree_and_renaming_shows_in_the_preview(network):
    town = UnitFactory(code="t-dh-hb", name="湖滨街道", level=Level.TOWNSHIP, parent=network.county)
    # (the factory stores each unit's upstream as its parent)
    plan = plan_of(xlsx([["t-dh", "东湖区委办", "", "县（区）", "党委办公室", "t-lj", "t-lj", "是"],
                         ["t-xl", "西岭县委办公室", "", "县（区）", "党委办公室", "t-dh", "", "是"]]))
    assert plan.ok, plan.problems
    changed = {c.key: c.fields for c in plan.changes["units"]["changed"]}
    assert changed == {"t-dh": [("单位名称", "东湖区委办公室", "东湖区委办")],
                       "t-xl": [("上级单位代码", "t-lj", "t-dh"), ("报送至单位代码", "t-lj", "")]}
    load(xlsx([["t-lj", "临江市委办公室", "", "市", "党委办公室", "", "", "是"]]))  # the city becomes a root
    city = Unit.objects.get(code="t-lj")
    town.refresh_from_db()
    assert city.path == f"/{city.pk:010d}/"
    assert town.path == "/" + "".join(f"{u.pk:010d}/" for u in (city, network.county, town))
    assert not tree.is_within(town, network.province)


def test_the_roles_sheet_gives_each_person_it_names_exactly_their_listed_roles(network):
    director = network.director
    plan = plan_of(xlsx(roles=[["dh_director", "t-xl", "单位负责人（签发人）"]]))
    assert [c.key for c in plan.changes["roles"]["deleted"]] == ["dh_director · t-dh · 单位负责人（签发人）"]
    assert plan.counts["roles"]["new"] == 1
    load(xlsx(roles=[["dh_director", "t-xl", "单位负责人（签发人）"]]))
    assert list(director.roles.values_list("unit__code", "role")) == [("t-xl", Role.DIRECTOR)]
    assert network.clerk.roles.count() == 1  # not on the sheet: untouched


def test_sync_deactivates_what_the_workbook_leaves_out_but_never_the_importer_or_a_superuser(network):
    root = User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-9")
    admin = person(network.province, Role.ADMIN, username="jn_admin", is_staff=True)
    units = [["t-jn", "江南省委办公厅", "", "省", "党委办公室", "", "", "是"],
             ["t-lj", "临江市委办公室", "", "市", "党委办公室", "t-jn", "", "是"],
             ["t-dh", "东湖区委办公室", "", "县（区）", "党委办公室", "t-lj", "", "是"]]
    people = [["dh_clerk", network.clerk.display_name, "", network.clerk.email, "内部", "是"]]
    roles = [["dh_clerk", "t-dh", "信息员"]]
    plan = plan_of(xlsx(units, people, roles), mode=SYNC, actor=admin)
    assert plan.ok, plan.problems
    assert [c.key for c in plan.changes["units"]["deactivated"]] == ["t-xl"]
    assert sorted(c.key for c in plan.changes["people"]["deactivated"]) == ["dh_director", "lj_editor", "xl_clerk"]
    assert {c.key.split(" · ")[0] for c in plan.changes["roles"]["deleted"]} == {
        "dh_director", "lj_editor", "xl_clerk", "jn_admin"}
    assert any("root" in n and "jn_admin" in n for n in plan.notices)
    roster_import(workbook=read_workbook(xlsx(units, people, roles)), actor=admin, mode=SYNC)
    assert not Unit.objects.get(code="t-xl").is_active
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == {"root", "jn_admin",
                                                                                             "dh_clerk"}
    assert root.roles.count() == 0 and RoleAssignment.objects.count() == 1
    # the same in the default mode leaves the rest alone
    assert not plan_of(xlsx(units, people, roles), mode=KEEP, actor=admin).changes_anything


def test_an_empty_sheet_sent_along_changes_nothing_even_in_sync_mode(network):
    units = [["t-jn", "江南省委办公厅", "", "省", "党委办公室", "", "", "是"],
             ["t-lj", "临江市委办公室", "", "市", "党委办公室", "t-jn", "t-jn", "是"],
             ["t-dh", "东湖区委办公室", "", "县（区）", "党委办公室", "t-lj", "t-lj", "是"],
             ["t-xl", "西岭县委办公室", "", "县（区）", "党委办公室", "t-lj", "t-lj", "是"],
             ["t-new", "新单位", "", "县（区）", "", "t-lj", "", ""]]
    plan = plan_of(xlsx(units, people=[], roles=[]), mode=SYNC)
    assert plan.ok, plan.problems
    assert plan.sheets == ["units"] and plan.counts["units"]["new"] == 1
    assert plan.counts["people"]["deactivated"] == 0 and plan.counts["roles"]["deleted"] == 0
    assert any("人员" in n and "角色" in n for n in plan.notices)


def test_an_importer_cannot_deactivate_themselves_by_the_sheet(network):
    plan = plan_of(xlsx(people=[["dh_clerk", "王", "", "", "", "否"]]), actor=network.clerk)
    assert any("你自己" in p.message or "自己" in p.message for p in plan.problems), _problems(plan)


# Export and round trip -----------------------------------------------------------------------------------------

def test_the_export_reads_back_in_the_same_shape_and_a_round_trip_changes_nothing(chain):
    park = UnitFactory(code="t-park", name="江南化工园区", level=Level.COUNTY, kind=Unit.Kind.DIRECT_POINT,
                       parent=chain.net.county, upstream=chain.net.province, is_active=True)
    UnitFactory(code="t-old", name="撤并的单位", level=Level.TOWNSHIP, parent=chain.net.county, is_active=False)
    chain.net.clerk.phone = "0571-88886666-123"
    chain.net.clerk.save()
    data = roster_workbook()
    book = load_workbook(io.BytesIO(data), read_only=True)
    units = {row[0]: row for row in book["单位"].iter_rows(min_row=2, values_only=True)}
    assert units["t-park"] == ("t-park", "江南化工园区", None, "县（区）", "直报点", "t-dh", "t-jn", "是")
    assert units["t-old"][-1] == "否"
    people = {row[0]: row for row in book["人员"].iter_rows(min_row=2, values_only=True)}
    assert people["dh_clerk"][2] == "0571-88886666-123" and people["dh_clerk"][4] == "内部"
    roles = list(book["角色"].iter_rows(min_row=2, values_only=True))
    assert ("dh_clerk", "t-dh", "信息员", chain.net.clerk.display_name, "东湖区委办公室") in roles
    assert park.pk and len(roles) == RoleAssignment.objects.count()

    before = snapshot()
    for mode in (KEEP, SYNC):
        plan = plan_of(data, mode=mode)
        assert plan.ok, plan.problems
        assert not plan.changes_anything, plan.changes
        assert plan.counts["units"]["unchanged"] == Unit.objects.count()
        assert plan.counts["people"]["unchanged"] == User.objects.count()
    load(data, mode=SYNC, actor=chain.net.clerk)
    after = snapshot()
    assert after[0] == before[0] and after[2] == before[2]
    assert [p for p in after[1] if p[0] != "root"] == [p for p in before[1] if p[0] != "root"]


def test_the_demo_network_round_trips_unchanged():
    from project.demo import load_demo

    assert load_demo()
    before = snapshot()
    data = roster_workbook()
    for mode in (KEEP, SYNC):
        plan = plan_of(data, mode=mode)
        assert plan.ok, plan.problems
        assert not plan.changes_anything, plan.changes
    assert plan.counts["units"]["unchanged"] == Unit.objects.count() == 18
    roster_import(workbook=read_workbook(data), actor=User.objects.get(username="admin"), mode=SYNC)
    assert snapshot() == before


# Caches that depend on the tree and the names ---------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # the renewals happen when the import commits
def test_after_an_import_the_kept_unit_names_and_list_versions_are_renewed(network):
    assert tree.unit_names()[network.county.pk] == "东湖区委办公室"  # kept for a minute in this process
    assert tree.units_reporting_to([network.city.pk]) == [(network.county.pk, "东湖区委办公室"),
                                                          (network.other_county.pk, "西岭县委办公室")]
    cache.set("list-version:" + listcache.NAMES, 1, timeout=None)
    load(xlsx([["t-dh", "东湖区委", "", "县（区）", "党委办公室", "t-xl", "", "是"]]))
    assert tree.unit_names()[network.county.pk] == "东湖区委"
    assert tree.units_reporting_to([network.city.pk]) == [(network.other_county.pk, "西岭县委办公室")]
    assert cache.get("list-version:" + listcache.NAMES) != 1


# The admin door --------------------------------------------------------------------------------------------------

@pytest.fixture
def root(client, network):
    user = User.objects.create_superuser("root", "root@example.invalid", "pw-for-tests-9")
    client.force_login(user)
    return user


def _upload(client, data: bytes, mode=KEEP, name="名册.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("admin:infohub_unit_import"), {
        "import_file": SimpleUploadedFile(name, data), "format": "0", "mode": mode})


def test_the_admin_previews_then_confirms_and_says_what_it_did(client, root):
    page = client.get(reverse("admin:infohub_unit_changelist"))
    assert "导入名册" in page.content.decode() and "导出名册" in page.content.decode()
    form = client.get(reverse("admin:infohub_unit_import"))
    assert form.status_code == 200 and "表中没有的" in form.content.decode()

    preview = _upload(client, xlsx(UNITS, PEOPLE, ROLES))
    html = preview.content.decode()
    assert preview.status_code == 200 and "确认导入" in html
    assert 'data-testid="roster-units-new"' in html and "沙洲市委办公室" in html
    assert not Unit.objects.filter(code="hx").exists()  # a preview writes nothing
    confirm = preview.context["confirm_form"]
    data = {confirm.add_prefix(name): value for name, value in confirm.initial.items()}
    done = client.post(reverse("admin:infohub_unit_process_import"), data, follow=True)
    assert done.redirect_chain[-1][0] == reverse("admin:infohub_unit_changelist")
    assert "名册已导入" in done.content.decode()
    assert Unit.objects.filter(code__startswith="hx").count() == 5

    # the same confirmation again (a double click) finds its upload gone and writes nothing more
    again = client.post(reverse("admin:infohub_unit_process_import"), data)
    assert again.status_code == 200 and "重新上传" in again.content.decode()


def test_the_admin_shows_errors_per_row_and_offers_no_confirmation(client, root):
    preview = _upload(client, xlsx([*UNITS, ["bad", "坏单位", "", "省", "", "nowhere", "", ""]], PEOPLE,
                                   [*ROLES, ["pa_clerk", "ghost", "信息员"]]))
    html = preview.content.decode()
    assert preview.status_code == 200 and "确认导入" not in html
    assert "2 处错误" in html
    assert "nowhere" in html and "ghost" in html


def test_the_admin_refuses_a_file_that_is_no_workbook_or_too_large_with_a_chinese_reason(client, root, monkeypatch):
    page = _upload(client, b"\x00garbage", name="名册.xlsx")
    assert page.status_code == 200 and "无法作为 Excel 工作簿" in page.content.decode()
    monkeypatch.setattr("infohub.roster.admin.MAX_UPLOAD_BYTES", 1000)
    page = _upload(client, xlsx(UNITS, PEOPLE, ROLES))
    assert page.status_code == 200 and "超过" in page.content.decode() and "确认导入" not in page.content.decode()


def test_garbage_in_the_import_and_confirm_forms_is_never_a_500(client, root):
    for value in ("abc", "²", "9" * 30, "\x00", "x" * 10_000, " "):
        response = client.post(reverse("admin:infohub_unit_import"), {
            "import_file": value, "format": value, "mode": value})
        assert response.status_code < 500
        response = client.post(reverse("admin:infohub_unit_process_import"), {
            "import_file_name": value, "original_file_name": value,
            "format": value, "mode": value, "digest": value})
        assert response.status_code < 500


def test_the_export_and_template_download_from_the_admin(client, root):
    export = client.get(reverse("admin:infohub_unit_roster_export"))
    assert export.status_code == 200 and "filename*=UTF-8''InfoHub" in export["Content-Disposition"]
    book = load_workbook(io.BytesIO(export.content), read_only=True)
    assert ("t-dh", "东湖区委办公室") == next(r for r in book["单位"].iter_rows(min_row=2, values_only=True)
                                         if r[0] == "t-dh")[:2]
    assert AuditLog.objects.filter(action="roster.export", actor=root).exists()
    template = client.get(reverse("admin:infohub_unit_roster_template"))
    assert load_workbook(io.BytesIO(template.content)).sheetnames == ["说明", "单位", "人员", "角色"]


def test_staff_without_the_rights_can_neither_import_nor_export(client, network):
    clerk = network.clerk
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    for name in ("import", "roster_export", "roster_template"):
        assert client.get(reverse(f"admin:infohub_unit_{name}")).status_code == 403
    assert client.post(reverse("admin:infohub_unit_process_import"), {}).status_code == 403
