"""Every write of the follow-up mechanism. A feature app calls these from its own services, inside its transaction,
with the obligation's row locked (select_for_update) — never sets the fields itself:

* `schedule(ob, due_at=…)` when the obligation is made, its due time moved (an extension) or it is reopened;
* `sign_for(ob, actor=…)` — 签收; `answered(ob, at=…)` when the unit's answer goes up (the clock stops);
  `returned(ob)` when the office returns the answer to redo (the clock runs again); `close(ob)` when nothing more
  is owed (办结, withdrawn); `reopen(ob, due_at=…)` after a 回访.

The sweep (followup.sweep) calls `advance` for each row whose `next_at` has come: reminders before the due day,
the 催办 at the due time, the Shortfall N working days after it — each once (a Notice under a unique key).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from infohub.models import Role, User
from infohub.services import audit_record

from . import calendar, delivery
from .delivery import tell
from .models import Notice, Obligation, Shortfall

FINAL_STEPS = ("chase", "overdue")


def _hm(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def overdue_after(ob: Obligation) -> int | None:
    """Working days after the due day before an unanswered obligation is put on record (None: never)."""
    after = type(ob).followup_overdue_after
    if after is None:
        return settings.INFOHUB_FOLLOWUP_OVERDUE_WORKING_DAYS
    return after if after >= 0 else None


def plan_for(ob: Obligation, now: datetime) -> list[list[str]]:
    """The obligation's steps from its due time: [[key, ISO time], …] in time order. Reminders at opening time
    (INFOHUB_OFFICE_OPENS) of each working day INFOHUB_FOLLOWUP_REMIND_WORKING_DAYS before the due day (0: the due
    day's morning), those still ahead of `now` and before the due time; "chase" at the due time; "overdue" at the
    closing time of the N-th working day after the due day (at the due time itself when N is 0)."""
    steps: list[tuple[datetime, int, str]] = []
    due_day = calendar.local_date(ob.due_at)
    for n in sorted(set(settings.INFOHUB_FOLLOWUP_REMIND_WORKING_DAYS), reverse=True):
        day = calendar.nth_working_day_after(due_day, -n) if n else due_day
        at = calendar.start_of(day)
        if now < at < ob.due_at:
            steps.append((at, 0, f"remind-{n}"))
    if type(ob).followup_chase:
        steps.append((ob.due_at, 1, "chase"))
    after = overdue_after(ob)
    if after is not None:
        steps.append((calendar.add_working_days(ob.due_at, after) if after else ob.due_at, 2, "overdue"))
    return [[key, at.isoformat()] for at, _order, key in sorted(steps)]


def _content_type(ob: Obligation) -> ContentType:
    return ContentType.objects.get_for_model(type(ob))


def _done_keys(ob: Obligation) -> set[str]:
    if ob.pk is None:
        return set()
    prefix = f"{ob.round}:"
    outbox = delivery.current()
    ref = (_content_type(ob).pk, ob.pk)
    if outbox is not None and ref in outbox.prepared:
        return {key.removeprefix(prefix) for key in outbox.done.get(ref, ()) if key.startswith(prefix)}
    keys = Notice.objects.filter(content_type=_content_type(ob), object_id=ob.pk, key__startswith=prefix)
    return {key.removeprefix(prefix) for key in keys.values_list("key", flat=True)}


def _audit(obj, **fields) -> None:
    """An audit row (audit_record's arguments; a record in `data` stands for its id): deferred to the batch's flush in
    a sweep batch, else written now."""
    outbox = delivery.current()
    if outbox is not None:
        outbox.audit(obj, **fields)
        return
    data = fields.pop("data", None) or {}
    audit_record(obj=obj, data={key: getattr(value, "pk", value) for key, value in data.items()}, **fields)


def _save(ob: Obligation, fields: list[str]) -> None:
    """`ob.save(update_fields=fields)`: deferred to the batch's flush in a sweep batch."""
    outbox = delivery.current()
    if outbox is not None:
        outbox.save(ob, fields)
    else:
        ob.save(update_fields=fields)


def _groups(ob: Obligation) -> list[tuple[str, int]]:
    """Every (role, unit id) a step of `ob` may tell: the unit's clerks and director, the office's editors and
    directors."""
    return [*_unit_groups(ob), *_office_groups(ob)]


def prepare_batch(model: type[Obligation], rows: list[Obligation]) -> None:
    """Read, for a sweep batch's `rows`, what their steps would read one row at a time: the Notice keys done, the
    standing records, the holders of the roles they tell — three statements for the batch. Call inside
    `delivery.one_delivery_per_transaction(defer=True)`, before the rows' `advance`."""
    outbox = delivery.current()
    if outbox is None or not rows:
        return
    content_type = ContentType.objects.get_for_model(model)
    ids = [row.pk for row in rows]
    outbox.prepared.update((content_type.pk, pk) for pk in ids)
    for object_id, key in Notice.objects.filter(content_type=content_type, object_id__in=ids).values_list(
            "object_id", "key"):
        outbox.done.setdefault((content_type.pk, object_id), set()).add(key)
    outbox.standing.update(
        (content_type.pk, object_id, kind) for object_id, kind in Shortfall.objects.filter(
            content_type=content_type, object_id__in=ids, withdrawn_at=None).values_list("object_id", "kind"))
    outbox.know_holders({pair for row in rows for pair in _groups(row)})


def _set_next(ob: Obligation) -> None:
    """Point `next_at`/`next_step` at the first step of the plan not yet done (none while the obligation is not
    open)."""
    done = _done_keys(ob)
    following = [(key, at) for key, at in ob.plan if key not in done] if ob.is_open else []
    ob.next_step, ob.next_at = (following[0][0], parse_datetime(following[0][1])) if following else ("", None)


SWEEP_FIELDS = ["plan", "round", "next_at", "next_step"]


def schedule(ob: Obligation, *, due_at: datetime, now: datetime | None = None, save: bool = True) -> Obligation:
    """Set the due time and plan the steps. On an obligation already planned it starts a new round (an extension,
    a reopening): the new round's reminders, 催办 and record happen again, once each, for the new due time.
    Saves the fields it changed unless `save` is False (a new row the caller creates)."""
    now = now or timezone.now()
    if ob.plan:
        ob.round += 1
    ob.due_at = due_at
    ob.plan = plan_for(ob, now)
    _set_next(ob)
    if save and ob.pk:
        ob.save(update_fields=["due_at", *SWEEP_FIELDS])
    return ob


def sign_for(ob: Obligation, *, actor: User, at: datetime | None = None) -> bool:
    """签收. False when it was already signed for (nothing changes)."""
    if ob.signed_at is not None:
        return False
    ob.signed_at, ob.signed_by = at or timezone.now(), actor
    ob.save(update_fields=["signed_at", "signed_by"])
    return True


def answered(ob: Obligation, *, at: datetime | None = None, person: User | None = None) -> Shortfall | None:
    """The unit's answer went up at `at`: the obligation is met, the sweep leaves it. An answer after the due time
    is put on record as `late` when the model says so (followup_record_late); returns that record."""
    at = at or timezone.now()
    ob.answered_at = at
    ob.next_at, ob.next_step = None, ""
    ob.save(update_fields=["answered_at", "next_at", "next_step"])
    if type(ob).followup_record_late and at > ob.due_at:
        return record(ob, kind=Shortfall.Kind.LATE, at=at, person=person)
    return None


def returned(ob: Obligation, *, at: datetime | None = None) -> None:
    """The office returned the answer to redo: the obligation is open again under its due time (a step whose time
    passed meanwhile and was not done happens at the next sweep)."""
    ob.answered_at = None
    _set_next(ob)
    ob.save(update_fields=["answered_at", "next_at", "next_step"])


def close(ob: Obligation, *, at: datetime | None = None) -> None:
    """Nothing more is owed (办结, withdrawn): the sweep leaves it."""
    ob.closed_at = at or timezone.now()
    ob.next_at, ob.next_step = None, ""
    ob.save(update_fields=["closed_at", "next_at", "next_step"])


def reopen(ob: Obligation, *, due_at: datetime, at: datetime | None = None) -> None:
    """回访: owed again, by `due_at` (a new round of reminders, 催办 and record)."""
    ob.answered_at = ob.closed_at = None
    ob.chased_at = None
    ob.save(update_fields=["answered_at", "closed_at", "chased_at"])
    schedule(ob, due_at=due_at, now=at)


# --- the record -----------------------------------------------------------------------------------------------------


def record(ob: Obligation, *, kind: str, at: datetime, person: User | None = None) -> Shortfall | None:
    """Put the obligation on record (a Shortfall of `kind`), once: None when a standing record of that kind exists.
    In a sweep batch the record is written at the batch's flush (its `pk` is None until then)."""
    content_type = _content_type(ob)
    outbox = delivery.current()
    if outbox is not None and (content_type.pk, ob.pk) in outbox.prepared:
        if (content_type.pk, ob.pk, kind) in outbox.standing:
            return None
    elif Shortfall.objects.filter(content_type=content_type, object_id=ob.pk, kind=kind, withdrawn_at=None).exists():
        return None
    shortfall = Shortfall(
        kind=kind, unit_id=ob.unit_id, office_id=ob.office_id, person=person or ob.followup_person(),
        content_type=content_type, object_id=ob.pk, subject=ob.followup_subject()[:300], due_at=ob.due_at,
        occurred_at=at, working_days_late=calendar.working_days_late(ob.due_at, at),
    )
    if outbox is not None:
        outbox.shortfalls.append(shortfall)
        outbox.standing.add((content_type.pk, ob.pk, kind))
    else:
        shortfall.save()
    _audit(shortfall, actor=None, action="shortfall.record", to_state=kind,
           data={"obligation": f"{content_type.app_label}.{content_type.model}#{ob.pk}"})
    return shortfall


def withdraw(shortfall: Shortfall, *, actor: User | None, reason: str) -> bool:
    """A record made untrue (with its reason): it stays, withdrawn, and counts nowhere. False if already withdrawn."""
    with transaction.atomic():
        row = Shortfall.objects.select_for_update().get(pk=shortfall.pk)
        if row.withdrawn_at is not None:
            return False
        row.withdrawn_at, row.withdrawn_reason, row.withdrawn_by = timezone.now(), reason, actor
        row.save(update_fields=["withdrawn_at", "withdrawn_reason", "withdrawn_by"])
        audit_record(actor=actor, action="shortfall.withdraw", obj=row, reason=reason)
    return True


def shortfalls_of(ob: Obligation):
    """The standing records of one obligation."""
    return Shortfall.objects.filter(content_type=_content_type(ob), object_id=ob.pk, withdrawn_at=None)


# --- the sweep's step -----------------------------------------------------------------------------------------------


def advance(ob: Obligation, *, at: datetime) -> bool:
    """Sweep step (the row locked): do every step of the plan whose time has come — a reminder is skipped when the
    催办 or the record is due with it (beat was down across the due time: the unit hears the 催办, not a stale
    reminder) — and point `next_at` at the following one. False when there was nothing to do (another sweep got
    there first, or the obligation was answered)."""
    if ob.next_at is None or ob.next_at > at:
        return False
    if not ob.is_open:
        ob.next_at, ob.next_step = None, ""
        _save(ob, ["next_at", "next_step"])
        return False
    keys = [key for key, _at in ob.plan]
    start = keys.index(ob.next_step) if ob.next_step in keys else 0
    due = [key for key, when in ob.plan[start:] if parse_datetime(when) <= at]
    final = any(key in FINAL_STEPS for key in due)
    done = _done_keys(ob)
    changed = ["next_at", "next_step"]
    for key in due:
        if key in done or (final and key.startswith("remind-")):
            continue
        recipients = _STEPS[key.split("-")[0]](ob, at=at, key=key, changed=changed)
        notice = Notice(content_type=_content_type(ob), object_id=ob.pk, key=f"{ob.round}:{key}")
        outbox = delivery.current()
        if outbox is not None:  # written at the batch's flush, with how many it told
            outbox.notices.append((notice, recipients))
            outbox.done.setdefault((notice.content_type_id, ob.pk), set()).add(notice.key)
        else:
            notice.recipients = recipients
            notice.save()
    following = [(key, when) for key, when in ob.plan[start:] if parse_datetime(when) > at]
    ob.next_step, ob.next_at = (following[0][0], parse_datetime(following[0][1])) if following else ("", None)
    _save(ob, changed)
    return True


def _unit_groups(ob: Obligation) -> list[tuple[str, int]]:
    return [(Role.CLERK, ob.unit_id), (Role.DIRECTOR, ob.unit_id)]


def _office_groups(ob: Obligation) -> list[tuple[str, int]]:
    return [(Role.EDITOR, ob.office_id), (Role.DIRECTOR, ob.office_id)]


def _remind(ob: Obligation, *, at: datetime, key: str, changed: list[str]) -> int:
    left = calendar.working_days_between(calendar.local_date(at), calendar.local_date(ob.due_at))
    text = _("Reminder: %(what)s is due at %(office)s by %(due)s (%(days)d working days left).") % {
        "what": ob.followup_subject(), "office": ob.office, "due": _hm(ob.due_at), "days": left}
    count = tell(groups=_unit_groups(ob), people=[ob.signed_by] if ob.signed_by_id else [], obj=ob,
                 verb="followup.reminder", text=text, url=ob.followup_url(), sms=ob.followup_urgent())
    _audit(ob, actor=None, action="followup.remind", data={"step": key, "round": ob.round})
    return count


def _chase(ob: Obligation, *, at: datetime, key: str, changed: list[str]) -> int:
    """催办: the due time passed without an answer — to the unit, copied to its director; by SMS too."""
    ob.chased_at = at
    changed.append("chased_at")
    text = _("催办: %(what)s was due at %(office)s by %(due)s and has not been answered. Answer now; "
             "this notice is copied to your unit's director.") % {
        "what": ob.followup_subject(), "office": ob.office, "due": _hm(ob.due_at)}
    count = tell(groups=_unit_groups(ob), people=[ob.signed_by] if ob.signed_by_id else [], obj=ob,
                 verb="followup.chase", text=text, url=ob.followup_url(), sms=True)
    _audit(ob, actor=None, action="followup.chase", data={"round": ob.round, "due_at": ob.due_at.isoformat()})
    return count


def _overdue(ob: Obligation, *, at: datetime, key: str, changed: list[str]) -> int:
    """Overdue beyond N working days (or, N = 0, at the due time: ignored): one Shortfall, the office and the unit's
    director told."""
    ob.overdue_recorded_at = at
    changed.append("overdue_recorded_at")
    shortfall = record(ob, kind=type(ob).followup_overdue_kind, at=at)
    label = Shortfall.Kind(type(ob).followup_overdue_kind).label
    text = _("%(kind)s on record: %(unit)s has not answered %(what)s, due by %(due)s.") % {
        "kind": label, "unit": ob.unit, "what": ob.followup_subject(), "due": _hm(ob.due_at)}
    count = tell(groups=[*_office_groups(ob), (Role.DIRECTOR, ob.unit_id)],
                 obj=ob, verb="followup.overdue", text=text, url=ob.followup_url())
    # the record itself, not its id: in a sweep batch the id is known at the flush
    _audit(ob, actor=None, action="followup.overdue", data={"round": ob.round, "shortfall": shortfall})
    return count


_STEPS = {"remind": _remind, "chase": _chase, "overdue": _overdue}
