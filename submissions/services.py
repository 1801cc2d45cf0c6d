"""Every write to an information item, one function per use case.

Each transition locks the row, checks the state and the actor's right, changes it, and writes the
audit row in the same transaction.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from infohub.downloads import shorten_filename
from infohub.errors import NotPermitted, StaleRevision
from infohub.models import Role, Unit, User
from infohub.roles import holds
from infohub.services import audit_record

from .models import Attachment, Category, Item, ItemVersion, ReportKind, validate_attachment
from .permissions import EDIT, WITHDRAW, check_follow_up
from .selectors import joint_units_allowed
from .signals import item_filed, item_revised


def _lock(item: Item) -> Item:
    return Item.objects.select_for_update().select_related("source_unit").get(pk=item.pk)


def _check_revision(item: Item, expected_revision: int | None) -> None:
    if expected_revision is not None and expected_revision != item.revision:
        raise StaleRevision()


def _apply(item: Item, data: dict) -> list[str]:
    """Set the content fields given in data; return the names that really changed."""
    changed = []
    for name in Item.CONTENT_FIELDS:
        if name in data and getattr(item, name) != data[name]:
            setattr(item, name, data[name])
            changed.append(name)
    return changed


def _joint_units(item: Item, data: dict) -> list[Unit] | None:
    """The joint units (合报单位) `data` names for the item, normalised (each once, never the source unit), or None
    when it names none. ValidationError on `joint_units` naming a unit that may not file jointly with the item's unit
    (submissions.selectors.joint_unit_choices)."""
    if "joint_units" not in data:
        return None
    units, refused = joint_units_allowed(item.source_unit, data["joint_units"] or [])
    if refused:
        names = dict(Unit.objects.filter(pk__in=refused).values_list("pk", "name"))
        named = "、".join(names.get(pk, f"#{pk}") for pk in refused)
        raise ValidationError({"joint_units": _(
            "%(units)s: not a unit that may file jointly with %(unit)s (a unit in the jurisdiction of the office its "
            "items go to).") % {"units": named, "unit": item.source_unit}})
    return units


def _set_joint_units(item: Item, units: list[Unit] | None) -> bool:
    """Set the item's joint units when given; True when they changed."""
    if units is None:
        return False
    before = set(item.joint_units.values_list("pk", flat=True)) if item.pk else set()
    if before == {u.pk for u in units}:
        return False
    item.joint_units.set(units)
    return True


def _content(item: Item) -> dict:
    return {name: getattr(item, name) for name in Item.CONTENT_FIELDS}


def _announce_revision(item: Item, *, actor: User, before: dict) -> None:
    """A filed item's content changed: apps that derive state from it follow (submissions.signals.item_revised)."""
    before = {name: value for name, value in before.items() if getattr(item, name) != value}
    if before:
        item_revised.send(sender=Item, item=item, actor=actor, at=timezone.now(), before=before)


def _record_version(item: Item, *, actor: User, note: str) -> ItemVersion:
    last = item.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ItemVersion.objects.create(
        item=item, number=last + 1, content=item.content_snapshot(), edited_by=actor, note=note
    )


def _add_attachments(item: Item, files: Iterable[UploadedFile], actor: User) -> list[Attachment]:
    added = []
    for upload in files:
        validate_attachment(upload)
        added.append(
            Attachment.objects.create(
                item=item,
                file=upload,
                original_name=shorten_filename(upload.name, Attachment._meta.get_field("original_name").max_length),
                size=upload.size,
                content_type=upload.content_type or mimetypes.guess_type(upload.name)[0] or "",
                uploaded_by=actor,
            )
        )
    return added


def item_create(*, actor: User, unit: Unit, data: dict, files: Iterable[UploadedFile] = ()) -> Item:
    """A clerk starts a draft for one of their units, with whatever it has so far: no field is required until
    filing (item_submit); what is given must be well formed (a phone number, an event time, the mark).
    `data["joint_units"]` (Units or ids, optional): the units filing it jointly (合报, SPEC §9), normalised;
    ValidationError on `joint_units` for a unit that may not (submissions.selectors.joint_unit_choices)."""
    if not holds(actor, Role.CLERK, unit.pk):
        raise NotPermitted(_("Only an information officer of %(unit)s can draft its items.") % {"unit": unit})
    item = Item(source_unit=unit, created_by=actor)
    _apply(item, data)
    item.full_clean()
    joint = _joint_units(item, data)
    if not actor.may_open(item.classification):
        raise NotPermitted(_("You may not write items above your own clearance."))
    files = list(files)
    for upload in files:
        validate_attachment(upload)  # refuse before anything is written
    with transaction.atomic():
        item.save()
        _set_joint_units(item, joint)
        _add_attachments(item, files, actor)
        audit_record(actor=actor, action="item.create", obj=item, to_state=item.status,
                     data={"joint_units": [u.pk for u in joint]} if joint else None)
    return item


