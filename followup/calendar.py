"""Working days in China (SPEC §6: "a due date counted in working days; Chinese public holidays and the make-up
working days of 调休 count as they really fall").

Where the facts come from, in this order:

1. `CalendarDay` rows (admin: 工作日历): a day an administrator declared a working day or a day off — a year the
   library does not know yet (the State Council publishes next year's holidays each November), a local holiday,
   a correction;
2. the `chinese-calendar` library (PyPI `chinese-calendar`, pinned in requirements.txt), which carries the State
   Council's holiday notices (国务院办公厅关于部分节假日安排的通知) year by year, 调休 Saturdays and Sundays included;
3. for a year neither knows: Monday to Friday are working days (and the admin page says which years that is).

Due times. An assignment due "in n working days" is due at the office's closing time (INFOHUB_OFFICE_CLOSES,
default 18:00, Asia/Shanghai) of the n-th working day *after* the day it was given — the day itself is not counted,
as Chinese law counts periods (民法典 第二百零一条: 开始的当日不计入). Times are aware datetimes; dates are local
(Asia/Shanghai) dates.
"""

from __future__ import annotations

import logging
import time as clock
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

_KEEP_SECONDS = 60
_kept: dict[str, tuple[float, dict[date, bool]]] = {}
_warned: set[int] = set()


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def office_closes() -> time:
    """The local time of day a working day ends (INFOHUB_OFFICE_CLOSES, "18:00")."""
    return time.fromisoformat(settings.INFOHUB_OFFICE_CLOSES)


def office_opens() -> time:
    """The local time of day a working day starts (INFOHUB_OFFICE_OPENS, "09:00"): reminders go out then."""
    return time.fromisoformat(settings.INFOHUB_OFFICE_OPENS)


def forget_overrides(**kwargs) -> None:
    """Drop this process's copy of the admin's days (a signal receiver: takes and ignores the signal's arguments).
    Other processes read them again within a minute."""
    _kept.clear()


def overrides() -> dict[date, bool]:
    """{date: is a working day} of every `CalendarDay` row; kept a minute in each process."""
    now = clock.monotonic()
    entry = _kept.get("days")
    if entry is None or entry[0] < now:
        from .models import CalendarDay

        days = dict(CalendarDay.objects.values_list("day", "is_working_day"))
        entry = _kept["days"] = (now + _KEEP_SECONDS, days)
    return entry[1]


@cache
def library_years() -> tuple[int, int]:
    """(first, last) year the installed chinese-calendar knows."""
    years = sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})
    return years[0], years[-1]


def year_unknown(year: int) -> bool:
    """Whether nobody knows `year`'s holidays and 调休 days: the installed chinese-calendar does not cover it and the
    admin's table (CalendarDay) has no row in it — its working days are then Monday to Friday, which misses every
    public holiday (SPEC §6)."""
    first, last = library_years()
    if first <= year <= last:
        return False
    return not any(day.year == year for day in overrides())


def unknown_years(first: date, last: date) -> list[int]:
    """The years from `first`'s to `last`'s (local dates, inclusive) that `year_unknown` says nobody knows."""
    return [year for year in range(first.year, last.year + 1) if year_unknown(year)]


def due_warning(due_at: datetime) -> str:
    """A warning for a due time counted in working days that falls in a year nobody knows (`year_unknown`), else "".
    What the office is told when it assigns (the page, the API's `warnings`)."""
    year = local_date(due_at).year
    if not year_unknown(year):
        return ""
    return gettext("The due date %(due)s falls in %(year)d, whose public holidays and 调休 days neither "
                   "chinese-calendar nor the working-day calendar (admin: 工作日历) knows yet: its working days were "
                   "counted Monday to Friday. Enter %(year)d's days in the working-day calendar and check the due "
                   "date.") % {"due": timezone.localtime(due_at, local_zone()).strftime("%Y-%m-%d %H:%M"),
                               "year": year}


def is_working_day(day: date) -> bool:
    """Whether `day` (a local date) is a working day: the admin's table first, then chinese-calendar (holidays and
    调休 working weekends), then Monday–Friday for a year neither knows (logged once per year and process)."""
    known = overrides().get(day)
    if known is not None:
        return known
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            logger.warning("chinese-calendar does not know %s: Monday to Friday count as working days until the "
                           "year's holidays are entered in the admin (工作日历) or the library is updated", day.year)
        return day.weekday() < 5


def working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def nth_working_day_after(day: date, n: int) -> date:
    """The n-th working day after `day` (n ≥ 1; `day` itself not counted). n = 0: `day` if it is a working day,
    else the next one. Negative n counts back (the n-th working day before `day`)."""
    if n == 0:
        return working_day_on_or_after(day)
    step = 1 if n > 0 else -1
    left = abs(n)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def end_of(day: date) -> datetime:
    """The office's closing time on `day`, an aware datetime (Asia/Shanghai)."""
    return datetime.combine(day, office_closes(), tzinfo=local_zone())


def start_of(day: date) -> datetime:
    """The office's opening time on `day`, an aware datetime (Asia/Shanghai)."""
    return datetime.combine(day, office_opens(), tzinfo=local_zone())


def local_date(at: datetime) -> date:
    return timezone.localtime(at, local_zone()).date()


def add_working_days(start: datetime, n: int) -> datetime:
    """When something given at `start` (aware) is due if due "within n working days" (n ≥ 0): the closing time of
    the n-th working day after `start`'s local date. n = 0: the closing time of `start`'s day if it is a working
    day and that time is still ahead, else of the next working day.

    >>> add_working_days(<Friday 2026-09-25 15:00+08>, 5)   # 10-01 … 10-08 are off
    <2026-10-12 18:00+08>"""
    if n < 0:
        raise ValueError("n must be 0 or more")
    day = local_date(start)
    if n == 0:
        day = working_day_on_or_after(day)
        if end_of(day) <= start:
            day = nth_working_day_after(day, 1)
        return end_of(day)
    return end_of(nth_working_day_after(day, n))


def working_days_between(first: date, last: date) -> int:
    """How many working days lie after `first` up to and including `last` (local dates); negative when `last` is
    before `first`. working_days_between(d, d) == 0; from a Friday to the next Monday is 1."""
    if last < first:
        return -working_days_between(last, first)
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def working_days_late(due_at: datetime, at: datetime) -> int:
    """How many working days after the due day `at` falls (0 on the due day itself, or before it)."""
    return max(0, working_days_between(local_date(due_at), local_date(at)))
