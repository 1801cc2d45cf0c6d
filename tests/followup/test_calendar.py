"""Working days (followup.calendar): chinese-calendar's holidays and 调休 days, the admin's overrides, due times at
the office's closing time."""

from datetime import UTC, date, datetime

import pytest

from followup import calendar
from followup.models import CalendarDay

pytestmark = pytest.mark.django_db


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=calendar.local_zone())


def test_holidays_and_make_up_days_as_they_fall_in_2026():
    # given the State Council's 2026 notice, as chinese-calendar carries it
    assert calendar.is_working_day(date(2026, 9, 30))  # Wednesday before 国庆
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert not calendar.is_working_day(date(2026, 10, 7))
    assert calendar.is_working_day(date(2026, 10, 10))  # Saturday, 调休 working day
    assert calendar.is_working_day(date(2026, 9, 20))  # Sunday, 调休 working day
    assert not calendar.is_working_day(date(2026, 9, 25))  # 中秋, a Friday
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_due_at_the_close_of_the_nth_working_day_after_the_day_given():
    # Wednesday 09-23 10:00 + 4 → Thu 24 (1), [Fri 25 中秋, weekend], Mon 28 (2), Tue 29 (3), Wed 30 (4)
    assert calendar.add_working_days(beijing(2026, 9, 23, 10), 4) == beijing(2026, 9, 30, 18)
    # + 5 → over 国庆 to Thursday 10-08
    assert calendar.add_working_days(beijing(2026, 9, 23, 10), 5) == beijing(2026, 10, 8, 18)
    # from the holiday's last working day, +3 lands on the 调休 Saturday 10-10
    assert calendar.add_working_days(beijing(2026, 9, 30, 18), 3) == beijing(2026, 10, 10, 18)
    # given late at night: the day itself still not counted
    assert calendar.add_working_days(beijing(2026, 10, 9, 23, 30), 1) == beijing(2026, 10, 10, 18)


def test_zero_days_means_today_if_still_open_else_the_next_working_day():
    assert calendar.add_working_days(beijing(2026, 9, 30, 9), 0) == beijing(2026, 9, 30, 18)
    assert calendar.add_working_days(beijing(2026, 9, 30, 19), 0) == beijing(2026, 10, 8, 18)
    assert calendar.add_working_days(beijing(2026, 10, 3, 9), 0) == beijing(2026, 10, 8, 18)
    with pytest.raises(ValueError):
        calendar.add_working_days(beijing(2026, 9, 30, 9), -1)


def test_working_days_between_counts_after_the_first_up_to_the_last():
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 9, 30)) == 0
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert calendar.working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == -5
    assert calendar.nth_working_day_after(date(2026, 10, 8), -1) == date(2026, 9, 30)


def test_the_admin_table_overrides_the_library_and_teaches_it_a_year_it_does_not_know():
    # given a year chinese-calendar 1.11 does not know: Monday–Friday until told otherwise
    _first, last = calendar.library_years()
    year = last + 1
    new_years_day = date(year, 1, 1)
    assert calendar.is_working_day(new_years_day) == (new_years_day.weekday() < 5)
    # when the administrator enters the year's holidays and a local override
    CalendarDay.objects.create(day=new_years_day, is_working_day=False, name="元旦")
    CalendarDay.objects.create(day=date(2026, 10, 10), is_working_day=False, name="本地调整")
    # then the table wins, at once in this process
    assert not calendar.is_working_day(new_years_day)
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.add_working_days(beijing(2026, 9, 30, 18), 3) == beijing(2026, 10, 12, 18)


def test_times_are_stored_utc_and_days_are_beijing_days():
    # 2026-09-30 23:30 UTC is 10-01 07:30 in Beijing: a holiday morning
    assert calendar.local_date(datetime(2026, 9, 30, 23, 30, tzinfo=UTC)) == date(2026, 10, 1)
    assert calendar.working_days_late(beijing(2026, 9, 30, 18), beijing(2026, 10, 13, 18, 0, 1)) == 5


def test_a_year_nobody_knows_is_one_the_library_lacks_and_the_admin_table_has_no_row_in():
    first, last = calendar.library_years()
    assert not calendar.year_unknown(last) and not calendar.year_unknown(first)
    assert calendar.year_unknown(last + 1)
    assert calendar.unknown_years(date(last, 12, 1), date(last + 1, 2, 1)) == [last + 1]
    due = calendar.add_working_days(beijing(last, 12, 24, 10), 10)
    assert due.year == last + 1
    warning = calendar.due_warning(due)
    assert str(last + 1) in warning and due.strftime("%Y-%m-%d") in warning
    assert calendar.due_warning(beijing(last, 12, 1, 18)) == ""
    # one row of that year in the admin's table: somebody entered the year
    CalendarDay.objects.create(day=date(last + 1, 1, 1), is_working_day=False, name="元旦")
    assert not calendar.year_unknown(last + 1) and calendar.due_warning(due) == ""
