"""The administrator's first day (issue 13, point 12) in a real browser: from the units' admin list, 导入名册; a
workbook with a wrong parent shows the row and the reason and offers no confirmation; the corrected workbook shows
what would change; confirming loads it all; 导出名册 downloads the roster, read back."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from infohub.models import Unit, User
from tests.infohub.test_roster import PEOPLE, ROLES, UNITS, xlsx

from .test_clerk_files_an_item import PASSWORD, SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_administrator_loads_a_province_from_a_workbook(page: Page, live_server, network, tmp_path):
    User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    bad = tmp_path / "名册-有错.xlsx"
    bad.write_bytes(xlsx([*UNITS, ["hx-bad", "错挂的单位", "", "县（区）", "", "nowhere", "", ""]], PEOPLE, ROLES))
    good = tmp_path / "名册.xlsx"
    good.write_bytes(xlsx(UNITS, PEOPLE, ROLES))

    # the administrator signs in to the admin and opens the units' list
    page.goto(f"{live_server.url}/admin/login/?next=/admin/infohub/unit/")
    page.get_by_label("用户名").fill("root")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="导入名册").click()
    expect(page.get_by_role("heading", name="导入名册：单位、人员及其角色")).to_be_visible()

    # a workbook with a unit hung below a code that does not exist: the row and the reason, nothing to confirm
    page.get_by_label("导入文件").set_input_files(bad)
    page.get_by_role("button", name="预览").click()
    problems = page.get_by_test_id("roster-problems")
    expect(problems).to_contain_text("上级单位代码“nowhere”在表中和系统中都找不到")
    expect(problems.locator("tbody tr")).to_have_count(1)
    expect(problems.locator("tbody tr td").nth(1)).to_have_text("7")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/roster-errors.png", full_page=True)
    assert not Unit.objects.filter(code="hx").exists()

    # the corrected workbook: what would change, then confirm
    page.get_by_label("导入文件").set_input_files(good)
    page.get_by_role("button", name="预览").click()
    counts = page.get_by_test_id("roster-counts")
    expect(counts.locator("tr[data-sheet=units] td[data-kind=new]")).to_have_text("5")
    expect(counts.locator("tr[data-sheet=people] td[data-kind=new]")).to_have_text("3")
    expect(counts.locator("tr[data-sheet=roles] td[data-kind=new]")).to_have_text("4")
    expect(page.get_by_test_id("roster-units-new")).to_contain_text("河西化工园区")
    page.screenshot(path=str(tmp_path / "roster-preview.png"), full_page=True)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/roster-preview.png", full_page=True)
    assert not Unit.objects.filter(code="hx").exists()  # the preview wrote nothing
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messagelist")).to_contain_text("名册已导入。单位：新增 5")
    expect(page.get_by_role("link", name="沙洲市委办公室")).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/roster-done.png", full_page=True)
    assert Unit.objects.get(code="hx-park").upstream.code == "hx"

    # a month later: a unit renamed, the town moved below the chemical park, a new phone, a role dropped
    units = [row[:] for row in UNITS]
    units[1][1] = "沙洲市委办公室（更名）"
    units[3][5] = "hx-park"
    people = [row[:] for row in PEOPLE]
    people[2][2] = "0571-88886666-8"
    edited = tmp_path / "名册-调整.xlsx"
    edited.write_bytes(xlsx(units, people, ROLES[:3]))
    page.get_by_role("link", name="导入名册").click()
    page.get_by_label("导入文件").set_input_files(edited)
    page.get_by_role("button", name="预览").click()
    changed = page.get_by_test_id("roster-units-changed")
    expect(changed).to_contain_text("单位名称: 沙洲市委办公室 → 沙洲市委办公室（更名）")
    expect(changed).to_contain_text("上级单位代码: hx-sz-pa → hx-park")
    expect(page.get_by_test_id("roster-people-changed")).to_contain_text("电话: （空） → 0571-88886666-8")
    expect(page.get_by_test_id("roster-roles-deleted")).to_contain_text("park_clerk · hx-park · 单位负责人（签发人）")
    expect(counts.locator("tr[data-sheet=units] td[data-kind=unchanged]")).to_have_text("3")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/roster-changes.png", full_page=True)
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messagelist")).to_contain_text("单位：新增 0，修改 2，不变 3")
    assert User.objects.get(username="park_clerk").roles.count() == 1
    town, park = Unit.objects.get(code="hx-sz-pa-jt"), Unit.objects.get(code="hx-park")
    assert town.path == park.path + f"{town.pk:010d}/"

    # the export downloads the roster in the same shape
    with page.expect_download() as download:
        page.get_by_role("link", name="导出名册").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("InfoHub名册-") and saved.suffix == ".xlsx"
    book = load_workbook(saved, read_only=True)
    codes = [row[0] for row in book["单位"].iter_rows(min_row=2, values_only=True)]
    assert "hx-sz-pa-jt" in codes and "t-dh" in codes
