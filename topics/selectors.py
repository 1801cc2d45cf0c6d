"""Reads of topic requests shared by pages, the API, the export and tasks (SPEC §7). Every list goes through the one
access rule: a target unit sees the requests sent to it, an office its own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from infohub import access, tree
from infohub.models import Level, Role, Unit, User
from infohub.openwork import counted
from infohub.roles import unit_ids_where
from publications.models import Credit, PublicationType
from reviews.models import Hop
from submissions.models import Item

from .models import Answer, Target, TopicRequest
from .permissions import ANSWER, DECLINE, DECLINE_AS_DIRECTOR, SIGN_DECLINE

# --- who may be asked ----------------------------------------------------------------------------------------------

OFFICE_KINDS = (Unit.Kind.COMMITTEE_OFFICE, Unit.Kind.GOVERNMENT_OFFICE)


def issuing_offices(user: User) -> QuerySet[Unit]:
    """The offices where `user` may issue topic requests: committee and government offices where they are an
    editor."""
    return Unit.objects.filter(pk__in=unit_ids_where(user, Role.EDITOR), kind__in=OFFICE_KINDS, is_active=True)


def targetable(office: Unit) -> QuerySet[Unit]:
    """The units an office may ask (SPEC §7 "picked from its jurisdiction"): the active units below it in the tree,
    and those reporting to it from elsewhere (a direct-reporting point), itself excluded; in tree order."""
    return (Unit.objects.filter(is_active=True).filter(tree.within([office.pk]) | tree.reporting_to([office.pk]))
            .exclude(pk=office.pk).order_by("path"))


# The groups an office may ask at once: label and the filter on its targetable units.
GROUPS: dict[str, tuple[str, object]] = {
    # every county (district) office in the jurisdiction: a city's counties, a province's counties of all its cities
    "counties": (_("All counties"), lambda office: Q(level=Level.COUNTY, kind__in=OFFICE_KINDS)),
    # the departments that report to the office (市直部门 / 省直部门)
    "departments": (_("All departments"), lambda office: Q(kind=Unit.Kind.DEPARTMENT) & tree.reporting_to([office.pk])),
    # the direct-reporting points and special information officers that report to the office
    "direct_points": (_("All direct-reporting points"),
                      lambda office: Q(kind__in=(Unit.Kind.DIRECT_POINT, Unit.Kind.SPECIAL_OFFICER))
                      & tree.reporting_to([office.pk])),
}


def group_units(office: Unit, group: str) -> QuerySet[Unit]:
    """The targetable units of `office` in `group` (a key of GROUPS)."""
    return targetable(office).filter(GROUPS[group][1](office))


# --- requests ------------------------------------------------------------------------------------------------------

TABS = ("received", "office")


def request_list(user: User, *, tab: str = "", status: str = "", q: str = "") -> QuerySet[TopicRequest]:
    """Requests `user` may see, newest first: "received" — sent to my units; "office" — my offices' own; default
    both. `status`: "open" (open and not yet due), "due" (open, due passed), "withdrawn"."""
    requests = access.visible(user, TopicRequest.objects.all())
    if tab == "received":
        requests = requests.filter(pk__in=Target.objects.filter(
            unit_id__in=unit_ids_where(user, *access.SOURCE_ROLES)).values("request_id"))
    elif tab == "office":
        requests = requests.filter(office_id__in=unit_ids_where(user, *access.OFFICE_ROLES))
    now = timezone.now()
    if status == "open":
        requests = requests.filter(status=TopicRequest.Status.OPEN, due_at__gt=now)
    elif status == "due":
        requests = requests.filter(status=TopicRequest.Status.OPEN, due_at__lte=now)
    elif status == "withdrawn":
        requests = requests.filter(status=TopicRequest.Status.WITHDRAWN)
    if q.strip():
        requests = requests.filter(Q(subject__icontains=q.strip()) | Q(guidance__icontains=q.strip()))
    return requests.select_related("office", "publication").order_by("-created_at", "-id")


def request_for(user: User, pk) -> TopicRequest:
    """A request `user` may see; otherwise Http404, as if it did not exist."""
    return access.get_visible(user, TopicRequest.objects.select_related("office", "publication", "created_by"), pk)


def is_requesting_office(user: User, request: TopicRequest) -> bool:
    """Whether `user` sees `request` as (a person of) the office that issued it: the status board is theirs."""
    return request.office_id in unit_ids_where(user, *access.OFFICE_ROLES)


def target_for(user: User, pk) -> Target:
    return access.get_visible(user, Target.objects.select_related("request", "request__office", "unit"), pk)


def my_targets(user: User, request: TopicRequest) -> list[Target]:
    """The targets of `request` that are my units' (where I hold a unit role), in tree order."""
    return list(Target.objects.filter(request=request, unit_id__in=unit_ids_where(user, *access.SOURCE_ROLES))
                .select_related("unit", "decline_by", "decline_signed_by").order_by("unit__path"))


