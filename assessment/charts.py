"""Charts of the assessment figures (SPEC §9: "charts where people would rather look than read"; issue 16 point 5),
drawn on the server by matplotlib (Agg, no browser library, nothing from a CDN).

Each chart function takes plain data — the lists of dicts the selectors return, never a queryset — and answers a
`Chart`: `chart.svg()` is an inline `<svg>` for a page (text kept as text, so the Chinese labels are searchable,
selectable and read by screen readers; an accessible `<title>`; ids prefixed so several charts share a page), and
`chart.png(dpi=180)` the bytes of a PNG for a .docx (150–200 dpi prints sharp at a page's width).

Printable: every series differs by hatch pattern or marker and line style as well as by colour, and bars carry their
values, so a chart photocopied in black and white still reads. Labels are in the active language (gettext; Simplified
Chinese by default), drawn in Noto Sans CJK SC (Debian fonts-noto-cjk), falling back to LXGW WenKai, Noto Serif CJK SC
and DejaVu Sans glyph by glyph.

Chart functions (shapes in their docstrings):
* `adoptions_per_month(rows)` — stacked bars of adoptions per month by the adopting office's level;
* `ranking_bars(rows, highlight=…, top=…)` — one group's scores as horizontal bars, the top N and the viewer's unit
  (`worth_drawing(rows)`: not when every score is 0 — the chart then only says so);
* `on_time_rate(rows)` — emergency reports on time vs late per month, and the on-time rate;
* `against_median(rows, unit_name=…)` — a unit's points per month against its group's median.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg  # Agg, drawn without pyplot: no display, nothing global
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

FONTS = ["Noto Sans CJK SC", "LXGW WenKai", "Noto Serif CJK SC", "DejaVu Sans"]

# Drawing settings, applied while a chart is built and while it is saved (matplotlib reads them at both times).
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": 10,
    "axes.unicode_minus": False,  # CJK fonts lack U+2212: a hyphen for negative points
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "hatch.linewidth": 0.8,
    "svg.fonttype": "none",  # text stays <text>, not paths: the labels are text in the page
    "svg.hashsalt": "infohub",  # stable ids (they are prefixed per chart below)
    "figure.dpi": 100,
}

# The adopting office's level, top-down, each with its colour and hatch (a photocopy still tells them apart).
LEVELS = ("county", "city", "province", "central")
STYLE = {
    "county": ("#9dc3e6", ""),
    "city": ("#2e75b6", "///"),
    "province": ("#c55a11", "..."),
    "central": ("#7f0000", "xx"),
}
HIGHLIGHT, PLAIN, MEDIAN = "#c00000", "#8c8c8c", "#404040"

PNG_DPI = 180
# A month's bars are drawn no wider than when six months share the chart: a quarter or a single month fills the width
# with its own months only (no empty months drawn after them) and its bars stay a month's width, not the page's.
NARROWEST_SLOTS = 6


def _month_axis(axes, count: int) -> float:
    """Set the x axis to exactly the `count` months of the period (a quarter 3, a year 12) and answer the factor a
    month's bar widths are drawn at (1 from six months on; for fewer, narrower, so a bar keeps a month's width)."""
    axes.set_xlim(-0.6, count - 0.4)
    return min(1.0, (count + 0.2) / (NARROWEST_SLOTS + 0.2))  # the axis spans count + 0.2 months


def level_labels() -> dict[str, str]:
    return {"county": _("County level"), "city": _("City level"), "province": _("Province level"),
            "central": _("Central level")}


class Chart:
    """A drawn chart: `svg()` for a page, `png()` for a document. `title` is its accessible name."""

    def __init__(self, figure: Figure, title: str, description: str = ""):
        self.figure, self.title, self.description = figure, title, description

    def svg(self) -> str:
        """The chart as an inline `<svg>` element (no XML prologue), `role="img"` with `<title>` and `<desc>` first,
        scaled by CSS (viewBox kept, fixed size removed), every id prefixed by a fresh token. Mark it safe to embed:
        its text is escaped by matplotlib, title and description here."""
        buffer = io.StringIO()
        with rc_context(RC):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        text = buffer.getvalue()
        text = text[text.index("<svg"):]
        prefix = "c" + uuid.uuid4().hex[:8] + "-"
        text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
        text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
        text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
        title_id, desc_id = f"{prefix}title", f"{prefix}desc"
        labelled = f'aria-labelledby="{title_id}"' + (f' aria-describedby="{desc_id}"' if self.description else "")
        head = re.match(r"<svg\b[^>]*>", text).group(0)
        new_head = re.sub(r'\s(width|height)="[^"]*"', "", head)
        new_head = new_head[:-1] + f' role="img" class="chart" {labelled}>'
        accessible = f'<title id="{title_id}">{html.escape(self.title)}</title>'
        if self.description:
            accessible += f'<desc id="{desc_id}">{html.escape(self.description)}</desc>'
        return new_head + accessible + text[len(head):].rstrip()

    def png(self, dpi: int = PNG_DPI) -> bytes:
        """The chart as PNG bytes at `dpi` (150–200 for a printed page), white background."""
        buffer = io.BytesIO()
        with rc_context(RC):
            self.figure.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
        return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)  # no pyplot: nothing global, safe in a threaded server
    return figure


def _label(month, many_years: bool) -> str:
    if isinstance(month, str):
        try:
            month = dt.date.fromisoformat(month[:7] + "-01")
        except ValueError:
            return month
    if not isinstance(month, dt.date):
        return str(month)
    if many_years:
        return f"{month.year}.{month.month:02d}"
    return _("Month %(month)d") % {"month": month.month}


def _month_labels(months: Sequence) -> list[str]:
    years = {m.year for m in months if isinstance(m, dt.date)} | {
        str(m)[:4] for m in months if isinstance(m, str)}
    return [_label(month, len(years) > 1) for month in months]


def _number(value) -> float:
    if value is None:
        return 0.0
    return float(value) if isinstance(value, (int, float, Decimal)) else float(str(value))


def _figure_text(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _empty(axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color=MEDIAN)
    axes.set_xticks([])
    axes.set_yticks([])


def adoptions_per_month(rows: Iterable[Mapping], *, title: str | None = None) -> Chart:
    """Adoptions per month, stacked by the adopting office's level (county, city, province, centre).

    `rows`: one dict per month, in order: {"month": date (first day) or "YYYY-MM", "adopted_county": int,
    "adopted_city": int, "adopted_province": int, "adopted_central": int} (the Tally columns; a missing key counts
    0). Each bar carries its total; each level its colour and hatch."""
    rows = list(rows)
    title = title or _("Adoptions per month by level")
    labels = level_labels()
    with rc_context(RC):
        figure = _figure(7.2, 3.6)
        axes = figure.add_subplot()
        axes.set_title(title)
        if not rows:
            _empty(axes, _("Nothing adopted in this period."))
            return Chart(figure, title)
        x = list(range(len(rows)))
        narrow = _month_axis(axes, len(rows))
        bottom = [0.0] * len(rows)
        for level in LEVELS:
            values = [_number(row.get(f"adopted_{level}")) for row in rows]
            colour, hatch = STYLE[level]
            axes.bar(x, values, bottom=bottom, label=labels[level], color=colour, hatch=hatch, edgecolor="black",
                     linewidth=0.6, width=0.65 * narrow)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        for position, total in zip(x, bottom, strict=True):
            if total:
                axes.annotate(_figure_text(total), (position, total), xytext=(0, 2), textcoords="offset points",
                              ha="center", va="bottom", fontsize=9)
        axes.set_xticks(x, _month_labels([row.get("month") for row in rows]))
        axes.set_ylabel(_("Items adopted"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(max(bottom) * 1.15, 1))
        axes.legend(loc="upper left", ncols=4, frameon=False, fontsize=9, bbox_to_anchor=(0, -0.1))
        axes.grid(axis="y", linewidth=0.4, color="#d0d0d0")
        axes.set_axisbelow(True)
    description = "；".join(
        f"{_label(row.get('month'), False)}：{_figure_text(total)}" for row, total in zip(rows, bottom, strict=True))
    return Chart(figure, title, description)


def worth_drawing(rows: Iterable[Mapping]) -> bool:
    """Whether a group's ranking bars would show anything: some unit's score is not 0. Bars of nothing but zeros draw
    an empty axis (0.00–0.12) that reads as if there were figures; pages show a note instead."""
    return any(_number(row.get("score")) for row in rows)


def ranking_bars(rows: Iterable[Mapping], *, highlight: int | None = None, top: int = 15,
                 title: str | None = None) -> Chart:
    """One group's ranking as horizontal bars, best at the top: the first `top` units and, if it is further down, the
    unit `highlight` (the viewer's), drawn in red with a bold label and hatched; others grey.

    `rows`: one group's rows of `selectors.ranking` in rank order (or the issued 通报's figures):
    {"unit_id": int, "unit_name": str, "score": number, "rank": int}."""
    rows = list(rows)
    title = title or _("Ranking by score")
    shown = rows[:top]
    mine = next((row for row in rows if row.get("unit_id") == highlight), None) if highlight else None
    if mine is not None and mine not in shown:
        shown.append(mine)
    with rc_context(RC):
        figure = _figure(7.2, max(1.6, 0.9 + 0.32 * len(shown)))
        axes = figure.add_subplot()
        axes.set_title(title)
        if not shown:
            _empty(axes, _("No units ranked in this period."))
            return Chart(figure, title)
        if not worth_drawing(rows):  # a document asking for the chart anyway gets the note, not a bare axis
            _empty(axes, _("Every unit of the group scored 0."))
            return Chart(figure, title, _("Every unit of the group scored 0."))
        scores = [_number(row.get("score")) for row in shown]
        y = list(range(len(shown)))
        is_mine = [highlight is not None and row.get("unit_id") == highlight for row in shown]
        bars = axes.barh(y, scores, color=[HIGHLIGHT if m else PLAIN for m in is_mine], edgecolor="black",
                         linewidth=0.6, height=0.65)
        for bar, m in zip(bars, is_mine, strict=True):
            if m:
                bar.set_hatch("///")
        axes.set_yticks(y, [f"{row.get('rank', '')}. {row.get('unit_name', '')}" for row in shown])
        for label, m in zip(axes.get_yticklabels(), is_mine, strict=True):
            if m:
                label.set_fontweight("bold")
                label.set_color(HIGHLIGHT)
        axes.invert_yaxis()
        low, high = min(*scores, 0), max(*scores, 0)
        span = high - low or 1
        for position, score in zip(y, scores, strict=True):
            axes.annotate(_figure_text(score), (score, position), xytext=(3 if score >= 0 else -3, 0),
                          textcoords="offset points", ha="left" if score >= 0 else "right", va="center", fontsize=9)
        axes.set_xlim(low - (0.12 * span if low < 0 else 0), high + 0.12 * span)
        axes.axvline(0, color="black", linewidth=0.6)
        axes.set_xlabel(_("Score"))
        axes.grid(axis="x", linewidth=0.4, color="#d0d0d0")
        axes.set_axisbelow(True)
    description = "；".join(f"{row.get('rank', '')} {row.get('unit_name', '')} {_figure_text(score)}"
                           for row, score in zip(shown, scores, strict=True))
    return Chart(figure, title, description)


def on_time_rate(rows: Iterable[Mapping], *, title: str | None = None) -> Chart:
    """Emergency reports per month: bars of those on time (solid) and late (hatched), and the on-time rate as a line
    with its percentage on a second axis.

    `rows`: one dict per month, in order: {"month": date or "YYYY-MM", "on_time": int, "late": int} (the shape of
    `selectors.on_time_by_month`; "rate" is recomputed here from the two counts)."""
    rows = list(rows)
    title = title or _("Emergency reports on time")
    with rc_context(RC):
        figure = _figure(7.2, 3.6)
        axes = figure.add_subplot()
        axes.set_title(title)
        if not any(_number(row.get("on_time")) + _number(row.get("late")) for row in rows):
            _empty(axes, _("No emergency report was due in this period."))
            return Chart(figure, title)
        x = list(range(len(rows)))
        half = 0.18 * _month_axis(axes, len(rows))
        on_time = [_number(row.get("on_time")) for row in rows]
        late = [_number(row.get("late")) for row in rows]
        axes.bar([p - half for p in x], on_time, width=2 * half, color="#a9d18e", edgecolor="black", linewidth=0.6,
                 label=_("Reported on time"))
        axes.bar([p + half for p in x], late, width=2 * half, color="#ff9999", edgecolor="black", linewidth=0.6,
                 hatch="xx", label=_("Late"))
        axes.set_xticks(x, _month_labels([row.get("month") for row in rows]))
        axes.set_ylabel(_("Reports due"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        rates = [(o / (o + la)) if (o + la) else None for o, la in zip(on_time, late, strict=True)]
        right = axes.twinx()
        right.spines["right"].set_visible(True)
        points = [(p, r) for p, r in zip(x, rates, strict=True) if r is not None]
        right.plot([p for p, _r in points], [r for _p, r in points], color="black", marker="o", linestyle="--",
                   linewidth=1.2, label=_("On-time rate"))
        for p, r in points:
            right.annotate(f"{r:.0%}", (p, r), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8)
        right.set_ylim(0, 1.15)
        right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.set_ylabel(_("On-time rate"))
        handles = axes.get_legend_handles_labels()
        more = right.get_legend_handles_labels()
        axes.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", ncols=3, frameon=False,
                    fontsize=9, bbox_to_anchor=(0, -0.1))
    description = "；".join(
        f"{_label(row.get('month'), False)}：{_figure_text(o)}/{_figure_text(o + la)}"
        for row, o, la in zip(rows, on_time, late, strict=True))
    return Chart(figure, title, description)


def against_median(rows: Iterable[Mapping], *, unit_name: str, title: str | None = None) -> Chart:
    """A unit's points per month against its group's median: the unit's line solid with round markers, the median's
    dashed with square ones, each point labelled.

    `rows`: one dict per month, in order: {"month": date or "YYYY-MM", "points": number (the unit's), "median":
    number or None (the group's)}."""
    rows = list(rows)
    title = title or _("%(unit)s against the group's median") % {"unit": unit_name}
    with rc_context(RC):
        figure = _figure(7.2, 3.4)
        axes = figure.add_subplot()
        axes.set_title(title)
        if not rows:
            _empty(axes, _("No figures in this period."))
            return Chart(figure, title)
        x = list(range(len(rows)))
        _month_axis(axes, len(rows))
        mine = [_number(row.get("points")) for row in rows]
        medians = [(p, _number(row["median"])) for p, row in zip(x, rows, strict=True) if row.get("median") is not None]
        axes.plot(x, mine, color=HIGHLIGHT, marker="o", linewidth=2, label=unit_name)
        axes.plot([p for p, _m in medians], [m for _p, m in medians], color=MEDIAN, marker="s", linestyle="--",
                  linewidth=1.4, label=_("Group median"))
        for p, value in zip(x, mine, strict=True):
            axes.annotate(_figure_text(value), (p, value), xytext=(0, 6), textcoords="offset points", ha="center",
                          fontsize=8, color=HIGHLIGHT)
        axes.set_xticks(x, _month_labels([row.get("month") for row in rows]))
        axes.set_ylabel(_("Points"))
        axes.grid(axis="y", linewidth=0.4, color="#d0d0d0")
        axes.legend(loc="upper left", ncols=2, frameon=False, fontsize=9, bbox_to_anchor=(0, -0.1))
        top = max([*mine, *(m for _p, m in medians), 0])
        bottom = min([*mine, *(m for _p, m in medians), 0])
        axes.set_ylim(bottom - 0.05 * (top - bottom or 1), top + 0.18 * (top - bottom or 1))
    description = "；".join(
        f"{_label(row.get('month'), False)}：{_figure_text(value)}" for row, value in zip(rows, mine, strict=True))
    return Chart(figure, title, description)
