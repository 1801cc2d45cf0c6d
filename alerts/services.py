"""Every write of the emergency rules, one function per use case.

Clocks start when an emergency is filed (or a duty officer chases a unit), stop when a unit of their level
receives the report, and otherwise breach exactly once: the row is locked, its state checked, and the
escalation written in the same transaction under a unique key. E-mail and SMS go out after commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from infohub import access, listcache, tree
from infohub.errors import ActionRefused, IllegalTransition, NotPermitted
from infohub.models import Role, Unit, User
from infohub.roles import holds
from infohub.selectors import people_with
from infohub.services import audit_record, notify
from infohub.tree import destination_of
from reviews.models import Hop
from reviews.selectors import Held, Holding, holding_at
from submissions.models import EventGrade, Item, ReportKind

from . import selectors
from .delivery import deliver
from .models import Chase, Clock, DeadlinePolicy, Escalation, Lapse
from .permissions import ON_DUTY

# --- policies ------------------------------------------------------------------------------------------------


def policy_for(level: str, grade: str = "", event_type: str = "") -> DeadlinePolicy | None:
    """The most specific row of the deadline policy table (SPEC §5; the defaults city 2 h, province 5 h, centre 6 h
    are its rows, seeded by migration alerts 0002) for a receiving level, an event grade and type. None: the level
    has no deadline. One query."""
    rows = DeadlinePolicy.objects.filter(level=level, event_grade__in=[grade, ""], event_type__in=[event_type, ""])
    return min(rows, key=lambda p: (p.event_grade == "", p.event_type == ""), default=None)


def next_follow_up_due(after: datetime) -> datetime:
    """The first follow-up time of day (08:00, 17:00 local) leaving at least the minimum gap after `after`."""
    earliest = timezone.localtime(after) + timedelta(minutes=settings.INFOHUB_FOLLOW_UP_MIN_GAP_MINUTES)
    slots = sorted(time.fromisoformat(t) for t in settings.INFOHUB_FOLLOW_UP_TIMES)
    day = earliest.date()
    while True:
        for slot in slots:
            candidate = timezone.make_aware(datetime.combine(day, slot), earliest.tzinfo)
            if candidate >= earliest:
                return candidate
        day += timedelta(days=1)


# --- starting clocks -----------------------------------------------------------------------------------------


def _terms(policy: DeadlinePolicy, minutes: float | None) -> dict:
    """What a clock keeps of the policy row it started under (Clock.terms): a later edit of the row does not move it."""
    return {"policy": policy.pk, "minutes": minutes, "half": policy.remind_at_half_time,
            "before": sorted(set(policy.remind_minutes_before), reverse=True)}


def _terms_of(clock: Clock) -> dict:
    """The clock's terms; for a clock started before they were kept, what its own times and today's row say."""
    if clock.terms:
        return clock.terms
    row = policy_for(clock.level, clock.item.event_grade, clock.item.event_type) if clock.item_id else None
    minutes = (clock.due_at - clock.started_at).total_seconds() / 60
    return {**_terms(row or DeadlinePolicy(level=clock.level, deadline_minutes=0), minutes), "policy": None}


def _reminder_plan(started_at: datetime, due_at: datetime, terms: dict) -> list[list[str]]:
    span = due_at - started_at
    offsets = []
    if terms["half"]:
        offsets.append(("half", span / 2))
    offsets += [(f"before-{m}", timedelta(minutes=m)) for m in sorted(set(terms["before"]), reverse=True)]
    plan = sorted((due_at - before, key) for key, before in offsets if before < span)
    return [[key, at.isoformat()] for at, key in plan]


def _plan_reminders(clock: Clock, *, now: datetime, skip: set[str] = frozenset()) -> None:
    """Plan the clock's reminders still ahead, leaving out those already sent (`skip`)."""
    plan = [step for step in _reminder_plan(clock.started_at, clock.due_at, _terms_of(clock))
            if step[0] not in skip and parse_datetime(step[1]) > now]
    clock.reminder_plan = plan
    clock.remind_key, clock.remind_at = (plan[0][0], parse_datetime(plan[0][1])) if plan else ("", None)


def _start_clock(*, kind: str, office: Unit, unit: Unit, started_at: datetime, due_at: datetime,
                 policy: DeadlinePolicy, item: Item | None = None, chase: Chase | None = None,
                 note: str = "", minutes: float | None = None, announce: bool = True) -> Clock:
    """Start a clock. `minutes`: its deadline after `started_at` under `policy`, kept in its terms. `announce`: tell
    the waiting office's duty officers of an emergency to watch (not for the written report after a phone report:
    they already watch that one)."""
    now = timezone.now()
    clock = Clock(
        kind=kind, item=item, chase=chase, office=office, level=office.level, unit=unit, started_at=started_at,
        due_at=due_at, terms=_terms(policy, minutes), note=note,
        acknowledge_due_at=now + timedelta(minutes=policy.acknowledge_within_minutes),
        acknowledge_every_minutes=policy.acknowledge_within_minutes,
    )
    _plan_reminders(clock, now=now)
    clock.save()
    audit_record(actor=None, action="clock.start", obj=clock, to_state=clock.state,
                 data={"kind": kind, "office": office.pk, "due_at": due_at.isoformat()})
    if announce:
        _notify_people(
            [(Role.DUTY_OFFICER, office.pk)], "clock.started",
            _("Emergency to watch: %(what)s — due at %(due)s") % {"what": clock_subject(clock), "due": _hm(due_at)},
            clock,
        )
    return clock