def publications_for(office: Unit) -> QuerySet[PublicationType]:
    """The publications a request of `office` may be for: its own active ones."""
    return PublicationType.objects.filter(office=office, is_active=True).order_by("name")


# --- the status board ----------------------------------------------------------------------------------------------


class BoardState:
    """Where one target unit stands (SPEC §7): the board's five columns. Mutually exclusive; they add up."""

    ANSWERED = "answered"
    LATE = "late"
    DECLINED = "declined"
    WAITING = "waiting"
    IGNORED = "ignored"
    LABELS = {
        ANSWERED: _("Answered with items"),
        LATE: _("Answered with items, late"),
        DECLINED: _("Nothing to report"),
        WAITING: _("No answer yet"),
        IGNORED: _("Due passed with nothing"),
    }
    ORDER = (ANSWERED, LATE, DECLINED, WAITING, IGNORED)


BOARD_STATES = [(key, BoardState.LABELS[key]) for key in BoardState.ORDER]


def board_state(now: datetime | None = None) -> Case:
    """The target's BoardState as an SQL expression: answered after the due time is "late"; no reply and the due time
    passed is "ignored" (whether or not the sweep has recorded it yet: the board shows the time, the record follows
    within a sweep)."""
    now = now or timezone.now()
    return Case(
        When(reply=Target.Reply.ANSWERED, answered_at__gt=F("due_at"), then=Value(BoardState.LATE)),
        When(reply=Target.Reply.ANSWERED, then=Value(BoardState.ANSWERED)),
        When(reply=Target.Reply.DECLINED, then=Value(BoardState.DECLINED)),
        When(due_at__lte=now, then=Value(BoardState.IGNORED)),
        default=Value(BoardState.WAITING),
        output_field=CharField(),
    )


BOARD_SORTS = {
    "unit": ("unit__path",),
    "state": ("state_rank", "unit__path"),
    "replied": (F("answered_at").asc(nulls_last=True), "unit__path"),
}


def board(request: TopicRequest, *, state: str = "", group: str = "", sort: str = "",
          now: datetime | None = None) -> QuerySet[Target]:
    """The board's rows: every target of `request` with its `state` (BoardState), filtered by state and by unit group
    (a key of GROUPS), sorted by unit (tree order), state or reply time. The caller has checked that the reader is of
    the requesting office (`is_requesting_office`): the board is theirs alone.

    One query, whatever the number of rows: each row comes with its unit, office and decliners, and its `request` is
    `request` itself (read through the request's own relation, so no row asks for it again)."""
    targets = request.targets.annotate(state=board_state(now))
    if state in BoardState.LABELS:
        targets = targets.filter(state=state)
    if group in GROUPS:
        targets = targets.filter(unit__in=group_units(request.office, group))
    if sort == "state":
        targets = targets.annotate(state_rank=Case(
            *[When(state=value, then=Value(rank)) for rank, value in enumerate(BoardState.ORDER)],
            output_field=IntegerField()))
    return targets.select_related("unit", "office", "decline_by", "decline_signed_by").order_by(
        *BOARD_SORTS.get(sort, BOARD_SORTS["unit"]))


