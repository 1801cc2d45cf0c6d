"""Every transition of the review chain, one function per use case.

Each one locks the rows it changes (always the item before its hop, so two actions never deadlock),
checks the state and the actor's right, changes them, writes the audit row in the same transaction,
and sends notifications whose e-mail goes out only after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from infohub import access, listcache
from infohub.errors import ActionRefused, IllegalTransition, NotPermitted, StaleRevision
from infohub.models import Classification, Role, Unit, User
from infohub.roles import holds
from infohub.selectors import people_with
from infohub.services import audit_record, notify
from infohub.tree import destination_of
from submissions.models import Item, ReportKind, Urgency
from submissions.services import item_revise_filed

from .duplicates import tell_likely_duplicates
from .models import Hop
from .permissions import DECLINE_FORWARD, RETURN_AT_SIGN_OFF, REVIEW, SIGN_FORWARD, SIGN_OFF
from .selectors import outcome_of
from .signals import hop_decided, item_received, item_signed_off, items_merged

# --- helpers ---------------------------------------------------------------------------------------------


def _lock_item(item_id: int) -> Item:
    return Item.objects.select_for_update().select_related("source_unit").get(pk=item_id)


def _lock_hop(hop_id: int) -> tuple[Item, Hop]:
    item_id = Hop.objects.values_list("item_id", flat=True).get(pk=hop_id)
    item = _lock_item(item_id)
    hop = Hop.objects.select_for_update().select_related("office").get(pk=hop_id)
    hop.item = item
    return item, hop


def _check_revision(item: Item, expected_revision: int | None) -> None:
    if expected_revision is not None and expected_revision != item.revision:
        raise StaleRevision()


def _require_open(hop: Hop) -> None:
    if hop.status != Hop.Status.RECEIVED:
        who = hop.acted_by or "—"
        when = timezone.localtime(hop.acted_at).strftime("%Y-%m-%d %H:%M") if hop.acted_at else "—"
        raise IllegalTransition(
            _("This item was already decided at this office: “%(status)s” by %(who)s at %(when)s.")
            % {"status": hop.get_status_display(), "who": who, "when": when}
        )


def _refresh_outcomes(*items: Item) -> None:
    """Recompute where each item stands (Item.outcome…, reviews.selectors.outcome_of) from its hops, in the caller's
    transaction, and mark the lists that show it changed: its unit's sign-off list, the item lists of the holders
    of its access keys (joint units too) and the inbox of every office it reached. The row is updated alone (not
    saved: that would recompute its search vector and touch updated_at)."""
    hops = {}
    for hop in Hop.objects.filter(item_id__in=[item.pk for item in items]).only(
            "id", "item", "office", "previous", "level", "status", "forward", "reason", "composite",
            "received_at"):
        hops.setdefault(hop.item_id, []).append(hop)
    for item in items:
        fields = outcome_of(hops.get(item.pk, []))
        Item.objects.filter(pk=item.pk).update(**fields)
        for name, value in fields.items():
            setattr(item, name, value)
        keys = Item.objects.filter(pk=item.pk).values_list("access_keys", flat=True).first() or ()
        listcache.changed(listcache.unit(item.source_unit_id), *listcache.holders(keys),
                          *{listcache.office(hop.office_id) for hop in hops.get(item.pk, [])})


def _item_url(item: Item) -> str:
    return reverse("submissions:item_detail", args=[item.pk])


def _deliver(*, item: Item, office: Unit, sender: Unit, previous: Hop | None, at) -> Hop:
    hop = Hop.objects.create(
        item=item,
        office=office,
        level=office.level,
        sender=sender,
        previous=previous,
        received_at=at,
        priority=Urgency.rank(item.urgency),
    )
    _refresh_outcomes(item)
    item_received.send(sender=Hop, item=item, hop=hop, office=office, at=at)
    transaction.on_commit(lambda: tell_likely_duplicates.delay(hop.pk))
    notify(
        recipients=access.who_may_see(people_with(Role.EDITOR, office.pk), item),
        verb="item.arrived",
        text=_("New item from %(unit)s: %(title)s") % {"unit": sender, "title": item.title},
        url=reverse("reviews:hop_detail", args=[hop.pk]),
        email=True,
    )
    return hop


def _notify_source(item: Item, verb: str, text: str) -> None:
    """The clerks of the source unit(s) and the author hear about decisions on their item."""
    units = [item.source_unit_id, *item.merged_from.values_list("source_unit_id", flat=True)]
    recipients = {person for unit_id in units for person in people_with(Role.CLERK, unit_id)}
    if item.created_by_id:
        recipients.add(item.created_by)
    notify(recipients=access.who_may_see(sorted(recipients, key=lambda u: u.pk), item), verb=verb, text=text,
           url=_item_url(item), email=True)


# --- unit sign-off (审核签发) ------------------------------------------------------------------------------


def signoff_approve(*, actor: User, item: Item, expected_revision: int | None = None) -> Item:
    """The unit director signs the item off; it leaves the unit for its upstream office."""
    with transaction.atomic():
        item = _lock_item(item.pk)
        SIGN_OFF.check(actor, item)
        _check_revision(item, expected_revision)
        now = timezone.now()
        item.status = Item.Status.SIGNED_OFF
        item.revision += 1
        item.save(update_fields=["status", "revision", "updated_at"])
        audit_record(actor=actor, action="item.signoff", obj=item, from_state="pending_signoff", to_state=item.status)
        item_signed_off.send(sender=Item, item=item, actor=actor, at=now)
        destination = destination_of(item.source_unit)
        if destination is not None:
            _deliver(item=item, office=destination, sender=item.source_unit, previous=None, at=now)
    return item


def signoff_return(*, actor: User, item: Item, reason: str, expected_revision: int | None = None) -> Item:
    """The unit director sends the item back to the clerk with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(_("Say why the item goes back: the clerk needs the reason to revise it."))
    with transaction.atomic():
        item = _lock_item(item.pk)
        RETURN_AT_SIGN_OFF.check(actor, item)
        _check_revision(item, expected_revision)
        item.status = Item.Status.RETURNED
        item.return_reason = reason
        item.revision += 1
        item.save(update_fields=["status", "return_reason", "revision", "updated_at"])
        audit_record(
            actor=actor, action="item.signoff_return", obj=item, from_state="pending_signoff", to_state=item.status,
            reason=reason,
        )
        _notify_source(item, "item.returned", _("Returned for revision: %(title)s — %(reason)s") % {
            "title": item.title, "reason": reason})
    return item


