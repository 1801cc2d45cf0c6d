"""Template helpers of the figures' pages: numbers as a sheet prints them, and links from a figure to the ledger rows
behind it (with the period asked for) — only where there are rows behind it (`figure`): a count of something the rule
set does not price is a plain number in a column marked "本考核办法不计分" (`unpriced`), a nought is a plain 0."""
from decimal import Decimal
from urllib.parse import urlencode

from django import template
from django.template import engines
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from infohub.models import Level

from .. import selectors
from ..models import Fact, group_labels

register = template.Library()


@register.filter
def points(value) -> str:
    """12.50 → "12.5", 30.00 → "30", -30 → "-30", None → "—"."""
    if value is None or value == "":
        return "—"
    value = Decimal(str(value))
    text = f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@register.filter
def rate(value) -> str:
    """0.2500 → "25.0%", None → "—" (nothing filed)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)) * 100:.1f}%"


@register.filter
def month_label(value) -> str:
    return _("Month %(month)d") % {"month": value.month} if value else ""


@register.filter
def level_label(value) -> str:
    try:
        return Level(value).label
    except ValueError:
        return value or ""


@register.filter
def fact_label(value) -> str:
    try:
        return Fact(value).label
    except ValueError:
        return value or ""


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def ledger_url(ruleset, period_query, **filters) -> str:
    """`{% ledger_url ruleset pq unit=row.unit_id column="points_adoption" %}`: the ledger rows behind a figure, for
    the same period. None-valued filters are left out."""
    query = {**period_query, **{name: value for name, value in filters.items() if value not in (None, "")}}
    return f"{reverse('assessment:ledger', args=[ruleset.pk])}?{urlencode(query)}"


def _priced(ruleset, filters: dict) -> bool:
    """Whether the rule set prices what a figure with these ledger filters counts (a points column, or a fact at a level,
    in a publication, standalone or combined)."""
    known = selectors.priced(ruleset)
    if filters.get("fact"):
        combined = filters.get("combined")
        ptype = filters.get("ptype")
        return known.fact(filters["fact"], level=filters.get("level") or None,
                          ptype=int(ptype) if ptype not in (None, "") else None,
                          combined=None if combined in (None, "") else str(combined) == "1")
    return known.column(filters.get("column") or "points")


def _is_nought(value) -> bool:
    try:
        return Decimal(str(value)) == 0
    except (ArithmeticError, ValueError):
        return False


def _has_rows(behind, filters: dict) -> bool:
    """Whether `behind` (a row's {(fact, level)} from selectors.facts_behind) holds a ledger row the filters open."""
    facts = (filters["fact"],) if filters.get("fact") else selectors.COLUMN_FACTS.get(filters.get("column") or "points", ())
    level = filters.get("level") or None
    return any((fact, level) in behind for fact in facts)


@register.simple_tag
def figure(value, ruleset, period_query, *, shown=None, testid: str = "", behind=None, **filters) -> str:
    """`{% figure row.filed ruleset pq unit=row.unit_id fact='filed' behind=row.behind %}`: the figure as a link to the
    ledger rows behind it (as `ledger_url`) when there are rows behind it; else the plain figure — a 0, or a count of
    what the rule set does not price (marked "本考核办法不计分", as its column's heading is when nothing in it is priced:
    `unpriced`). `behind`: the row's {(fact, level)} with ledger rows (selectors.facts_behind), which says exactly;
    without it, a figure not 0 of a fact some rule prices is linked. `shown`: the figure as printed (e.g.
    `row.points|points`), the value itself by default."""
    text = value if shown is None else shown
    attribute = format_html(' data-testid="{}"', testid) if testid else ""
    nought = _is_nought(value)
    if behind is not None and not filters.get("ptype") and filters.get("combined") in (None, ""):
        opens = _has_rows(behind, filters)
    else:
        opens = not nought and _priced(ruleset, filters)
    if opens:
        return format_html('<a href="{}"{}>{}</a>', ledger_url(ruleset, period_query, **filters), attribute, text)
    if not nought or not _priced(ruleset, filters):
        return format_html('<span class="unpriced" title="{}"{}>{}</span>', _("Not scored under these rules"),
                           attribute, text)
    return format_html("<span{}>{}</span>", attribute, text) if testid else format_html("{}", text)


@register.simple_tag
def unpriced(ruleset, **filters) -> str:
    """`{% unpriced ruleset fact='filed' %}` in a column's heading: "本考核办法不计分" when the rule set prices nothing the
    column counts (its figures are plain numbers then, with no ledger rows behind them); nothing otherwise."""
    if _priced(ruleset, filters):
        return ""
    return format_html('<span class="unpriced-note" data-testid="unpriced">{}</span>', _("Not scored under these rules"))


@register.simple_tag
def page_url(name, ruleset, period_query, *args, **more) -> str:
    """`{% page_url "assessment:unit" ruleset pq unit.pk %}`: another figures' page for the same period."""
    query = {**period_query, **{key: value for key, value in more.items() if value not in (None, "")}}
    return f"{reverse(name, args=[ruleset.pk, *args])}?{urlencode(query)}"


@register.simple_tag
def sheet_rows(rows, ruleset, period_query, year_query) -> str:
    """The monthly score sheet's rows, drawn by Jinja2 (templates/jinja2/assessment/sheet_rows.html; see infohub.jinja2
    for why): a sheet is a hundred rows of a dozen linked figures, which Django's engine draws in ~0.3 s."""
    ledger = reverse("assessment:ledger", args=[ruleset.pk])
    # which figures have ledger rows behind them to link to (a count the rule set does not price, a 0: plain numbers)
    known = selectors.priced(ruleset)
    linked = {"filed": known.fact(Fact.FILED), "standalone": known.fact(Fact.ADOPTED, combined=False),
              "combined": known.fact(Fact.ADOPTED, combined=True),
              **{column: known.column(column) for column in selectors.SHEET_POINTS}, "points": True}
    by_column: dict = {}
    for row in rows:
        for cell in row["by_publication"]:
            key = (cell["level"], cell["ptype_id"])
            if key not in by_column:
                by_column[key] = known.fact(Fact.ADOPTED, level=cell["level"], ptype=cell["ptype_id"])
            cell["linked"] = by_column[key]
    return mark_safe(engines["jinja2"].get_template("assessment/sheet_rows.html").render({
        "linked": linked,
        "rows": rows,
        "groups": group_labels(ruleset.office.level),  # each row's group as the office's level names it
        "pq": urlencode(period_query),
        "unit_url": reverse("assessment:unit", args=[ruleset.pk, 0]).removesuffix("0/"),
        "ledger": f"{ledger}?{urlencode(period_query)}&",
        "ledger_year": f"{ledger}?{urlencode(year_query)}&",
        "points": points,
        "combined": lambda n: ngettext("%(n)s combined", "%(n)s combined", n) % {"n": n},
    }))
