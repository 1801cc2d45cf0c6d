"""The .docx and the PDF of an issue, read back: python-docx for the Word file (fonts, page, masthead, number, marks,
end block), pdftotext and pdffonts (poppler-utils) for the PDF that LibreOffice makes from it."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from rest_framework.test import APIClient

from publications import selectors, services
from publications.documents import build_docx
from publications.models import IssueExport

from .conftest import adopted_item, compiled, signed

pytestmark = pytest.mark.django_db

TITLES = ["东湖区“网格+警格”联动化解矛盾纠纷四百余起", "西岭县老旧小区改造提速惠及三千户", "东湖区防汛准备就绪"]


@pytest.fixture
def issue(pubs):
    chain = pubs.chain
    items = [adopted_item(chain, TITLES[0]), adopted_item(chain, TITLES[1], urgency="urgent"),
             adopted_item(chain, TITLES[2], urgency="extra_urgent")]
    issue = compiled(pubs, items)
    services.issue_update(actor=pubs.editor, issue=issue, editor_note="今年以来，各地积极探索基层治理新路子。现将有关情况编发，供参阅。")
    return signed(pubs, issue)


def _docx(issue) -> Document:
    return Document(io.BytesIO(build_docx(selectors.printable(issue))))


def _runs(document):
    section = document.sections[0]
    parts = [document.element.body, section.footer._element, section.even_page_footer._element]
    for part in parts:
        yield from part.iter(qn("w:r"))


def test_the_docx_names_the_east_asian_font_on_every_run_and_style_and_defaults_to_zh_cn(issue):
    document = _docx(issue)
    runs = list(_runs(document))
    assert len(runs) > 20
    for run in runs:
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")), run.xml[:200]
        assert fonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would win over the named one
    faces = {run.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) for run in runs}
    assert {"方正小标宋简体", "仿宋_GB2312", "楷体_GB2312", "黑体"} <= faces
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    for style in document.styles:
        rpr = style.element.find(qn("w:rPr"))
        if style.element.get(qn("w:type")) in ("paragraph", "character"):
            assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")), style.name


def test_the_docx_page_is_gb_t_9704(issue):
    section = _docx(issue).sections[0]
    mm = lambda length: round(length / Mm(1), 1)  # noqa: E731
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin), mm(section.left_margin), mm(section.right_margin)) == (
        37, 35, 28, 26)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 22 lines to the page


def test_the_docx_has_marks_masthead_number_items_and_end_block(issue):
    document = _docx(issue)
    lines = [p.text for p in document.paragraphs]
    assert lines[0] == "内部" and lines[1] == "特急"  # the marks at the top left, before the masthead
    masthead = document.paragraphs[2]
    assert masthead.text == "临江信息"
    assert masthead.runs[0].font.color.rgb is not None and str(masthead.runs[0].font.color.rgb).startswith("E0")
    assert masthead.runs[0].font.size.pt >= 36
    assert lines[3] == "第1期（总第345期）"
    assert re.fullmatch(r"临江市委办公室\t\d{4}年\d{1,2}月\d{1,2}日", lines[4])
    red_rule = document.paragraphs[4]._p.find(qn("w:pPr")).find(qn("w:pBdr")).find(qn("w:bottom"))
    assert red_rule.get(qn("w:color")) == "E00000"
    assert any(line.startswith("编者按：今年以来") for line in lines)
    title_lines = [p for p in document.paragraphs if p.text in TITLES]
    assert [p.text for p in title_lines] == TITLES
    assert all(p.runs[0].font.bold for p in title_lines)
    body = next(p for p in document.paragraphs if p.text.startswith("东湖区将全区"))
    assert body.runs[0].font.size.pt == 16  # 3号
    assert body._p.find(qn("w:pPr")).find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    assert "（东湖区委办公室）" in lines
    assert "报：江南省委办公厅。" in lines and "送：市委领导同志。" in lines and "发：东湖区委办公室。" in lines
    people = next(line for line in lines if line.startswith("编辑："))
    assert "审核：" in people and "签发：" in people and people.endswith("共印60份")
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "— " in footer


def _make(issue, fmt, django_capture_on_commit_callbacks) -> IssueExport:
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(actor=None, issue=issue, fmt=fmt)
    return IssueExport.objects.get(issue=issue, format=fmt)


def test_the_pdf_has_the_number_the_marks_and_every_title_in_order_in_embedded_cjk_fonts(
        issue, django_capture_on_commit_callbacks, tmp_path):
    export = _make(issue, "pdf", django_capture_on_commit_callbacks)
    assert (export.state, export.progress, export.revision) == ("done", 100, issue.revision), export.error
    assert export.filename == f"临江信息{issue.year}年第1期.pdf"
    pdf = Path(export.file.path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "第1期（总第345期）" in flat
    assert flat.index("内部") < flat.index("特急") < flat.index("临江信息") < flat.index("第1期")
    positions = [flat.index(re.sub(r"\s+", "", title)) for title in TITLES]
    assert positions == sorted(positions)
    assert "共印60份" in flat and "报：江南省委办公厅。" in flat
    assert "—1—" in flat  # the page number
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts
    for line in fonts:
        assert line.split()[-5] == "yes", line  # emb
    names = " ".join(line.split()[0] for line in fonts)
    assert re.search(r"NotoSerifCJK", names) and re.search(r"LXGWWenKai", names), names
    # page 1 as an image, for a person to look at (E2E_SCREENSHOTS keeps it)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000


def test_the_docx_export_is_made_by_the_task_and_downloaded_by_those_who_see_the_issue(
        pubs, issue, django_capture_on_commit_callbacks, client):
    export = _make(issue, "docx", django_capture_on_commit_callbacks)
    assert export.state == "done" and export.size > 10_000
    client.force_login(pubs.city_leader)
    response = client.get(f"/publications/{issue.pk}/download/docx/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    # the Chinese name in filename*, and beside it an ASCII one that says which issue (Django's own gave none)
    assert f'filename="issue-{issue.year}-no{issue.number}.docx"' in response["Content-Disposition"]
    assert "filename*=UTF-8''%E4%B8%B4%E6%B1%9F%E4%BF%A1%E6%81%AF" in response["Content-Disposition"]  # 临江信息
    document = Document(io.BytesIO(b"".join(response.streaming_content)))
    assert document.paragraphs[2].text == "临江信息"
    api = APIClient()
    api.force_authenticate(pubs.province_leader)
    assert api.get(f"/api/publications/issues/{issue.pk}/download/docx/").status_code == 200
    exports = api.get(f"/api/publications/issues/{issue.pk}/exports/").json()
    assert [(e["format"], e["state"]) for e in exports] == [("docx", "done")]
    client.force_login(pubs.chain.foreign_editor)
    assert client.get(f"/publications/{issue.pk}/download/docx/").status_code == 404


def test_asking_twice_gives_the_same_export_and_a_failed_one_is_tried_again(pubs, issue,
                                                                             django_capture_on_commit_callbacks):
    first = _make(issue, "docx", django_capture_on_commit_callbacks)
    again = services.export_request(actor=pubs.editor, issue=issue, fmt="docx")
    assert again.pk == first.pk
    IssueExport.objects.filter(pk=first.pk).update(state="failed")
    retried = _make(issue, "docx", django_capture_on_commit_callbacks)
    assert (retried.pk, retried.state) == (first.pk, "done")


def test_the_progress_page_polls_until_the_file_is_ready(pubs, django_capture_on_commit_callbacks, client):
    draft = compiled(pubs, [adopted_item(pubs.chain, TITLES[0])])
    client.force_login(pubs.editor)
    # not asked yet: the page offers to make it
    assert "Make" in client.get(f"/publications/{draft.pk}/export/pdf/").content.decode() or \
        "生成" in client.get(f"/publications/{draft.pk}/export/pdf/").content.decode()
    IssueExport.objects.create(issue=draft, format="pdf", revision=draft.revision, state="running", progress=50,
                               stage="正在生成PDF")
    page = client.get(f"/publications/{draft.pk}/export/pdf/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in page and 'value="50"' in page
    # a download asked for before it is made goes to the progress page
    assert client.get(f"/publications/{draft.pk}/download/pdf/").status_code == 302


def test_signing_prepares_both_files_for_the_recipients(pubs, settings, django_capture_on_commit_callbacks):
    settings.INFOHUB_PUBLICATION_PREPARE_EXPORTS = True
    issue = compiled(pubs, [adopted_item(pubs.chain, TITLES[0])])
    services.issue_submit(actor=pubs.editor, issue=issue)
    services.issue_review(actor=pubs.director, issue=issue)
    with django_capture_on_commit_callbacks(execute=True):
        issue = services.issue_sign(actor=pubs.director, issue=issue)
    assert sorted(IssueExport.objects.filter(issue=issue, revision=issue.revision).values_list("format", "state")) == [
        ("docx", "done"), ("pdf", "done")]


def test_the_print_view_shows_the_same_issue(pubs, issue, client):
    client.force_login(pubs.city_leader)
    page = client.get(f"/publications/{issue.pk}/print/").content.decode()
    assert "第1期（总第345期）" in page and "共印60份" in page
    positions = [page.index(title.replace("“", "&ldquo;")) if title not in page else page.index(title)
                 for title in TITLES]
    assert positions == sorted(positions)
