"""通报 (issue 16 point 4) from hand-made figures (tests/assessment/bulletin_world.py): what the figures read (in a few
statements), the .docx and the .xlsx read back, and the life of a bulletin — asked for once however often, generated
with its progress, failed and generated again, issued with its number, checksums, recipients and audit row, and never
changed after."""

from __future__ import annotations

import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from assessment import bulletin_docx, bulletin_figures, bulletin_xlsx, bulletins
from assessment.models import Bulletin, BulletinRecipient, Letterhead, Pricing
from infohub.errors import ActionRefused, IllegalTransition, NotPermitted
from infohub.models import AuditLog
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import ADOPTED_TITLE, FEB, JAN, MAR, YEAR, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(world):  # noqa: F811
    return bulletin_figures.collect(world.ruleset, Bulletin.Kind.QUARTERLY, JAN, MAR)


def _request(world, actor=None, *, kind=Bulletin.Kind.QUARTERLY, first=JAN, last=MAR):  # noqa: F811
    return bulletins.bulletin_request(ruleset=world.ruleset, kind=kind, first_month=first, last_month=last,
                                      actor=actor or world.editor)


def _ready(world, django_capture_on_commit_callbacks, **kwargs):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly after the commit
        bulletin = _request(world, **kwargs)
    return Bulletin.objects.get(pk=bulletin.pk)


def _issue(world, bulletin, django_capture_on_commit_callbacks, actor=None):  # noqa: F811
    """The director issues it; the worker's task runs (eagerly) after the commit. The bulletin as it then stands."""
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=bulletin, actor=actor or world.director)
    return Bulletin.objects.get(pk=bulletin.pk)


# --- the figures ---------------------------------------------------------------------------------------------------


def test_the_figures_are_read_in_a_few_statements_whatever_the_units(world, django_assert_max_num_queries):  # noqa: F811
    with django_assert_max_num_queries(12):
        figures = bulletin_figures.collect(world.ruleset, Bulletin.Kind.QUARTERLY, JAN, MAR)
    assert figures["title"] == f"关于{YEAR}年第一季度全市党委信息工作情况的通报"
    totals = figures["totals"]
    assert (totals["units"], totals["filed"], totals["adopted"], totals["instructions"]) == (4, 43, 9, 2)
    assert figures["levels"] == ["city", "province", "central"]
    districts, departments = figures["groups"]
    assert (districts["label"], departments["label"]) == ("县（市、区）", "市直部门")
    assert [(r["unit"], r["score"], r["rank"]) for r in districts["rows"]] == [
        ("东湖区委办公室", "59.00", 1), ("南山县委办公室", "0.00", 2), ("西岭县委办公室", "-23.00", 3)]
    assert [r["unit"] for r in figures["praised"]] == ["东湖区委办公室", "临江市应急管理局"]
    assert [(r["unit"], "取消评先评优资格" in r["reason"]) for r in figures["criticised"]] == [("西岭县委办公室", True)]
    assert [(r["unit"], r["points"], r["basis"]) for r in figures["below_quota"]] == [
        ("西岭县委办公室", "-2.00", "1月：报送 18 条，定额 20 条，-1 × 2")]
    assert [r["unit"] for r in figures["filed_nothing"]] == ["南山县委办公室"]
    assert {(r["unit"], r["event"], r["kind_label"], r["points"]) for r in figures["lapses"]} == {
        ("西岭县委办公室", "西岭县一货车侧翻致二人受伤", "误报", "-30.00"),
        ("东湖区委办公室", "东湖区化工园区一仓库起火", "迟报", "-3.00")}
    assert [(r["title"], r["unit"], r["publication"], r["level_label"]) for r in figures["annex"]] == [
        (ADOPTED_TITLE, "东湖区委办公室", "《临江信息》", "市级")]
    assert [m["adopted_city"] for m in figures["monthly"]] == [4, 4, 0]


