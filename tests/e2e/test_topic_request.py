"""A topic request (约稿) in a real browser: the city editor asks all counties; 东湖 answers with an item its director
signs off, 西岭 replies "nothing to report" signed by its director, 南山 does nothing; past the due time the board shows
one answered, one declined, one ignored, and its Excel export says the same."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from followup.sweep import sweep_all
from tests.topics.conftest import topics  # noqa: F401  (the fixture)
from topics.models import TopicRequest

from .test_clerk_files_an_item import SCREENSHOTS, log_in
from .test_item_travels_up import log_out

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_answered_declined_and_ignored_as_the_board_shows_it(page: Page, live_server, topics):  # noqa: F811
    due = (timezone.localtime() + timedelta(hours=2)).replace(second=0, microsecond=0)

    # the city editor issues the request to all counties
    log_in(page, live_server, topics.editor)
    page.get_by_role("link", name="约稿").first.click()
    page.get_by_role("link", name="发布约稿").click()
    page.get_by_label("主题").fill("基层减负工作进展和成效")
    page.get_by_label("约稿要求").fill("请报送整治形式主义为基层减负的做法和成效，用数字说话。")
    page.get_by_label("字数限制（字）").fill("800")
    page.get_by_label("截止时间").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("全部县（市、区）").check()
    expect(page.get_by_label("南山县委办公室")).to_be_checked()
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_test_id("topic-subject")).to_have_text("基层减负工作进展和成效")
    expect(page.get_by_test_id("count-waiting")).to_have_text("3")
    log_out(page)
    request = TopicRequest.objects.get()

    # 东湖's clerk finds it on his start page and writes an answer in the item editor
    log_in(page, live_server, topics.clerk)
    page.get_by_test_id("task").filter(has_text="约稿").get_by_role("link", name="基层减负工作进展和成效").click()
    page.get_by_role("link", name="撰写回应稿件").click()
    expect(page.get_by_label("回应约稿")).to_contain_text("基层减负工作进展和成效")
    expect(page.get_by_test_id("topic-summary")).to_contain_text("用数字说话")
    page.get_by_label("标题").fill("东湖区清理考核评比事项三十余项")
    page.get_by_label("类别").select_option(label="工作动态")
    page.get_by_label("正文").fill("东湖区取消考核评比事项三十二项，合并报表四十余张，村社区干部填表报数时间减少一半。")
    page.get_by_label("联系电话").fill("0571-88886666")
    page.get_by_role("button", name="报送签发").click()
    expect(page.get_by_test_id("status")).to_have_text("待签发")
    expect(page.get_by_test_id("topic-summary")).to_contain_text("基层减负工作进展和成效")
    log_out(page)

    # 东湖's director signs it off: it is on its way to the city, and answers the request
    log_in(page, live_server, topics.director)
    page.goto(f"{live_server.url}/reviews/signoff/")
    page.get_by_role("link", name="东湖区清理考核评比事项三十余项").click()
    expect(page.get_by_test_id("topic-summary")).to_contain_text("基层减负工作进展和成效")
    page.get_by_role("button", name="签发并报送").click()
    log_out(page)

    # 西岭's clerk replies "nothing to report"; its director signs it
    log_in(page, live_server, topics.other_clerk)
    page.goto(f"{live_server.url}{request.get_absolute_url()}")
    page.get_by_label("无此类情况：给约稿单位的说明").fill("本县本期无新的典型做法。")
    page.get_by_role("button", name="报“无此类情况”").click()
    expect(page.get_by_test_id("my-reply-state")).to_have_text("无此类情况，待负责人签发")
    log_out(page)
    log_in(page, live_server, topics.other_director)
    page.get_by_test_id("topic-to-sign").get_by_role("link").click()
    page.get_by_role("button", name="签发“无此类情况”").click()
    expect(page.get_by_test_id("my-reply-state")).to_have_text("无此类情况")
    log_out(page)

    # 南山 does nothing. The due time passes; the sweep records 南山 as ignored.
    with time_machine.travel(due + timedelta(minutes=5), tick=True):
        sweep_all()
        log_in(page, live_server, topics.editor)
        page.goto(f"{live_server.url}{request.get_absolute_url()}")
        board = page.get_by_test_id("board")
        expect(board.get_by_test_id("count-answered")).to_have_text("1")
        expect(board.get_by_test_id("count-declined")).to_have_text("1")
        expect(board.get_by_test_id("count-ignored")).to_have_text("1")
        expect(board.get_by_test_id("count-waiting")).to_have_text("0")
        rows = board.get_by_test_id("board-row")
        expect(rows.filter(has_text="东湖区委办公室").get_by_test_id("board-state")).to_have_text("已报送")
        expect(rows.filter(has_text="东湖区委办公室")).to_contain_text("东湖区清理考核评比事项三十余项")
        expect(rows.filter(has_text="西岭县委办公室").get_by_test_id("board-state")).to_have_text("无此类情况")
        expect(rows.filter(has_text="南山县委办公室").get_by_test_id("board-state")).to_have_text("逾期未报")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/topic-board.png", full_page=True)
        # only the ignored
        board.get_by_role("link", name="逾期未报").click()
        expect(page.get_by_test_id("board-row")).to_have_count(1)
        with page.expect_download() as download:
            page.get_by_test_id("board-export").click()
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        assert [row[:2] for row in sheet.iter_rows(min_row=11, values_only=True)] == [("南山县委办公室", "逾期未报")]
