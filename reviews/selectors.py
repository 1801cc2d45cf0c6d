"""Reads of the review chain shared by pages, the API and tasks. Each list costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from infohub import access
from infohub.errors import ActionRefused
from infohub.models import AuditLog, Level, Role, Unit, User
from infohub.openwork import counted
from infohub.roles import unit_ids_where
from infohub.tree import units_reporting_to
from submissions.deadlines import racing_due
from submissions.models import Category, Item, Outcome, Urgency
from submissions.selectors import Duplicate, item_for, item_search, likely_duplicates

from .models import Hop
from .permissions import REVIEW, SIGN_FORWARD, SIGN_OFF

URGENCY_RANK = Case(
    *[When(urgency=value, then=Value(Urgency.rank(value))) for value in Urgency.values],
    output_field=IntegerField(),
)


# --- where an item stands (Item.outcome…) ---------------------------------------------------------------------

TRAIL_LENGTH = 120  # Item.outcome_trail's max_length


def _step(hop: Hop) -> str:
    if hop.status == Hop.Status.RECEIVED:
        return Outcome.IN_REVIEW
    if hop.status == Hop.Status.ADOPTED and hop.forward == Hop.Forward.AWAITING_SIGNOFF:
        return "forwarding"
    return hop.status


def outcome_of(hops) -> dict:
    """Where an item stands, from all its hops (any order): the values of Item's outcome fields. The furthest hop is
    the one received last; its lineage (through `previous`) is the trail; the highest level that adopted the item
    counts every hop (an adoption stays credited after a later return). Migration reviews 0002 computes the same in
    SQL for the items filed before."""
    hops = list(hops)
    if not hops:
        return {"outcome": "", "adopted_level": "", "outcome_trail": "", "outcome_reason": "",
                "outcome_composite_id": None}
    by_id = {hop.pk: hop for hop in hops}
    latest = max(hops, key=lambda hop: (hop.received_at, hop.pk))
    line, hop = [], latest
    while hop is not None:
        line.append(hop)
        hop = by_id.get(hop.previous_id)
    adopted = [hop.level for hop in hops if hop.status == Hop.Status.ADOPTED]
    return {
        "outcome": Outcome.IN_REVIEW if latest.status == Hop.Status.RECEIVED else latest.status,
        "adopted_level": min(adopted, key=Level.rank) if adopted else "",
        "outcome_trail": " ".join(f"{hop.level}:{_step(hop)}" for hop in reversed(line))[:TRAIL_LENGTH],
        "outcome_reason": latest.reason if latest.status in (Hop.Status.NOT_ADOPTED, Hop.Status.RETURNED) else "",
        "outcome_composite_id": latest.composite_id if latest.status == Hop.Status.MERGED else None,
    }


def holder_of(item: Item) -> Unit:
    """The unit answerable for the item now: its own unit until signed off, then the office it last reached."""
    return holding_at(item).unit


class Held(models.TextChoices):
    """Whose hands an item is in (SPEC §5, responsibility)."""

    DRAFT = "draft", _l("being drafted by the information officer")
    RETURNED = "returned", _l("returned to the information officer")
    SIGNOFF = "signoff", _l("awaiting the director's sign-off")
    REVIEW = "review", _l("awaiting review at the office")
    FORWARDING = "forwarding", _l("adopted, not yet proposed for reporting upward")
    FORWARD_SIGNOFF = "forward_signoff", _l("awaiting the office director's signature to report upward")
    DECIDED = "decided", _l("decided at the office, not reported upward")


@dataclass(frozen=True)
class Holding:
    """Who holds an item at a moment (SPEC §5): the unit answerable for it, the stage, the people who can move it on
    (`movers`: (role, unit id) pairs, e.g. the director of the unit for a sign-off) and the person answerable for a
    lapse — `person` when one is named by the item's own history (the clerk who drafted it, the editor who decided
    it), else the first holder (lowest id) of `person_role` in `unit` (its director)."""

    unit: Unit
    stage: str
    movers: tuple[tuple[str, int], ...]
    person: User | None = None
    person_role: str | None = None


# Audit actions that move an item at its own unit, and the state each leaves it in (for a holder in the past).
_SOURCE_MOVES = {
    "item.submit": Item.Status.PENDING_SIGNOFF,
    "item.withdraw": Item.Status.DRAFT,
    "item.signoff_return": Item.Status.RETURNED,
    "hop.returned": Item.Status.RETURNED,
    "item.signoff": Item.Status.SIGNED_OFF,
}


def holding_at(item: Item, at: datetime | None = None) -> Holding:
    """Who held `item` at `at` (now when None), from its hops (and, for a past moment at its own unit, its audit
    trail). SPEC §5: the clerk while it was a draft or returned, the director while it awaited sign-off, the office
    (its editors and director) while it awaited review or forwarding. Two queries at most."""
    hops = Hop.objects.filter(item=item).select_related("office", "acted_by")
    if at is not None:
        hops = hops.filter(received_at__lte=at)
    hop = hops.order_by("-received_at", "-id").first()
    if hop is None or (hop.status == Hop.Status.RETURNED and _done_by(hop.acted_at, at)):
        return _at_source(item, at)
    office, editors, director = hop.office, (Role.EDITOR, hop.office_id), (Role.DIRECTOR, hop.office_id)
    if hop.status == Hop.Status.RECEIVED or not _done_by(hop.acted_at, at):
        return Holding(office, Held.REVIEW, (editors,), person_role=Role.DIRECTOR)
    if hop.status == Hop.Status.ADOPTED:
        if hop.forward and _done_by(hop.forward_requested_at, at):
            return Holding(office, Held.FORWARD_SIGNOFF, (director,), person_role=Role.DIRECTOR)
        return Holding(office, Held.FORWARDING, (editors,), person=hop.acted_by, person_role=Role.DIRECTOR)
    return Holding(office, Held.DECIDED, (editors,), person=hop.acted_by, person_role=Role.DIRECTOR)


def _done_by(when: datetime | None, at: datetime | None) -> bool:
    return when is not None and (at is None or when <= at)


def _at_source(item: Item, at: datetime | None) -> Holding:
    unit = item.source_unit
    status = item.status
    if at is not None:
        moves = AuditLog.objects.filter(object_type=Item._meta.label_lower, object_id=str(item.pk),
                                        action__in=list(_SOURCE_MOVES), created_at__lte=at)
        last = moves.order_by("-created_at", "-id").values_list("action", flat=True).first()
        status = _SOURCE_MOVES[last] if last else Item.Status.DRAFT
    clerks, director = (Role.CLERK, unit.pk), (Role.DIRECTOR, unit.pk)
    if status == Item.Status.PENDING_SIGNOFF:
        return Holding(unit, Held.SIGNOFF, (director,), person_role=Role.DIRECTOR)
    if status == Item.Status.SIGNED_OFF:  # signed off at the top of the chain: nowhere to go
        return Holding(unit, Held.DECIDED, (director,), person_role=Role.DIRECTOR)
    stage = Held.RETURNED if status == Item.Status.RETURNED else Held.DRAFT
    return Holding(unit, stage, (clerks,), person=item.created_by, person_role=Role.CLERK)


def signoff_queue(user: User) -> QuerySet[Item]:
    """Items I may sign off now (the right SIGN_OFF: my units' items awaiting sign-off, not my own), most urgent
    and then oldest first (SPEC §4)."""
    return (
        SIGN_OFF.listed(user, Item.objects.all())
        .select_related("source_unit", "created_by")
        .order_by(URGENCY_RANK, "submitted_at", "id")
    )


def signoff_queue_by_deadline(user: User) -> QuerySet[Item]:
    """signoff_queue, each item with the deadline it races (`racing_due`, submissions.deadlines), the nearest first
    within an urgency (the director's start page)."""
    return (signoff_queue(user).annotate(racing_due=racing_due())
            .order_by(URGENCY_RANK, F("racing_due").asc(nulls_last=True), "submitted_at", "id"))


def inbox_for(user: User, *, status: str = Hop.Status.RECEIVED, filters: dict | None = None,
              deadlines: bool = True) -> QuerySet[Hop]:
    """Hops received by the offices where I am an editor: most urgent, then oldest first; each with the deadline its
    item races (`racing_due`, submissions.deadlines) unless `deadlines` is False (for counts)."""
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
    if deadlines:
        hops = hops.annotate(racing_due=racing_due("item__"))
    return hops.select_related("item", "item__source_unit", "sender", "office").order_by("priority", "received_at", "id")


def adoptions_since(user: User, unit_ids, since) -> dict:
    """What the units' items earned since `since` (the director's start page): adoptions per level, highest level
    first ([(level label, n)]), their total, and the latest adopted items (with where each stands). Two queries."""
    mine = access.visible(user, Item.objects.filter(source_unit_id__in=unit_ids))  # the hops of items I may see
    adopted = Hop.objects.filter(status=Hop.Status.ADOPTED, acted_at__gte=since, item__in=mine)
    per_level = dict(adopted.order_by().values_list("level").annotate(n=Count("id")))
    latest = (Item.objects.filter(pk__in=adopted.values("item_id")).select_related("source_unit")
              .order_by("-updated_at", "-id")[:5])
    return {
        "per_level": [(Level(level).label, per_level[level]) for level in Level.values if level in per_level],
        "total": sum(per_level.values()),
        "latest": list(latest),
    }


def inbox_summary(user: User) -> dict:
    """The editor's start page: received items awaiting review per urgency and the oldest one's arrival; the
    emergencies racing a deadline, nearest first — those awaiting review and those adopted and not yet proposed
    upward (the office holds them until its director signs them up); the first ten of the inbox. Five queries."""
    waiting = inbox_for(user, deadlines=False)
    counts = dict(waiting.order_by().values_list("priority").annotate(n=Count("id")))
    racing = (inbox_for(user, status="").filter(Q(status=Hop.Status.RECEIVED) | Q(status=Hop.Status.ADOPTED, forward=""),
                                                item__category=Category.EMERGENCY, racing_due__isnull=False)
              .order_by("racing_due", "id"))
    return {
        "per_urgency": [(label, counts.get(Urgency.rank(value), 0)) for value, label in Urgency.choices],
        "waiting": sum(counts.values()),
        "oldest": waiting.order_by("received_at").values_list("received_at", flat=True).first(),
        "racing": list(racing[:8]),
        "first": list(inbox_for(user)[:10]),
    }


def senders_for(user: User) -> list[tuple[int, str]]:
    """(id, name) of the units whose items come to my offices: those reporting to them, directly or as their parent."""
    return units_reporting_to(unit_ids_where(user, Role.EDITOR))


def forward_queue(user: User) -> QuerySet[Hop]:
    """Adopted items my offices' editors propose to report upward that I may sign (the right SIGN_FORWARD: not my
    own proposals)."""
    return (
        SIGN_FORWARD.listed(user, Hop.objects.all())
        .select_related("item", "item__source_unit", "office", "forward_requested_by")
        .annotate(racing_due=racing_due("item__"))
        .order_by("priority", F("racing_due").asc(nulls_last=True), "forward_requested_at", "id")
    )


def hop_for(user: User, pk, *, read: str | None = None) -> Hop:
    """A hop the user may see (infohub.access: one of their offices' hops, within their clearance); otherwise
    Http404, as if it did not exist. `read` names the door when its item is shown (a classified read is audited)."""
    hops = Hop.objects.select_related("item", "item__source_unit", "item__created_by", "office", "sender")
    return access.get_visible(user, hops, pk, read=read)


# --- likely duplicates (SPEC §3) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A likely duplicate of `item` as one reader is offered it: `hop` and `other_hop` are the two items' open hops at
    one office where the reader is an editor (then the two can be merged there), else None."""

    item: Item
    duplicate: Duplicate
    hop: Hop | None = None
    other_hop: Hop | None = None


def other_item_for(user: User, pk) -> Item:
    """The item `pk` named in a request about another item (the one to link it with): ActionRefused "No such item"
    when it is no id or not one the user may see — the request itself is about an item they do see."""
    try:
        return item_for(user, pk)
    except Http404:
        raise ActionRefused(_("No such item.")) from None


def _open_hops(user: User, item_ids) -> dict[int, dict[int, Hop]]:
    """{item id: {office id: hop}} of the items' hops still awaiting review at offices where `user` is an editor."""
    hops: dict[int, dict[int, Hop]] = {}
    for hop in REVIEW.listed(user, Hop.objects.filter(item_id__in=item_ids, status=Hop.Status.RECEIVED)):
        hops.setdefault(hop.item_id, {})[hop.office_id] = hop
    return hops


def suggestions_for(user: User, items: list[Item], *, limit: int = 5) -> list[Suggestion]:
    """For each of `items`, its likely duplicates that `user` may see (submissions.selectors.likely_duplicates), with
    the hops to merge them by when both await review at one office of the user's. A pair of items that are both
    in `items` is offered once. Three statements in all."""
    found = likely_duplicates(user, items, limit=limit)
    pairs = [(item, duplicate) for item in items for duplicate in found.get(item.pk, ())]
    hops = _open_hops(user, {i.pk for i, _d in pairs} | {d.item.pk for _i, d in pairs}) if pairs else {}
    seen, suggestions = set(), []
    for item, duplicate in pairs:
        pair = frozenset((item.pk, duplicate.item.pk))
        if pair in seen:
            continue
        seen.add(pair)
        mine, theirs = hops.get(item.pk, {}), hops.get(duplicate.item.pk, {})
        office = next((office for office in mine if office in theirs), None)
        suggestions.append(Suggestion(item, duplicate, mine.get(office), theirs.get(office)))
    return suggestions


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
        # Only the sources the reader may open are named (an office above sees the composite, not what it was made of).
        sources=list(access.visible(user, item.merged_from.select_related("source_unit")).order_by("submitted_at", "id")),
    )


def open_work(unit_ids) -> list[tuple[int, str, int]]:
    """infohub.openwork: what waits at these offices — items received and not yet decided, adopted items awaiting their
    director's signature to go upward. Two queries."""
    hops = Hop.objects.filter(office_id__in=unit_ids)
    return [*counted(hops.filter(status=Hop.Status.RECEIVED), "office_id", _l("items awaiting review")),
            *counted(hops.filter(status=Hop.Status.ADOPTED, forward=Hop.Forward.AWAITING_SIGNOFF), "office_id",
                     _l("reports awaiting the signature to go upward"))]