def start_emergency_clocks(item: Item, at: datetime) -> list[Clock]:
    """A first report was filed: one clock per office above it that has a deadline, counted from the event."""
    clocks = []
    for office in tree.offices_above(item.source_unit):
        policy = policy_for(office.level, item.event_grade, item.event_type)
        if policy is None:
            continue
        clocks.append(_start_report_clock(item, office, policy))
    if EventGrade.needs_twice_daily_follow_ups(item.event_grade):
        _start_follow_up_clock(item, after=at)
    return clocks


def _start_report_clock(item: Item, office: Unit, policy: DeadlinePolicy) -> Clock:
    return _start_clock(kind=Clock.Kind.REPORT, office=office, unit=item.source_unit, item=item,
                        started_at=item.event_time, due_at=item.event_time + policy.deadline, policy=policy,
                        minutes=policy.deadline_minutes)


def _start_follow_up_clock(first: Item, *, after: datetime) -> Clock | None:
    office = destination_of(first.source_unit)
    if office is None:
        return None
    policy = DeadlinePolicy(level=office.level, deadline_minutes=0, remind_at_half_time=False)
    return _start_clock(kind=Clock.Kind.FOLLOW_UP, office=office, unit=first.source_unit, item=first,
                        started_at=after, due_at=next_follow_up_due(after), policy=policy)


def on_item_filed(item: Item, at: datetime) -> None:
    """Called inside the filing transaction of every newly filed item."""
    if not item.is_emergency:
        return
    if item.report_kind == ReportKind.FIRST:
        start_emergency_clocks(item, at)
        _answer_chases(item, at)
        return
    # A follow-up or the final report: it meets the follow-up clock, and a follow-up starts the next one.
    running = Clock.objects.select_for_update().filter(item_id=item.first_report_id, kind=Clock.Kind.FOLLOW_UP,
                                                       state=Clock.State.RUNNING)
    for clock in running:
        _stop(clock, at=at, by="follow_up")
    late = Clock.objects.filter(item_id=item.first_report_id, kind=Clock.Kind.FOLLOW_UP, state=Clock.State.BREACHED,
                                stopped_at=None)
    listcache.changed(*map(listcache.office, late.values_list("office_id", flat=True)))  # .update() sends no signal
    late.update(stopped_at=at, stopped_by="follow_up")
    first = item.first_report
    if item.report_kind == ReportKind.FOLLOW_UP and EventGrade.needs_twice_daily_follow_ups(first.event_grade):
        _start_follow_up_clock(first, after=at)


def on_item_received(item: Item, office: Unit, at: datetime) -> None:
    """A unit of some level received an item: the report clocks of that level for it stop (stopped_by "received"),
    and so do those of the items it was merged from (a composite, 综合: stopped_by "composite") — it arrived in their
    place (see on_items_merged)."""
    sources = list(item.merged_from.values_list("pk", flat=True))
    if item.report_kind != ReportKind.FIRST and not sources:
        return
    owed = [(item.pk, "received")] if item.report_kind == ReportKind.FIRST else []
    for item_id, by in [*owed, *((source, "composite") for source in sources)]:
        clocks = Clock.objects.select_for_update().filter(
            item_id=item_id, level=office.level, kind__in=[Clock.Kind.REPORT, Clock.Kind.WRITTEN], stopped_at=None
        ).order_by("id")
        for clock in clocks:
            if clock.state == Clock.State.RUNNING and at > clock.due_at:
                # arrived after the deadline but before the sweep saw it: late all the same, held by whoever held it
                # then
                _breach(clock, at=at, held_at=clock.due_at)
            _stop(clock, at=at, by=by)


# --- merging: a composite races what its sources raced -----------------------------------------------------------

# The report deadlines a composite takes over from the items merged into it (the follow-ups stay owed by each
# source's unit for its own event).
HANDED_OVER = (Clock.Kind.REPORT, Clock.Kind.WRITTEN)


def on_items_merged(composite: Item, sources: list[Item], office: Unit, at: datetime) -> list[Clock]:
    """Called inside the merge transaction (reviews.signals.items_merged, reviews.services.review_merge), the items
    locked. The composite (综合) travels up the chain in its sources' place, so what the offices above `office` wait
    for is now the composite (SPEC §5: one event, one race, one 迟报 if late):

    * at each office where a report deadline of a source still runs (its report clock, or the written report after a
      phone report), the composite gets a clock of its own due by the earliest of them — that clock's kind, start,
      policy terms and note; its reminders still ahead planned anew, none sent twice; acknowledged when a duty
      officer there had acknowledged one of them, else escalating where the furthest of them had got to. The duty
      officers there are told it continues as the composite, not of a new emergency;
    * those running source clocks stop there at once: cancelled, stopped_by "merged" (they no longer race; the
      composite's clock records any lateness, once);
    * a source deadline already missed there keeps its 迟报 and stays open until the composite reaches that level
      (on_item_received stops it then, stopped_by "composite").

    Only a composite that is an emergency first report races deadlines (review_merge makes it one when its most urgent
    source is an emergency); otherwise the sources' clocks run on until the composite reaches their level. Returns the
    composite's new clocks, oldest deadline first."""
    if not (composite.is_emergency and composite.report_kind == ReportKind.FIRST):
        return []
    open_clocks = (Clock.objects.select_for_update(of=("self",))
                   .filter(item__in=sources, kind__in=HANDED_OVER, state=Clock.State.RUNNING, stopped_at=None)
                   .select_related("office", "item", "acknowledged_by").order_by("due_at", "id"))
    by_office: dict[int, list[Clock]] = {}
    for clock in open_clocks:
        by_office.setdefault(clock.office_id, []).append(clock)
    started = []
    for clocks in by_office.values():
        clock = _start_composite_clock(composite, clocks, at=at)
        for source in clocks:
            source.state, source.stopped_at, source.stopped_by = Clock.State.CANCELLED, at, "merged"
            source.remind_at, source.remind_key, source.acknowledge_due_at = None, "", None
            source.save(update_fields=["state", "stopped_at", "stopped_by", "remind_at", "remind_key",
                                       "acknowledge_due_at"])
            audit_record(actor=None, action="clock.merge", obj=source, from_state=Clock.State.RUNNING,
                         to_state=source.state, data={"composite": composite.pk, "clock": clock.pk})
        _notify_people(
            [(Role.DUTY_OFFICER, clock.office_id)], "clock.merged",
            _("Merged by %(office)s into “%(title)s”: %(sources)s. It is due at %(waiting)s by %(due)s.") % {
                "office": office, "title": composite.title, "waiting": clock.office, "due": _hm(clock.due_at),
                "sources": "、".join(f"{source.item.source_unit}《{source.item.title}》" for source in clocks)},
            clock,
        )
        started.append(clock)
    return started


