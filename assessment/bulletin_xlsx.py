"""The .xlsx of a 通报 (SPEC §9: "Excel export of every table"), drawn from its figures (bulletin_figures.collect) alone:
one sheet per table — the overview, the ranking of each group, the units praised and criticised, those below quota,
those that filed nothing, the lapses, the adopted titles (附件), and the monthly adoptions and on-time rates the charts
show — with real numbers, every formula's inputs as cells (a ranking row's score is a formula over its points
columns, capped and zeroed as the rule set says; the adoption rate is 采用 ÷ 报送; the on-time rate 按时 ÷ 应报), the
header row frozen, columns wide enough for Chinese, and a native Excel bar chart of each group's ranking.

Written in openpyxl's write-only mode (rows streamed, no cell objects kept): a national ranking has 10,000 rows.
Formulas carry no cached value (Excel and WPS compute them on opening); their inputs are all there as numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname

from .bulletin_figures import LEVEL_COLUMNS

FONT = "宋体"
HEAD_FONT = Font(name=FONT, bold=True)
HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
TITLE_FONT = Font(name=FONT, bold=True, size=14)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BAR_TOP = 20  # the chart of a group's ranking shows its first 20 units


def _width(values: Iterable) -> float:
    """A column's width in Excel's units for its longest value: a CJK (wide) character counts two."""
    longest = 0
    for value in values:
        text = str(value if value is not None else "")
        longest = max(longest, sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))
    return min(max(longest + 2, 6), 60)


def _dec(value):
    return None if value is None else Decimal(str(value))


class _Sheet:
    """A write-only sheet: a header row (frozen), then rows; column widths from the header and the first rows."""

    def __init__(self, book: Workbook, title: str, header: Sequence[str], sample: Sequence[Sequence]):
        self.ws = book.create_sheet(title[:31])
        self.ws.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            column = [name, *(row[index - 1] for row in sample if index - 1 < len(row))]
            self.ws.column_dimensions[get_column_letter(index)].width = _width(
                v for v in column if not (isinstance(v, str) and v.startswith("=")))
        cells = []
        for name in header:
            cell = WriteOnlyCell(self.ws, value=name)
            cell.font, cell.fill, cell.alignment = HEAD_FONT, HEAD_FILL, CENTER
            cells.append(cell)
        self.ws.append(cells)
        self.rows = 1

    def add(self, row: Sequence, formats: dict[int, str] | None = None) -> int:
        """Append a row (values, or formulas as "=…" strings); `formats`: {column index: number format}. Answers the
        row's number."""
        self.rows += 1
        if formats:
            cells = []
            for index, value in enumerate(row):
                cell = WriteOnlyCell(self.ws, value=value)
                if index in formats:
                    cell.number_format = formats[index]
                cells.append(cell)
            self.ws.append(cells)
        else:
            self.ws.append(list(row))
        return self.rows


def _overview(book: Workbook, figures: dict) -> str:
    """The first sheet: what the workbook is, and the totals; answers the absolute reference of the year cap cell
    ("" without a cap)."""
    ws = book.create_sheet("概况")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 60
    title = WriteOnlyCell(ws, value=figures["title"])
    title.font = TITLE_FONT
    ws.append([title])
    t = figures["totals"]
    rows = [("文号", figures["number_label"]), ("印发单位", figures["issuer"]), ("日期", figures["date"]),
            ("期间", figures["period_label"]), ("考核办法", figures["ruleset"]["name"]),
            ("纳入考核单位（家）", t["units"]), ("报送信息（条）", t["filed"]), ("被采用（条）", t["adopted"])]
    rows += [(f"其中{figures['level_labels'][lv]}采用（条）", t.get(f"adopted_{lv}", 0)) for lv in
             reversed(figures["levels"])]
    rows += [("领导批示（件次）", t["instructions"]), ("完成约稿（篇次）", t["topics_answered"]),
             ("未报约稿（篇次）", t["topics_ignored"]), ("迟报、漏报、误报、瞒报（起）", t["lapses"])]
    cap_row = None
    for label, value in rows:
        ws.append([label, value])
    if figures.get("year_cap"):
        ws.append(["得分上限（分）", _dec(figures["year_cap"])])
        cap_row = len(rows) + 2
    ws.append(["采用率", "=IF(B8>0,B9/B8,0)"])  # 被采用 ÷ 报送 (rows 8 and 9 above)
    return f"{quote_sheetname('概况')}!$B${cap_row}" if cap_row else ""


RANK_HEAD = ["排名", "单位", "报送（条）"]
POINT_COLUMNS = [("points_filing", "报送分"), ("points_adoption", "采用分"), ("points_instruction", "批示分"),
                 ("points_topic", "约稿分"), ("points_lapse", "迟漏误瞒报扣分"), ("points_other", "其他（任务、挂钩、调整等）")]


