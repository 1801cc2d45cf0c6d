"""One item from a county clerk through county sign-off, city adoption and forwarding, to province adoption."""

import pytest
from playwright.sync_api import Page, expect

from reviews.models import Hop
from submissions.models import Item

from .test_clerk_files_an_item import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def test_an_item_travels_from_county_to_province_and_its_lineage_shows_it(page: Page, live_server, chain):
    net = chain.net
    # the county clerk files an item
    log_in(page, live_server, net.clerk)
    page.goto(f"{live_server.url}/items/new/")
    page.get_by_label("标题").fill("东湖区“网格+警格”联动化解矛盾四百余起")
    page.get_by_label("类别").select_option(label="经验做法")
    page.get_by_label("正文").fill("东湖区将全区划为二百一十个网格，网格员与社区民警联动排查，今年以来化解矛盾纠纷四百余起。")
    page.get_by_label("联系电话").fill("0571-88886666")
    page.get_by_role("button", name="报送签发").click()
    expect(page.get_by_test_id("status")).to_have_text("待签发")
    log_out(page)

    # the county director signs it off from the list
    log_in(page, live_server, net.director)
    page.get_by_role("link", name="审核签发").click()
    page.get_by_role("link", name="东湖区“网格+警格”联动化解矛盾四百余起").click()
    page.get_by_role("button", name="签发并报送").click()
    expect(page.get_by_text("已报送上级")).to_be_visible()
    log_out(page)

    # the city editor adopts it and proposes it for the province
    log_in(page, live_server, net.city_editor)
    page.get_by_role("link", name="收件箱").click()
    page.get_by_role("link", name="东湖区“网格+警格”联动化解矛盾四百余起").click()
    page.get_by_label("采用方式").select_option(label="全文采用")
    page.get_by_role("button", name="采用", exact=True).click()
    expect(page.get_by_test_id("hop-status")).to_contain_text("已采用")
    page.get_by_role("button", name="上报").click()
    expect(page.get_by_test_id("hop-forward")).to_have_text("上报待签发")
    log_out(page)

    # the city director signs the report upward
    log_in(page, live_server, chain.city_director)
    page.get_by_role("link", name="上报", exact=True).click()
    page.get_by_role("button", name="签发上报").click()
    expect(page.get_by_text("已报送上一级")).to_be_visible()
    log_out(page)

    # the province editor adopts it in summary
    log_in(page, live_server, chain.province_editor)
    page.get_by_role("link", name="收件箱").click()
    page.get_by_role("link", name="东湖区“网格+警格”联动化解矛盾四百余起").click()
    page.get_by_label("采用方式").select_option(label="摘要采用")
    page.get_by_role("button", name="采用", exact=True).click()
    expect(page.get_by_test_id("hop-status")).to_contain_text("摘要采用")

    # the lineage shows both levels, who acted, the stage times, and credits the county
    page.get_by_role("link", name="流转轨迹").click()
    hops = page.get_by_test_id("hop")
    expect(hops).to_have_count(2)
    expect(hops.nth(0)).to_contain_text("临江市委办公室")
    expect(hops.nth(0)).to_contain_text("全文采用")
    expect(hops.nth(1)).to_contain_text("江南省委办公厅")
    expect(hops.nth(1)).to_contain_text("摘要采用")
    expect(page.get_by_test_id("credited")).to_have_text("东湖区委办公室")
    expect(page.get_by_test_id("stages")).to_contain_text("审签快")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/lineage.png", full_page=True)

    item = Item.objects.get()
    assert list(Hop.objects.filter(item=item).values_list("level", "status")) == [
        ("city", "adopted"), ("province", "adopted")]
