"""Reads of publications shared by pages, the API and tasks. Every read goes through the access rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from infohub import access, params, tree
from infohub.models import Classification, Role, RoleAssignment, Unit, User
from infohub.openwork import counted
from infohub.roles import unit_ids_where
from reviews.models import Hop
from submissions.models import Item, Urgency
from submissions.selectors import item_search

from . import permissions
from .models import (
    Credit,
    DistributionKind,
    Entry,
    Issue,
    IssueExport,
    IssueKind,
    PublicationType,
    Recipient,
    TypeRecipient,
)

# --- issues and types -------------------------------------------------------------------------------------------


def issues_visible_to(user: User) -> QuerySet[Issue]:
    """Issues the user may see: their offices' own (as clerk, editor or director) and the signed issues sent to a
    unit where they hold an office role (a leader among them), up to their clearance."""
    return access.visible(user, Issue.objects.select_related("ptype", "office"))


def issue_for(user: User, pk, *, read: str | None = None) -> Issue:
    """The issue if the user may see it; otherwise Http404, as if it did not exist. `read` names the door when the
    issue is shown (reading a classified issue is audited)."""
    # The later signatories are read when shown (null until then): each join here costs Postgres more to plan than
    # the query costs to run.
    return access.get_visible(user, Issue.objects.select_related("ptype", "office", "created_by"), pk, read=read)


def types_visible_to(user: User) -> QuerySet[PublicationType]:
    defaults = TypeRecipient.objects.select_related("unit").order_by(DistributionKind.in_order(), "position", "id")
    return access.visible(user, PublicationType.objects.select_related("office")).prefetch_related(
        Prefetch("default_recipients", queryset=defaults))


def type_for(user: User, pk) -> PublicationType:
    return access.get_visible(user, PublicationType.objects.select_related("office"), pk)


def types_to_start(user: User) -> QuerySet[PublicationType]:
    """Active types whose issues the user may start (the right "start": the type's compiling role in its office)."""
    return (permissions.listed("start", user, PublicationType.objects.filter(is_active=True))
            .select_related("office").order_by("office__path", "name"))


TABS = ("received", "office", "to_review", "to_sign")


def issue_list(user: User, *, tab: str = "", ptype: str = "", year: str = "") -> QuerySet[Issue]:
    """The publications list: "received" — signed issues sent to my units; "office" — my offices' own, in every
    state; "to_review" / "to_sign" — what waits for me (the rights of those actions); default: all I may see."""
    if tab == "to_review":
        issues = permissions.listed("review", user, Issue.objects.all())
    elif tab == "to_sign":
        issues = permissions.listed("sign", user, Issue.objects.all())
    else:
        issues = issues_visible_to(user)
        if tab == "received":
            issues = issues.filter(status=Issue.Status.SIGNED, deliveries__unit_id__in=unit_ids_where(user))
        elif tab == "office":
            issues = issues.filter(office_id__in=unit_ids_where(user, *access.SOURCE_ROLES))
    if (ptype_id := params.object_id(ptype)) is not None:
        issues = issues.filter(ptype_id=ptype_id)
    if (year_number := params.object_id(year)) is not None and year_number <= 9999:
        issues = issues.filter(year=year_number)
    return issues.select_related("ptype", "office", "created_by").distinct().order_by(
        "-signed_at", "-created_at", "-id")


def start_page(user: User) -> dict:
    """For the start page: the issues waiting for me (to review, to sign, being compiled by my offices) and the
    latest issues sent to my units. Three queries; nothing for someone with no role."""
    if not unit_ids_where(user):
        return {}
    waiting = (permissions.listed("review", user, Issue.objects.all())
               | permissions.listed("sign", user, Issue.objects.all())
               | permissions.listed("compile", user, Issue.objects.all()))
    return {
        "issues_waiting": list(waiting.select_related("ptype").order_by("-updated_at", "-id")[:10]),
        "issues_received": list(issue_list(user, tab="received")[:5]),
    }


# --- what an issue holds -------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Why an item of an issue stands in the way of its signature."""

    entry: Entry
    reason: str

    def __str__(self) -> str:
        return f"“{self.entry.shown_title}”：{self.reason}"


def latest_hops_at(office_id: int, item_ids) -> dict[int, Hop]:
    """{item id: the item's latest hop at the office} (one query)."""
    latest = {}
    for hop in (Hop.objects.filter(office_id=office_id, item_id__in=list(item_ids))
                .select_related("acted_by").order_by("item_id", "received_at", "id")):
        latest[hop.item_id] = hop
    return latest


def problems_of(issue: Issue, entries: list[Entry]) -> list[Problem]:
    """The items that keep the issue from being signed, and why: being edited (returned for revision, or
    re-filed and awaiting their unit's sign-off again), withdrawn to a draft, or no longer adopted at the office
    (returned and sent again, so its latest arrival there is undecided or was not adopted). Reads the entries'
    items as given (the signing service passes them locked) and their hops (one query)."""
    hops = latest_hops_at(issue.office_id, [e.item_id for e in entries])
    problems = []
    for entry in entries:
        item = entry.item
        if item.status == Item.Status.RETURNED:
            problems.append(Problem(entry, _("it is being edited: returned for revision (%(reason)s)")
                                    % {"reason": item.return_reason or "—"}))
        elif item.status == Item.Status.DRAFT:
            problems.append(Problem(entry, _("it was withdrawn by its unit and is a draft again")))
        elif item.status == Item.Status.PENDING_SIGNOFF:
            problems.append(Problem(entry, _("it is being edited: re-filed and awaiting its unit's sign-off")))
        hop = hops.get(item.pk)
        if hop is None or hop.status != Hop.Status.ADOPTED:
            state = hop.get_status_display() if hop else "—"
            problems.append(Problem(entry, _("it is no longer adopted at %(office)s (now “%(state)s”)")
                                    % {"office": issue.office, "state": state}))
    return problems


def entries_of(issue: Issue) -> list[Entry]:
    """The issue's items in order, each with its item, unit and the sources of a composite (two queries; never the
    items' search vectors)."""
    sources = Item.objects.select_related("source_unit").defer("search_document")
    return list(issue.entries.select_related("item", "item__source_unit").defer("item__search_document")
                .prefetch_related(Prefetch("item__merged_from", queryset=sources))
                .order_by("position"))


def highest_marks(issue: Issue, items: list[Item]) -> tuple[str, str]:
    """(classification, urgency) of an issue holding these items: the highest of its items' (and, for the mark,
    its type's default label)."""
    marks = [issue.ptype.classification, *(i.classification for i in items)]
    classification = max(marks, key=Classification.rank)
    urgency = min((i.urgency for i in items), key=Urgency.rank, default=Urgency.NORMAL)
    return classification, urgency


def sources_label(item: Item) -> str:
    """（东湖区委办公室）, or （根据东湖区委办公室、西岭县委办公室报送信息综合） for a composite item."""
    sources = sorted(item.merged_from.all(), key=lambda source: source.pk)
    if not sources:
        return f"（{item.source_unit.name}）"
    names = list(dict.fromkeys(s.source_unit.name for s in sources))
    return f"（根据{'、'.join(names)}报送信息综合）"


def candidates(user: User, issue: Issue, *, q: str = "", category: str = "", sender: str = "") -> QuerySet[Hop]:
    """Items adopted at the issue's office that no issue of its type holds yet (compiled or signed), the latest
    adopted first: what the editor may add. Through the access rule (the editor's office, their clearance)."""
    used = Entry.objects.filter(issue__ptype_id=issue.ptype_id, item_id=OuterRef("item_id"))
    hops = access.visible(user, Hop.objects.filter(office_id=issue.office_id, status=Hop.Status.ADOPTED))
    hops = hops.filter(~Exists(used))
    if category:
        hops = hops.filter(item__category=category)
    if sender.isdigit():
        hops = hops.filter(sender_id=int(sender))
    if q.strip():
        hops = hops.filter(item__in=item_search(Item.objects.all(), q))
    return hops.order_by("-acted_at", "-id")


def publication_scope(ptype_id: int) -> str:
    """The list-cache scope (infohub.listcache) of what a publication's issues hold: its compile pages' lists of
    adopted items not yet in it follow it."""
    return f"publication:{ptype_id}"


CANDIDATE_COLUMNS = ("id", "item_id", "item__title", "item__urgency", "item__classification", "item__category",
                     "item__source_unit_id", "adoption", "acted_at")


def recipients_of(issue: Issue) -> list[Recipient]:
    """The issue's distribution, 报 then 送 then 发, each in its order."""
    return list(issue.recipients.select_related("unit").order_by(DistributionKind.in_order(), "position", "id"))


def distribution_units(issue: Issue) -> list[tuple[int, str]]:
    """(id, name) of the units an issue is usually sent to: the offices above its office (报), the office itself
    and the units beside it (送), the units below it and those reporting to it (发), in tree order."""
    office = issue.office
    near = (Q(pk__in=tree.ancestor_ids(office)) | Q(parent_id=office.parent_id) | Q(parent_id=office.pk)
            | tree.reporting_to([office.pk]))
    return list(Unit.objects.filter(near, is_active=True).order_by("path").values_list("pk", "name"))


# --- what gets printed -------------------------------------------------------------------------------------------


@dataclass
class PrintedItem:
    pk: int
    title: str
    paragraphs: list[str]
    sources: str


@dataclass
class Printable:
    """Everything an export or the print view shows, in Chinese whatever the reader's language: the .docx, the PDF
    made from it and the print view are drawn from this one object, so they cannot drift apart."""

    masthead: str
    number_label: str
    office: str
    date: date
    classification: str  # the printed mark, "" for 公开
    urgency: str  # 特急 / 加急, "" for 平件
    copy_number: str  # 份号, for classified issues
    editor_note: str
    items: list[PrintedItem]
    distribution: list[tuple[str, str]] = field(default_factory=list)  # [(报, "江南省委办公厅，…"), …]
    copies: int = 0
    editor: str = ""
    reviewer: str = ""
    signer: str = ""
    signed: bool = False
    file_stem: str = ""

    @property
    def date_label(self) -> str:
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"


def short_name(user: User | None) -> str:
    """A person as an end block names them: the display name without its bracketed unit."""
    if user is None:
        return ""
    return str(user).split("（")[0].split("(")[0].strip()


def printable(issue: Issue, *, entries: list[Entry] | None = None,
              recipients: list[Recipient] | None = None) -> Printable:
    entries = entries_of(issue) if entries is None else entries
    with translation.override("zh-hans"):
        classification = "" if issue.classification == Classification.PUBLIC else str(issue.get_classification_display())
        urgency = "" if issue.urgency == Urgency.NORMAL else str(issue.get_urgency_display())
    items = []
    for entry in entries:
        if issue.is_signed:
            title, body, sources = entry.printed_title, entry.printed_body, entry.printed_sources
        else:
            title, body, sources = entry.title or entry.item.title, entry.item.body, sources_label(entry.item)
        paragraphs = [p.strip() for p in body.replace("\r\n", "\n").split("\n") if p.strip()]
        items.append(PrintedItem(entry.pk, title, paragraphs, sources))
    distribution = []
    recipients = recipients_of(issue) if recipients is None else recipients
    for kind in DistributionKind:
        names = list(dict.fromkeys(str(r) for r in recipients if r.kind == kind))
        if names:
            distribution.append((kind.prefix, "，".join(names) + "。"))
    day = issue.issue_date or timezone.localdate()
    stem = f"{issue.ptype.name}{day.year}年{'增刊' if issue.kind == IssueKind.SUPPLEMENT else ''}"
    stem += f"第{issue.number}期" if issue.number else f"（草稿{issue.pk}-{issue.revision}）"
    return Printable(
        masthead=issue.ptype.masthead_text,
        number_label=issue.number_label,
        office=issue.office.name,
        date=day,
        classification=classification,
        urgency=urgency,
        copy_number="000001" if issue.is_classified else "",
        editor_note=issue.editor_note.strip(),
        items=items,
        distribution=distribution,
        copies=issue.copies,
        editor=short_name(issue.created_by),
        reviewer=short_name(issue.reviewed_by),
        signer=short_name(issue.signed_by),
        signed=issue.is_signed,
        file_stem=stem,
    )


# --- exports -----------------------------------------------------------------------------------------------------


def current_export(issue: Issue, fmt: str) -> IssueExport | None:
    """The export of the issue's current revision in this format, if one was asked for."""
    return IssueExport.objects.filter(issue=issue, format=fmt, revision=issue.revision).first()


def export_ascii_name(issue: Issue, fmt: str) -> str:
    """An export's name for clients that cannot read a Chinese one (Content-Disposition's `filename`; the Chinese
    name, 临江信息2026年第3期.pdf, goes in `filename*`): issue-2026-no3.pdf, issue-2026-supplement-no1.pdf, or
    issue-draft-57.pdf before the issue has its number."""
    if not issue.number:
        return f"issue-draft-{issue.pk}.{fmt}"
    supplement = "supplement-" if issue.kind == IssueKind.SUPPLEMENT else ""
    return f"issue-{issue.year}-{supplement}no{issue.number}.{fmt}"


def current_exports(issue: Issue) -> dict[str, IssueExport | None]:
    """{format: the export of the issue's current revision, or None}, in one query."""
    made = {e.format: e for e in IssueExport.objects.filter(issue=issue, revision=issue.revision)}
    return {fmt: made.get(fmt) for fmt in IssueExport.Format.values}


# --- credit --------------------------------------------------------------------------------------------------------


def credits_visible_to(user: User) -> QuerySet[Credit]:
    return access.visible(user, Credit.objects.select_related("issue", "issue__ptype", "unit", "ptype", "office",
                                                              "item", "source_item"))


def credits_of_item(user: User, item: Item) -> list[Credit]:
    """Every use of the item in a signed issue the user may know of: as itself, or as a source of a composite."""
    return list(credits_visible_to(user).filter(Q(item=item) | Q(source_item=item)).order_by("signed_at", "id"))


def adopted_items(user: User, *, unit: str = "", q: str = "") -> QuerySet[Item]:
    """My units' items adopted somewhere (their list of adopted items), the latest first, each with its adoptions
    and its uses in publications (prefetched through the access rule)."""
    units = unit_ids_where(user, *access.SOURCE_ROLES)
    if unit.isdigit() and int(unit) in units:
        units = {int(unit)}
    adopted = Hop.objects.filter(item_id=OuterRef("pk"), status=Hop.Status.ADOPTED)
    merged_adopted = Hop.objects.filter(item__merged_from=OuterRef("pk"), status=Hop.Status.ADOPTED)
    items = access.visible(user, Item.objects.filter(source_unit_id__in=units)).filter(
        Exists(adopted) | Exists(merged_adopted))
    if q.strip():
        items = item_search(items, q)
    return (items.select_related("source_unit")
            .prefetch_related(
                Prefetch("hops", queryset=Hop.objects.filter(status=Hop.Status.ADOPTED).select_related("office"),
                         to_attr="adoptions"),
                Prefetch("publication_source_credits", queryset=credits_visible_to(user).order_by("signed_at", "id"),
                         to_attr="credits"))
            .order_by("-submitted_at", "-id"))


def is_recipient(user: User, issue: Issue) -> bool:
    """Whether the issue was sent to one of the units where the user holds an office role."""
    return issue.is_signed and issue.deliveries.filter(unit_id__in=unit_ids_where(user, *access.OFFICE_ROLES)).exists()


def recipients_to_tell(unit_ids) -> QuerySet[User]:
    """The people told of an issue sent to these units: their leaders, directors and editors (the access rule then
    keeps those who may see it)."""
    return User.objects.filter(
        pk__in=RoleAssignment.objects.filter(unit_id__in=list(unit_ids),
                                             role__in=(Role.LEADER, Role.DIRECTOR, Role.EDITOR)).values("user_id"),
        is_active=True).order_by("pk")


def open_work(unit_ids) -> list[tuple[int, str, int]]:
    """infohub.openwork: the issues these offices are compiling, reviewing or signing. One query."""
    return counted(Issue.objects.filter(office_id__in=unit_ids).exclude(status=Issue.Status.SIGNED), "office_id",
                   gettext_lazy("issues not yet signed"))