def _ranking(book: Workbook, figures: dict, group: dict, cap_ref: str) -> None:
    """A group's ranking: counts, points by column, 合计 = SUM of the points columns, 得分 = the total zeroed and
    capped as the rule set says, 采用率 = 采用 ÷ 报送; a bar chart of the first units' scores."""
    levels = figures["levels"]
    header = [*RANK_HEAD, *[f"{LEVEL_COLUMNS[lv]}采用（条）" for lv in levels], "采用（条）", "采用率", "完成约稿",
              "未报约稿", "批示（件次）", "迟漏误瞒报（次）", *[label for _name, label in POINT_COLUMNS], "合计分",
              "全年清零", "得分"]
    col = {name: index for index, name in enumerate(header)}  # 0-based
    letter = {name: get_column_letter(index + 1) for name, index in col.items()}
    first_points, last_points = letter[POINT_COLUMNS[0][1]], letter[POINT_COLUMNS[-1][1]]
    rows = group["rows"]
    sheet = _Sheet(book, f"排名-{group['label']}", header, [["", row["unit"]] for row in rows[:200]])
    ws = sheet.ws
    ws.column_dimensions[letter["采用率"]].width = 9
    formats = {col["采用率"]: "0.0%"}
    for row in rows:
        n = sheet.rows + 1
        parts = [_dec(row[name]) for name, _label in POINT_COLUMNS]
        # The total is the sum of the points columns; if the ledger holds points in no column, the figure itself.
        total = (f"=SUM({first_points}{n}:{last_points}{n})" if sum(parts, Decimal(0)) == _dec(row["points"])
                 else _dec(row["points"]))
        score = f"{letter['合计分']}{n}"
        if cap_ref:
            score = f"MIN({score},{cap_ref})"
        sheet.add([row["rank"], row["unit"], row["filed"], *[row[f"adopted_{lv}"] for lv in levels], row["adopted"],
                   f"=IF({letter['报送（条）']}{n}>0,{letter['采用（条）']}{n}/{letter['报送（条）']}{n},0)",
                   row["topics_answered"], row["topics_ignored"], row["instructions"], row["lapses"], *parts, total,
                   "是" if row["zeroed"] else "否", f"=IF({letter['全年清零']}{n}=\"是\",0,{score})"], formats)
    if rows:
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = f"{group['label']}得分排名（前{min(len(rows), BAR_TOP)}名）"
        chart.y_axis.title = "得分"
        chart.x_axis.scaling.orientation = "maxMin"  # first place at the top
        chart.legend = None
        last = min(len(rows), BAR_TOP) + 1
        chart.add_data(Reference(ws, min_col=col["得分"] + 1, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=2, max_row=last))
        chart.height, chart.width = max(7.5, 0.55 * (last - 1) + 2), 18
        ws.add_chart(chart, f"{get_column_letter(len(header) + 2)}2")


def _simple(book: Workbook, title: str, header: Sequence[str], rows: list[list], formats=None) -> _Sheet:
    sheet = _Sheet(book, title, header, rows[:200])
    for row in rows:
        sheet.add(row, formats)
    return sheet


def build(figures: dict) -> bytes:
    """The .xlsx of a bulletin's `figures` (the shape of bulletin_figures.collect), as bytes."""
    book = Workbook(write_only=True)
    cap_ref = _overview(book, figures)
    for group in figures["groups"]:
        _ranking(book, figures, group, cap_ref)
    _simple(book, "表扬", ["组别", "单位", "排名", "得分"],
            [[r["group_label"], r["unit"], r["rank"], _dec(r["score"])] for r in figures["praised"]])
    _simple(book, "批评", ["组别", "单位", "排名", "得分", "原因"],
            [[r["group_label"], r["unit"], r["rank"], _dec(r["score"]), r["reason"]] for r in figures["criticised"]])
    _simple(book, "未完成任务", ["单位", "未完成月数", "情况", "扣分"],
            [[r["unit"], r["months"], r["basis"], _dec(r["points"])] for r in figures["below_quota"]])
    _simple(book, "零报送", ["组别", "单位"], [[r["group_label"], r["unit"]] for r in figures["filed_nothing"]])
    _simple(book, "迟漏误瞒报", ["序号", "单位", "事件", "类别", "日期", "扣分"],
            [[n, r["unit"], r["event"], r["kind_label"], dt.date.fromisoformat(r["date"]), _dec(r["points"])]
             for n, r in enumerate(figures["lapses"], start=1)], {4: "yyyy-mm-dd"})
    _simple(book, "附件-被采用信息目录", ["序号", "标题", "单位", "刊物", "期号", "采用层级", "日期"],
            [[n, r["title"], r["unit"], r["publication"], r["issue"], r["level_label"], dt.date.fromisoformat(r["date"])]
             for n, r in enumerate(figures["annex"], start=1)], {6: "yyyy-mm-dd"})
    levels = ("county", "city", "province", "central")
    monthly = _simple(book, "各月采用", ["月份", "报送（条）", "采用（条）", *[f"{LEVEL_COLUMNS[lv]}采用（条）" for lv in levels],
                                      "采用率"], [], None)
    for r in figures["monthly"]:
        n = monthly.rows + 1
        monthly.add([r["month"][:7], r["filed"], r["adopted"], *[r[f"adopted_{lv}"] for lv in levels],
                     f"=IF(B{n}>0,C{n}/B{n},0)"], {7: "0.0%"})
    on_time = _simple(book, "紧急信息按时报送", ["月份", "按时（件）", "迟报（件）", "应报（件）", "按时率"], [], None)
    for r in figures["on_time"]:
        n = on_time.rows + 1
        on_time.add([r["month"][:7], r["on_time"], r["late"], f"=B{n}+C{n}", f"=IF(D{n}>0,B{n}/D{n},0)"], {4: "0.0%"})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
