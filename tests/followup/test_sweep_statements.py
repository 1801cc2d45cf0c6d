"""The follow-up sweep's cost in SQL statements (issue 15): a batch's Notices, records, audit rows and notifications
are written together at its end (bulk), the rows' done steps, standing records and recipients read once per batch —
so the statements a batch costs do not grow with its records."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followup import calendar
from followup.models import Notice, Shortfall
from followup.sweep import sweep_all
from infohub.models import AuditLog, Notification

from ..instructions.conftest import ASSIGNED_AT, assigned

pytestmark = pytest.mark.django_db


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=calendar.local_zone())


def _swept(office, traveller, n: int) -> tuple[int, list]:
    """`n` assignments (one instruction each, the county and the other county alternately leading) whose 催办 and
    record both fell due while beat was down; the statements one sweep costs to do both for all of them."""
    traveller.move_to(ASSIGNED_AT)
    made = []
    for i in range(n):
        instruction = assigned(office, supporting=False)
        if i % 2:  # the other county leads every second one: two units, two offices' audiences
            instruction.assignments.update(unit=office.other)
        made.extend(instruction.assignments.all())
    traveller.move_to(beijing(2026, 11, 2, 10))
    with CaptureQueriesContext(connection) as captured:
        assert sweep_all()["instructions.assignment"] == n
    return len(captured), made


def test_the_statements_of_a_sweep_do_not_grow_with_its_records(office, traveller):
    few, _rows = _swept(office, traveller, 5)
    many, rows = _swept(office, traveller, 50)
    print(f"follow-up sweep: {few} statements for 5 records, {many} for 50")
    assert many < 3 * few, (few, many)
    # and every record made, each once, with everything the steps write
    ids = [row.pk for row in rows]
    assert Notice.objects.filter(object_id__in=ids, key="1:chase").count() == 50
    assert Notice.objects.filter(object_id__in=ids, key="1:overdue").count() == 50
    assert Shortfall.objects.filter(object_id__in=ids, kind="overdue").count() == 50
    assert AuditLog.objects.filter(action="followup.chase", object_id__in=map(str, ids)).count() == 50
    assert AuditLog.objects.filter(action="followup.overdue", object_id__in=map(str, ids)).count() == 50
    shortfalls = Shortfall.objects.filter(object_id__in=ids).values_list("pk", flat=True)
    assert AuditLog.objects.filter(action="shortfall.record", object_id__in=map(str, shortfalls)).count() == 50
    assert all(row.data["shortfall"] in set(shortfalls)
               for row in AuditLog.objects.filter(action="followup.overdue", object_id__in=map(str, ids)))
    # each 催办 told the unit's clerk and director; each record the office's editor and director and the director
    assert Notification.objects.filter(verb="followup.chase").count() == 55 * 2
    assert Notice.objects.filter(object_id__in=ids, key="1:chase", recipients=2).count() == 50
