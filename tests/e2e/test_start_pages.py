"""Each person's first day (issue 13): every role logs in and finds on the start page what happened — a chase, a
breach, an adoption, a merge — and what to act on now, most urgent first, with live countdowns."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alerts import services as alerts
from alerts.sweep import sweep_all
from infohub.models import Role
from reviews import services as reviews
from reviews.models import Hop
from submissions import services as submissions
from tests.factories import person

from .test_clerk_files_an_item import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)

PLAIN = {"body": "东湖区将全区划为二百一十个网格，网格员与社区民警联动排查。", "category": "work_progress",
         "urgency": "normal", "classification": "internal", "contact_phone": "0571-88886666"}


def emergency(net, title, *, ago):
    item = submissions.item_create(actor=net.clerk, unit=net.county, data={
        "title": title, "body": f"{title}，现场正在处置。", "category": "emergency", "urgency": "extra_urgent",
        "contact_phone": "0571-88886666", "event_place": "东湖区", "event_grade": "general",
        "event_time": timezone.now() - ago})
    return submissions.item_submit(actor=net.clerk, item=item)


def filed(net, title):
    return submissions.item_submit(actor=net.clerk, item=submissions.item_create(
        actor=net.clerk, unit=net.county, data={**PLAIN, "title": title}))


@pytest.fixture
def day(chain):
    """The events of the issue: a breach while the report waited for the director, an adoption, a merge, an
    emergency at the city racing the province's deadline, and a chase with five minutes to go."""
    net = chain.net
    duty = person(net.city, Role.DUTY_OFFICER, username="lj_duty", display_name="黄值班")
    emergency(net, "东湖区一仓库起火", ago=timedelta(hours=2, minutes=1))
    sweep_all()  # the city's deadline has passed while it waited for the county director's signature
    adopted = reviews.signoff_approve(actor=net.director, item=filed(net, "东湖区“网格+警格”化解矛盾四百余起"))
    reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=adopted), adoption="full")
    merged = [reviews.signoff_approve(actor=net.director, item=filed(net, f"东湖区暴雨积水情况{n}")) for n in "一二"]
    reviews.review_merge(actor=net.city_editor, hops=[Hop.objects.get(item=i) for i in merged],
                         title="综合：东湖区暴雨积水", body="两处报告。")
    racing = reviews.signoff_approve(actor=net.director, item=emergency(net, "东湖区一客车侧翻", ago=timedelta(hours=1)))
    # last: a first report the county files answers its open chase
    alerts.chase_record(actor=duty, office=net.city, unit=net.county, channel="media",
                        summary="网传东湖区一桥梁垮塌，请立即核实报告", minutes=5)
    return {"duty": duty, "racing": racing}


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/start-{name}.png", full_page=True)


def test_the_clerk_starts_with_the_chase_and_sees_where_items_stand(page: Page, live_server, chain, day):
    log_in(page, live_server, chain.net.clerk)

    tasks = page.get_by_test_id("tasks")
    first = tasks.get_by_test_id("task").first
    expect(first).to_contain_text("网传东湖区一桥梁垮塌")  # the chase, most urgent, with its countdown ticking
    countdown = first.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^剩余 [0-4]:\d\d$"))
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=3000)
    sent = page.get_by_test_id("sent")
    expect(sent).to_contain_text("市采用")
    expect(sent).to_contain_text("市已合并")
    standing = page.get_by_test_id("unit-standing")
    expect(standing).to_contain_text("东湖区一仓库起火")
    expect(standing).to_contain_text(chain.net.director.display_name)  # answerable: it waited for his signature
    shot(page, "clerk")
    standing.get_by_test_id("lapses-link").click()
    expect(page.get_by_test_id("lapses")).to_contain_text("迟报")


def test_the_director_starts_with_what_waits_for_his_signature(page: Page, live_server, chain, day):
    log_in(page, live_server, chain.net.director)

    row = page.get_by_test_id("to-sign-row").first
    expect(row).to_contain_text("东湖区一仓库起火")
    expect(row).to_contain_text("首报")
    expect(row.locator("[data-countdown]")).to_have_class(re.compile(r"\boverdue\b"))
    expect(page.get_by_test_id("director-chases")).to_contain_text("网传东湖区一桥梁垮塌")
    standing = page.get_by_test_id("unit-standing")
    expect(standing.get_by_test_id("adopted-total")).to_contain_text("1")
    expect(standing).to_contain_text("市 1")
    expect(standing.get_by_test_id("lapse")).to_contain_text("迟报")
    shot(page, "director")


def test_the_editor_starts_with_the_inbox_and_the_deadline_to_forward(page: Page, live_server, chain, day):
    log_in(page, live_server, chain.net.city_editor)

    expect(page.get_by_test_id("start-inbox")).to_contain_text("综合：东湖区暴雨积水")
    racing = page.get_by_test_id("start-racing")
    expect(racing).to_contain_text("东湖区一客车侧翻")
    expect(racing.locator("[data-countdown]")).to_have_text(re.compile(r"^剩余 3:5\d:\d\d$"))  # the province's 5 h
    shot(page, "editor")


def test_the_duty_officer_starts_with_the_queue_summary(page: Page, live_server, chain, day):
    log_in(page, live_server, day["duty"])

    urgent = page.get_by_test_id("urgent")
    expect(urgent.locator(".badge")).to_have_text(re.compile(r"^\d+$"))
    expect(urgent).to_contain_text("迟报")
    expect(page.get_by_test_id("start-chases")).to_contain_text("网传东湖区一桥梁垮塌")
    shot(page, "duty")


def test_a_leader_starts_on_a_page_of_their_own(page: Page, live_server, chain, day):
    leader = person(chain.net.city, Role.LEADER, username="lj_leader", display_name="李领导")
    log_in(page, live_server, leader)
    expect(page.get_by_role("heading", level=1)).to_contain_text("李领导")
    shot(page, "leader")