@dataclass(frozen=True)
class BatchResult:
    item_id: int
    ok: bool
    message: str = ""


def signoff_batch(*, actor: User, item_ids: list[int]) -> list[BatchResult]:
    """Sign off several items; each in its own transaction, so one refusal does not undo the others.

    Ids of items the director may not see answer "no such item", exactly like ids that do not exist.
    """
    mine = set(access.visible(actor, Item.objects.filter(pk__in=item_ids)).values_list("pk", flat=True))
    results = []
    for item_id in item_ids:
        if item_id not in mine:
            results.append(BatchResult(item_id, False, _("No such item.")))
            continue
        try:
            signoff_approve(actor=actor, item=Item(pk=item_id))
        except ActionRefused as refused:
            results.append(BatchResult(item_id, False, str(refused.message)))
        else:
            results.append(BatchResult(item_id, True))
    return results


# --- upstream review (审核采用) -----------------------------------------------------------------------------


def review_edit(*, actor: User, hop: Hop, data: dict, expected_revision: int | None = None) -> Item:
    """An editor of the receiving office edits the text; the change is a new version."""
    with transaction.atomic():
        item, hop = _lock_hop(hop.pk)
        REVIEW.check(actor, hop)
        if hop.status not in (Hop.Status.RECEIVED, Hop.Status.ADOPTED) or hop.forward == Hop.Forward.FORWARDED:
            raise IllegalTransition(_("The item has left this office's hands; it can no longer be edited here."))
        if Hop.objects.filter(item=item, received_at__gt=hop.received_at).exists():
            raise IllegalTransition(_("The item has moved on to a higher office; edit it there."))
        _check_revision(item, expected_revision)
        item_revise_filed(actor=actor, item=item, data=data, note=_("Edited by %(office)s") % {"office": hop.office})
    return item


