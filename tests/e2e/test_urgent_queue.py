"""A clerk files an emergency; the city duty officer's urgent queue shows it with a running countdown, the
officer acknowledges it in one click, and watches an overdue report turn red when its clock breaches."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alerts.models import Clock
from alerts.sweep import sweep_all
from infohub.models import Role
from submissions import services as submissions
from tests.factories import person

from .test_clerk_files_an_item import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def duty_page(browser, browser_context_args) -> Page:
    """A second browser, for the duty officer, beside the clerk's."""
    context = browser.new_context(**browser_context_args)
    yield context.new_page()
    context.close()


def test_duty_officer_watches_acknowledges_and_sees_a_breach(page: Page, duty_page: Page, live_server, network, settings):
    settings.INFOHUB_QUEUE_REFRESH_SECONDS = 1
    duty_officer = person(network.city, Role.DUTY_OFFICER, username="lj_duty", display_name="黄值班")

    # given a clerk who files an emergency that happened half an hour ago
    log_in(page, live_server, network.clerk)
    page.get_by_role("link", name="新建信息").first.click()
    page.get_by_label("标题").fill("东湖区化工园区一仓库起火")
    page.get_by_label("类别", exact=True).select_option(label="突发事件")
    page.get_by_label("正文").fill("今日9时许，东湖区化工园区一仓库起火，消防已到场处置，暂无人员伤亡报告。")
    page.get_by_label("联系电话").fill("0571-88886666")
    page.get_by_label("事发时间").fill((timezone.localtime() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("事发地点").fill("东湖区化工园区")
    page.get_by_label("事件等级").select_option(label="一般")
    page.get_by_role("button", name="报送签发").click()
    expect(page.get_by_test_id("status")).to_have_text("待签发")

    # when the city duty officer opens the urgent queue
    duty = duty_page
    log_in(duty, live_server, duty_officer)
    duty.get_by_role("navigation", name="主导航").get_by_role("link", name="紧急队列").click()
    row = duty.locator("tr.clock-row", has_text="东湖区化工园区一仓库起火")

    # then the emergency is there with a countdown that runs (about 1:29:xx left of the city's two hours)
    countdown = row.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^1:(2\d|30):\d\d$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3000)

    # when the officer acknowledges it with one click, the row says who and when, in place
    row.get_by_role("button", name="签收").click()
    expect(row).to_contain_text("✓ 黄值班")
    assert Clock.objects.get(item__title="东湖区化工园区一仓库起火", level="city").acknowledged_by == duty_officer

    # given another emergency whose city deadline runs out in a few seconds
    late = submissions.item_create(actor=network.clerk, unit=network.county, data={
        "title": "西湖区一民房倒塌", "body": "今晨西湖区一民房倒塌，正在搜救。", "category": "emergency",
        "contact_phone": "0571-88886666", "event_place": "西湖区", "event_grade": "general",
        "event_time": timezone.now() - timedelta(hours=2) + timedelta(seconds=6)})
    submissions.item_submit(actor=network.clerk, item=late)

    # then it appears by itself, flagged as new, and its row turns red when the time is up
    late_row = duty.locator("tr.clock-row", has_text="西湖区一民房倒塌")
    expect(late_row).to_be_visible(timeout=5000)
    expect(duty.locator("[data-alert-banner]")).to_contain_text("新的突发事件")
    expect(late_row).to_have_class(re.compile(r"\boverdue\b"), timeout=10000)

    # and once the sweep marks it late, the refreshed row says so
    clock = Clock.objects.get(item=late, level="city")
    while timezone.now() <= clock.due_at:  # the browser's clock may run a hair ahead of the server's
        time.sleep(0.1)
    assert sweep_all()["breached"] == 1
    expect(late_row).to_have_class(re.compile(r"\bstate-breached\b"), timeout=5000)
    expect(late_row.locator("[data-countdown]")).to_have_text("迟报")
    background = late_row.evaluate("row => getComputedStyle(row).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)"
    if SCREENSHOTS:
        duty.screenshot(path=f"{SCREENSHOTS}/urgent-queue.png", full_page=True)


def test_a_phone_report_is_no_new_emergency_and_keeps_its_deadline(page: Page, live_server, network, settings):
    """Issue 13, point 5: logging a phone report starts the written report's clock for an emergency already in the
    queue; the page does not announce it as new, and its deadline is the one the call met."""
    settings.INFOHUB_QUEUE_REFRESH_SECONDS = 1
    duty_officer = person(network.city, Role.DUTY_OFFICER, username="lj_duty", display_name="黄值班")
    item = submissions.item_create(actor=network.clerk, unit=network.county, data={
        "title": "东湖区一桥梁垮塌", "body": "今晨东湖区一桥梁垮塌，正在搜救。", "category": "emergency",
        "contact_phone": "0571-88886666", "event_place": "东湖区", "event_grade": "general",
        "event_time": timezone.now() - timedelta(minutes=30)})
    submissions.item_submit(actor=network.clerk, item=item)
    log_in(page, live_server, duty_officer)
    page.goto(f"{live_server.url}/alerts/")
    row = page.locator("tr.clock-row", has_text="东湖区一桥梁垮塌")
    expect(row).to_have_count(1)  # the city office watches its own deadline
    city = Clock.objects.get(item=item, level="city")

    from alerts import services as alerts
    written = alerts.phone_report(actor=duty_officer, clock=city, note="东湖区值班室电话报告")

    # the written report's row replaces the city's, due when the call's deadline was (an hour after the call would
    # be half an hour earlier)
    expect(page.locator(f'tr[data-clock="{written.pk}"]')).to_be_visible(timeout=5000)
    assert written.due_at == city.due_at
    page.wait_for_timeout(1500)  # another refresh
    expect(page.locator("[data-alert-banner]")).to_be_hidden()
    expect(page.locator("tr.clock-row.new")).to_have_count(0)