def test_titles_and_numbers_follow_the_office_and_period(world):  # noqa: F811
    office = world.city
    assert bulletin_figures.title_of("monthly", FEB, office) == f"关于{YEAR}年2月全市党委信息工作情况的通报"
    assert bulletin_figures.title_of("yearly", JAN, office) == f"关于{YEAR}年度全市党委信息工作考评结果的通报"
    assert bulletin_figures.letterhead_of(office)["prefix"] == "临办通"
    Letterhead.objects.create(office=office, masthead="临江信息工作通报", prefix="临委办通", issuer="中共临江市委办公室")
    assert bulletin_figures.letterhead_of(office) == {"masthead": "临江信息工作通报", "prefix": "临委办通",
                                                      "issuer": "中共临江市委办公室"}
    assert bulletin_figures.number_label("临办通", 2026, 3) == "临办通〔2026〕3号"
    assert bulletin_figures.period_of("quarterly", 2026, 3) == (bulletin_figures.dt.date(2026, 7, 1),
                                                                bulletin_figures.dt.date(2026, 9, 1))
    with pytest.raises(ValueError):
        bulletin_figures.period_of("quarterly", 2026, 5)


# --- the .docx -----------------------------------------------------------------------------------------------------


def _runs(document):
    section = document.sections[0]
    for part in (document.element.body, section.footer._element, section.even_page_footer._element):
        yield from part.iter(qn("w:r"))


def test_the_docx_has_the_masthead_tables_named_units_lapses_annex_and_fonts_on_every_run(figures):
    figures = {**figures, "number_label": "临办通〔2026〕3号"}
    document = Document(io.BytesIO(bulletin_docx.build(figures)))
    lines = [p.text for p in document.paragraphs]
    text = "\n".join(lines)
    masthead = next(p for p in document.paragraphs if p.text == "信息工作通报")
    assert str(masthead.runs[0].font.color.rgb) == "E00000" and masthead.runs[0].font.size.pt >= 36
    assert "临办通〔2026〕3号" in lines
    assert figures["title"] in lines
    assert "各县（市、区）委办公室，市直各部门：" in lines
    assert "共报送信息43条，被采用9条（其中省级采用1条、市级采用8条）" in text
    assert "县（市、区）：东湖区委办公室。" in lines and "市直部门：临江市应急管理局。" in lines  # praised
    assert any(line.startswith("西岭县委办公室：") and "取消评先评优资格" in line for line in lines)  # criticised
    assert "县（市、区）：南山县委办公室。" in lines  # filed nothing
    assert "附件" in lines and f"{YEAR}年第一季度被采用信息目录" in lines
    tables = document.tables
    ranking = tables[0]
    assert [c.text for c in ranking.rows[0].cells][:3] == ["单位", "报送", "采用"]
    assert [c.text for c in ranking.rows[1].cells][2:5] == ["市", "省", "中央"]
    assert [c.text for c in ranking.rows[2].cells] == ["东湖区委办公室", "30", "5", "1", "0", "1", "2", "59", "1"]
    assert [c.text for c in ranking.rows[4].cells][0::7] == ["西岭县委办公室", "-23"]
    assert [c.text for c in tables[1].rows[2].cells] == ["临江市应急管理局", "5", "2", "0", "0", "0", "0", "12.5", "1"]
    quota, lapses, annex = tables[2], tables[3], tables[4]
    assert [c.text for c in quota.rows[1].cells] == ["西岭县委办公室", "1", "1月：报送 18 条，定额 20 条，-1 × 2", "-2"]
    assert {(r.cells[1].text, r.cells[2].text, r.cells[3].text) for r in lapses.rows[1:]} == {
        ("东湖区委办公室", "东湖区化工园区一仓库起火", "迟报"), ("西岭县委办公室", "西岭县一货车侧翻致二人受伤", "误报")}
    assert [c.text for c in annex.rows[1].cells][1:] == [ADOPTED_TITLE, "东湖区委办公室", f"《临江信息》{YEAR}年第1期", "市级"]
    # charts in the pages: adoptions per month (no emergency report was due: no on-time chart); a group of three
    # units has its ranking bars, the department alone none
    assert len(document.inline_shapes) == 2
    # every run, the tables' and the pictures' too, names its East-Asian font; zh-CN by default
    runs = list(_runs(document))
    assert len(runs) > 100
    for run in runs:
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")), run.xml[:300]
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert round(document.sections[0].top_margin.mm) == 37


def test_the_year_end_ranking_has_the_same_parts_for_the_year(world):  # noqa: F811
    figures = bulletin_figures.collect(world.ruleset, Bulletin.Kind.YEARLY, *bulletin_figures.period_of("yearly", YEAR))
    document = Document(io.BytesIO(bulletin_docx.build(figures, charts=False)))
    lines = [p.text for p in document.paragraphs]
    assert f"关于{YEAR}年度全市党委信息工作考评结果的通报" in lines
    assert f"现将{YEAR}年度全市党委信息工作考评结果通报如下。" in lines
    assert len(document.tables) == 5 and len(document.inline_shapes) == 0