def review_adopt(*, actor: User, hop: Hop, adoption: str, expected_revision: int | None = None) -> Hop:
    if adoption not in Hop.Adoption.values:
        raise ActionRefused(_("Choose how the item is adopted: full, combined or summary."))
    return _decide(actor=actor, hop=hop, status=Hop.Status.ADOPTED, adoption=adoption,
                   expected_revision=expected_revision)


def review_not_adopt(*, actor: User, hop: Hop, reason: str, expected_revision: int | None = None) -> Hop:
    """Not adopted (不采用): kept on file; the unit sees the reason."""
    return _decide(actor=actor, hop=hop, status=Hop.Status.NOT_ADOPTED, reason=reason,
                   expected_revision=expected_revision)


def review_return(*, actor: User, hop: Hop, reason: str, expected_revision: int | None = None) -> Hop:
    """Back to the source unit's clerk for revision; after resubmission and sign-off it travels again."""
    return _decide(actor=actor, hop=hop, status=Hop.Status.RETURNED, reason=reason,
                   expected_revision=expected_revision)


def _decide(*, actor: User, hop: Hop, status: str, adoption: str = "", reason: str = "",
            expected_revision: int | None = None) -> Hop:
    reason = (reason or "").strip()
    if status in (Hop.Status.NOT_ADOPTED, Hop.Status.RETURNED) and not reason:
        raise ActionRefused(_("Give a reason: the unit needs to know why."))
    with transaction.atomic():
        item, hop = _lock_hop(hop.pk)
        REVIEW.check(actor, hop)
        _require_open(hop)
        _check_revision(item, expected_revision)
        now = timezone.now()
        hop.status, hop.adoption, hop.reason = status, adoption, reason
        hop.acted_at, hop.acted_by = now, actor
        hop.save(update_fields=["status", "adoption", "reason", "acted_at", "acted_by"])
        if status == Hop.Status.RETURNED:
            item.status = Item.Status.RETURNED
            item.return_reason = reason
            item.revision += 1
            item.save(update_fields=["status", "return_reason", "revision", "updated_at"])
        audit_record(actor=actor, action=f"hop.{status}", obj=item, from_state=Hop.Status.RECEIVED, to_state=status,
                     reason=reason, data={"hop": hop.pk, "office": hop.office_id, "adoption": adoption})
        _refresh_outcomes(item)
        hop_decided.send(sender=Hop, item=item, hop=hop, actor=actor, at=now)
        texts = {
            Hop.Status.ADOPTED: _("Adopted by %(office)s: %(title)s"),
            Hop.Status.NOT_ADOPTED: _("Not adopted by %(office)s: %(title)s — %(reason)s"),
            Hop.Status.RETURNED: _("Returned for revision by %(office)s: %(title)s — %(reason)s"),
        }
        _notify_source(item, f"hop.{status}", texts[status] % {"office": hop.office, "title": item.title, "reason": reason})
    return hop