def item_update(
    *, actor: User, item: Item, data: dict, expected_revision: int | None = None, files: Iterable[UploadedFile] = ()
) -> Item:
    """Edit a draft or a returned item. After filing, every edit becomes a new version. `data["joint_units"]`, when
    given, replaces the joint units (合报) as in item_create; a change of them alone is an edit (audited), no version."""
    files = list(files)
    with transaction.atomic():
        item = _lock(item)
        EDIT.check(actor, item)
        _check_revision(item, expected_revision)
        before = _content(item)
        changed = _apply(item, data)
        item.full_clean()
        joint = _joint_units(item, data)
        if not actor.may_open(item.classification):
            raise NotPermitted(_("You may not mark an item above your own clearance."))
        added = _add_attachments(item, files, actor)
        joint_changed = _set_joint_units(item, joint)
        if not changed and not added and not joint_changed:
            return item
        item.revision += 1
        item.save()
        if item.is_filed and changed:
            _record_version(item, actor=actor, note=_("Edited after filing"))
        audit_record(
            actor=actor,
            action="item.update",
            obj=item,
            from_state=item.status,
            to_state=item.status,
            data={"fields": changed, "attachments": [a.original_name for a in added],
                  **({"joint_units": [u.pk for u in joint]} if joint_changed else {})},
        )
        if item.is_filed and changed:
            _announce_revision(item, actor=actor, before=before)
    return item


def item_submit(*, actor: User, item: Item, expected_revision: int | None = None) -> Item:
    """File the item to the unit director for sign-off (报送审核). A draft saves incomplete; filing asks for the
    rest: ValidationError naming every field that is missing or wrong (Item.full_clean_for_filing)."""
    with transaction.atomic():
        item = _lock(item)
        EDIT.check(actor, item)
        _check_revision(item, expected_revision)
        item.full_clean_for_filing()
        from_state = item.status
        first_filing = not item.is_filed
        item.status = Item.Status.PENDING_SIGNOFF
        item.submitted_at = item.submitted_at or timezone.now()
        item.return_reason = ""
        item.revision += 1
        if first_filing and item.first_report_id:
            item.follow_up_number = _next_follow_up_number(item)
        item.save()
        last = item.versions.order_by("-number").first()
        if first_filing or last is None or last.content != item.content_snapshot():
            _record_version(item, actor=actor, note=_("Filed") if first_filing else _("Resubmitted"))
        audit_record(actor=actor, action="item.submit", obj=item, from_state=from_state, to_state=item.status)
        if first_filing:
            item_filed.send(sender=Item, item=item, actor=actor, at=item.submitted_at)
    return item


def _next_follow_up_number(item: Item) -> int:
    """Follow-ups are numbered in the order they are filed; the first report's lock serialises them."""
    Item.objects.select_for_update().filter(pk=item.first_report_id).first()
    last = Item.objects.filter(first_report_id=item.first_report_id).aggregate(n=Max("follow_up_number"))["n"]
    return (last or 0) + 1


# The event fields a follow-up starts from: the clerk updates what changed.
FOLLOW_UP_COPIED = (
    "title", "body", "urgency", "classification", "authors", "contact_phone", "keywords", "event_time",
    "event_place", "event_grade", "event_type", "deaths", "injuries", "missing", "losses", "measures",
)  # fmt: skip


def item_follow_up(*, actor: User, first: Item, final: bool = False) -> Item:
    """Start a follow-up (续报) or the final report (终报) of an emergency: a draft in its chain,
    pre-filled from the latest report so the clerk only writes what changed."""
    with transaction.atomic():
        first = Item.objects.select_for_update().get(pk=first.pk)
        check_follow_up(actor, first)
        latest = first.follow_ups.exclude(submitted_at=None).order_by("-follow_up_number").first() or first
        item = Item(source_unit=first.source_unit, created_by=actor, category=Category.EMERGENCY, first_report=first,
                    report_kind=ReportKind.FINAL if final else ReportKind.FOLLOW_UP)
        for name in FOLLOW_UP_COPIED:
            setattr(item, name, getattr(latest, name))
        item.full_clean(exclude=["event_time"])  # the event time was checked when the first report was filed
        item.save()
        audit_record(actor=actor, action="item.create", obj=item, to_state=item.status,
                     data={"first_report": first.pk, "report_kind": item.report_kind})
    return item


def item_withdraw(*, actor: User, item: Item, expected_revision: int | None = None) -> Item:
    """Take back an item that is still waiting for sign-off, to correct it (撤回)."""
    with transaction.atomic():
        item = _lock(item)
        WITHDRAW.check(actor, item)
        _check_revision(item, expected_revision)
        item.status = Item.Status.DRAFT
        item.revision += 1
        item.save()
        audit_record(
            actor=actor, action="item.withdraw", obj=item, from_state=Item.Status.PENDING_SIGNOFF, to_state=item.status
        )
    return item


def item_revise_filed(*, actor: User, item: Item, data: dict, note: str) -> list[str]:
    """Edit a filed item on behalf of someone whose right the caller has checked (an upstream editor).

    The caller holds the row lock. Keeps a version and an audit row; returns the fields that changed.
    """
    before = _content(item)
    changed = _apply(item, data)
    if not changed:
        return changed
    item.full_clean()
    item.revision += 1
    item.save()
    _record_version(item, actor=actor, note=note)
    audit_record(
        actor=actor, action="item.update", obj=item, from_state=item.status, to_state=item.status,
        data={"fields": changed, "note": note},
    )
    _announce_revision(item, actor=actor, before=before)
    return changed


def attachment_remove(*, actor: User, attachment: Attachment) -> None:
    with transaction.atomic():
        item = _lock(attachment.item)
        EDIT.check(actor, item)
        name = attachment.original_name
        attachment.delete()
        item.revision += 1
        item.save(update_fields=["revision", "updated_at"])
        audit_record(actor=actor, action="attachment.remove", obj=item, data={"attachment": name})
    transaction.on_commit(lambda: attachment.file.delete(save=False))