# --- the .xlsx -----------------------------------------------------------------------------------------------------


def test_the_xlsx_has_every_table_with_formulas_and_their_inputs_a_frozen_header_and_a_chart(figures):
    data = bulletin_xlsx.build(figures)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概况", "排名-县（市、区）", "排名-市直部门", "表扬", "批评", "未完成任务", "零报送",
                               "迟漏误瞒报", "附件-被采用信息目录", "各月采用", "紧急信息按时报送"]
    ranking = book["排名-县（市、区）"]
    header = [c.value for c in ranking[1]]
    col = {name: index for index, name in enumerate(header)}
    assert header[:3] == ["排名", "单位", "报送（条）"] and header[-1] == "得分"
    first = [c.value for c in ranking[2]]
    assert (first[0], first[1], first[2], first[col["采用（条）"]]) == (1, "东湖区委办公室", 30, 6)
    assert [first[col[name]] for name in ("报送分", "采用分", "批示分", "迟漏误瞒报扣分")] == [12, 40, 10, -3]
    assert first[col["合计分"]] == "=SUM(M2:R2)"  # the six points columns
    assert first[col["采用率"]] == "=IF(C2>0,G2/C2,0)"  # 采用 ÷ 报送
    assert first[col["得分"]] == '=IF(T2="是",0,S2)'  # zeroed, or the total
    assert ranking.freeze_panes == "A2"
    assert ranking.column_dimensions["B"].width >= 16  # 东湖区委办公室: seven wide characters
    assert [[c.value for c in row] for row in book["零报送"].iter_rows(min_row=2)] == [["县（市、区）", "南山县委办公室"]]
    lapses = [[c.value for c in row] for row in book["迟漏误瞒报"].iter_rows(min_row=2)]
    assert {(row[1], row[3], row[5]) for row in lapses} == {("东湖区委办公室", "迟报", -3), ("西岭县委办公室", "误报", -30)}
    annex = [c.value for c in book["附件-被采用信息目录"][2]]
    assert annex[1:4] == [ADOPTED_TITLE, "东湖区委办公室", "《临江信息》"]
    overview = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=2)}
    assert overview["报送信息（条）"] == 43 and overview["采用率"] == "=IF(B8>0,B9/B8,0)"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # openpyxl does not read charts back: the parts are there
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) == 2
        assert b"<barChart>" in archive.read(charts[0]) and b"<barDir val=\"bar\"/>" in archive.read(charts[0])


def test_the_quota_table_names_each_month_short(world):  # noqa: F811
    # given: 西岭县 short of its quota in January (the world's row) and in March as well
    from assessment.models import Entry, Fact

    january = Entry.objects.get(ruleset=world.ruleset, fact=Fact.QUOTA)
    january.pk, january.month, january.points = None, MAR, Decimal("-15")
    january.basis = "区县月度报送定额：报送 5 条，定额 20 条，-1 × 15"
    january.save()
    # when: the quarter's 通报 is drawn
    figures = bulletin_figures.collect(world.ruleset, Bulletin.Kind.QUARTERLY, JAN, MAR)
    # then: one row for the unit, each month named once, the rule's name not repeated per month
    said = "1月：报送 18 条，定额 20 条，-1 × 2；3月：报送 5 条，定额 20 条，-1 × 15"
    assert [(r["unit"], r["months"], r["basis"], r["points"]) for r in figures["below_quota"]] == [
        ("西岭县委办公室", 2, said, "-17.00")]
    [quota] = [t for t in Document(io.BytesIO(bulletin_docx.build(figures, charts=False))).tables
               if t.rows[0].cells[0].text == "单位" and t.rows[0].cells[2].text == "情况"]
    assert [c.text for c in quota.rows[1].cells] == ["西岭县委办公室", "2", said, "-17"]
    sheet = load_workbook(io.BytesIO(bulletin_xlsx.build(figures)))["未完成任务"]
    assert [c.value for c in sheet[2]] == ["西岭县委办公室", 2, said, -17]