def review_merge(*, actor: User, hops: list[Hop], title: str, body: str) -> Hop:
    """Merge several items on one event into a composite item (综合) at this office; sources stay credited.

    The composite travels on in their place: `items_merged` lets the deadline rules hand the sources' running report
    deadlines above this office over to it (alerts.services.on_items_merged). Returns the composite's hop here."""
    if len({h.pk for h in hops}) < 2:
        raise ActionRefused(_("Choose at least two items to merge."))
    if not (title or "").strip() or not (body or "").strip():
        raise ActionRefused(_("A composite item needs a title and a body."))
    with transaction.atomic():
        item_ids = sorted(set(Hop.objects.filter(pk__in=[h.pk for h in hops]).values_list("item_id", flat=True)))
        items = {i.pk: i for i in Item.objects.select_for_update().filter(pk__in=item_ids).order_by("pk")}
        locked = list(Hop.objects.select_for_update().filter(pk__in=[h.pk for h in hops]).select_related("office"))
        offices = {h.office_id for h in locked}
        if len(offices) != 1:
            raise ActionRefused(_("Only items received by the same office can be merged."))
        for hop in locked:
            REVIEW.check(actor, hop)
            _require_open(hop)
        office = locked[0].office
        sources = [items[h.item_id] for h in locked]
        now = timezone.now()
        top = min(sources, key=lambda i: Urgency.rank(i.urgency))
        composite = Item(
            title=title.strip(), body=body.strip(), category=top.category, urgency=top.urgency,
            classification=max((i.classification for i in sources), key=Classification.rank),
            source_unit=office, created_by=actor, contact_phone=top.contact_phone,
            status=Item.Status.SIGNED_OFF, submitted_at=now,
        )
        if composite.is_emergency:  # a composite emergency report: the earliest source's event, as a first report
            first = min((i for i in sources if i.event_time), key=lambda i: i.event_time, default=top)
            for name in ("event_time", "event_place", "event_grade", "event_type"):
                setattr(composite, name, getattr(first, name))
            composite.report_kind = ReportKind.FIRST
        try:  # lengths, marks and emergency fields as for any item, before anything is written
            composite.full_clean(exclude=["event_time"])  # an old event stays the event it was
        except ValidationError as error:
            raise ActionRefused(" ".join(error.messages)) from None
        composite.save()
        composite.merged_from.set(sources)
        for hop in locked:
            hop.status, hop.composite, hop.acted_at, hop.acted_by = Hop.Status.MERGED, composite, now, actor
            hop.save(update_fields=["status", "composite", "acted_at", "acted_by"])
            audit_record(actor=actor, action="hop.merged", obj=items[hop.item_id], from_state=Hop.Status.RECEIVED,
                         to_state=Hop.Status.MERGED, data={"hop": hop.pk, "composite": composite.pk})
        audit_record(actor=actor, action="item.composite", obj=composite, to_state=composite.status,
                     data={"sources": [i.pk for i in sources]})
        new_hop = Hop.objects.create(item=composite, office=office, level=office.level, sender=office,
                                     received_at=now, priority=Urgency.rank(composite.urgency))
        _refresh_outcomes(*sources, composite)
        items_merged.send(sender=Hop, composite=composite, sources=sources, office=office, hop=new_hop, at=now)
    return new_hop


# --- forwarding upward (上报) --------------------------------------------------------------------------------


def forward_request(*, actor: User, hop: Hop, expected_revision: int | None = None) -> Hop:
    """An editor proposes to report an adopted item upward; the office's own director must sign it."""
    with transaction.atomic():
        item, hop = _lock_hop(hop.pk)
        REVIEW.check(actor, hop)
        if hop.status != Hop.Status.ADOPTED:
            raise IllegalTransition(_("Adopt the item at this office before reporting it upward."))
        if hop.forward:
            raise IllegalTransition(_("This item is already being reported upward (“%(state)s”).")
                                    % {"state": hop.get_forward_display()})
        if destination_of(hop.office) is None:
            raise IllegalTransition(_("%(office)s is the top of the chain: there is nobody above to report to.")
                                    % {"office": hop.office})
        _check_revision(item, expected_revision)
        hop.forward, hop.forward_requested_by, hop.forward_requested_at = (
            Hop.Forward.AWAITING_SIGNOFF, actor, timezone.now())
        hop.save(update_fields=["forward", "forward_requested_by", "forward_requested_at"])
        audit_record(actor=actor, action="hop.forward_request", obj=item, from_state="", to_state=hop.forward,
                     data={"hop": hop.pk})
        _refresh_outcomes(item)
        notify(recipients=access.who_may_see(people_with(Role.DIRECTOR, hop.office_id), hop), verb="hop.forward_request",
               text=_("To sign off for reporting upward: %(title)s") % {"title": item.title},
               url=reverse("reviews:forward_list"), email=True)
    return hop