def board_counts(request: TopicRequest, *, now: datetime | None = None) -> dict[str, int]:
    """{state: how many targets} for every BoardState, and "total". One query."""
    found = dict(Target.objects.filter(request=request).annotate(state=board_state(now)).order_by()
                 .values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    counts = {state: found.get(state, 0) for state in BoardState.ORDER}
    counts["total"] = sum(counts.values())
    return counts


def board_page(request: TopicRequest, *, state: str = "", group: str = "", sort: str = "", page=None,
               size: int = 50) -> tuple[Page, dict[str, int]]:
    """One page of the board (`size` rows of `board`, the page number as infohub.params.page gives it) and the
    board's counts (`board_counts`), both read at the same instant. The page's total is taken from the counts when
    no unit group narrows the rows (the counts are the whole request's): two queries, not three."""
    now = timezone.now()
    counts = board_counts(request, now=now)
    paginator = Paginator(board(request, state=state, group=group, sort=sort, now=now), size)
    if group not in GROUPS:
        paginator.count = counts[state] if state in BoardState.LABELS else counts["total"]  # the cached property
    return paginator.get_page(page), counts


@dataclass
class AnswerRow:
    """An answer item as the board shows it: its title when the reader may see the item, and what became of it —
    where it stands in its unit (awaiting sign-off…), each office it reached and what that office did (the item's
    lineage, shown to whoever may see the item), and the publications it appeared in."""

    answer: Answer
    item: Item | None  # None: the reader may not see it (not sent yet, or above their clearance)
    hops: list[Hop] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return bool(self.answer.sent_at and self.answer.sent_at > self.answer.target.due_at)


def answers_of(user: User, targets) -> dict[int, list[AnswerRow]]:
    """{target id: [AnswerRow]} for `targets`, each answer's item shown only if `user` may see it. Four queries
    whatever the number of targets."""
    targets = {t.pk: t for t in targets}
    if not targets:
        return {}
    answers = list(Answer.objects.filter(target_id__in=list(targets)).order_by("linked_at", "id"))
    # the answer rows show an item's title and status: its body and search vector are not read
    visible = {item.pk: item for item in access.visible(user, Item.objects.filter(
        pk__in=[a.item_id for a in answers]).defer("body", "search_document"))} if answers else {}
    hops, credits = defaultdict(list), defaultdict(list)
    if visible:
        for hop in Hop.objects.filter(item_id__in=list(visible)).select_related("office").order_by("received_at", "id"):
            hops[hop.item_id].append(hop)
        for credit in access.visible(user, Credit.objects.filter(item_id__in=list(visible))
                                     .select_related("issue", "issue__ptype")).order_by("signed_at", "id"):
            credits[credit.item_id].append(credit)
    rows = defaultdict(list)
    for answer in answers:
        answer.target = targets[answer.target_id]
        item = visible.get(answer.item_id)
        rows[answer.target_id].append(AnswerRow(answer, item, hops.get(answer.item_id, []),
                                                list({c.issue_id: c for c in credits.get(answer.item_id, [])}.values())))
    return rows


# --- the item editor and the start page ----------------------------------------------------------------------------


def answerable_targets(user: User, *, unit_id: int | None = None) -> QuerySet[Target]:
    """Targets an item of `user`'s may answer now (the right ANSWER: an open request to one of their clerk units that
    the unit has not declined), soonest due first; only `unit_id`'s when given (an item's own unit)."""
    targets = ANSWER.listed(user, Target.objects.filter(closed_at__isnull=True))
    if unit_id is not None:
        targets = targets.filter(unit_id=unit_id)
    return targets.select_related("request", "request__office", "unit").order_by("due_at", "pk")


def linkable_items(user: User, target: Target, *, days: int = 60) -> list[Item]:
    """Items of the target's unit that could answer it (not answering any request): still in the unit, or sent in the
    last `days` days; the latest first, at most 50."""
    since = timezone.now() - timedelta(days=days)
    items = access.visible(user, Item.objects.filter(source_unit_id=target.unit_id, topic_answer__isnull=True)).filter(
        Q(status__in=(Item.Status.DRAFT, Item.Status.RETURNED, Item.Status.PENDING_SIGNOFF)) | Q(updated_at__gte=since))
    return list(items.order_by("-updated_at", "-id")[:50])


def answer_of_item(item: Item) -> Answer | None:
    return Answer.objects.filter(item=item).select_related("target", "target__request", "target__request__office",
                                                           "target__request__publication").first()


def start_page(user: User) -> dict:
    """For the start page (SPEC §10): topic requests my units owe (no reply yet, soonest due first, each with its
    `reason`), "nothing to report" replies awaiting my signature, and my offices' open requests with how many targets
    replied and how many are overdue (no reply, due time passed). Three queries at most; nothing for someone with no
    role."""
    units = unit_ids_where(user, *access.SOURCE_ROLES)
    context = {}
    now = timezone.now()
    if units:
        owed = (access.visible(user, Target.objects.filter(unit_id__in=units, closed_at__isnull=True, reply__in=(
            Target.Reply.WAITING, Target.Reply.DECLINE_PENDING))).select_related("request", "request__office", "unit")
            .order_by("due_at", "pk"))
        context["topics_owed"] = list(owed[:10])
        for target in context["topics_owed"]:
            target.reason = target_reason(target, now)
        if unit_ids_where(user, Role.DIRECTOR):
            context["topics_to_sign"] = list(SIGN_DECLINE.listed(user, Target.objects.all())
                                             .select_related("request", "unit").order_by("due_at", "pk")[:10])
    offices = unit_ids_where(user, Role.EDITOR, Role.DIRECTOR)
    if offices:
        offices &= set(Unit.objects.filter(pk__in=offices, kind__in=OFFICE_KINDS).values_list("pk", flat=True))
    if offices:
        replied = Q(targets__reply__in=(Target.Reply.ANSWERED, Target.Reply.DECLINED))
        overdue = Q(targets__answered_at__isnull=True, targets__closed_at__isnull=True, targets__due_at__lte=now)
        context["topics_issued"] = list(
            TopicRequest.objects.filter(office_id__in=offices, status=TopicRequest.Status.OPEN)
            .annotate(n_targets=Count("targets"), n_replied=Count("targets", filter=replied),
                      n_overdue=Count("targets", filter=overdue))
            .select_related("office").order_by("due_at", "pk")[:10])
    context = {key: rows for key, rows in context.items() if rows}
    if context:
        context["topics_now"] = now
    return context


def target_reason(target: Target, now: datetime | None = None) -> str:
    """Why a target its unit still owes is where it is, in words (SPEC §7, §10): past the due time (recorded as
    ignored; an answer now is recorded late), "nothing to report" awaiting the director or returned by the director
    with the reason, else no answer yet and by when."""
    now = now or timezone.now()
    parts = []
    due = timezone.localtime(target.due_at).strftime("%m-%d %H:%M")
    if target.is_open and target.due_at <= now:
        parts.append(str(_("Past the due time (%(due)s)") % {"due": due}))
        if target.overdue_recorded_at:
            parts.append(str(_("recorded as ignored; an answer now is recorded late")))
    if target.reply == Target.Reply.DECLINE_PENDING:
        parts.append(str(_("“Nothing to report” awaiting the director's signature")))
    elif target.reply == Target.Reply.WAITING and target.decline_return_reason:
        parts.append(str(_("“Nothing to report” returned by the director: %(reason)s") % {
            "reason": target.decline_return_reason[:80]}))
    if not parts:
        parts.append(str(_("No answer yet, due by %(due)s") % {"due": due}))
    return "；".join(parts)


def may_decline(user: User, target: Target) -> bool:
    return DECLINE.allows(user, target) or DECLINE_AS_DIRECTOR.allows(user, target)


def open_work(unit_ids) -> list[tuple[int, str, int]]:
    """infohub.openwork: the topic requests (约稿) these units have not answered, and the open requests these offices
    sent. Two queries."""
    return [*counted(Target.objects.filter(unit_id__in=unit_ids, answered_at=None, closed_at=None), "unit_id",
                     _("topic requests to answer")),
            *counted(TopicRequest.objects.filter(office_id__in=unit_ids, status=TopicRequest.Status.OPEN), "office_id",
                     _("topic requests it sent, still open"))]
