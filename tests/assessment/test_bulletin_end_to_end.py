"""A 通报 of real facts priced by the engine under example rule set A (tests/assessment/test_end_to_end.py's world):
东湖's item used by the city and the province, 西岭's false report — asked for, generated, issued, and read back: the
ranking's score is the ledger's sum, the false report is named, the annex lists the item at each level."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from docx import Document

from assessment import bulletins
from assessment.models import Bulletin, Entry
from infohub.models import Role
from tests.factories import person

from .conftest import at
from .test_end_to_end import _late_march, priced  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def test_a_quarter_of_priced_facts_issued_as_a_bulletin(net, priced, django_capture_on_commit_callbacks):  # noqa: F811
    rules, item = priced
    director = person(net.city, Role.DIRECTOR, username="a-director")
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletins.bulletin_request(ruleset=rules, kind="quarterly", first_month=dt.date(2026, 1, 1),
                                              last_month=dt.date(2026, 3, 1), actor=net.editor)
    # generated as a draft on March 28th; issued once the quarter is over, by the worker after the commit
    with time_machine.travel(at(4, 2), tick=False), django_capture_on_commit_callbacks(execute=True):
        bulletins.bulletin_issue(bulletin=Bulletin.objects.get(pk=bulletin.pk), actor=director)
    bulletin = Bulletin.objects.get(pk=bulletin.pk)
    assert bulletin.state == Bulletin.State.ISSUED and bulletin.figures["issued"] is True
    figures = bulletin.figures
    rows = {row["unit_id"]: row for group in figures["groups"] for row in group["rows"]}
    ledger = Entry.objects.filter(ruleset=rules, unit=net.dh, superseded_by__isnull=True).aggregate(s=Sum("points"))["s"]
    assert Decimal(rows[net.dh.pk]["score"]) == ledger  # quotas included
    assert rows[net.xl.pk]["voids_award"] is True
    assert [(r["unit"], r["kind_label"]) for r in figures["lapses"]] == [(net.xl.name, "误报")]
    assert {(r["title"], r["level_label"]) for r in figures["annex"]} == {(item.title, "市级"), (item.title, "省级")}
    document = Document(io.BytesIO(bulletin.docx.open("rb").read()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert bulletin.number_label in text
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert {item.title, "误报", net.dh.name, net.xl.name} <= cells
