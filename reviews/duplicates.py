"""Telling editors of likely duplicates (SPEC §3: "two units filed the same rainstorm and nobody was told"): when an
item reaches an office, a Celery task compares it with what each editor there already sees."""

from celery import shared_task
from django.urls import reverse
from django.utils.translation import gettext as _

from infohub import access
from infohub.models import Role
from infohub.selectors import people_with
from infohub.services import notify
from submissions.selectors import likely_duplicates

from .models import Hop


def duplicates_tell(*, hop_id: int) -> int:
    """An item just reached an office: tell each of its editors who may see it, in the app, when it likely reports
    the same event as items they already have (SPEC §3: "two units filed the same rainstorm and nobody was told").
    Returns how many were told. Quietly nothing when the hop is gone or already decided."""
    hop = Hop.objects.select_related("item", "office").filter(pk=hop_id, status=Hop.Status.RECEIVED).first()
    if hop is None:
        return 0
    told = 0
    for editor in access.who_may_see(people_with(Role.EDITOR, hop.office_id), hop.item):
        found = [d for d in likely_duplicates(editor, [hop.item])[hop.item.pk] if not d.linked]
        if not found:
            continue
        notify(recipients=[editor], verb="item.likely_duplicate",
               text=_("Likely the same event as “%(other)s” (%(unit)s): %(title)s") % {
                   "other": found[0].item.heading, "unit": found[0].item.source_unit, "title": hop.item.heading},
               url=reverse("reviews:hop_detail", args=[hop.pk]))
        told += 1
    return told


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def tell_likely_duplicates(hop_id: int) -> int:
    """Queued by reviews.services after an item reached an office (on commit): `duplicates_tell`."""
    return duplicates_tell(hop_id=hop_id)
