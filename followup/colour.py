"""Colour state of an obligation (SPEC §6: "colour warnings on every open matter"): on time / approaching (due within
INFOHUB_FOLLOWUP_APPROACHING_WORKING_DAYS working days, default 1) / due today / overdue; "done" once answered or
closed. The same rule in Python (`colour_of`, for one row) and in SQL (`colour_expression`, to filter and count
lists), from the same thresholds (`thresholds`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, CharField, Q, Value, When
from django.utils import timezone

from . import calendar
from .models import Colour


@dataclass(frozen=True)
class Thresholds:
    """The instants that separate the colours at `now`: due before `now` → overdue; before `today_ends` (local
    midnight) → due today; before `approaching_ends` (midnight after the N-th working day after today) → approaching."""

    now: datetime
    today_ends: datetime
    approaching_ends: datetime


def thresholds(now: datetime | None = None) -> Thresholds:
    now = now or timezone.now()
    today = calendar.local_date(now)
    zone = calendar.local_zone()
    midnight = lambda day: datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)  # noqa: E731
    days = settings.INFOHUB_FOLLOWUP_APPROACHING_WORKING_DAYS
    last = calendar.nth_working_day_after(today, days) if days > 0 else today
    return Thresholds(now=now, today_ends=midnight(today), approaching_ends=midnight(max(last, today)))


def colour_at(due_at: datetime, t: Thresholds) -> str:
    if due_at <= t.now:
        return Colour.OVERDUE
    if due_at < t.today_ends:
        return Colour.DUE_TODAY
    if due_at < t.approaching_ends:
        return Colour.APPROACHING
    return Colour.ON_TIME


def colour_of(obligation, now: datetime | None = None, t: Thresholds | None = None) -> str:
    """The colour of one obligation (a Colour value)."""
    if not obligation.is_open:
        return Colour.DONE
    return colour_at(obligation.due_at, t or thresholds(now))


def colour_expression(now: datetime | None = None, *, prefix: str = "") -> Case:
    """A SQL expression giving the same Colour value, for `.annotate(colour=…)` and filters. `prefix`: the lookup
    path to the obligation ("assignment__") when annotating another model."""
    t = thresholds(now)
    p = prefix
    done = Q(**{f"{p}answered_at__isnull": False}) | Q(**{f"{p}closed_at__isnull": False})
    return Case(
        When(done, then=Value(Colour.DONE)),
        When(Q(**{f"{p}due_at__lte": t.now}), then=Value(Colour.OVERDUE)),
        When(Q(**{f"{p}due_at__lt": t.today_ends}), then=Value(Colour.DUE_TODAY)),
        When(Q(**{f"{p}due_at__lt": t.approaching_ends}), then=Value(Colour.APPROACHING)),
        default=Value(Colour.ON_TIME), output_field=CharField(),
    )


def colour_filter(colour: str, now: datetime | None = None, *, prefix: str = "") -> Q:
    """A filter for open obligations of one colour (without annotating)."""
    t = thresholds(now)
    p = prefix
    open_ = Q(**{f"{p}answered_at__isnull": True, f"{p}closed_at__isnull": True})
    if colour == Colour.DONE:
        return ~open_
    ranges = {
        Colour.OVERDUE: Q(**{f"{p}due_at__lte": t.now}),
        Colour.DUE_TODAY: Q(**{f"{p}due_at__gt": t.now, f"{p}due_at__lt": t.today_ends}),
        Colour.APPROACHING: Q(**{f"{p}due_at__gte": t.today_ends, f"{p}due_at__lt": t.approaching_ends}),
        Colour.ON_TIME: Q(**{f"{p}due_at__gte": t.approaching_ends}),
    }
    return open_ & ranges[colour]
