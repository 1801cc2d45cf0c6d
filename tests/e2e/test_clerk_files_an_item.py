import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from submissions.models import Item

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "e2e-password-1"
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder, to look at the pages by eye


def log_in(page: Page, live_server, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("link", name="工作台")).to_be_visible()


def test_clerk_drafts_sees_an_error_keep_the_text_and_submits(page: Page, live_server, network):
    # given a clerk logged in
    log_in(page, live_server, network.clerk)

    # when the clerk starts an emergency item and forgets the place and grade
    page.get_by_role("link", name="新建信息").first.click()
    page.get_by_label("标题").fill("湖滨街道老旧小区发生火情")
    page.get_by_label("类别").select_option(label="突发事件")
    expect(page.get_by_text("突发性信息要快")).to_be_visible()  # the category's writing guidance
    body = "今日凌晨三时许，湖滨街道某老旧小区一居民楼发生火情，消防救援力量十分钟内到场，已疏散居民四十余人。"
    page.get_by_label("正文").fill(body)
    expect(page.locator("[data-count]")).to_have_text(str(len(body)))  # live character count
    page.get_by_label("联系电话").fill("0571-88886666")
    an_hour_ago = timezone.localtime() - timedelta(hours=1)
    page.get_by_label("事发时间").fill(an_hour_ago.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="保存草稿").click()

    # then the incomplete draft is saved as it is (issue 13, point 10)
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    assert Item.objects.get().status == Item.Status.DRAFT

    # when the clerk tries to file it so
    page.get_by_role("button", name="报送签发").click()

    # then the page explains in Chinese, field by field, and keeps every typed value
    expect(page.get_by_text("突发事件须填写事发地点")).to_be_visible()
    expect(page.get_by_text("突发事件须选择事件等级")).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/item-form-error.png", full_page=True)
    expect(page.get_by_label("正文")).to_have_value(body)
    expect(page.get_by_label("标题")).to_have_value("湖滨街道老旧小区发生火情")
    assert Item.objects.get().status == Item.Status.DRAFT

    # when the clerk completes the form and submits it for sign-off
    page.get_by_label("事发地点").fill("东湖区湖滨街道某小区")
    page.get_by_label("事件等级").select_option(label="一般")
    page.get_by_label("受伤人数").fill("1")
    page.get_by_role("button", name="报送签发").click()

    # then it is filed, awaiting the director's sign-off, with its marks at the top
    expect(page.get_by_text("已报送本单位负责人审核签发")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("待签发")
    expect(page.get_by_test_id("marks")).to_contain_text("内部")
    expect(page).to_have_url(re.compile(r"/items/\d+/$"))
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/item-filed.png", full_page=True)
    item = Item.objects.get()
    assert (item.status, item.event_place, item.injuries) == (Item.Status.PENDING_SIGNOFF, "东湖区湖滨街道某小区", 1)
    assert item.versions.count() == 1


def test_the_body_length_warning_appears_past_the_limit(page: Page, live_server, network, settings):
    log_in(page, live_server, network.clerk)
    page.goto(f"{live_server.url}/items/new/")
    warning = page.locator("[data-warn]")
    page.get_by_label("正文").fill("字" * 300)
    expect(warning).to_be_hidden()
    page.get_by_label("正文").fill("字" * 301)
    expect(warning).to_be_visible()
