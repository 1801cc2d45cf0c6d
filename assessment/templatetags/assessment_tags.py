"""Template helpers of the figures' pages: numbers as a sheet prints them, and links from a figure to the ledger rows
behind it (with the period asked for)."""
from decimal import Decimal
from urllib.parse import urlencode

from django import template
from django.template import engines
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from infohub.models import Level

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
    return mark_safe(engines["jinja2"].get_template("assessment/sheet_rows.html").render({
        "rows": rows,
        "groups": group_labels(ruleset.office.level),  # each row's group as the office's level names it
        "pq": urlencode(period_query),
        "unit_url": reverse("assessment:unit", args=[ruleset.pk, 0]).removesuffix("0/"),
        "ledger": f"{ledger}?{urlencode(period_query)}&",
        "ledger_year": f"{ledger}?{urlencode(year_query)}&",
        "points": points,
        "combined": lambda n: ngettext("%(n)s combined", "%(n)s combined", n) % {"n": n},
    }))