def _start_composite_clock(composite: Item, clocks: list[Clock], *, at: datetime) -> Clock:
    """The composite's clock at one office, from its sources' running clocks there (`clocks`, earliest due first)."""
    earliest = clocks[0]
    seen = min((c for c in clocks if c.acknowledged_at), key=lambda c: c.acknowledged_at, default=None)
    clock = Clock(
        kind=earliest.kind, item=composite, office=earliest.office, level=earliest.level, unit=composite.source_unit,
        started_at=earliest.started_at, due_at=earliest.due_at, terms=_terms_of(earliest), note=earliest.note,
        acknowledged_at=seen and seen.acknowledged_at, acknowledged_by=seen and seen.acknowledged_by,
        acknowledge_due_at=None if seen else min((c.acknowledge_due_at for c in clocks if c.acknowledge_due_at),
                                                 default=None),
        acknowledge_step=0 if seen else max(c.acknowledge_step for c in clocks),
        acknowledge_every_minutes=earliest.acknowledge_every_minutes,
    )
    _plan_reminders(clock, now=at, skip=set(earliest.escalations.values_list("key", flat=True)))
    clock.save()
    audit_record(actor=None, action="clock.start", obj=clock, to_state=clock.state,
                 data={"kind": clock.kind, "office": clock.office_id, "due_at": clock.due_at.isoformat(),
                       "merged_from": [c.pk for c in clocks]})
    return clock


def _stop(clock: Clock, *, at: datetime, by: str) -> None:
    if clock.state == Clock.State.RUNNING:
        clock.state = Clock.State.MET
    clock.stopped_at, clock.stopped_by = at, by
    clock.remind_at, clock.remind_key = None, ""
    clock.save(update_fields=["state", "stopped_at", "stopped_by", "remind_at", "remind_key"])
    audit_record(actor=None, action="clock.stop", obj=clock, to_state=clock.state, data={"by": by})


# --- corrections: the deadlines follow the event time, grade and type they are counted from --------------------

# The fields of a first report its clocks are derived from; a grade, type or category change re-keys the policy row.
CORRECTED_FIELDS = ("category", "event_time", "event_grade", "event_type")
REKEYING_FIELDS = ("category", "event_grade", "event_type")


@dataclass(frozen=True)
class Correction:
    actor: User | None
    at: datetime
    why: str  # "Corrected by 李明: event time 11-20 09:50 → 11-20 08:50", for audit rows, lapses and notices


def on_item_revised(item: Item, *, actor: User | None, at: datetime, before: dict) -> None:
    """Called inside the transaction of every change to a filed item (submissions.signals.item_revised), the item's
    row locked. A correction of a first report's event time, grade, type or category is applied to every clock of the
    event in the same transaction (SPEC §5):

    * each report clock counts from the corrected event time: under the terms it started with when only the time
      changed (a policy edit applies to clocks that start after it), under the policy row that applies to the new
      grade and type when they changed; the written-report clock after a phone report follows the deadline the call
      met. Reminders are planned anew, those already sent are not sent again;
    * a running clock whose deadline has now passed is breached at once, and a report that had arrived (or was
      phoned) in time but not by the corrected deadline is late: each recorded exactly once;
    * a 迟报 the correction makes untrue is withdrawn (never deleted), audited with the reason: a clock that had
      stopped in time reads met again, one still open runs again;
    * the twice-daily follow-ups start when the grade rises to 较大 or above, and stop (their 迟报 withdrawn) when it
      falls below;
    * a report that is no longer an emergency has no deadline: its open clocks are cancelled.
    """
    if item.first_report_id or not any(name in before for name in CORRECTED_FIELDS):
        return
    emergency = item.is_emergency and item.report_kind == ReportKind.FIRST and item.event_time is not None
    clocks = list(Clock.objects.select_for_update(of=("self",)).filter(item=item).exclude(state=Clock.State.CANCELLED)
                  .select_related("office", "unit", "chase").order_by("created_at", "id"))
    if not clocks and not emergency:
        return
    for clock in clocks:
        clock.item = item  # as corrected
    correction = Correction(actor=actor, at=at, why=_describe_correction(item, before, actor))
    rekeyed = any(name in before for name in REKEYING_FIELDS)
    offices = {office.pk: office for office in (tree.offices_above(item.source_unit) if emergency else [])}
    for clock in clocks:
        if clock.kind in (Clock.Kind.REPORT, Clock.Kind.WRITTEN):
            offices.setdefault(clock.office_id, clock.office)
    for office in offices.values():
        here = [c for c in clocks if c.office_id == office.pk]
        report = next((c for c in reversed(here) if c.kind == Clock.Kind.REPORT), None)
        written = [c for c in here if c.kind == Clock.Kind.WRITTEN]
        _correct_report_clocks(item, office, report, written, emergency=emergency, rekeyed=rekeyed,
                               correction=correction)
    _correct_follow_ups(item, [c for c in clocks if c.kind == Clock.Kind.FOLLOW_UP], emergency=emergency,
                        correction=correction)


