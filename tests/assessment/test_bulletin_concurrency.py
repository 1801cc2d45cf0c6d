"""Bulletin numbers (文号) come from the database under real concurrency: six bulletins of one office issued at the
same moment by six transactions in six threads (each its own Postgres connection) get 1…6, and one that fails after
taking its number gives it back (no gap)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from assessment import bulletins
from assessment.models import Bulletin, BulletinCounter, BulletinRecipient
from infohub.models import AuditLog
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import YEAR, _tally, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 6


def _ready_bulletins(world) -> list[Bulletin]:  # noqa: F811
    made = []
    for month in range(1, COUNT + 1):  # committed: each is generated (eagerly) as its request commits
        first = dt.date(YEAR, month, 1)
        if month > 2:  # the world's tallies are of January and February: the others priced (nothing in them)
            _tally(world.ruleset, world.third_county, first)
        made.append(bulletins.bulletin_request(ruleset=world.ruleset, kind="monthly", first_month=first,
                                               last_month=first, actor=world.editor))
    ready = list(Bulletin.objects.filter(pk__in=[b.pk for b in made], state="ready"))
    assert len(ready) == COUNT
    return ready


def _issue_all_at_once(world, ready) -> dict[int, Exception | None]:  # noqa: F811
    barrier = threading.Barrier(len(ready))
    outcome: dict[int, Exception | None] = {}

    def issue(bulletin: Bulletin) -> None:
        try:
            barrier.wait(timeout=30)
            bulletins.bulletin_issue(bulletin=bulletin, actor=world.director)
            outcome[bulletin.pk] = None
        except Exception as error:  # recorded, asserted below
            outcome[bulletin.pk] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(b,)) for b in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcome


def test_bulletins_issued_at_the_same_moment_get_consecutive_numbers(world):  # noqa: F811
    ready = _ready_bulletins(world)
    outcome = _issue_all_at_once(world, ready)
    assert outcome == {b.pk: None for b in ready}
    issued = Bulletin.objects.filter(pk__in=[b.pk for b in ready])
    assert sorted(issued.values_list("number", flat=True)) == list(range(1, COUNT + 1))
    assert set(issued.values_list("number_label", flat=True)) == {
        f"临办通〔{YEAR}〕{n}号" for n in range(1, COUNT + 1)}
    assert BulletinCounter.objects.get(office=world.city).last == COUNT


def test_an_issue_that_fails_after_taking_its_number_leaves_no_gap(world, monkeypatch):  # noqa: F811
    ready = _ready_bulletins(world)
    doomed = next(b for b in ready if b.first_month.month == 1)  # it names units: its distribution is written
    manager = BulletinRecipient.objects
    original = manager.bulk_create

    def failing_bulk_create(rows, *args, **kwargs):
        if any(row.bulletin_id == doomed.pk for row in rows):
            raise RuntimeError("the distribution failed")  # after the number was taken
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", failing_bulk_create)
    outcome = _issue_all_at_once(world, ready)
    assert outcome == {b.pk: None for b in ready}  # the director's request is recorded; the worker's issue fails
    assert sorted(Bulletin.objects.filter(state="issued").values_list("number", flat=True)) == list(range(1, COUNT))
    doomed.refresh_from_db()
    # as it was, with the reason on its page: it can be issued again, and gets the next number
    assert (doomed.state, doomed.number, doomed.docx_sha256) == ("ready", None, "")
    assert "the distribution failed" in doomed.error and doomed.issued_by is None
    assert AuditLog.objects.filter(action="bulletin.issue_failed", object_id=str(doomed.pk)).count() == 1
    monkeypatch.undo()
    bulletins.bulletin_issue(bulletin=doomed, actor=world.director)
    doomed.refresh_from_db()
    assert (doomed.state, doomed.number, doomed.error) == ("issued", COUNT, "")
