"""Reads of the review chain shared by pages, the API and tasks."""

from __future__ import annotations

from infohub.models import Unit
from submissions.models import Item

from .models import Hop


def holder_of(item: Item) -> Unit:
    """The unit answerable for the item now: its own unit until signed off, then the office it last reached."""
    if item.status != Item.Status.SIGNED_OFF:
        return item.source_unit
    last = Hop.objects.filter(item=item).select_related("office").order_by("-received_at", "-id").first()
    return last.office if last else item.source_unit
