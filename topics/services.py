"""Every write of topic requests (SPEC §7), one function per use case.

Each locks the rows it changes, checks the state and the actor's right (topics.permissions), changes them, writes the
audit row in the same transaction, and tells people through the follow-up mechanism's `tell` (in the app at once,
e-mail and SMS after commit). Due times, reminders and the "ignored" / "late" records are the shared follow-up
mechanism's (followup.services, followup.sweep): a target is one of its obligations.

Repeating an action that is already done changes nothing and says so (idempotent), or is refused with why.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from followup import services as followup
from followup.delivery import one_delivery_per_transaction, tell
from followup.models import Shortfall
from infohub.errors import IllegalTransition, NotPermitted
from infohub.models import Role, Unit, User
from infohub.roles import holds
from infohub.services import audit_record
from publications.models import PublicationType
from submissions.models import Item

from . import selectors
from .models import EARLIEST_YEAR, LATEST_YEAR, Answer, Target, TopicRequest
from .permissions import ANSWER, DECLINE, DECLINE_AS_DIRECTOR, RETURN_DECLINE, SIGN_DECLINE, WITHDRAW

MAX_TARGETS = 5000  # a province's every unit, with room: more is a mistake, not a request
MIN_LEAD = timedelta(minutes=10)  # a due time at least this far ahead of the moment the request is issued
# Items still in their unit may be linked to a request (and unlinked): a draft, one returned, one awaiting sign-off.
UNSENT = (Item.Status.DRAFT, Item.Status.RETURNED, Item.Status.PENDING_SIGNOFF)


def _hm(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _unit_people(target: Target) -> list[tuple[str, int]]:
    return [(Role.CLERK, target.unit_id), (Role.DIRECTOR, target.unit_id)]


# --- issuing --------------------------------------------------------------------------------------------------------


def request_issue(*, actor: User, office: Unit, subject: str, due_at: datetime, unit_ids=(), groups=(),
                  kind: str = TopicRequest.Kind.REQUEST, guidance: str = "", length_limit: int | None = None,
                  urgent: bool = False, publication: PublicationType | None = None,
                  now: datetime | None = None) -> TopicRequest:
    """An office's editor issues a topic request (约稿通知) to units of its jurisdiction: `unit_ids` picked one by one
    and/or whole `groups` (keys of selectors.GROUPS: "counties", "departments", "direct_points"), each unit once.

    Raises NotPermitted (not an editor of that office), ValidationError naming the field (subject empty, due time not
    ahead or out of range, no target, a target outside the jurisdiction, a publication not the office's own). Every
    target is told in the app and by e-mail (and SMS when urgent); their reminders and records are planned."""
    now = now or timezone.now()
    if not (holds(actor, Role.EDITOR, office.pk) and office.is_office):
        raise NotPermitted(_("Only an editor of an office can issue topic requests for it."))
    subject, guidance = (subject or "").strip(), (guidance or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = [_("Give the request a subject.")]
    if due_at is None:
        errors["due_at"] = [_("Give the due date and time.")]
    elif not EARLIEST_YEAR <= due_at.year <= LATEST_YEAR:  # before converting it: year 1 would overflow
        errors["due_at"] = [_("The due time must lie between %(first)d and %(last)d.") % {
            "first": EARLIEST_YEAR, "last": LATEST_YEAR}]
    elif due_at < now + MIN_LEAD:
        errors["due_at"] = [_("The due time must be at least %(minutes)d minutes ahead.") % {
            "minutes": MIN_LEAD.seconds // 60}]
    if kind not in TopicRequest.Kind.values:
        errors["kind"] = [_("Choose a kind of request.")]
    if publication is not None and (publication.office_id != office.pk or not publication.is_active):
        errors["publication"] = [_("A request can be for one of the office's own publications only.")]
    unknown_groups = [g for g in groups if g not in selectors.GROUPS]
    if unknown_groups:
        errors["groups"] = [_("No such group: %(groups)s.") % {"groups": ", ".join(map(str, unknown_groups))}]
    allowed = selectors.targetable(office)
    wanted = dict.fromkeys(unit_ids)
    outside = set(wanted) - set(allowed.filter(pk__in=list(wanted)).values_list("pk", flat=True))
    if outside:
        errors["units"] = [_("These units are not in the office's jurisdiction: %(ids)s.") % {
            "ids": ", ".join(map(str, sorted(outside)))}]
    for group in groups:
        if group in selectors.GROUPS:
            wanted.update(dict.fromkeys(selectors.group_units(office, group).values_list("pk", flat=True)))
    if not wanted and "units" not in errors:
        errors["units"] = [_("Choose at least one target unit, or a group of them.")]
    if len(wanted) > MAX_TARGETS:
        errors["units"] = [_("A request goes to at most %(n)d units.") % {"n": MAX_TARGETS}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = TopicRequest(office=office, kind=kind, subject=subject, guidance=guidance, length_limit=length_limit,
                               due_at=due_at, urgent=urgent, publication=publication, created_by=actor)
        request.full_clean()
        request.save()
        template = followup.schedule(Target(request=request, unit=office, office=office), due_at=due_at, now=now,
                                     save=False)
        targets = Target.objects.bulk_create([
            Target(request=request, unit_id=unit_id, office=office, due_at=due_at, created_at=now,
                   plan=template.plan, round=template.round, next_at=template.next_at, next_step=template.next_step)
            for unit_id in wanted])
        audit_record(actor=actor, action="topic.issue", obj=request, to_state=request.status,
                     data={"targets": len(targets), "groups": list(groups), "due_at": due_at.isoformat()})
        text = _("Topic request from %(office)s: “%(subject)s”, due by %(due)s.") % {
            "office": office, "subject": subject, "due": _hm(due_at)}
        with one_delivery_per_transaction():  # one e-mail task for every target
            for target in targets:
                target.request = request
                tell(groups=_unit_people(target), obj=target, verb="topic.issued", text=text,
                     url=request.get_absolute_url(), sms=urgent)
    return request


def request_withdraw(*, actor: User, request: TopicRequest, reason: str) -> TopicRequest:
    """The office withdraws an open request (撤回: issued by mistake, overtaken by events): nothing more is owed, no
    reminder or record follows; records already made stay. The targets are told. Withdrawing a withdrawn request
    changes nothing."""
    reason = (reason or "").strip()
    with transaction.atomic():
        request = TopicRequest.objects.select_for_update().select_related("office").get(pk=request.pk)
        if request.status == TopicRequest.Status.WITHDRAWN and holds(actor, Role.EDITOR, request.office_id):
            return request
        WITHDRAW.check(actor, request)
        if not reason:
            raise ValidationError({"reason": [_("Say why the request is withdrawn: the units will read it.")]})
        now = timezone.now()
        request.status, request.withdrawn_at, request.withdrawn_by = TopicRequest.Status.WITHDRAWN, now, actor
        request.withdraw_reason = reason
        request.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdraw_reason"])
        text = _("Topic request withdrawn by %(office)s: “%(subject)s” — %(reason)s") % {
            "office": request.office, "subject": request.subject, "reason": reason}
        for target in Target.objects.select_for_update().filter(request=request, closed_at__isnull=True):
            followup.close(target, at=now)
            if not target.replied:
                tell(groups=_unit_people(target), obj=target, verb="topic.withdrawn", text=text,
                     url=request.get_absolute_url())
        audit_record(actor=actor, action="topic.withdraw", obj=request, from_state=TopicRequest.Status.OPEN,
                     to_state=request.status, reason=reason)
    return request


# --- answering with items -------------------------------------------------------------------------------------------


def _lock_target(target: Target) -> Target:
    return Target.objects.select_for_update(of=("self",)).select_related("request", "unit", "office").get(pk=target.pk)


def _require_open_request(target: Target) -> None:
    if not target.request.is_open:
        raise IllegalTransition(_("The request “%(subject)s” was withdrawn: it needs no answer.") % {
            "subject": target.request.subject})


def answer_link(*, actor: User, target: Target, item: Item) -> Answer:
    """An information officer makes `item` (of the target's unit) an answer to the request. An item answers one
    request: linking it again to the same one changes nothing; to another is refused. An item still in its unit
    answers when its director signs it off; one already sent answers now."""
    with transaction.atomic():
        target = _lock_target(target)
        item = Item.objects.select_for_update().get(pk=item.pk)
        existing = Answer.objects.filter(item=item).select_related("target__request").first()
        if existing is not None:
            if existing.target_id == target.pk:
                return existing
            raise IllegalTransition(_("This item already answers the request “%(subject)s”: an item answers one "
                                      "request.") % {"subject": existing.target.request.subject})
        _require_open_request(target)
        ANSWER.check(actor, target)
        if item.source_unit_id != target.unit_id:
            raise IllegalTransition(_("Only an item of %(unit)s can answer for it.") % {"unit": target.unit})
        answer = Answer.objects.create(item=item, target=target, unit_id=target.unit_id, linked_by=actor)
        audit_record(actor=actor, action="topic.link", obj=item, data={"request": target.request_id,
                                                                       "target": target.pk})
        if item.status == Item.Status.SIGNED_OFF:
            _sent(target, answer, at=timezone.now(), actor=actor)
    return answer


def answer_unlink(*, actor: User, answer: Answer) -> None:
    """The information officer takes an item still in its unit back from the request (it answers nothing then).
    An answer already sent stays: it reached the office."""
    with transaction.atomic():
        target = _lock_target(answer.target)
        answer = Answer.objects.select_for_update().select_related("item").get(pk=answer.pk)
        if not holds(actor, Role.CLERK, target.unit_id):
            raise NotPermitted(_("Only an information officer of %(unit)s can change its answers.") % {
                "unit": target.unit})
        if answer.sent_at is not None:
            raise IllegalTransition(_("This answer was sent to %(office)s; it stays an answer.") % {
                "office": target.office})
        audit_record(actor=actor, action="topic.unlink", obj=answer.item, data={"request": target.request_id,
                                                                               "target": target.pk})
        answer.delete()


def item_signed_off(*, item: Item, actor: User | None, at: datetime) -> None:
    """Receiver of reviews.signals.item_signed_off, in the sign-off's transaction: an item that answers a request
    left its unit — the answer is sent, and the target answered then (late after the due time)."""
    answer = Answer.objects.select_for_update().filter(item_id=item.pk, sent_at__isnull=True).first()
    if answer is None:
        return
    target = _lock_target(answer.target)
    _sent(target, answer, at=at, actor=actor)


def _sent(target: Target, answer: Answer, *, at: datetime, actor: User | None) -> None:
    answer.sent_at, answer.sent_to_id = at, target.office_id
    answer.save(update_fields=["sent_at", "sent_to"])
    if target.reply == Target.Reply.ANSWERED:
        return  # a further answer: the first one's time stands
    if target.closed_at is not None:
        return  # withdrawn meanwhile: nothing is owed, nothing recorded
    _replied(target, reply=Target.Reply.ANSWERED, at=at, actor=actor)
    tell(groups=[(Role.EDITOR, target.office_id)], obj=target, verb="topic.answered",
         text=_("%(unit)s answered the topic request “%(subject)s”.") % {"unit": target.unit,
                                                                          "subject": target.request.subject},
         url=target.followup_url())


def _replied(target: Target, *, reply: str, at: datetime, actor: User | None) -> None:
    """The target's reply is made at `at` (the row locked): the obligation is met; after the due time it is on record
    "late", and an "ignored" recorded at the due time is withdrawn (the unit did answer, late)."""
    before = target.reply
    followup.answered(target, at=at, person=actor)  # answered_at first: a reply is never without its time
    target.reply = reply
    target.revision += 1
    target.save(update_fields=["reply", "revision"])
    for ignored in followup.shortfalls_of(target).filter(kind=Shortfall.Kind.IGNORED):
        followup.withdraw(ignored, actor=actor, reason=_("Answered late, at %(at)s.") % {"at": _hm(at)})
    audit_record(actor=actor, action=f"topic.{reply}", obj=target, from_state=before, to_state=reply,
                 data={"late": at > target.due_at})


# --- "nothing to report" (无此类情况) ----------------------------------------------------------------------------------


def decline(*, actor: User, target: Target, note: str = "", expected_revision: int | None = None) -> Target:
    """The unit replies "nothing to report". Written by an information officer it awaits the director's signature
    (the director is told); written by the director it is signed as it is sent. Refused once the unit answered with
    an item (or when the request was withdrawn)."""
    note = (note or "").strip()
    with transaction.atomic():
        target = _lock_target(target)
        _check_revision(target, expected_revision)
        _require_open_request(target)
        if target.reply in (Target.Reply.DECLINE_PENDING, Target.Reply.DECLINED) and (
                holds(actor, Role.CLERK, target.unit_id) or holds(actor, Role.DIRECTOR, target.unit_id)):
            return target  # sent twice: once
        as_director = DECLINE_AS_DIRECTOR.allows(actor, target)
        if not as_director:
            DECLINE.check(actor, target)
        if Answer.objects.filter(target=target).exists():
            raise IllegalTransition(_("Your unit is answering this request with an item: take the item back from the "
                                      "request first, or send it."))
        now = timezone.now()
        target.decline_note, target.decline_by, target.decline_at = note, actor, now
        target.decline_return_reason = ""
        if as_director:
            target.decline_signed_by = actor
            _replied(target, reply=Target.Reply.DECLINED, at=now, actor=actor)
            target.save(update_fields=["decline_note", "decline_by", "decline_at", "decline_return_reason",
                                       "decline_signed_by"])
            _tell_office_declined(target)
        else:
            target.reply = Target.Reply.DECLINE_PENDING
            target.revision += 1
            target.save(update_fields=["reply", "revision", "decline_note", "decline_by", "decline_at",
                                       "decline_return_reason"])
            audit_record(actor=actor, action="topic.decline_draft", obj=target, from_state=Target.Reply.WAITING,
                         to_state=target.reply, reason=note)
            tell(groups=[(Role.DIRECTOR, target.unit_id)], obj=target, verb="topic.decline_to_sign",
                 text=_("To sign: “nothing to report” to the topic request “%(subject)s” of %(office)s.") % {
                     "subject": target.request.subject, "office": target.office},
                 url=target.followup_url())
    return target


def decline_sign(*, actor: User, target: Target, expected_revision: int | None = None) -> Target:
    """The unit's director signs its "nothing to report": the reply goes to the office (late after the due time).
    Signing it again changes nothing."""
    with transaction.atomic():
        target = _lock_target(target)
        if target.reply == Target.Reply.DECLINED and holds(actor, Role.DIRECTOR, target.unit_id):
            return target
        _check_revision(target, expected_revision)
        _require_open_request(target)
        SIGN_DECLINE.check(actor, target)
        target.decline_signed_by = actor
        target.save(update_fields=["decline_signed_by"])
        _replied(target, reply=Target.Reply.DECLINED, at=timezone.now(), actor=actor)
        _tell_office_declined(target)
    return target


def decline_return(*, actor: User, target: Target, reason: str, expected_revision: int | None = None) -> Target:
    """The director does not sign "nothing to report" (the unit has something to report): back to the information
    officer with the reason; the unit owes an answer again."""
    reason = (reason or "").strip()
    with transaction.atomic():
        target = _lock_target(target)
        _check_revision(target, expected_revision)
        RETURN_DECLINE.check(actor, target)
        if not reason:
            raise ValidationError({"reason": [_("Say why: the information officer needs to know what to report.")]})
        target.reply, target.decline_return_reason, target.decline_signed_by = Target.Reply.WAITING, reason, None
        target.revision += 1
        target.save(update_fields=["reply", "decline_return_reason", "decline_signed_by", "revision"])
        audit_record(actor=actor, action="topic.decline_return", obj=target, from_state=Target.Reply.DECLINE_PENDING,
                     to_state=target.reply, reason=reason)
        tell(groups=[(Role.CLERK, target.unit_id)], people=[target.decline_by], obj=target,
             verb="topic.decline_returned",
             text=_("Your director did not sign “nothing to report” to “%(subject)s”: %(reason)s") % {
                 "subject": target.request.subject, "reason": reason},
             url=target.followup_url())
    return target


def _tell_office_declined(target: Target) -> None:
    tell(groups=[(Role.EDITOR, target.office_id)], obj=target, verb="topic.declined",
         text=_("%(unit)s has nothing to report on the topic request “%(subject)s”.") % {
             "unit": target.unit, "subject": target.request.subject},
         url=target.followup_url())


def _check_revision(target: Target, expected_revision: int | None) -> None:
    if expected_revision is not None and expected_revision != target.revision:
        raise IllegalTransition(_("Someone replied to this request after you opened it. Reload the page to see the "
                                  "reply, then try again."))