def _correct_report_clocks(item: Item, office: Unit, report: Clock | None, written: list[Clock], *, emergency: bool,
                           rekeyed: bool, correction: Correction) -> None:
    """One waiting office's report clock, and the written-report clock a phone report started there."""
    keep_terms = emergency and not rekeyed and report is not None  # only the time moved: the terms it started with
    policy = None if not emergency or keep_terms else policy_for(office.level, item.event_grade, item.event_type)
    if not keep_terms and policy is None:  # no deadline for this event at this level
        for clock in [*written, *([report] if report else [])]:
            _cancel_clock(clock, correction)
        return
    if report is None:
        if rekeyed:  # a row applies now that did not when the report was filed
            _start_corrected_report_clock(item, office, policy, correction)
        return

    def terms_for(clock: Clock, minutes: int) -> dict:
        """The clock's own terms while the same policy row applies; the row that applies now otherwise."""
        if keep_terms or clock.terms.get("policy") == policy.pk:
            return _terms_of(clock)
        return _terms(policy, minutes)

    terms = terms_for(report, policy and policy.deadline_minutes)
    _move_clock(report, started_at=item.event_time, due_at=item.event_time + timedelta(minutes=terms["minutes"]),
                terms=terms, correction=correction)
    for clock in written:  # never due before the deadline the phone report met
        terms = terms_for(clock, policy and policy.written_after_phone_minutes)
        due = max(clock.started_at + timedelta(minutes=terms["minutes"]), report.due_at)
        _move_clock(clock, started_at=clock.started_at, due_at=due, terms=terms, correction=correction)


def _start_corrected_report_clock(item: Item, office: Unit, policy: DeadlinePolicy, correction: Correction) -> None:
    clock = _start_report_clock(item, office, policy)
    arrived = (Hop.objects.filter(item=item, level=office.level).order_by("received_at")
               .values_list("received_at", flat=True).first())
    if arrived is not None:
        _stop(clock, at=arrived, by="received")
    if (arrived > clock.due_at) if arrived is not None else (correction.at >= clock.due_at):
        _breach(clock, at=correction.at, why=correction.why, actor=correction.actor)


def _move_clock(clock: Clock, *, started_at: datetime, due_at: datetime, terms: dict, correction: Correction) -> None:
    """Count the clock anew and judge it by its new deadline: a late mark the move makes untrue is withdrawn, one it
    makes true is recorded. An open clock is late once its deadline is reached (as the sweep judges it), a stopped
    one if it stopped after its deadline (as a report received is judged)."""
    if (clock.started_at, clock.due_at, clock.terms or terms) == (started_at, due_at, terms):
        return
    was_due, was_state, now = clock.due_at, clock.state, correction.at
    clock.started_at, clock.due_at, clock.terms = started_at, due_at, terms
    fields = ["started_at", "due_at", "terms"]
    is_open = clock.stopped_at is None
    late = now >= due_at if is_open else clock.stopped_at > due_at
    if clock.state == Clock.State.BREACHED and not late:
        _withdraw_lapses(clock, correction, _("%(why)s. Due at %(office)s by %(due)s now.") % {
            "why": correction.why, "office": clock.office, "due": _hm(due_at)})
        clock.state, clock.breached_at = (Clock.State.RUNNING if is_open else Clock.State.MET), None
        fields += ["state", "breached_at"]
    if clock.state == Clock.State.RUNNING:
        _plan_reminders(clock, now=now, skip=set(clock.escalations.values_list("key", flat=True)))
        fields += ["reminder_plan", "remind_key", "remind_at"]
    clock.save(update_fields=fields)
    audit_record(actor=correction.actor, action="clock.move", obj=clock, from_state=was_state, to_state=clock.state,
                 reason=correction.why, data={"from": was_due.isoformat(), "to": due_at.isoformat()})
    if late and clock.state in (Clock.State.RUNNING, Clock.State.MET):
        _breach(clock, at=now, why=correction.why, actor=correction.actor)
    elif clock.state == Clock.State.RUNNING and due_at != was_due:
        _notify_people(
            [(Role.DUTY_OFFICER, clock.office_id), *_movers(clock)[0]],
            "clock.moved",
            _("Deadline moved: %(what)s is now due at %(office)s by %(due)s (was %(was)s). %(why)s") % {
                "what": clock_subject(clock), "office": clock.office, "due": _hm(due_at), "was": _hm(was_due),
                "why": correction.why},
            clock,
        )


