"""The period a page or an API call asks about (SPEC §9: "for any period"), read from its query string: one place for
the pages and the API, so both refuse the same nonsense the same way.

Query parameters (all optional):
* `period`: "month", "quarter", "year" (default) or "custom";
* `month`: "YYYY-MM" or "YYYY-M" (with period=month; alone it means period=month);
* `quarter`: 1–4 (with period=quarter);
* `from`, `to`: "YYYY-MM" or "YYYY-M" (with period=custom), `from` ≤ `to`.
Values are read as people type them (infohub.text.clean_text: full-width digits are digits, invisible characters
go, the ends are trimmed), then only ASCII digits count: "２０２６-３" is March 2026, "٢٠٢٦-٣" is no month. Every month
must fall in the rule set's year (a rule set prices one year). Anything else raises ValidationError naming the
parameter: the page answers 400 with the reason beside the chooser, the API 400 with `errors` — the pages and the API
call the same parser (the API's query serializers take the values as text and leave them to it).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from infohub.text import clean_text

from .models import RuleSet
from .selectors import Period, quarter_months

KINDS = ("month", "quarter", "year", "custom")
MONTH = re.compile(r"^([0-9]{4})-([0-9]{1,2})$", re.ASCII)  # ASCII digits only: "٢".isdigit() is True too
QUARTER = re.compile(r"^0?([1-4])$", re.ASCII)
PARAMETERS = ("period", "month", "quarter", "from", "to")


def _typed(value) -> str:
    """A query value as people type it, normalised: full-width digits → ASCII, invisible characters gone, ends trimmed
    (the request middleware does this for every query string already; a service or a test may call in directly)."""
    return clean_text(str(value if value is not None else "")).strip()


def parse_month(value: str, *, name: str, year: int) -> dt.date:
    """"2026-03", "2026-3", "２０２６-０３" → date(2026, 3, 1). Raises ValidationError({name: [...]}) for anything that is
    no month of `year`."""
    typed = _typed(value)
    match = MONTH.match(typed)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({name: [_("“%(value)s” is not a month: write it as YYYY-MM, e.g. %(year)d-03.") % {
            "value": typed[:20], "year": year}]})
    month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if month.year != year:
        raise ValidationError({name: [_("The rule set prices %(year)d only: choose a month of %(year)d.") % {
            "year": year}]})
    return month


def last_month_with_figures(ruleset: RuleSet, today: dt.date | None = None) -> dt.date:
    """The month a sheet opens on: this month when it is in the rule set's year, else December or January."""
    today = today or dt.date.today()
    if today.year == ruleset.year:
        return today.replace(day=1)
    return dt.date(ruleset.year, 12 if today.year > ruleset.year else 1, 1)


def period_from(ruleset: RuleSet, data: Mapping) -> Period:
    """The Period `data` (a QueryDict or dict) asks for, under `ruleset`. Raises ValidationError({parameter: [reason]})."""
    year = ruleset.year
    kind = _typed(data.get("period"))
    if not kind:
        kind = "month" if data.get("month") else "custom" if (data.get("from") or data.get("to")) else "year"
    if kind not in KINDS:
        raise ValidationError({"period": [_("Choose month, quarter, year or custom months.")]})
    if kind == "month":
        if not data.get("month"):
            raise ValidationError({"month": [_("Choose the month.")]})
        month = parse_month(data["month"], name="month", year=year)
        return Period(ruleset, month, month)
    if kind == "quarter":
        quarter = QUARTER.match(_typed(data.get("quarter")))
        if quarter is None:
            raise ValidationError({"quarter": [_("Choose a quarter from 1 to 4.")]})
        return Period(ruleset, *quarter_months(year, int(quarter.group(1))))
    if kind == "custom":
        errors = {}
        months = {}
        for name in ("from", "to"):
            if not data.get(name):
                errors[name] = [_("Choose the month.")]
                continue
            try:
                months[name] = parse_month(data[name], name=name, year=year)
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        if months["from"] > months["to"]:
            raise ValidationError({"to": [_("The last month comes before the first.")]})
        return Period(ruleset, months["from"], months["to"])
    return Period(ruleset, dt.date(year, 1, 1), dt.date(year, 12, 1))


def describe(period: Period) -> str:
    """"2026年3月", "2026年第1季度", "2026年全年", "2026年1月至5月" (in the active language)."""
    first, last = period.first_month, period.last_month
    if first == last:
        return _("%(year)d, month %(month)d") % {"year": first.year, "month": first.month}
    if first.month == 1 and last.month == 12:
        return _("%(year)d, the whole year") % {"year": first.year}
    if first.month % 3 == 1 and last.month == first.month + 2:
        return _("%(year)d, quarter %(quarter)d") % {"year": first.year, "quarter": (first.month + 2) // 3}
    return _("%(year)d, months %(first)d to %(last)d") % {"year": first.year, "first": first.month, "last": last.month}


def query_of(period: Period) -> dict[str, str]:
    """The query parameters that ask for `period` again (for links from one page to the next)."""
    first, last = period.first_month, period.last_month
    if first == last:
        return {"period": "month", "month": f"{first:%Y-%m}"}
    if first.month == 1 and last.month == 12:
        return {"period": "year"}
    if first.month % 3 == 1 and last.month == first.month + 2:
        return {"period": "quarter", "quarter": str((first.month + 2) // 3)}
    return {"period": "custom", "from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"}
