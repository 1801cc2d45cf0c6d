"""Reads of information items shared by pages, the API and tasks. Every read is scoped to the user."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib.postgres.search import SearchRank
from django.db.models import BooleanField, F, Func, Max, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from infohub import access
from infohub.models import AuditLog, Role, User
from infohub.roles import unit_ids_where

from .deadlines import racing_due
from .models import Item, ItemVersion, ReportKind, TsQuery, report_label, search_terms


def items_visible_to(user: User) -> QuerySet[Item]:
    """Items the user may see (infohub.access: their own units' items, and those that reached their offices, up
    to their clearance), with the unit and author selected for lists."""
    return access.visible(user, Item.objects.select_related("source_unit", "created_by"))


def item_for(user: User, pk, *, read: str | None = None) -> Item:
    """The item if the user may see it; otherwise Http404, exactly as if it did not exist. `read` names the door
    when the item is shown (a classified read is then audited: infohub.access.get_visible)."""
    return access.get_visible(user, Item.objects.select_related("source_unit", "created_by"), pk, read=read)


@dataclass(frozen=True)
class ReportBeingWritten:
    first: Item
    label: str  # 续报三, 终报


def report_being_written(item: Item | None) -> ReportBeingWritten | None:
    """For the editor of a follow-up or final report: the emergency's first report and which report this is. A
    follow-up is numbered when filed; a draft shows the number it gets if filed next (one query)."""
    if item is None or not item.first_report_id:
        return None
    number = item.follow_up_number
    if item.report_kind == ReportKind.FOLLOW_UP and not number:
        filed = Item.objects.filter(first_report_id=item.first_report_id).aggregate(n=Max("follow_up_number"))["n"]
        number = (filed or 0) + 1
    return ReportBeingWritten(first=item.first_report, label=report_label(item.report_kind, number))


def name_composites(user: User, items) -> None:
    """Set `composite_title` on each of `items` merged into a composite the user may see (one query; None
    otherwise): a list says into which composite an item went only to those who may open it."""
    ids = {item.outcome_composite_id for item in items if item.outcome_composite_id}
    titles = dict(access.visible(user, Item.objects.filter(pk__in=ids)).values_list("pk", "title")) if ids else {}
    for item in items:
        item.composite_title = titles.get(item.outcome_composite_id)


def clerk_start_page(user: User) -> dict[str, list[Item]]:
    """What the clerk's start page lists of their units' items, each with the deadline it races (`racing_due`): my
    drafts, items returned (with the reason), items awaiting sign-off (the one racing the nearest deadline first) and
    the latest items sent upward (with where each stands). Four queries."""
    units = unit_ids_where(user, Role.CLERK)
    mine = items_visible_to(user).filter(source_unit_id__in=units).annotate(racing_due=racing_due())
    soonest = F("racing_due").asc(nulls_last=True)
    return {
        "drafts": list(mine.filter(status=Item.Status.DRAFT, created_by=user).order_by(soonest, "-updated_at")[:10]),
        "returned": list(mine.filter(status=Item.Status.RETURNED).order_by(soonest, "-updated_at")[:10]),
        "pending": list(mine.filter(status=Item.Status.PENDING_SIGNOFF).order_by(soonest, "-submitted_at")[:10]),
        "sent": list(mine.filter(status=Item.Status.SIGNED_OFF).order_by("-submitted_at", "-id")[:8]),
    }


def filed_since(unit_ids, since) -> int:
    """How many items the units filed since `since` (one query)."""
    return Item.objects.filter(source_unit_id__in=unit_ids, submitted_at__gte=since).count()


def item_search(qs: QuerySet[Item], text: str, *, by_relevance: bool = False, indexed: bool = True) -> QuerySet[Item]:
    """Items whose title, keywords or body hold every whitespace-separated part of `text` exactly as typed, up to
    width and case (submissions.models.search_terms): whatever the segmenter makes of the sentence. With
    `by_relevance`, ordered by relevance (the title before the body, a whole word before a part of one), then most
    recently changed first. No letter or digit in `text`: `qs` unchanged.

    `indexed=False` for a list that is short whatever the query (a few thousand rows): each row of it is checked
    (ts_match_vq, the function behind @@, which no index answers), so its cost is bounded by the list, where the
    index would start from every item in the province that matches — tens of thousands for a common word."""
    terms = search_terms(text, rank=by_relevance)
    if terms is None:
        return qs
    if indexed:
        qs = qs.filter(search_document=TsQuery(terms.match))
    else:
        found = Func(F("search_document"), TsQuery(terms.match), function="ts_match_vq", output_field=BooleanField())
        qs = qs.alias(found=found).filter(found=True)
    if by_relevance:
        qs = qs.annotate(relevance=SearchRank(F("search_document"), TsQuery(terms.rank))).order_by(
            "-relevance", "-updated_at", "-id"
        )
    return qs


@dataclass(frozen=True)
class DiffSegment:
    op: str  # "equal", "insert" or "delete"
    text: str


def text_diff(old: str, new: str) -> list[DiffSegment]:
    """Character-level diff: Chinese has no spaces, so words are no unit to compare."""
    segments: list[DiffSegment] = []
    matcher = difflib.SequenceMatcher(a=old or "", b=new or "", autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(DiffSegment("equal", old[a1:a2]))
            continue
        if a2 > a1:
            segments.append(DiffSegment("delete", old[a1:a2]))
        if b2 > b1:
            segments.append(DiffSegment("insert", new[b1:b2]))
    return segments


def version_diff(older: ItemVersion, newer: ItemVersion) -> dict[str, list[DiffSegment]]:
    """{field: segments} for every content field that differs between two versions, as a reader reads the values
    (times in Asia/Shanghai, "2026-11-20 09:47:30")."""
    return {
        name: _field_diff(name, _readable(name, older.content.get(name)), _readable(name, newer.content.get(name)))
        for name in Item.CONTENT_FIELDS
        if older.content.get(name) != newer.content.get(name)
    }


# Running text is compared character by character; a time, a choice or a number is replaced whole ("old → new").
_TEXT_FIELDS = frozenset({"title", "body", "authors", "keywords", "event_place", "losses", "measures"})


def _field_diff(name: str, old: str, new: str) -> list[DiffSegment]:
    if name in _TEXT_FIELDS:
        return text_diff(old, new)
    return [segment for segment in (DiffSegment("delete", old), DiffSegment("insert", new)) if segment.text]


def _readable(name: str, value) -> str:
    """A version's stored value (JSON: times as ISO 8601 in UTC) as the pages show it."""
    field = Item._meta.get_field(name)
    if value and field.get_internal_type() == "DateTimeField":
        when = parse_datetime(value)
        return timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S") if when else str(value)
    if value and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value if value is not None else "")


def item_history(item: Item) -> list[AuditLog]:
    """The item's audit trail, oldest first: who did what, when, from which state to which, and why."""
    return list(
        AuditLog.objects.filter(object_type=Item._meta.label_lower, object_id=str(item.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def emergency_chain(user: User, item: Item) -> list[Item]:
    """The first report of an emergency and its filed follow-ups in order, as far as the user may see them."""
    first_id = item.chain_id
    if first_id is None:
        return []
    chain = items_visible_to(user).filter(Q(pk=first_id) | Q(first_report_id=first_id))
    return sorted(chain.filter(Q(submitted_at__isnull=False) | Q(pk=item.pk)), key=lambda i: i.follow_up_number or 0)