def _correct_follow_ups(item: Item, clocks: list[Clock], *, emergency: bool, correction: Correction) -> None:
    """Twice-daily follow-ups are owed for events of grade 较大 and above, until the final report."""
    owed = emergency and EventGrade.needs_twice_daily_follow_ups(item.event_grade)
    if not owed:
        for clock in clocks:
            _cancel_clock(clock, correction)
        return
    closed = item.follow_ups.filter(report_kind=ReportKind.FINAL, submitted_at__isnull=False).exists()
    if not closed and not any(clock.state == Clock.State.RUNNING for clock in clocks):
        _start_follow_up_clock(item, after=correction.at)


def _cancel_clock(clock: Clock, correction: Correction) -> None:
    """The corrected event owes no such deadline: a late mark is withdrawn; an open clock stops as cancelled. A
    deadline met stays on record as met."""
    if clock.state in (Clock.State.MET, Clock.State.CANCELLED):
        return
    was_state = clock.state
    _withdraw_lapses(clock, correction, _("%(why)s. No such deadline is owed at %(office)s now.") % {
        "why": correction.why, "office": clock.office})
    clock.state, clock.breached_at = Clock.State.CANCELLED, None
    if clock.stopped_at is None:
        clock.stopped_at, clock.stopped_by = correction.at, "corrected"
    clock.remind_at, clock.remind_key = None, ""
    clock.save(update_fields=["state", "breached_at", "stopped_at", "stopped_by", "remind_at", "remind_key"])
    audit_record(actor=correction.actor, action="clock.cancel", obj=clock, from_state=was_state,
                 to_state=clock.state, reason=correction.why)


def _withdraw_lapses(clock: Clock, correction: Correction, reason: str) -> None:
    """Withdraw the clock's standing 迟报: kept on record with when, why and by whose correction, audited, and no
    longer counted; the unit's director and the waiting office's duty officers are told."""
    for lapse in Lapse.objects.select_for_update(of=("self",)).filter(clock=clock, withdrawn_at=None):
        lapse.withdrawn_at, lapse.withdrawn_reason, lapse.withdrawn_by = correction.at, reason, correction.actor
        lapse.save(update_fields=["withdrawn_at", "withdrawn_reason", "withdrawn_by"])
        audit_record(actor=correction.actor, action="lapse.withdraw", obj=lapse, from_state=lapse.kind,
                     to_state="withdrawn", reason=reason, data={"clock": clock.pk, "item": clock.item_id})
        _notify_people(
            [(Role.DIRECTOR, lapse.unit_id), (Role.DUTY_OFFICER, clock.office_id)], "lapse.withdrawn",
            _("%(lapse)s withdrawn — %(what)s: %(reason)s") % {
                "lapse": lapse.get_kind_display(), "what": clock_subject(clock), "reason": reason},
            clock,
        )


def _describe_correction(item: Item, before: dict, actor: User | None) -> str:
    changes = []
    for name in CORRECTED_FIELDS:
        if name in before:
            field = Item._meta.get_field(name)
            changes.append(f"{field.verbose_name} {_shown(field, before[name])} → {_shown(field, getattr(item, name))}")
    return _("Corrected by %(who)s: %(changes)s") % {"who": actor or "—", "changes": _("; ").join(changes)}


def _shown(field, value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime):
        return _hm(value)
    return str(dict(field.flatchoices).get(value, value))


# --- the sweep's transitions (each called with the clock row locked) ------------------------------------------


@dataclass
class Outbox:
    """The e-mail/SMS messages (user ids, text, link) a transaction sends once it commits, as one task; and,
    within it, who holds a role in a unit: a sweep batch meets the same few offices in every row."""

    messages: list[tuple[list[int], str, str]] = field(default_factory=list)
    people: dict[tuple[str, int], list[User]] = field(default_factory=dict)

    def holders(self, role: str, unit_id: int) -> list[User]:
        if (role, unit_id) not in self.people:
            self.people[role, unit_id] = list(people_with(role, unit_id))
        return self.people[role, unit_id]


_outbox: ContextVar[Outbox | None] = ContextVar("alerts_outbox", default=None)


@contextmanager
def one_delivery_per_transaction():
    """Within a transaction (a sweep batch): every escalation's e-mail and SMS go out as one task after commit,
    not one task each."""
    outbox = Outbox()
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)
    if outbox.messages:
        _send_after_commit(outbox.messages)


def _send_after_commit(messages: list[tuple[list[int], str, str]]) -> None:
    # robust: a broker outage is logged and must not undo or break what was committed
    transaction.on_commit(lambda: deliver.delay(messages), robust=True)


def _hm(at: datetime) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M")


def clock_subject(clock: Clock) -> str:
    if clock.item_id:
        return f"{clock.unit}《{clock.item.title}》"
    return f"{clock.unit}：{clock.chase.summary[:40]}"


def clock_url(clock: Clock) -> str:
    return reverse("alerts:clock_detail", args=[clock.pk])


def _notify_people(groups: list[tuple[str, int | None]], verb: str, text: str, clock: Clock) -> int:
    """In-app notifications now; e-mail and SMS after commit. Returns how many people.

    Only people who may see what the text names are told (infohub.access): those who may see the clock get its
    page; those above the waiting office who see the emergency only through their own office (the duty officers
    above, told of a breach) get the item's page."""
    batch = _outbox.get()
    outbox = batch or Outbox()
    recipients = {}
    for role, unit_id in groups:
        if unit_id is not None:
            for person in outbox.holders(role, unit_id):
                recipients[person.pk] = person
    on_clock = access.who_may_see(recipients.values(), clock)
    rest = [p for p in recipients.values() if p not in on_clock]
    on_item = access.who_may_see(rest, clock.item) if rest and clock.item_id else []
    for people, link in ((on_clock, clock_url), (on_item, _item_url)):
        if not people:
            continue
        url = link(clock)
        notify(recipients=people, verb=verb, text=text, url=url)
        message = ([p.pk for p in people], text, url)
        if batch is not None:
            batch.messages.append(message)  # sent with the rest of the batch
        else:
            _send_after_commit([message])
    return len(on_clock) + len(on_item)