def forward_signoff(*, actor: User, hop: Hop, expected_revision: int | None = None) -> Hop:
    """The office's director signs the report upward; the item makes its next hop."""
    with transaction.atomic():
        item, hop = _lock_hop(hop.pk)
        SIGN_FORWARD.check(actor, hop)
        _check_revision(item, expected_revision)
        destination = destination_of(hop.office)
        now = timezone.now()
        hop.forward, hop.forward_signed_by, hop.forwarded_at = Hop.Forward.FORWARDED, actor, now
        hop.save(update_fields=["forward", "forward_signed_by", "forwarded_at"])
        audit_record(actor=actor, action="hop.forwarded", obj=item, from_state=Hop.Forward.AWAITING_SIGNOFF,
                     to_state=Hop.Forward.FORWARDED, data={"hop": hop.pk, "to": destination.pk})
        next_hop = _deliver(item=item, office=destination, sender=hop.office, previous=hop, at=now)
    return next_hop


def forward_decline(*, actor: User, hop: Hop, reason: str) -> Hop:
    """The office's director declines to report the item upward; it stays adopted here."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(_("Give a reason: the editor needs to know why."))
    with transaction.atomic():
        item, hop = _lock_hop(hop.pk)
        DECLINE_FORWARD.check(actor, hop)
        hop.forward = Hop.Forward.NONE
        hop.save(update_fields=["forward"])
        audit_record(actor=actor, action="hop.forward_declined", obj=item, from_state=Hop.Forward.AWAITING_SIGNOFF,
                     to_state="", reason=reason, data={"hop": hop.pk})
        _refresh_outcomes(item)
        if hop.forward_requested_by:
            notify(recipients=[hop.forward_requested_by], verb="hop.forward_declined",
                   text=_("Not reported upward: %(title)s — %(reason)s") % {"title": item.title, "reason": reason},
                   url=reverse("reviews:hop_detail", args=[hop.pk]))
    return hop


# --- likely duplicates (SPEC §3) -------------------------------------------------------------------------------


def may_mark_same_event(user: User, item: Item) -> bool:
    """Whether `user` may mark `item` as the same event as another item they see: an information officer of its unit
    (when filing), or an editor of an office it reached (in the inbox). Seeing the item is asked separately."""
    return holds(user, Role.CLERK, item.source_unit_id) or REVIEW.listed(user, Hop.objects.filter(item=item)).exists()


def same_event_mark(*, actor: User, item: Item, other: Item) -> bool:
    """Mark two items as reports of one event (一事一报: their related items, both ways), so each shows the other and
    neither is suggested as a likely duplicate of the other again. Both must be visible to `actor`, who may mark
    either (`may_mark_same_event`). Audited on both items. False, and nothing written, when they already are."""
    if item.pk == other.pk:
        raise ActionRefused(_("Choose another item: an item is the same event as itself already."))
    if not (access.may_see(actor, item) and access.may_see(actor, other)):
        raise NotPermitted(_("You may only link items you may see."))
    if not (may_mark_same_event(actor, item) or may_mark_same_event(actor, other)):
        raise NotPermitted(_("Only an information officer of the items' units or an editor who received them can "
                             "link them."))
    with transaction.atomic():
        locked = list(Item.objects.select_for_update().filter(pk__in=[item.pk, other.pk]).order_by("pk"))
        if len(locked) != 2:
            raise ActionRefused(_("No such item."))
        first, second = locked
        if first.related_items.filter(pk=second.pk).exists():
            return False
        first.related_items.add(second)
        for one, another in ((first, second), (second, first)):
            audit_record(actor=actor, action="item.same_event", obj=one, data={"item": another.pk})
    return True
