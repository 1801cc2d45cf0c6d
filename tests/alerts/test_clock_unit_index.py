"""The on-time rate of a unit's emergency reports (assessment.selectors.on_time_by_month: the figures' chart and the
通报) reads the deadline clocks by unit and due time: an index on (unit, due_at) answers it, so a unit's months are
read from the index, never from a scan of every clock in the country."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Clock
from assessment import selectors

pytestmark = pytest.mark.django_db


def test_the_clocks_have_an_index_on_unit_and_due():
    # the model declares it, and the migrations built it
    assert any(index.name == "clock_unit_due" and index.fields == ["unit", "due_at"]
               for index in Clock._meta.indexes)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = 'clock_unit_due'",
                       [Clock._meta.db_table])
        found = cursor.fetchone()
    assert found is not None and "(unit_id, due_at)" in found[0]


def test_on_time_by_month_reads_the_clocks_through_it(network):
    # given: the statement on_time_by_month sends for two units over a quarter
    with CaptureQueriesContext(connection) as sent:
        selectors.on_time_by_month(dt.date(2026, 1, 1), dt.date(2026, 3, 1),
                                   unit_ids=[network.county.pk, network.other_county.pk])
    (statement,) = [q["sql"] for q in sent.captured_queries if Clock._meta.db_table in q["sql"]]
    # when Postgres plans it with scans of the whole table ruled out (the few rows of a test would make a scan the
    # cheapest plan)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then: the index on (unit, due_at) answers it
    assert "clock_unit_due" in plan, plan
