"""Reads of information items shared by pages, the API and tasks. Every read is scoped to the user."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchRank
from django.db.models import BooleanField, F, Func, Max, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from infohub import access, tree
from infohub.models import AuditLog, Role, Unit, User
from infohub.openwork import counted
from infohub.roles import unit_ids_where

from .deadlines import racing_due
from .models import (
    Category,
    Item,
    ItemVersion,
    ReportKind,
    TsQuery,
    lexemes_of,
    report_label,
    search_fold,
    search_terms,
)


def items_visible_to(user: User) -> QuerySet[Item]:
    """Items the user may see (infohub.access: their own units' items, and those that reached their offices, up
    to their clearance), with the unit and author selected for lists."""
    return access.visible(user, Item.objects.select_related("source_unit", "created_by"))


def item_for(user: User, pk, *, read: str | None = None) -> Item:
    """The item if the user may see it; otherwise Http404, exactly as if it did not exist. `read` names the door
    when the item is shown (a classified read is then audited: infohub.access.get_visible)."""
    return access.get_visible(user, Item.objects.select_related("source_unit", "created_by"), pk, read=read)


def joint_unit_choices(units) -> QuerySet[Unit]:
    """The units that may file an item jointly (合报, SPEC §9) with one of `units` (Unit objects): the active units in
    the jurisdiction of the office each one's items go to (infohub.tree.destination_of), that office itself and the
    unit excluded; for a unit at the top of the chain, the units below it. In tree order. One query (with the
    offices' paths, read from each unit's `upstream`/`parent`: one query each unless selected)."""
    condition = Q(pk__in=[])
    for unit in units:
        office = tree.destination_of(unit) or unit
        condition |= Q(path__startswith=office.path) & ~Q(pk__in=[office.pk, unit.pk])
    return Unit.objects.filter(condition, is_active=True).order_by("path")


def joint_units_allowed(unit: Unit, chosen) -> tuple[list[Unit], list[int]]:
    """(units, refused): `chosen` (Units or integer ids) normalised for an item of `unit` — each once, the source unit
    itself dropped, in tree order — and the ids of those that may not file jointly with it (joint_unit_choices)."""
    ids = {int(getattr(u, "pk", u)) for u in chosen} - {unit.pk}
    allowed = list(joint_unit_choices([unit]).filter(pk__in=ids))
    return allowed, sorted(ids - {u.pk for u in allowed})


def composite_sources(user: User, item: Item) -> tuple[list[Item], int]:
    """The items a composite (综合) item was merged from that `user` may see, oldest filed first, with their units
    and who filed each; and how many more it has that they may not see (named by no title, only counted)."""
    total = item.merged_from.count()
    if not total:
        return [], 0
    shown = list(access.visible(user, item.merged_from.select_related("source_unit", "created_by"))
                 .order_by("submitted_at", "id"))
    return shown, total - len(shown)


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
    """Set the title of the composite each of `items` was merged into where the user may see it, None otherwise:
    `composite_title` on model instances, `row["composite_title"]` on dicts of values() (rows with an
    `outcome_composite_id` column). One query, none for items merged into nothing: a list says into which composite
    an item went only to those who may open it."""
    rows = bool(items) and isinstance(items[0], dict)
    ids = {(item["outcome_composite_id"] if rows else item.outcome_composite_id) for item in items} - {None}
    titles = dict(access.visible(user, Item.objects.filter(pk__in=ids)).values_list("pk", "title")) if ids else {}
    for item in items:
        if rows:
            item["composite_title"] = titles.get(item["outcome_composite_id"])
        else:
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


SEARCH_RANKED = 1000  # a search is ranked among its most recently changed matches, this many at most


def ranked_recent(base: QuerySet[Item], found: QuerySet[Item], text: str, *,
                  among: int | None = None) -> QuerySet[Item]:
    """The `among` (SEARCH_RANKED) most recently changed items of `found` (a search, narrowed by the access rule and
    any filter), as rows of `base` ordered by relevance (as `item_search` with `by_relevance`: the title before the body, a whole word
    before a part of one, then the most recent). Ranking reads each row's vector (~5 KB, out of line): over the tens of
    thousands of matches of a common word it cost more than the rest of the page, while the index gives the matches
    and their dates without reading a vector. A search with more matches than `among` ranks the latest of them; an
    older one is found by more words, a filter, or the list sorted by date (over every match)."""
    terms = search_terms(text, rank=True)
    if terms is None:
        return found
    recent = found.order_by("-updated_at", "-id").values("pk")[:among or SEARCH_RANKED]
    return base.filter(pk__in=recent).annotate(
        relevance=SearchRank(F("search_document"), TsQuery(terms.rank))
    ).order_by("-relevance", "-updated_at", "-id")


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


# --- likely duplicates (SPEC §3: one event filed by several units) ------------------------------------------------

DUPLICATE_CANDIDATES = 400  # items compared at most per call, latest filed first

# The two-character pieces of an item's search vector (submissions.models: every CJK bigram of the text, and Latin
# runs of two): of its title and keywords (weight A), and of all its text.
_TITLE_PIECES = RawSQL(
    "ARRAY(SELECT l FROM unnest(tsvector_to_array(ts_filter(\"submissions_item\".\"search_document\", '{a}'))) AS l "
    "WHERE char_length(l) = 2)", [])
_TEXT_PIECES = RawSQL(
    "ARRAY(SELECT l FROM unnest(tsvector_to_array(\"submissions_item\".\"search_document\")) AS l "
    "WHERE char_length(l) = 2)", [])


@dataclass(frozen=True)
class Duplicate:
    """An item that likely reports the same event as another: `item` (its unit and author selected; no body),
    `similarity` 0–1 (the Dice coefficient of the two-character pieces of their titles or of their whole texts,
    whichever is higher), `linked` when someone already marked them as the same event (related items)."""

    item: Item
    similarity: float
    linked: bool = False

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


def _pieces(text: str) -> frozenset[str]:
    return frozenset(lexeme for lexeme in lexemes_of(search_fold(text)) if len(lexeme) == 2)


def _dice(a: frozenset, b: frozenset) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _same_place(a: str, b: str) -> bool:
    """Places as people write them: one inside the other (湖滨街道 / 东湖区湖滨街道), or half their pieces shared.
    An item that names no place is not told apart by it."""
    a, b = search_fold(a).strip(), search_fold(b).strip()
    if not a or not b:
        return True
    return a in b or b in a or _dice(_pieces(a), _pieces(b)) >= 0.5


def _moment(item) -> datetime:
    """When an item's event happened, as far as duplicates go: an emergency's event time, else its filing."""
    if item.category == Category.EMERGENCY and item.event_time:
        return item.event_time
    return item.submitted_at or item.created_at or timezone.now()


def _window(category: str) -> timedelta:
    if category == Category.EMERGENCY:
        return timedelta(hours=settings.INFOHUB_DUPLICATE_EVENT_HOURS)
    return timedelta(days=settings.INFOHUB_DUPLICATE_FILED_DAYS)


def likely_duplicates(user: User, items: list[Item], *, limit: int = 5) -> dict[int, list[Duplicate]]:
    """{item id: [Duplicate, most similar first, at most `limit`]} for each of `items`: filed items that `user` may
    see (infohub.access) and that likely report the same event — the same category, event times (emergencies; else
    filing times) within INFOHUB_DUPLICATE_EVENT_HOURS (INFOHUB_DUPLICATE_FILED_DAYS), the same place, and titles or
    texts at least INFOHUB_DUPLICATE_SIMILARITY alike (titles half that at one named place), compared on the
    two-character pieces their search vectors already hold, less those of the place.
    Never the item itself, its own emergency chain, nor items merged with it. Items without a category have none.

    Two statements for the whole list, whatever its length: the candidates (at most DUPLICATE_CANDIDATES, with their
    pieces), and the links and merges among them."""
    items = [item for item in items if item.pk and item.category]
    found: dict[int, list[Duplicate]] = {item.pk: [] for item in items}
    if not items:
        return found
    within = Q()
    for category in {item.category for item in items}:
        moments = [_moment(item) for item in items if item.category == category]
        field = "event_time" if category == Category.EMERGENCY else "submitted_at"
        within |= Q(category=category, **{f"{field}__range": (min(moments) - _window(category),
                                                              max(moments) + _window(category))})
    candidates = list(
        access.visible(user, Item.objects.filter(within, submitted_at__isnull=False))
        .select_related("source_unit", "created_by")
        .defer("body", "search_document", "losses", "measures")
        .annotate(title_pieces=_TITLE_PIECES, text_pieces=_TEXT_PIECES)
        .order_by("-submitted_at", "-id")[:DUPLICATE_CANDIDATES]
    )
    if not candidates:
        return found
    ids = set(found) | {c.pk for c in candidates}
    linked = set(Item.related_items.through.objects.filter(from_item_id__in=found, to_item_id__in=ids)
                 .values_list("from_item_id", "to_item_id"))
    composites: dict[int, set[int]] = {}  # item → the composites it is, or was merged into
    for composite, source in Item.merged_from.through.objects.filter(
            Q(from_item_id__in=ids) | Q(to_item_id__in=ids)).values_list("from_item_id", "to_item_id"):
        composites.setdefault(source, set()).add(composite)
        composites.setdefault(composite, set()).add(composite)
    threshold = settings.INFOHUB_DUPLICATE_SIMILARITY
    for item in items:
        title = _pieces(f"{item.title} {item.keywords}")
        text = title | _pieces(item.body)
        moment, window = _moment(item), _window(item.category)
        emergency = item.category == Category.EMERGENCY
        for other in candidates:
            if other.pk == item.pk or other.category != item.category or abs(_moment(other) - moment) > window:
                continue
            if item.chain_id and other.chain_id == item.chain_id:
                continue
            if composites.get(item.pk, set()) & composites.get(other.pk, set()):
                continue
            if emergency and not _same_place(item.event_place, other.event_place):
                continue
            # The place is compared above: its pieces say nothing more of what happened there. At one named place,
            # titles half as alike suffice (two reports of one event there are rarely worded alike).
            place = _pieces(f"{item.event_place} {other.event_place}") if emergency else frozenset()
            alike_titles = _dice(title - place, frozenset(other.title_pieces) - place)
            alike_texts = _dice(text - place, frozenset(other.text_pieces) - place)
            title_bar = threshold / 2 if place and item.event_place and other.event_place else threshold
            if alike_titles >= title_bar or alike_texts >= threshold:
                found[item.pk].append(Duplicate(other, round(max(alike_titles, alike_texts), 2),
                                                (item.pk, other.pk) in linked))
        found[item.pk].sort(key=lambda d: (-d.similarity, abs(_moment(d.item) - moment)))
        del found[item.pk][limit:]
    return found


def open_work(unit_ids) -> list[tuple[int, str, int]]:
    """infohub.openwork: the items of these units waiting on them — awaiting their director's sign-off, or returned to
    their clerks for revision. Two queries."""
    items = Item.objects.filter(source_unit_id__in=unit_ids)
    return [*counted(items.filter(status=Item.Status.PENDING_SIGNOFF), "source_unit_id",
                     gettext_lazy("items awaiting sign-off")),
            *counted(items.filter(status=Item.Status.RETURNED), "source_unit_id",
                     gettext_lazy("items returned for revision"))]
