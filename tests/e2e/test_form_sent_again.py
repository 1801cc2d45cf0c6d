"""Back to a form already sent, then sending it again, records once (SPEC §3), also when the browser fetches the page
anew on Back (Playwright's Chromium keeps no back/forward cache) and the server renders the form with a new token: the
token the form was sent with comes back with the history entry (static/js/once.js)."""

import pytest
from playwright.sync_api import Page, expect

from infohub.models import Role
from instructions import services
from instructions.models import Assignment, Feedback, Instruction
from reviews import services as reviews
from reviews.models import Hop
from tests.factories import person

from .test_clerk_files_an_item import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_back_to_a_sent_form_and_sending_it_again_records_once(page: Page, live_server, chain, filed_item):
    net = chain.net
    reviews.signoff_approve(actor=net.director, item=filed_item)
    reviews.review_adopt(actor=net.city_editor, hop=Hop.objects.get(item=filed_item, office=net.city),
                         adoption=Hop.Adoption.FULL)
    leader = person(net.city, Role.LEADER, username="lj_leader", display_name="赵市长")
    log_in(page, live_server, leader)
    page.goto(f"{live_server.url}/instructions/new/?item={filed_item.pk}")
    sent = page.locator('input[name="once"]').first.get_attribute("value")
    page.get_by_label("类型").select_option(label="批办性")
    page.get_by_label("批示内容").fill("请东湖区认真研究，抓好落实。")
    page.get_by_test_id("instruct-submit").click()
    expect(page.get_by_test_id("instruction-state")).to_have_text("待交办")

    page.go_back()
    expect(page.get_by_test_id("instruct-submit")).to_be_visible()
    expect(page.locator('input[name="once"]').first).to_have_value(sent)
    page.get_by_label("批示内容").fill("请东湖区认真研究，抓好落实。")
    page.get_by_test_id("instruct-submit").click()
    expect(page.get_by_text("只记录一次")).to_be_visible()
    assert Instruction.objects.count() == 1

    # a page of several forms (feedback, more time): progress feedback sent, Back, sent again
    instruction = Instruction.objects.get()
    services.assign(actor=net.city_editor, instruction=instruction, lead=net.county, supporting=[],
                    asked="请于5个工作日内报送办理情况。", working_days=5)
    assignment = Assignment.objects.get(instruction=instruction)
    services.sign_for(actor=net.director, assignment=assignment)
    page.get_by_role("button", name="退出").click()
    log_in(page, live_server, net.director)
    page.goto(f"{live_server.url}{assignment.get_absolute_url()}")
    form = page.get_by_test_id("feedback-form")
    form.get_by_label("类型").select_option(label="进度")
    form.get_by_label("反馈内容").fill("已召开专题会议研究部署。")
    page.get_by_test_id("feedback-submit").click()
    expect(page.get_by_test_id("feedback")).to_contain_text("已召开专题会议研究部署。")
    page.go_back()
    form.get_by_label("类型").select_option(label="进度")
    form.get_by_label("反馈内容").fill("已召开专题会议研究部署。")
    page.get_by_test_id("feedback-submit").click()
    expect(page.get_by_text("只记录一次")).to_be_visible()
    assert Feedback.objects.filter(assignment=assignment).count() == 1

    # a new visit (not Back) to the form is a new form: a second instruction on the same item is the leader's to write
    page.get_by_role("button", name="退出").click()
    log_in(page, live_server, leader)
    page.goto(f"{live_server.url}/instructions/new/?item={filed_item.pk}")
    page.get_by_label("类型").select_option(label="指导性")
    page.get_by_label("批示内容").fill("另请西岭县参照执行。")
    page.get_by_test_id("instruct-submit").click()
    expect(page.get_by_test_id("instruction-state")).to_have_text("待交办")
    assert Instruction.objects.count() == 2
