"""A leader's instruction in a real browser (issue 15): the city leader instructs on an adopted item, the city editor
assigns it to two counties, one answers on time (its clerk writes, its director signs off, the office accepts), the
other lets the due time pass and is chased (催办): its clerk sees the notice and the red colour, and the office's page
shows one unit answered and one overdue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from followup import services as followup
from followup.sweep import sweep_all
from infohub.models import Role
from instructions.models import Assignment, Instruction
from reviews import services as reviews
from reviews.models import Hop
from tests.factories import person

from .test_clerk_files_an_item import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def test_a_leader_instructs_the_office_assigns_one_unit_answers_one_is_chased(page: Page, live_server, chain,
                                                                               filed_item):
    net = chain.net
    reviews.signoff_approve(actor=net.director, item=filed_item)  # the item reaches the city office, which adopts it
    reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=filed_item, office=net.city),
                         adoption=Hop.Adoption.FULL)
    leader = person(net.city, Role.LEADER, username="lj_leader", display_name="赵市长")
    other_director = person(net.other_county, Role.DIRECTOR, username="xl_director")

    # the leader reads the item and instructs on it
    log_in(page, live_server, leader)
    expect(page.get_by_test_id("to-read")).to_contain_text(filed_item.title)
    page.get_by_test_id("to-read").get_by_role("link", name=filed_item.title).click()
    page.get_by_test_id("instruct").click()
    page.get_by_label("类型").select_option(label="批办性")
    page.get_by_label("批示内容").fill("请东湖区、西岭县认真研究，抓好落实，及时反馈。")
    page.get_by_test_id("instruct-submit").click()
    expect(page.get_by_test_id("instruction-state")).to_have_text("待交办")
    log_out(page)

    # the city editor assigns it to the two counties
    log_in(page, live_server, net.city_editor)
    expect(page.get_by_test_id("to-assign")).to_be_visible()
    page.get_by_test_id("to-assign").get_by_role("link").first.click()
    page.get_by_label("牵头单位").select_option(label=net.county.name)
    page.get_by_label("配合单位").select_option(label=net.other_county.name)
    page.get_by_label("交办要求").fill("请于5个工作日内报送办理情况。")
    page.get_by_label("办理时限（工作日）").fill("5")
    page.get_by_test_id("assign-form").get_by_role("button", name="交办").click()
    expect(page.get_by_test_id("instruction-state")).to_have_text("办理中")
    expect(page.get_by_test_id("units").locator("tbody tr")).to_have_count(2)
    log_out(page)
    instruction = Instruction.objects.get()
    lead = instruction.assignments.get(unit=net.county)
    late = instruction.assignments.get(unit=net.other_county)

    # the county answers on time: its clerk signs for it and writes the final feedback, its director signs it off
    log_in(page, live_server, net.clerk)
    page.get_by_test_id("owed").locator("article a").first.click()
    page.get_by_test_id("sign-for").click()
    expect(page.get_by_test_id("assignment-state")).to_have_text("办理中")
    page.get_by_label("反馈内容").fill("东湖区已召开专题会议，制定整改方案，相关问题已全部整改到位。")
    page.get_by_test_id("feedback-submit").click()
    expect(page.get_by_test_id("feedback")).to_contain_text("待主任签发")
    log_out(page)
    log_in(page, live_server, net.director)
    expect(page.get_by_test_id("feedback-to-sign")).to_be_visible()
    page.get_by_test_id("feedback-to-sign").get_by_role("link").first.click()
    page.get_by_test_id("signoff").click()
    expect(page.get_by_test_id("assignment-state")).to_have_text("已反馈待审核")
    log_out(page)

    # the other county lets its due time pass: the sweep chases it
    with_due_passed = Assignment.objects.get(pk=late.pk)
    followup.schedule(with_due_passed, due_at=timezone.now() - timedelta(minutes=1))
    sweep_all()

    log_in(page, live_server, net.other_clerk)
    page.get_by_role("link", name="通知").click()
    expect(page.get_by_text("催办").first).to_be_visible()
    page.goto(f"{live_server.url}{late.get_absolute_url()}")
    expect(page.locator("[data-colour]").first).to_have_text("已逾期")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/assignment_overdue.png", full_page=True)
    log_out(page)

    # the office accepts the county's feedback; its page shows one unit answered, one overdue and chased
    log_in(page, live_server, net.city_editor)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("assignment-state")).to_have_text("反馈已采纳")
    page.goto(f"{live_server.url}{instruction.get_absolute_url()}")
    units = page.get_by_test_id("units")
    expect(units.locator(f'tr[data-unit="{net.county.name}"]')).to_contain_text("已反馈")
    expect(units.locator(f'tr[data-unit="{net.other_county.name}"]')).to_contain_text("已逾期")
    expect(page.get_by_test_id("trail")).to_contain_text("发送催办通知")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/instruction.png", full_page=True)
    late.refresh_from_db()
    assert late.chased_at is not None and other_director.notifications.filter(verb="followup.chase").exists()
