"""The topic request an item answers, in the item editor (SPEC §7: "an item can answer one request; the editor sees
the request in the item editor and in the inbox") — through submissions' extension points, since submissions may not
import this app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from infohub import params
from infohub.errors import ActionRefused
from infohub.models import Role
from infohub.roles import unit_ids_where
from submissions.extensions import EditorField

from . import selectors, services
from .models import Answer, Target

NAME = "topic_target"


class TargetChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, several_units: bool = False, **kwargs):
        self.several_units = several_units
        super().__init__(*args, **kwargs)

    def label_from_instance(self, target: Target) -> str:
        due = timezone.localtime(target.due_at).strftime("%m-%d %H:%M")
        label = gettext("“%(subject)s” · %(office)s · due %(due)s") % {
            "subject": target.request.subject, "office": target.office.name, "due": due}
        return f"{label} · {target.unit.name}" if self.several_units else label


def _field(user, item):
    """The requests an item may answer: those sent to the item's unit (any of the clerk's units for a new item) that
    are open and not declined, and the one it already answers. Not shown when there is none."""
    clerk_units = unit_ids_where(user, Role.CLERK)
    if not clerk_units:
        return None
    current = selectors.answer_of_item(item) if item else None
    open_ = selectors.answerable_targets(user, unit_id=item.source_unit_id if item else None)
    choices = Target.objects.filter(Q(pk__in=open_.values("pk")) | Q(pk=current.target_id if current else None))
    choices = choices.select_related("request", "unit", "office").order_by("due_at", "pk")
    if current is None and not open_.exists():
        return None
    field = TargetChoiceField(
        queryset=choices, required=False, label=_("Answers the topic request"), empty_label=_("— none —"),
        several_units=item is None and len(clerk_units) > 1,
        help_text=_("The item answers this request of an upper office once your director signs it off."))
    if current is not None and current.sent_at is not None:
        field.disabled = True
        field.help_text = _("Sent: the item stays an answer to this request.")
    return field


def _initial(user, item, query):
    if item is not None:
        return Answer.objects.filter(item=item).values_list("target_id", flat=True).first()
    return params.object_id(query.get("topic"))  # "write an answer" on the request's page preselects it


def _save(*, actor, item, value) -> None:
    """Link, change or unlink the item's request; the same value changes nothing. A refusal names the field."""
    current = Answer.objects.filter(item=item).first()
    if (current.target_id if current else None) == (value.pk if value else None):
        return
    try:
        if current is not None:
            services.answer_unlink(actor=actor, answer=current)
        if value is not None:
            services.answer_link(actor=actor, target=value, item=item)
    except ActionRefused as refused:
        raise ValidationError({NAME: [refused.message]}) from None


FIELD = EditorField(name=NAME, field=_field, initial=_initial, save=_save, panel="topics/_editor_panel.html")


def notes(item_ids: list[int]) -> dict[int, list[str]]:
    """For the editor's inbox: "约稿：…" beside each item that answers a request (one query). The request's subject is
    seen by everyone who sees the answer item (the item reached them: its source unit is a target)."""
    found = {}
    for item_id, subject in Answer.objects.filter(item_id__in=item_ids).values_list("item_id",
                                                                                    "target__request__subject"):
        found[item_id] = [gettext("Topic request: %(subject)s") % {"subject": subject}]
    return found
