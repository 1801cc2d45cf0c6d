"""An issue of 《临江信息》 in a real browser: the city editor compiles it from three adopted items, the director reviews
and signs it, and a leader of a recipient unit opens it and downloads its Word file and its PDF."""

import io
import subprocess

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from publications.models import Issue
from tests.publications.conftest import adopted_item, pubs  # noqa: F401  (the fixture)

from .test_clerk_files_an_item import SCREENSHOTS, log_in
from .test_item_travels_up import log_out

pytestmark = pytest.mark.django_db(transaction=True)

TITLES = ["东湖区“网格+警格”联动化解矛盾纠纷四百余起", "西岭县老旧小区改造提速惠及三千户", "东湖区推行“一窗通办”企业开办压缩至一天"]


def test_an_issue_goes_from_the_editor_to_a_leaders_screen_and_files(page: Page, live_server, pubs, settings, tmp_path):  # noqa: F811
    settings.INFOHUB_PUBLICATION_PREPARE_EXPORTS = False  # the leader asks for the files, and sees them made
    chain = pubs.chain
    for title in TITLES:
        adopted_item(chain, title)

    # the city editor starts an issue of 《临江信息》 and compiles it from the three adopted items
    log_in(page, live_server, pubs.editor)
    page.get_by_role("link", name="信息刊物").first.click()
    page.get_by_label("新编一期").select_option(label="《临江信息》 · 临江市委办公室")
    page.get_by_role("button", name="新编一期").click()
    expect(page.get_by_test_id("candidate")).to_have_count(3)
    for title in TITLES:
        page.get_by_role("button", name=f"编入：{title}").click()
        expect(page.get_by_test_id("entry").filter(has=page.locator(f'input[value="{title}"]'))).to_have_count(1)
    expect(page.get_by_test_id("candidate")).to_have_count(0)
    # the third item to the top, and a sharper title for this issue
    page.get_by_test_id("entry").nth(2).get_by_role("button", name="上移").click()
    page.get_by_test_id("entry").nth(1).get_by_role("button", name="上移").click()
    expect(page.get_by_test_id("entry").first.locator("input[name=title]")).to_have_value(TITLES[2])
    first = page.get_by_test_id("entry").nth(1)
    first.locator("input[name=title]").fill("东湖区“网格+警格”联动就地化解矛盾纠纷")
    first.get_by_role("button", name="保存标题").click()
    page.get_by_label("编者按").fill("今年以来，各地聚焦群众急难愁盼，探索了一批好做法。现将有关情况编发，供参阅。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_test_id("issue-marks")).to_contain_text("内部")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("issue-status")).to_have_text("待审核")
    log_out(page)

    # the director reviews and signs it from his list
    log_in(page, live_server, pubs.director)
    page.goto(f"{live_server.url}/publications/?tab=to_review")
    page.get_by_role("link", name="《临江信息》（待审核）").click()
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_test_id("issue-status")).to_have_text("已审核，待签发")
    page.get_by_role("button", name="签发").click()
    expect(page.get_by_test_id("issue-status")).to_have_text("已签发")
    year = Issue.objects.get().year
    expect(page.get_by_test_id("issue-title")).to_have_text(f"《临江信息》{year}年第1期")
    log_out(page)

    # a leader of the city (送 市委领导同志) finds it, reads it, and downloads both files
    log_in(page, live_server, pubs.city_leader)
    page.get_by_role("link", name="信息刊物").first.click()
    page.get_by_role("link", name="发给本单位的").click()
    page.get_by_role("link", name=f"《临江信息》{year}年第1期").click()
    bulletin = page.get_by_test_id("bulletin")
    expect(bulletin.get_by_test_id("b-number")).to_have_text("第1期（总第345期）")
    expect(bulletin.get_by_test_id("b-item")).to_have_count(3)
    expect(bulletin.get_by_test_id("b-item").first).to_contain_text(TITLES[2])
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/issue.png", full_page=True)
    files = {}
    for fmt, button in (("docx", "Word"), ("pdf", "PDF")):
        page.get_by_test_id(f"make-{fmt}").click()
        link = page.get_by_test_id(f"download-{fmt}")
        expect(link).to_be_visible(timeout=60_000)
        with page.expect_download() as download:
            link.click()
        files[fmt] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[fmt])
        assert files[fmt].suffix == f".{fmt}", button
        page.go_back()
    document = Document(io.BytesIO(files["docx"].read_bytes()))
    texts = [p.text for p in document.paragraphs]
    assert "临江信息" in texts and "第1期（总第345期）" in texts
    assert [t for t in texts if t in (TITLES[2], "东湖区“网格+警格”联动就地化解矛盾纠纷", TITLES[1])] == [
        TITLES[2], "东湖区“网格+警格”联动就地化解矛盾纠纷", TITLES[1]]
    text = subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "第1期（总第345期）" in flat and "西岭县老旧小区改造提速惠及三千户" in flat