def test_a_capped_rule_set_caps_the_score_formula_from_the_overview(world, figures):  # noqa: F811
    book = load_workbook(io.BytesIO(bulletin_xlsx.build({**figures, "year_cap": "50.00"})))
    overview = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=2)}
    assert overview["得分上限（分）"] == Decimal("50") or overview["得分上限（分）"] == 50
    score = book["排名-县（市、区）"]["U2"].value
    assert score == "=IF(T2=\"是\",0,MIN(S2,'概况'!$B$17))"


# --- asking, generating, issuing -----------------------------------------------------------------------------------


def test_asking_twice_gives_one_bulletin_generated_with_its_progress(world, django_capture_on_commit_callbacks):  # noqa: F811
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    assert (bulletin.state, bulletin.progress, bulletin.stage) == ("ready", 100, "已生成")
    assert bulletin.docx and bulletin.xlsx and bulletin.figures["title"] == bulletin.title
    assert bulletin.office_id == world.city.pk and bulletin.number is None
    again = _request(world, actor=world.director)
    assert again.pk == bulletin.pk
    assert Bulletin.objects.count() == 1
    assert AuditLog.objects.filter(action="bulletin.request", object_id=str(bulletin.pk)).count() == 1
    draft = Document(bulletin.docx.open("rb"))
    assert "（印发时编号）" in [p.text for p in draft.paragraphs]


def test_a_bulletin_is_asked_for_only_by_the_office_and_for_a_period_of_the_year(world):  # noqa: F811
    with pytest.raises(NotPermitted):
        _request(world, actor=world.clerk)
    with pytest.raises(NotPermitted):
        _request(world, actor=world.foreign_director)
    with pytest.raises(ActionRefused, match="不是一个月、一个季度或全年"):
        _request(world, first=JAN, last=FEB)
    with pytest.raises(ActionRefused, match="考核办法的年度"):
        _request(world, kind=Bulletin.Kind.MONTHLY, first=JAN.replace(year=YEAR - 1), last=JAN.replace(year=YEAR - 1))
    assert not Bulletin.objects.exists()


def test_a_failure_is_recorded_and_the_bulletin_generated_again(world, django_capture_on_commit_callbacks,  # noqa: F811
                                                                 monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the printer is on fire")

    monkeypatch.setattr(bulletin_xlsx, "build", broken)
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    assert (bulletin.state, bulletin.stage) == ("failed", "生成失败")
    assert "the printer is on fire" in bulletin.error and bulletin.progress == 80  # where it stopped
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_regenerate(bulletin=bulletin, actor=world.editor)
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.error) == ("ready", "")


