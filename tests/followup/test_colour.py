"""Colour state (followup.colour): the same answer for one row in Python and for a list in SQL."""

from datetime import datetime

import pytest

from followup import calendar
from followup.colour import colour_at, colour_expression, colour_filter, colour_of, thresholds
from followup.models import Colour
from instructions.models import Assignment

from ..instructions.conftest import assigned

pytestmark = pytest.mark.django_db


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=calendar.local_zone())


DUE = beijing(2026, 9, 30, 18)  # the last working day before 国庆


@pytest.mark.parametrize(("now", "colour"), [
    (beijing(2026, 9, 28, 10), Colour.ON_TIME),       # two working days before
    (beijing(2026, 9, 29, 10), Colour.APPROACHING),   # one working day before
    (beijing(2026, 9, 30, 0, 0), Colour.DUE_TODAY),
    (beijing(2026, 9, 30, 17, 59, 59), Colour.DUE_TODAY),
    (beijing(2026, 9, 30, 18, 0), Colour.OVERDUE),
    (beijing(2026, 10, 8, 9), Colour.OVERDUE),
])
def test_colour_by_working_days(now, colour):
    assert colour_at(DUE, thresholds(now)) == colour


def test_approaching_counts_working_days_across_a_holiday():
    # due on Thursday 10-08; on Wednesday 09-30 the next working day is 10-08: due soon
    assert colour_at(beijing(2026, 10, 8, 18), thresholds(beijing(2026, 9, 30, 10))) == Colour.APPROACHING
    assert colour_at(beijing(2026, 10, 9, 18), thresholds(beijing(2026, 9, 30, 10))) == Colour.ON_TIME


def test_sql_and_python_agree(office, traveller):
    assigned(office)
    rows = Assignment.objects.all()
    for now in (beijing(2026, 9, 28, 10), beijing(2026, 9, 29, 10), beijing(2026, 9, 30, 12), beijing(2026, 10, 8)):
        traveller.move_to(now)
        for row in rows.annotate(colour=colour_expression()):
            assert row.colour == colour_of(Assignment.objects.get(pk=row.pk))
            assert rows.filter(colour_filter(row.colour), pk=row.pk).exists()
    answered = rows.first()
    answered.answered_at = beijing(2026, 10, 8)
    answered.save()
    assert rows.annotate(colour=colour_expression()).get(pk=answered.pk).colour == Colour.DONE
