"""The figures in a real browser (issue 16 points 3 and 5): the city editor opens 考核统计 from the navigation, the rule
set's ranking for the month with its charts drawn inline as SVG (text in Chinese), clicks 东湖's score down to the
ledger rows behind it, and one row down to its history; a bad month in the chooser answers with the reason."""

import pytest
from playwright.sync_api import Page, expect

from tests.assessment.handmade import THIS, figures  # noqa: F401  (the fixture)

from .test_clerk_files_an_item import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_from_the_ranking_to_the_rows_behind_a_score(page: Page, live_server, figures):  # noqa: F811
    log_in(page, live_server, figures.net.city_editor)
    page.get_by_role("link", name="考核统计").click()
    page.get_by_role("link", name="临江市信息工作考核办法").click()

    # the month's ranking, per group, with its charts
    page.get_by_label("统计期间", exact=True).select_option(label="月份")
    page.get_by_label("月份", exact=True).fill(f"{THIS:%Y-%m}")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name=f"排名 · {THIS.year}年{THIS.month}月")).to_be_visible()
    counties = page.get_by_test_id("ranking-district")
    expect(counties).to_contain_text("东湖区委办公室")
    expect(counties.locator("tr", has_text="西岭县委办公室")).to_contain_text("取消评优资格")
    chart = page.locator("figure.chart-box svg[role=img]").first
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_have_text("县（市、区）得分排名")
    expect(page.get_by_test_id("chart-adoptions").locator("svg text", has_text="各级采用情况（按月）")).to_have_count(1)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/figures-ranking.png", full_page=True)

    # 东湖's score, clicked, lists the rows that make it: 1 for filing, 10 for the adoption in 《临江信息》
    counties.locator("tr", has_text="东湖区委办公室").get_by_test_id("score").click()
    expect(page.get_by_test_id("ledger-total")).to_contain_text("共 2 条，合计 11 分")
    ledger = page.get_by_test_id("ledger")
    expect(ledger).to_contain_text("市委办单条采用")
    expect(ledger).to_contain_text("10 × 1")
    expect(ledger.get_by_test_id("cause").first).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/figures-ledger.png", full_page=True)

    # the adoption's history: priced at 5, re-priced at 10, with the reason
    ledger.locator("tr", has_text="市委办单条采用").get_by_test_id("history").click()
    history = page.get_by_test_id("entry-history")
    expect(history).to_contain_text("市委办采用分值调整为10分")
    expect(history.locator("tr")).to_have_count(3)  # the heading and two rows

    # a month outside the rule set's year is refused with the reason
    page.goto(f"{live_server.url}/assessment/{figures.ruleset.pk}/?period=month&month={THIS.year}-13")
    expect(page.get_by_test_id("period-errors")).to_contain_text("不是有效月份")
