"""The .docx of a 通报 or of the year-end ranking (SPEC §9), drawn from its figures (bulletin_figures.collect) alone, in
the official layout the publications use (infohub/officialdoc.py, GB/T 9704-2012): the red masthead with the 文号
(临办通〔2026〕3号) and the office and date above the red rule; the title in 2号 方正小标宋简体; the addressees; the body in
3号 仿宋 with headings in 黑体 and 楷体; a ranking table per group (单位 | 报送 | 采用 by level | 约稿 | 批示 | 得分 | 排名);
the units praised and criticised, those below quota and those that filed nothing; every 迟报/漏报/误报/瞒报 named;
charts (assessment/charts.py, PNG) in the pages; the issuer and date; the annex of adopted titles; the 版记.

Tables are written as WordprocessingML directly (one string per table, parsed once), not cell by cell through
python-docx, whose cell access walks the table each time: a national ranking has 10,000 rows. Every run, in the tables
too, names its East-Asian font.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

from infohub.officialdoc import (
    FANGSONG,
    HEITI,
    KAITI,
    MARGINS,
    PAGE_WIDTH,
    PPR_ORDER,
    SANHAO,
    SIHAO,
    XIAOBIAOSONG,
    border,
    child,
    indent_chars,
    masthead,
    new_document,
    paragraph,
    run,
    set_fonts,
)

from .bulletin_figures import LAPSE_LABELS, LEVEL_COLUMNS, date_label

ERHAO, XIAOSI, WUHAO = 22, 12, 10.5
TEXT_WIDTH_TWIPS = int((PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]) / 635)  # EMU → twips
NUMERALS = "一二三四五六七八九十"
CLOSING = ("希望受到表扬的单位再接再厉，继续发挥示范带动作用；被通报批评和未完成报送任务的单位要认真查找原因，切实加以改进。"
           "各地各部门要进一步提高信息报送的时效性和质量，严格落实紧急信息报送制度，坚决杜绝迟报、漏报、误报、瞒报现象。")

Progress = Callable[[str], None]


# --- text ----------------------------------------------------------------------------------------------------------


def _off_grid(line) -> None:
    """A 2号 title's lines set by its own exact spacing: on the page's 22-line grid each would take two grid lines
    (LibreOffice showed a blank line between the title's two lines)."""
    child(line._p.get_or_add_pPr(), "snapToGrid", PPR_ORDER).set(qn("w:val"), "0")


def _body(document, text: str, *, face: str = FANGSONG, indent: int = 2):
    line = paragraph(document)
    if indent:
        indent_chars(line, first_line=indent)
    run(line, text, face, SANHAO)
    return line


def _heading(document, text: str) -> None:
    line = paragraph(document)
    line.paragraph_format.keep_with_next = True
    indent_chars(line, first_line=2)
    run(line, text, HEITI, SANHAO)


def _subheading(document, text: str) -> None:
    line = paragraph(document)
    line.paragraph_format.keep_with_next = True
    indent_chars(line, first_line=2)
    run(line, text, KAITI, SANHAO)


def _caption(document, text: str) -> None:
    line = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    run(line, text, HEITI, XIAOSI)


def _picture(document, png: bytes, width_mm: float = 150) -> None:
    line = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=6)
    line.paragraph_format.keep_with_next = True
    holder = line.add_run()
    set_fonts(holder._element.get_or_add_rPr(), FANGSONG)
    holder.add_picture(io.BytesIO(png), width=Mm(width_mm))


