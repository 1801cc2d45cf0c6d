"""Reads of the review chain shared by pages, the API and tasks. Each list costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from infohub import access
from infohub.models import Role, Unit, User
from infohub.roles import unit_ids_where
from infohub.tree import units_reporting_to
from submissions.models import Item, Urgency
from submissions.selectors import item_for, item_search

from .models import Hop
from .permissions import SIGN_FORWARD, SIGN_OFF

URGENCY_RANK = Case(
    *[When(urgency=value, then=Value(Urgency.rank(value))) for value in Urgency.values],
    output_field=IntegerField(),
)


def holder_of(item: Item) -> Unit:
    """The unit answerable for the item now: its own unit until signed off, then the office it last reached."""
    if item.status != Item.Status.SIGNED_OFF:
        return item.source_unit
    last = Hop.objects.filter(item=item).select_related("office").order_by("-received_at", "-id").first()
    return last.office if last else item.source_unit


def signoff_queue(user: User) -> QuerySet[Item]:
    """Items I may sign off now (the right SIGN_OFF: my units' items awaiting sign-off, not my own), most urgent
    and then oldest first."""
    return (
        SIGN_OFF.listed(user, Item.objects.all())
        .select_related("source_unit", "created_by")
        .order_by(URGENCY_RANK, "submitted_at", "id")
    )


def inbox_for(user: User, *, status: str = Hop.Status.RECEIVED, filters: dict | None = None) -> QuerySet[Hop]:
    """Hops received by the offices where I am an editor: most urgent, then oldest first."""
    filters = filters or {}
    hops = access.visible(user, Hop.objects.filter(office_id__in=unit_ids_where(user, Role.EDITOR)))
    if status:
        hops = hops.filter(status=status)
    if filters.get("sender"):
        hops = hops.filter(sender_id=filters["sender"])
    if filters.get("category"):
        hops = hops.filter(item__category=filters["category"])
    if filters.get("urgency") in Urgency.values:
        hops = hops.filter(priority=Urgency.rank(filters["urgency"]))
    if filters.get("older_than_hours"):
        hops = hops.filter(received_at__lte=timezone.now() - timedelta(hours=int(filters["older_than_hours"])))
    if filters.get("q"):
        # Items still to review are a few thousand at an office at most: check each one's item, rather than start from
        # every item in the province the query matches (item_search's `indexed`). The other tabs grow without end.
        found = item_search(Item.objects.all(), filters["q"], indexed=status != Hop.Status.RECEIVED)
        hops = hops.filter(item__in=found)
    return hops.select_related("item", "item__source_unit", "sender", "office").order_by("priority", "received_at", "id")


def senders_for(user: User) -> list[tuple[int, str]]:
    """(id, name) of the units whose items come to my offices: those reporting to them, directly or as their parent."""
    return units_reporting_to(unit_ids_where(user, Role.EDITOR))


def forward_queue(user: User) -> QuerySet[Hop]:
    """Adopted items my offices' editors propose to report upward that I may sign (the right SIGN_FORWARD: not my
    own proposals)."""
    return (
        SIGN_FORWARD.listed(user, Hop.objects.all())
        .select_related("item", "item__source_unit", "office", "forward_requested_by")
        .order_by("priority", "forward_requested_at", "id")
    )


def hop_for(user: User, pk, *, read: str | None = None) -> Hop:
    """A hop the user may see (infohub.access: one of their offices' hops, within their clearance); otherwise
    Http404, as if it did not exist. `read` names the door when its item is shown (a classified read is audited)."""
    hops = Hop.objects.select_related("item", "item__source_unit", "item__created_by", "office", "sender")
    return access.get_visible(user, hops, pk, read=read)


# --- lineage -------------------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    started: datetime | None
    ended: datetime | None

    @property
    def duration(self) -> timedelta | None:
        return self.ended - self.started if self.started and self.ended else None


@dataclass
class Lineage:
    item: Item
    hops: list[Hop]
    stages: list[Stage]
    adopted_at: list[Hop]
    credited: list[Unit]
    sources: list[Item] = field(default_factory=list)


def credited_units(item: Item) -> list[Unit]:
    """Whose work an adoption of this item counts for: the source units of a composite, else its own unit."""
    sources = list(item.merged_from.select_related("source_unit"))
    if not sources:
        return [item.source_unit]
    units = {}
    for source in sources:
        units.setdefault(source.source_unit_id, source.source_unit)
    return list(units.values())


def lineage_of(user: User, item_pk, *, read: str | None = "lineage") -> Lineage:
    """The whole path of an item the user may see: each hop, who acted when, time in each stage (四快).
    Http404 for an item they may not see; a classified read is audited (`read` names the door)."""
    item = item_for(user, item_pk, read=read)
    hops = list(
        Hop.objects.filter(Q(item=item) | Q(composite=item))
        .select_related("office", "sender", "acted_by", "forward_signed_by", "composite")
        .order_by("received_at", "id")
    )
    own_hops = [h for h in hops if h.item_id == item.pk]
    signed_off = own_hops[0].received_at if own_hops else None
    last_arrival = own_hops[-1].received_at if own_hops else None
    stages = [
        Stage(_("Find (event to draft)"), item.event_time, item.created_at) if item.event_time else None,
        Stage(_("Write (draft to filing)"), item.created_at, item.submitted_at),
        Stage(_("Approve (filing to sign-off)"), item.submitted_at, signed_off),
        Stage(_("Report (sign-off to the highest office reached)"), signed_off, last_arrival),
    ]
    return Lineage(
        item=item,
        hops=own_hops,
        stages=[s for s in stages if s is not None],
        adopted_at=[h for h in own_hops if h.status == Hop.Status.ADOPTED],
        credited=credited_units(item),
        sources=list(item.merged_from.select_related("source_unit")),
    )
