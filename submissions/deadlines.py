"""The deadline an item races (SPEC §5: people who hold an emergency see its deadline where they act on it).

The deadline clocks live in alerts, a layer above the lists that show them (submissions, reviews). alerts registers
here (alerts.apps) how an item's deadline is read — as an SQL expression for a list of model instances (one
correlated subquery per row shown, none for an item that is no emergency), as one query for the first reports of a
page of rows (the hot lists: the inbox, the sign-off list), and as a `Racing` for one item's page — and the lists and
pages ask for it through `racing_due`, `add_racing_due` and `racing_of`. Nothing registered (alerts not installed):
no deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import DateTimeField, Expression, Value


@dataclass(frozen=True)
class Racing:
    """The open deadline an item races: due at `due_at` at `office` (a name); `clock_id` for its page; `missed`
    once the deadline has passed and the sweep marked it (the report still has to arrive); `kind` its label."""

    due_at: datetime
    office: str
    kind: str
    clock_id: int
    missed: bool


_expression: Callable[[str], Expression] | None = None
_racing: Callable[[object], Racing | None] | None = None
_first_reports: Callable[[list[int]], dict[int, datetime]] | None = None


def register(*, expression: Callable[[str], Expression], racing: Callable[[object], Racing | None],
             first_reports: Callable[[list[int]], dict[int, datetime]]) -> None:
    """`expression(prefix)`: the due time of the open clock the item at `prefix` races ("" on an Item queryset,
    "item__" on a Hop queryset), NULL for none; `racing(item)`: the same for one item, with what its page shows;
    `first_reports(ids)`: {id: due time} of those of `ids` that are first reports racing a clock (one query)."""
    global _expression, _racing, _first_reports
    _expression, _racing, _first_reports = expression, racing, first_reports


def racing_due(prefix: str = "") -> Expression:
    """Annotate a list with this (e.g. `.annotate(racing_due=racing_due())`): the due time, or None."""
    if _expression is None:
        return Value(None, output_field=DateTimeField())
    return _expression(prefix)


def add_racing_due(rows: list[dict], *, item: str = "id", kind: str = "report_kind") -> None:
    """Set `racing_due` on each of a page's rows (dicts of values(): the item's id under `item`, its report kind
    under `kind`): the due time for a first report racing a clock, else None. The hot lists' items (the inbox's, the
    sign-off list's) are filed, so a follow-up among them races nothing. One query, and none for a page without a
    first report: the expression in the list's own statement cost every refresh a millisecond of planning."""
    firsts = [row[item] for row in rows if row[kind] == "first"]
    dues = _first_reports(firsts) if firsts and _first_reports is not None else {}
    for row in rows:
        row["racing_due"] = dues.get(row[item])


def racing_of(item) -> Racing | None:
    """The deadline `item` races now, for its page (one query), or None."""
    return _racing(item) if _racing is not None else None