def _n(value) -> str:
    """A count or points as printed: 12, 12.5, −3 (trailing zeros dropped)."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    text = f"{number.normalize():f}" if number != number.to_integral() else f"{int(number)}"
    return text


# --- tables --------------------------------------------------------------------------------------------------------

CELL_MARGIN = '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
BORDERS = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))


def _rpr(face: str, size: float, bold: bool) -> str:
    half = int(size * 2)
    return (f'<w:rPr><w:rFonts w:ascii="{face}" w:hAnsi="{face}" w:eastAsia="{face}" w:cs="{face}"/>'
            f'{"<w:b/>" if bold else ""}<w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>')


def _cell(text: str, width: int, *, align: str, rpr: str, span: int = 1, merge: str | None = None) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if merge:
        props += '<w:vMerge w:val="restart"/>' if merge == "restart" else "<w:vMerge/>"
    props += '<w:vAlign w:val="center"/>'
    content = f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return (f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr><w:snapToGrid w:val=\"0\"/>"
            f'<w:spacing w:before="20" w:after="20" w:line="264" w:lineRule="auto"/><w:jc w:val="{align}"/></w:pPr>'
            f"{content}</w:p></w:tc>")


def _table(document, header_rows: Sequence[Sequence[tuple]], rows: Iterable[Sequence[str]], widths: Sequence[float],
           *, aligns: Sequence[str], size: float = WUHAO) -> None:
    """A table across the text width. `widths`: relative column widths. `header_rows`: rows of (text, span, merge)
    cells, repeated atop each page; `rows`: rows of texts, one per column; `aligns`: "left" / "center" / "right" per
    column. Written as one XML string."""
    total = sum(widths)
    twips = [int(TEXT_WIDTH_TWIPS * w / total) for w in widths]
    head_rpr, body_rpr = _rpr(HEITI, size, False), _rpr(FANGSONG, size, False)
    parts = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:jc w:val="center"/>'
             f"<w:tblBorders>{BORDERS}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>{CELL_MARGIN}</w:tblPr><w:tblGrid>"]
    parts += [f'<w:gridCol w:w="{w}"/>' for w in twips]
    parts.append("</w:tblGrid>")
    for header in header_rows:
        parts.append('<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>')
        column = 0
        for text, span, merge in header:
            width = sum(twips[column:column + span])
            parts.append(_cell(text, width, align="center", rpr=head_rpr, span=span, merge=merge))
            column += span
        parts.append("</w:tr>")
    for row in rows:
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        parts += [_cell(text, width, align=align, rpr=body_rpr)
                  for text, width, align in zip(row, twips, aligns, strict=True)]
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    document.element.body._insert_tbl(parse_xml("".join(parts)))  # before the section properties, which stay last


def _plain(cells: Sequence[str]) -> list[tuple]:
    return [(text, 1, None) for text in cells]


# --- parts ---------------------------------------------------------------------------------------------------------


def _addressees(figures: dict) -> str:
    names = []
    for group in figures["groups"]:
        label = group["label"]
        if group["group"] == "district":
            system = {"党委": "委", "政府": "政府"}.get(figures["system"])
            names.append(f"各{label}{system}办公室" if system else f"各{label}")
        elif group["group"] == "department":
            names.append(f"{label[:-2]}各部门" if label.endswith("部门") else f"各{label}")
        else:
            names.append(f"各{label}")
    return "，".join(names) + "：" if names else ""


def _totals_text(figures: dict) -> str:
    t = figures["totals"]
    office = figures["office"]["name"]
    levels = list(reversed(figures["levels"]))  # highest first
    adopted = "、".join(f"{figures['level_labels'][lv]}采用{t[f'adopted_{lv}']}条" for lv in levels
                       if t.get(f"adopted_{lv}"))
    adopted = f"（其中{adopted}）" if adopted else ""
    # no rate without filings (it used to read "采用率为—"): the clause is left out
    rate = f"，采用率为{_percent(t['adopted'], t['filed'])}" if t["filed"] else ""
    text = (f"{figures['period_label']}，{figures['scope']}纳入考核的{t['units']}家单位共报送信息{t['filed']}条，"
            f"被采用{t['adopted']}条{adopted}{rate}；"
            f"信息获领导批示{t['instructions']}件次；完成{office}约稿{t['topics_answered']}篇次，"
            f"未按要求报送约稿{t['topics_ignored']}篇次。")
    counts = figures.get("lapse_counts") or {}
    if counts:
        parts = "、".join(f"{LAPSE_LABELS[k]}{counts[k]}起" for k in LAPSE_LABELS if counts.get(k))
        text += f"紧急信息报送中发生{parts}。"
    else:
        text += "紧急信息报送未发生迟报、漏报、误报、瞒报问题。"
    return text


def _correction_text(correction: dict) -> str:
    """本通报是对2026年12月1日印发的《关于……的通报》（临办通〔2026〕1号）的更正。更正原因：……。原通报作废，以本通报为准。"""
    when = f"{date_label(dt.date.fromisoformat(correction['date']))}印发的" if correction.get("date") else ""
    reason = (correction.get("reason") or "").strip().rstrip("。．.")
    return (f"本通报是对{when}《{correction['title']}》（{correction['number_label']}）的更正。"
            f"{f'更正原因：{reason}。' if reason else ''}原通报作废，以本通报为准。")


def _months_text(isos: Sequence[str]) -> str:
    return "、".join(f"{dt.date.fromisoformat(iso).month}月" for iso in isos)


def _quota_text(figures: dict) -> str:
    """What is true of the quotas when nobody is below them: the rule set sets none; none was assessed in the period
    (before the month the rules took effect, or a month not yet over and priced) — saying which; or the units under a
    quota met it in the months assessed. Bulletins made before the figures held `quota` say what they said."""
    quota = figures.get("quota")
    if quota is None:
        return "各单位均完成了规定的信息报送任务。"
    if not quota["rules"]:
        return "本考核办法未规定信息报送定额，本期不考核定额完成情况。"
    if not quota["assessed"]:
        start = dt.date.fromisoformat(quota["from"])
        if dt.date.fromisoformat(figures["last_month"]) < start:
            return f"考核办法规定的信息报送定额自{start.year}年{start.month}月起考核，本期未考核定额完成情况。"
        return "信息报送定额在每月结束后考核，本期尚未考核定额完成情况。"
    text = f"{_months_text(quota['assessed'])}，实行报送定额的单位均完成了规定的信息报送任务"
    if quota["not_assessed"]:
        text += f"（{_months_text(quota['not_assessed'])}未考核定额）"
    return text + "。"


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.month}月{day.day}日"


def _percent(part, whole) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


def _ranking_table(document, figures: dict, group: dict) -> None:
    levels = figures["levels"]
    header = [[("单位", 1, "restart"), ("报送", 1, "restart"), ("采用", len(levels), None), ("约稿", 1, "restart"),
               ("批示", 1, "restart"), ("得分", 1, "restart"), ("排名", 1, "restart")],
              [("", 1, "continue"), ("", 1, "continue"), *[(LEVEL_COLUMNS[lv], 1, None) for lv in levels],
               ("", 1, "continue"), ("", 1, "continue"), ("", 1, "continue"), ("", 1, "continue")]]
    rows = ([row["unit"], _n(row["filed"]), *[_n(row[f"adopted_{lv}"]) for lv in levels], _n(row["topics_answered"]),
             _n(row["instructions"]), _n(row["score"]), str(row["rank"])] for row in group["rows"])
    widths = [5.2, 1.3, *[1.2] * len(levels), 1.3, 1.3, 1.6, 1.3]
    aligns = ["left", *["center"] * (len(widths) - 1)]
    _table(document, header, rows, widths, aligns=aligns)


def _draw(chart) -> bytes:
    from django.utils import translation

    with translation.override("zh-hans"):
        return chart.png()


def build(figures: dict, *, charts: bool = True, progress: Progress = lambda stage: None) -> bytes:
    """The .docx of a bulletin's `figures` (the shape of bulletin_figures.collect), as bytes. `charts` draws the
    charts into the pages (assessment.charts, PNG); `progress(stage)` is told as each part is done."""
    from . import charts as drawing

    document = new_document()
    issued_on = dt.date.fromisoformat(figures["date"])
    masthead(document, marks=[], title=figures["masthead"], number_label=figures["number_label"],
             office=figures["issuer"], date_label=date_label(issued_on))
    title = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=12, exact=ERHAO + 10)
    _off_grid(title)
    run(title, figures["title"], XIAOBIAOSONG, ERHAO)
    if addressees := _addressees(figures):
        _body(document, addressees, indent=0)
    if correction := figures.get("correction"):
        _body(document, _correction_text(correction))
    _body(document, f"现将{figures['period_label']}{figures['scope']}{figures['system']}信息工作"
                    f"{'考评结果' if figures['kind'] == 'yearly' else '情况'}通报如下。")

    section = iter(NUMERALS)
    figure_no = iter(range(1, 1000))
    table_no = iter(range(1, 1000))

    _heading(document, f"{next(section)}、总体情况")
    _body(document, _totals_text(figures))
    if charts:
        # "各月" only where there are months to compare: a month's bulletin draws one
        each = "各月" if len(figures["monthly"]) > 1 else ""
        _picture(document, _draw(drawing.adoptions_per_month(figures["monthly"], title=f"{each}信息采用情况")))
        _caption(document, f"图{next(figure_no)}　{figures['period_label']}{each}信息采用情况")
        if any(row["on_time"] + row["late"] for row in figures["on_time"]):
            _picture(document, _draw(drawing.on_time_rate(figures["on_time"], title="紧急信息按时报送情况")))
            _caption(document, f"图{next(figure_no)}　{figures['period_label']}紧急信息按时报送情况")
    progress("总体情况")

    _heading(document, f"{next(section)}、得分排名")
    if figures.get("year_cap"):
        _body(document, f"按照考核办法，单位得分最高计{_n(figures['year_cap'])}分。")
    for index, group in enumerate(figures["groups"]):
        _subheading(document, f"（{NUMERALS[index]}）{group['label']}")
        _caption(document, f"表{next(table_no)}　{group['label']}信息工作得分排名")
        _ranking_table(document, figures, group)
        if charts and len(group["rows"]) >= 3:
            bars = [{"unit_id": r["unit_id"], "unit_name": r["unit"], "score": r["score"], "rank": r["rank"]}
                    for r in group["rows"][:15]]
            _picture(document, _draw(drawing.ranking_bars(bars, top=15, title=f"{group['label']}得分排名")))
            _caption(document, f"图{next(figure_no)}　{group['label']}得分排名（前{len(bars)}名）")
        progress(f"{group['label']}排名")

    _heading(document, f"{next(section)}、表扬和批评")
    if figures["praised"]:
        _body(document, "以下单位信息工作成绩突出，得分位居前列，予以通报表扬：")
        by_group: dict[str, list[str]] = {}
        for row in figures["praised"]:
            by_group.setdefault(row["group_label"], []).append(row["unit"])
        for label, names in by_group.items():
            _body(document, f"{label}：{'、'.join(names)}。")
    else:
        _body(document, "本期无通报表扬单位。")
    if figures["criticised"]:
        _body(document, "以下单位信息工作存在差距，予以通报批评：")
        for row in figures["criticised"]:
            _body(document, f"{row['unit']}：{row['reason']}。")
    else:
        _body(document, "本期无通报批评单位。")

    _heading(document, f"{next(section)}、未完成报送任务的单位")
    if figures["below_quota"]:
        _body(document, f"以下{len(figures['below_quota'])}家单位未完成规定的信息报送任务：")
        _caption(document, f"表{next(table_no)}　未完成报送任务的单位")
        _table(document, [_plain(["单位", "未完成月数", "情况", "扣分"])],
               ([r["unit"], _n(r["months"]), r["basis"] or "—", _n(r["points"])] for r in figures["below_quota"]),
               [5, 1.6, 6, 1.4], aligns=["left", "center", "left", "center"])
    else:
        _body(document, _quota_text(figures))

    _heading(document, f"{next(section)}、未报送信息的单位")
    if figures["filed_nothing"]:
        by_group = {}
        for row in figures["filed_nothing"]:
            by_group.setdefault(row["group_label"], []).append(row["unit"])
        _body(document, f"{figures['period_label']}，以下{len(figures['filed_nothing'])}家单位未报送信息：")
        for label, names in by_group.items():
            _body(document, f"{label}：{'、'.join(names)}。")
    else:
        _body(document, "各单位均报送了信息。")

    _heading(document, f"{next(section)}、迟报、漏报、误报、瞒报情况")
    if figures["lapses"]:
        _body(document, "以下紧急信息报送问题予以通报，相关单位要认真整改：")
        _caption(document, f"表{next(table_no)}　迟报、漏报、误报、瞒报情况")
        _table(document, [_plain(["序号", "单位", "事件", "类别", "日期", "扣分"])],
               ([str(n), r["unit"], r["event"], r["kind_label"], _day(r["date"]), _n(r["points"])]
                for n, r in enumerate(figures["lapses"], start=1)),
               [1.3, 4, 6, 1.3, 2.2, 1.3], aligns=["center", "left", "left", "center", "center", "center"])
    else:
        _body(document, "本期未发生迟报、漏报、误报、瞒报问题。")
    progress("表扬、批评和问题")

    _body(document, CLOSING)
    annex_title = f"{figures['period_label']}被采用信息目录"
    _body(document, "")
    _body(document, f"附件：{annex_title}")
    for text in (figures["issuer"], date_label(issued_on)):
        line = paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT)
        indent_chars(line, right=4)
        run(line, text, FANGSONG, SANHAO)

    # 附件: on a page of its own — the label starts it (page break before), not a paragraph holding a break: that
    # paragraph spilled onto a page of its own when the body filled its last page, and left that page blank
    label = paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
    label.paragraph_format.page_break_before = True
    run(label, "附件", HEITI, SANHAO)
    head = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=12, exact=ERHAO + 10)
    _off_grid(head)
    run(head, annex_title, XIAOBIAOSONG, ERHAO)
    if figures["annex"]:
        _table(document, [_plain(["序号", "标题", "单位", "刊物及期号", "采用层级"])],
               ([str(n), r["title"], r["unit"], f"{r['publication']}{r['issue']}", r["level_label"]]
                for n, r in enumerate(figures["annex"], start=1)),
               [1.3, 6.8, 3.4, 3.6, 2], aligns=["center", "left", "left", "left", "center"])
    else:
        _body(document, "本期无被采用的信息。")
    progress("附件")

    # 版记: the issuer and the date of issue between rules
    _body(document, "")
    end = paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
    indent_chars(end, left=1, right=1, size=SIHAO)
    run(end, f"{figures['issuer']}　　　　{date_label(issued_on)}印发", FANGSONG, SIHAO)
    border(end, "top", size_eighths=8, space=4)
    border(end, "bottom", size_eighths=8, space=4)

    properties = document.core_properties
    properties.title = figures["title"]
    properties.author = figures["issuer"]
    properties.subject = figures["number_label"]
    properties.language = "zh-CN"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
