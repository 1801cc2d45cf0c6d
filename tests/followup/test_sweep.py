"""The follow-up sweep (followup.sweep, followup.services.advance): reminders before the due day, the 催办 at the due
time (to the unit, copied to its director), the record N working days after it — each exactly once, caught up
after an outage, a poisoned row set aside while the others move."""

from datetime import datetime

import pytest
from django.core import mail

from followup import calendar
from followup.models import Notice, Shortfall
from followup.sweep import REGISTERED, sweep_all
from infohub.models import AuditLog, Notification
from instructions.models import Assignment

from ..instructions.conftest import assigned

pytestmark = pytest.mark.django_db


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=calendar.local_zone())


def keys(assignment) -> list[str]:
    return sorted(Notice.objects.filter(object_id=assignment.pk).values_list("key", flat=True))


def test_the_plan_of_an_assignment_due_before_a_holiday(office):
    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    assert lead.due_at == beijing(2026, 9, 30, 18)
    assert [key for key, _at in lead.plan] == ["remind-1", "remind-0", "chase", "overdue"]
    assert [datetime.fromisoformat(at) for _key, at in lead.plan] == [
        beijing(2026, 9, 29, 9), beijing(2026, 9, 30, 9), beijing(2026, 9, 30, 18),
        beijing(2026, 10, 13, 18),  # 5 working days: 10-08, 10-09, 10-10 (调休 Saturday), 10-12, 10-13
    ]
    assert (lead.next_step, lead.next_at) == ("remind-1", beijing(2026, 9, 29, 9))


def test_each_step_happens_once_at_its_time(office, traveller, django_capture_on_commit_callbacks):
    instruction = assigned(office)
    lead, _support = instruction.assignments.order_by("role")
    assert sweep_all()["instructions.assignment"] == 0  # (other apps register their obligations too)

    traveller.move_to(beijing(2026, 9, 29, 9, 0, 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_all()["instructions.assignment"] == 2
        assert sweep_all()["instructions.assignment"] == 0  # a second sweep finds nothing
    assert keys(lead) == ["1:remind-1"]
    reminded = Notification.objects.filter(verb="followup.reminder")
    assert set(reminded.values_list("recipient__username", flat=True)) == {"dh_clerk", "dh_director", "xl_clerk",
                                                                           "xl_director"}
    assert "2026-09-30 18:00" in reminded.first().text

    traveller.move_to(beijing(2026, 9, 30, 9, 0, 1))
    sweep_all()
    traveller.move_to(beijing(2026, 9, 30, 18, 0, 0))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep_all()
        sweep_all()
    assert keys(lead) == ["1:chase", "1:remind-0", "1:remind-1"]
    lead.refresh_from_db()
    assert lead.chased_at == beijing(2026, 9, 30, 18) and lead.next_step == "overdue"
    chased = Notification.objects.filter(verb="followup.chase")
    assert chased.count() == 4  # each unit's clerk and director (copied)
    assert {m.to[0] for m in mail.outbox} >= {"dh_clerk@example.invalid", "dh_director@example.invalid"}
    assert AuditLog.objects.filter(action="followup.chase").count() == 2

    traveller.move_to(beijing(2026, 10, 13, 17, 59))
    sweep_all()
    assert not Shortfall.objects.exists()
    traveller.move_to(beijing(2026, 10, 13, 18, 0, 1))
    sweep_all()
    sweep_all()
    records = Shortfall.objects.order_by("unit__name")
    assert sorted((r.kind, r.unit_id, r.working_days_late) for r in records) == sorted([
        ("overdue", office.county.pk, 5), ("overdue", office.other.pk, 5)])
    assert Notice.objects.filter(key="1:overdue").count() == 2
    lead.refresh_from_db()
    assert lead.next_at is None and lead.overdue_recorded_at is not None
    # the office and each unit's director hear of the record
    told = set(Notification.objects.filter(verb="followup.overdue").values_list("recipient__username", flat=True))
    assert {"lj_editor", "lj_director", "dh_director", "xl_director"} <= told


def test_after_an_outage_across_the_due_time_the_chase_goes_out_and_the_stale_reminders_do_not(office, traveller):
    instruction = assigned(office, supporting=False)
    lead = instruction.assignments.get()
    # beat was down from before the first reminder until after the due time
    traveller.move_to(beijing(2026, 10, 8, 10))
    assert sweep_all()["instructions.assignment"] == 1
    assert keys(lead) == ["1:chase"]
    # …and past the record's time as well: both, once each
    other = assigned(office, supporting=False)  # a second instruction, same units
    other_lead = other.assignments.get()
    traveller.move_to(beijing(2026, 11, 2, 10))
    sweep_all()
    assert keys(other_lead) == ["1:chase", "1:overdue"]
    assert keys(lead) == ["1:chase", "1:overdue"]
    assert Shortfall.objects.count() == 2


def test_an_answered_assignment_is_left_alone(office, traveller):
    instruction = assigned(office, supporting=False)
    lead = instruction.assignments.get()
    lead.answered_at = beijing(2026, 9, 29, 8)
    lead.save()  # answered by hand, next_at still set: the sweep re-checks under the lock
    traveller.move_to(beijing(2026, 10, 20))
    assert sweep_all()["instructions.assignment"] == 0
    assert keys(lead) == []
    lead.refresh_from_db()
    assert lead.next_at is None


def test_a_poisoned_row_is_set_aside_and_the_others_move(office, traveller, monkeypatch):
    instruction = assigned(office)
    lead, support = instruction.assignments.order_by("role")
    original = Assignment.followup_subject

    def poisoned(self):
        if self.pk == lead.pk:
            raise ValueError("bad data")
        return original(self)

    monkeypatch.setattr(Assignment, "followup_subject", poisoned)
    traveller.move_to(beijing(2026, 9, 30, 18, 1))
    sweep_all()
    lead.refresh_from_db()
    support.refresh_from_db()
    assert lead.quarantined_at is not None and "bad data" in lead.quarantine_error
    assert keys(lead) == [] and keys(support) == ["1:chase"]
    assert REGISTERED[Assignment].health()["quarantined"] == 1
    assert AuditLog.objects.filter(action="assignment.quarantine").count() == 1
    # repaired and released: the next sweep takes it
    monkeypatch.setattr(Assignment, "followup_subject", original)
    REGISTERED[Assignment].release(Assignment.objects.filter(pk=lead.pk), actor=office.director)
    sweep_all()
    assert keys(lead) == ["1:chase"]


def test_a_batch_asks_the_access_rule_once_per_kind_of_row_and_never_guesses(office):
    """The sweep's notices ask infohub.access who may see each row; within a batch the answer is kept for rows whose
    facts (unit, office, mark) are the same and loaded with them — and not kept when a fact would need a query."""
    from followup.delivery import _facts_key

    instruction = assigned(office)
    rows = list(Assignment.objects.select_related("instruction").order_by("role"))
    people = {office.county_clerk.pk: office.county_clerk}
    lead, support = rows
    assert _facts_key(lead, people) != _facts_key(support, people)  # another unit
    same = Assignment.objects.select_related("instruction").get(pk=lead.pk)
    assert _facts_key(same, people) == _facts_key(lead, people)
    instruction.classification = "secret"
    instruction.save()
    marked = Assignment.objects.select_related("instruction").get(pk=lead.pk)
    assert _facts_key(marked, people) != _facts_key(lead, people)  # another mark
    assert _facts_key(Assignment.objects.get(pk=lead.pk), people) is None  # the mark's row not loaded: ask