def _item_url(clock: Clock) -> str:
    return reverse("submissions:item_detail", args=[clock.item_id])


def _breach(clock: Clock, *, at: datetime, why: str = "", actor: User | None = None,
            held_at: datetime | None = None) -> None:
    """The deadline passed: late (迟报) against the unit that held the report — a missed report (漏报) for a
    chase — escalated to that unit's director and the duty officers above. Exactly once per clock (once more only
    after a correction withdrew the first, under the deadline it moved to).

    `why`: the correction that made the breach true, for a deadline moved earlier than now or than the time the
    report arrived (a stopped clock); its `actor` is named in the audit row. `held_at`: when to ask who held the
    report (see _answerable)."""
    from_state, arrived = clock.state, clock.stopped_at
    holder, person, held = _answerable(clock, held_at=held_at)
    clock.state, clock.breached_at = Clock.State.BREACHED, at
    clock.remind_at, clock.remind_key = None, ""
    clock.save(update_fields=["state", "breached_at", "remind_at", "remind_key"])
    kind = Lapse.Kind.MISSED if clock.kind == Clock.Kind.CHASE else Lapse.Kind.LATE
    reason = _("%(kind)s: due at %(office)s by %(due)s") % {
        "kind": clock.get_kind_display(), "office": clock.office, "due": _hm(clock.due_at)}
    if held:
        reason = _("%(reason)s; it was %(held)s at %(unit)s") % {"reason": reason, "held": held, "unit": holder}
    Lapse.objects.create(kind=kind, unit=holder, person=person, item=clock.item, clock=clock, chase=clock.chase,
                         reason=f"{reason} — {why}" if why else reason)
    if clock.chase_id:
        Chase.objects.filter(pk=clock.chase_id, state=Chase.State.OPEN).update(state=Chase.State.MISSED)
    above = destination_of(clock.office)
    facts = {"lapse": Lapse.Kind(kind).label, "what": clock_subject(clock), "office": clock.office,
             "due": _hm(clock.due_at)}
    if arrived is None:
        text = _("%(lapse)s — %(what)s was due at %(office)s by %(due)s and has not arrived.") % facts
    else:
        text = _("%(lapse)s — %(what)s was due at %(office)s by %(due)s and arrived at %(arrived)s.") % {
            **facts, "arrived": _hm(arrived)}
    count = _notify_people(
        [(Role.DIRECTOR, holder.pk), (Role.DUTY_OFFICER, clock.office_id), (Role.DUTY_OFFICER, above and above.pk)],
        "clock.breached", f"{text} {why}" if why else text, clock,
    )
    # The first breach of a clock is "breach"; one after a correction withdrew it is "breach-2", and so on.
    earlier = Escalation.objects.filter(clock=clock, key__startswith="breach").count()
    Escalation.objects.create(clock=clock, key=f"breach-{earlier + 1}" if earlier else "breach", recipients=count)
    audit_record(actor=actor, action="clock.breach", obj=clock, from_state=from_state,
                 to_state=Clock.State.BREACHED, reason=why, data={"holder": holder.pk, "lapse": kind})
    if clock.kind == Clock.Kind.FOLLOW_UP:
        _start_follow_up_clock(clock.item, after=clock.due_at)


def _answerable(clock: Clock, *, held_at: datetime | None = None) -> tuple[Unit, User | None, str]:
    """The unit that held the report when the clock ran out, the person in it who answers for it, and how it was held
    (SPEC §5): for an emergency's report, its holder then (reviews.selectors.holding_at: the clerk while a draft or
    returned, the director while awaiting sign-off, the office while awaiting review or forwarding — its director, or
    the editor who decided it and did not pass it on); for a chase, the chased unit's director (漏报); for a
    follow-up, the clerk who filed the first report.

    `held_at`: the moment to ask about (the deadline, for a report that arrived after it); by default now for an open
    clock (the sweep moves it on time), the deadline for one stopped (the report reached this level, or was phoned,
    before a correction moved its deadline earlier)."""
    if clock.item_id is None:
        return clock.unit, _first(Role.DIRECTOR, clock.unit_id), ""
    if clock.kind == Clock.Kind.FOLLOW_UP:
        return clock.unit, clock.item.created_by, ""
    if held_at is None and clock.stopped_at is not None:
        held_at = clock.due_at
    holding = holding_at(clock.item, at=held_at)
    person = holding.person or (holding.person_role and _first(holding.person_role, holding.unit.pk)) or None
    return holding.unit, person, Held(holding.stage).label


def _movers(clock: Clock) -> tuple[list[tuple[str, int]], Holding | None]:
    """Who is warned before a deadline (SPEC §5): the people who can move the report on now — the clerks while it is a
    draft or returned, the director while it awaits sign-off, the office's editors while it awaits review or
    forwarding, its director while it awaits the signature to go up — the director of the unit holding it, and the
    clerks of the unit that filed it (they follow their emergency all the way). For a chase or a follow-up, the clerks
    and director of the unit that owes it. Also returns the holding (None for a chase or a follow-up)."""
    if clock.item_id is None or clock.kind == Clock.Kind.FOLLOW_UP:
        return [(Role.CLERK, clock.unit_id), (Role.DIRECTOR, clock.unit_id)], None
    holding = holding_at(clock.item)
    return [*holding.movers, (Role.DIRECTOR, holding.unit.pk), (Role.CLERK, clock.unit_id)], holding