def test_issuing_numbers_seals_distributes_and_audits(world, django_capture_on_commit_callbacks):  # noqa: F811
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    with pytest.raises(NotPermitted):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.editor)  # an editor asks; the director issues
    issued = _issue(world, bulletin, django_capture_on_commit_callbacks)
    label = f"临办通〔{issued.year}〕1号"
    assert (issued.state, issued.number, issued.number_label) == ("issued", 1, label)
    docx, xlsx = issued.docx.open("rb").read(), issued.xlsx.open("rb").read()
    assert issued.docx_sha256 == hashlib.sha256(docx).hexdigest()
    assert issued.xlsx_sha256 == hashlib.sha256(xlsx).hexdigest()
    assert label in [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    assert load_workbook(io.BytesIO(xlsx))["概况"]["B2"].value == label
    assert issued.figures["number_label"] == label and issued.figures["issued"] is True
    assert set(BulletinRecipient.objects.filter(bulletin=issued).values_list("unit_id", flat=True)) == {
        world.county.pk, world.other_county.pk, world.third_county.pk, world.department.pk}
    asked = AuditLog.objects.get(action="bulletin.issue_request", object_id=str(issued.pk))
    assert (asked.actor_id, asked.from_state, asked.to_state) == (world.director.pk, "ready", "issuing")
    row = AuditLog.objects.get(action="bulletin.issue", object_id=str(issued.pk))
    assert (row.actor_id, row.from_state, row.to_state, row.data["number"]) == (world.director.pk, "issuing",
                                                                                "issued", label)
    assert issued.issued_by_id == world.director.pk
    # the next one of the office that year is number 2
    with django_capture_on_commit_callbacks(execute=True):
        monthly = _request(world, kind=Bulletin.Kind.MONTHLY, first=FEB, last=FEB)
    assert _issue(world, monthly, django_capture_on_commit_callbacks).number == 2


def test_an_issued_bulletin_never_changes(world, django_capture_on_commit_callbacks):  # noqa: F811
    bulletin = _issue(world, _ready(world, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks)
    with pytest.raises(IllegalTransition):
        bulletins.bulletin_regenerate(bulletin=bulletin, actor=world.editor)
    with pytest.raises(IllegalTransition):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    for change in (lambda: Bulletin.objects.filter(pk=bulletin.pk).update(title="改过的标题"),
                   lambda: Bulletin.objects.filter(pk=bulletin.pk).delete(),
                   lambda: BulletinRecipient.objects.filter(bulletin=bulletin).delete()):
        with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it
            change()
    # asking for the period again makes a new bulletin (a correction, declared with its reason), not a change of the
    # issued one
    with django_capture_on_commit_callbacks(execute=True):
        again = bulletins.bulletin_request(ruleset=world.ruleset, kind=Bulletin.Kind.QUARTERLY, first_month=JAN,
                                           last_month=MAR, actor=world.editor, correction_reason="西岭县报送条数有误")
    assert again.pk != bulletin.pk and again.state == "queued" and again.corrects_id == bulletin.pk


def test_a_period_priced_again_after_generation_is_generated_again_before_issue(world,  # noqa: F811
                                                                                django_capture_on_commit_callbacks):
    bulletin = _ready(world, django_capture_on_commit_callbacks)
    from django.utils import timezone

    # a routine run that changed nothing (beat's every 15 minutes) does not hold the bulletin back
    Pricing.objects.create(ruleset=world.ruleset, kind=Pricing.Kind.ROUTINE, first_month=FEB, last_month=MAR,
                           state=Pricing.State.DONE, finished_at=timezone.now(), added=0, superseded=0)
    Pricing.objects.create(ruleset=world.ruleset, kind=Pricing.Kind.REPRICE, first_month=FEB, last_month=FEB,
                           state=Pricing.State.DONE, finished_at=timezone.now(), added=1, superseded=1)
    with pytest.raises(ActionRefused, match="重新计分"):
        bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
    assert Bulletin.objects.get(pk=bulletin.pk).number is None


def test_a_routine_run_that_changed_nothing_does_not_hold_the_bulletin_back(world,  # noqa: F811
                                                                            django_capture_on_commit_callbacks):
    # Beat prices the previous and the current month every 15 minutes: last month's bulletin, generated and read by the
    # director a quarter of an hour later, was refused "该期间已重新计分" though no figure had moved.
    from django.utils import timezone

    bulletin = _ready(world, django_capture_on_commit_callbacks)
    Pricing.objects.create(ruleset=world.ruleset, kind=Pricing.Kind.ROUTINE, first_month=FEB, last_month=MAR,
                           state=Pricing.State.DONE, finished_at=timezone.now(), added=0, superseded=0)
    assert _issue(world, bulletin, django_capture_on_commit_callbacks).state == Bulletin.State.ISSUED


def test_the_figures_pages_show_a_unit_the_ranking_as_issued(world, django_capture_on_commit_callbacks):  # noqa: F811
    from assessment import selectors

    bulletin = _ready(world, django_capture_on_commit_callbacks)
    period = selectors.Period(world.ruleset, bulletin.first_month, bulletin.last_month)  # what it was issued for
    assert selectors.published_ranking(world.clerk, period) is None  # not issued: nothing published
    _issue(world, bulletin, django_capture_on_commit_callbacks)
    published = selectors.published_ranking(world.clerk, period)
    assert published["bulletin"].pk == bulletin.pk
    districts = published["groups"][0]
    assert [(r["unit_name"], r["rank"], r["score"]) for r in districts["rows"]][:2] == [
        ("东湖区委办公室", 1, "59.00"), ("南山县委办公室", 2, "0.00")]
    assert selectors.published_ranking(world.unnamed_clerk, period) is None  # not named: not sent to it


def test_the_docx_prints_as_pdf_with_its_number_title_and_tables_in_embedded_cjk_fonts(figures, tmp_path):
    """The .docx through LibreOffice (publications/pdf.py), as an office prints it; page 1 as an image for a person."""
    import re
    import subprocess

    from publications.pdf import docx_to_pdf

    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(docx_to_pdf(bulletin_docx.build({**figures, "number_label": "临办通〔2026〕3号"})))
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert text.index("信息工作通报") < text.index("临办通〔2026〕3号") < text.index("全市党委信息工作情况")
    assert "东湖区委办公室" in text and "南山县委办公室" in text and "附件" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # embedded
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