def _first(role: str, unit_id: int) -> User | None:
    """The first (lowest id) active holder of `role` in the unit; within a sweep batch, asked once per unit."""
    holders = (_outbox.get() or Outbox()).holders(role, unit_id)
    return holders[0] if holders else None


def breach_due(clock: Clock, *, at: datetime) -> bool:
    """Sweep step: breach a running clock whose time is up. False if another sweep got there first."""
    if clock.state != Clock.State.RUNNING or clock.due_at > at:
        return False
    _breach(clock, at=at)
    return True


def remind_due(clock: Clock, *, at: datetime) -> bool:
    """Sweep step: send the clock's next reminder to whoever can move the report on now (_movers), saying where it
    is held, and plan the one after."""
    if clock.state != Clock.State.RUNNING or clock.remind_at is None or clock.remind_at > at:
        return False
    movers, holding = _movers(clock)
    text = _("Reminder: %(what)s is due at %(office)s by %(due)s (%(minutes)d minutes left).") % {
        "what": clock_subject(clock), "office": clock.office, "due": _hm(clock.due_at),
        "minutes": max(clock.due_at - at, timedelta(0)).total_seconds() // 60}
    if holding is not None:
        text = _("%(reminder)s It is %(held)s at %(unit)s.") % {
            "reminder": text, "held": Held(holding.stage).label, "unit": holding.unit}
    count = _notify_people([*movers, (Role.DUTY_OFFICER, clock.office_id)], "clock.reminder", text, clock)
    Escalation.objects.create(clock=clock, key=clock.remind_key, recipients=count)
    keys = [key for key, _at in clock.reminder_plan]
    later = clock.reminder_plan[keys.index(clock.remind_key) + 1:] if clock.remind_key in keys else []
    later = [step for step in later if parse_datetime(step[1]) > at]
    clock.remind_key, clock.remind_at = (later[0][0], parse_datetime(later[0][1])) if later else ("", None)
    clock.save(update_fields=["remind_key", "remind_at"])
    return True


def escalate_unacknowledged(clock: Clock, *, at: datetime) -> bool:
    """Sweep step: nobody acknowledged the emergency in time: tell the next person up the ladder —
    the office's directors, then the duty officers above, then the directors above."""
    if clock.acknowledged_at or clock.acknowledge_due_at is None or clock.acknowledge_due_at > at:
        return False
    above = destination_of(clock.office)
    ladder = [(Role.DIRECTOR, clock.office_id), (Role.DUTY_OFFICER, above and above.pk), (Role.DIRECTOR, above and above.pk)]
    step = clock.acknowledge_step + 1
    if clock.stopped_at is None:
        count = _notify_people(
            [ladder[step - 1]], "clock.unacknowledged",
            _("Not acknowledged by the duty officer of %(office)s for %(minutes)d minutes: %(what)s") % {
                "office": clock.office, "what": clock_subject(clock),
                "minutes": (at - clock.created_at).total_seconds() // 60},
            clock,
        )
        Escalation.objects.create(clock=clock, key=f"ack-{step}", recipients=count)
    more = clock.stopped_at is None and step < len(ladder)
    clock.acknowledge_step = step
    clock.acknowledge_due_at = at + timedelta(minutes=clock.acknowledge_every_minutes) if more else None
    clock.save(update_fields=["acknowledge_step", "acknowledge_due_at"])
    return True


# --- duty officers' actions ----------------------------------------------------------------------------------


def _lock_clock(clock: Clock) -> Clock:
    return (Clock.objects.select_for_update(of=("self",)).select_related("office", "unit", "item", "chase")
            .get(pk=clock.pk))


def acknowledge(*, actor: User, clock: Clock) -> Clock:
    """签收: the duty officer has seen the emergency; escalation for want of acknowledgement stops."""
    with transaction.atomic():
        clock = _lock_clock(clock)
        ON_DUTY.check(actor, clock)
        if clock.acknowledged_at:
            raise IllegalTransition(_("Already acknowledged by %(who)s at %(when)s.") % {
                "who": clock.acknowledged_by, "when": _hm(clock.acknowledged_at)})
        clock.acknowledged_at, clock.acknowledged_by = timezone.now(), actor
        clock.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(actor=actor, action="clock.acknowledge", obj=clock)
    return clock


def phone_report(*, actor: User, clock: Clock, note: str) -> Clock:
    """电话报告: the duty officer of the waiting level took the report by phone. The notice deadline is met;
    a clock starts for the written report that must follow: due the policy's minutes after the call, but never
    earlier than the deadline the call met (SPEC §5). It is the same emergency, already in the queue: nobody is told
    of a new one. Returns that new clock."""
    note = (note or "").strip()
    if not note:
        raise ActionRefused(_("Write down what the caller reported: who called and what they said."))
    with transaction.atomic():
        clock = _lock_clock(clock)
        ON_DUTY.check(actor, clock)
        if clock.kind != Clock.Kind.REPORT or clock.stopped_at is not None:
            raise IllegalTransition(_("A phone report answers an open report deadline; this clock is “%(state)s”.")
                                    % {"state": clock.get_state_display()})
        now = timezone.now()
        _stop(clock, at=now, by="phone")
        policy = policy_for(clock.level, clock.item.event_grade, clock.item.event_type) or DeadlinePolicy(
            level=clock.level, deadline_minutes=0)  # the level's policy row was deleted since: model defaults
        written = _start_clock(
            kind=Clock.Kind.WRITTEN, office=clock.office, unit=clock.unit, item=clock.item, started_at=now,
            due_at=max(now + timedelta(minutes=policy.written_after_phone_minutes), clock.due_at), policy=policy,
            note=note, minutes=policy.written_after_phone_minutes, announce=False,
        )
        written.acknowledged_at, written.acknowledged_by = now, actor  # the officer who took the call has seen it
        written.save(update_fields=["acknowledged_at", "acknowledged_by"])
        # The inboxes that show the deadline this emergency races (the clock's signal marks the queue and sign-off list)
        offices = Hop.objects.filter(item_id=clock.item_id).values_list("office_id", flat=True).distinct()
        listcache.changed(*map(listcache.office, offices))
        audit_record(actor=actor, action="clock.phone_report", obj=clock, reason=note, data={"written": written.pk})
    return written


def chase_record(*, actor: User, office: Unit, unit: Unit, channel: str, summary: str,
                 event_time: datetime | None = None, minutes: int | None = None) -> Chase:
    """催报: the office learned of an event another way; the unit must report it in time or it is missed."""
    summary = (summary or "").strip()
    if not summary:
        raise ActionRefused(_("Describe the event: the unit needs to know what to report."))
    if not holds(actor, Role.DUTY_OFFICER, office.pk):
        raise NotPermitted(_("Only a duty officer of %(office)s can chase reports for it.") % {"office": office})
    if not tree.is_within(unit, office) or unit.pk == office.pk:
        raise NotPermitted(_("%(unit)s is not within the jurisdiction of %(office)s.") % {"unit": unit, "office": office})
    if channel not in Chase.Channel.values:
        raise ActionRefused(_("Say where the news came from."))
    now = timezone.now()
    minutes = minutes or settings.INFOHUB_CHASE_MINUTES
    with transaction.atomic():
        chase = Chase.objects.create(office=office, unit=unit, channel=channel, summary=summary, event_time=event_time,
                                     due_at=now + timedelta(minutes=minutes), recorded_by=actor)
        policy = DeadlinePolicy(level=office.level, deadline_minutes=minutes)
        _start_clock(kind=Clock.Kind.CHASE, office=office, unit=unit, chase=chase, started_at=now,
                     due_at=chase.due_at, policy=policy, minutes=minutes)
        Clock.objects.filter(chase=chase).update(acknowledged_at=now, acknowledged_by=actor)
        listcache.changed(listcache.office(office.pk))  # .update() sends no signal
        audit_record(actor=actor, action="chase.record", obj=chase, to_state=chase.state, reason=summary,
                     data={"unit": unit.pk, "channel": channel})
        notify(
            recipients=access.who_may_see({*people_with(Role.CLERK, unit.pk), *people_with(Role.DIRECTOR, unit.pk)}, chase),
            verb="chase.record",
            text=_("%(office)s asks for a report by %(due)s: %(summary)s") % {
                "office": office, "due": _hm(chase.due_at), "summary": summary[:120]},
            url=reverse("submissions:item_create"), email=True,
        )
    return chase


def _answer_chases(item: Item, at: datetime) -> None:
    """A first report filed by a chased unit (or a unit below it) answers its oldest open chase."""
    chase = (Chase.objects.select_for_update().filter(unit_id__in=tree.ancestor_ids(item.source_unit),
                                                      state=Chase.State.OPEN)
             .order_by("created_at").first())
    if chase is None:
        return
    chase.state, chase.item = Chase.State.REPORTED, item
    chase.save(update_fields=["state", "item"])
    for clock in Clock.objects.select_for_update().filter(chase=chase, stopped_at=None):
        _stop(clock, at=at, by="reported")


# --- reviewers' records --------------------------------------------------------------------------------------


def lapse_record(*, actor: User, item: Item, kind: str, reason: str) -> Lapse:
    """误报 / 瞒报: an editor of an office that received the item records it against the source unit."""
    reason = (reason or "").strip()
    if kind not in (Lapse.Kind.FALSE, Lapse.Kind.CONCEALED):
        raise ActionRefused(_("Only false and concealed reports are recorded by hand; lateness is recorded by the clocks."))
    if not reason:
        raise ActionRefused(_("Give the reason: the unit and the scoring need it."))
    if not selectors.may_record_lapse(actor, item):
        raise NotPermitted(_("Only an editor of an office that received this item can record it."))
    with transaction.atomic():
        if Lapse.objects.filter(item=item, kind=kind).exists():
            raise IllegalTransition(_("This item already has a “%(kind)s” record.") % {"kind": Lapse.Kind(kind).label})
        lapse = Lapse.objects.create(kind=kind, unit=item.source_unit, person=item.created_by, item=item,
                                     reason=reason, recorded_by=actor)
        audit_record(actor=actor, action=f"lapse.{kind}", obj=item, reason=reason, data={"lapse": lapse.pk})
        notify(
            recipients=access.who_may_see({*people_with(Role.DIRECTOR, item.source_unit_id), item.created_by}, lapse),
            verb=f"lapse.{kind}",
            text=_("%(kind)s recorded against %(unit)s: %(title)s — %(reason)s") % {
                "kind": lapse.get_kind_display(), "unit": item.source_unit, "title": item.title, "reason": reason},
            url=reverse("alerts:lapse_list"), email=True,
        )
    return lapse
