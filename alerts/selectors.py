"""Reads of the emergency rules shared by pages, the API and tasks; each goes through the one access rule."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, DateTimeField, Expression, F, Min, Q, QuerySet
from django.utils.translation import gettext_lazy

from infohub import access, tree
from infohub.models import Role, Unit, User
from infohub.openwork import counted
from infohub.roles import unit_ids_where
from reviews.models import Hop
from reviews.permissions import REVIEW
from submissions.deadlines import Racing
from submissions.models import Item, ReportKind

from .models import Chase, Clock, Lapse
from .permissions import ON_DUTY


def urgent_queue(user: User) -> QuerySet[Clock]:
    """Every open deadline my duty offices are waiting for (the right ON_DUTY: what I may acknowledge), least time
    left first."""
    return (
        ON_DUTY.listed(user, Clock.objects.filter(stopped_at=None))
        .select_related("item", "unit", "office", "chase", "acknowledged_by")
        .defer("item__body", "item__search_document", "item__losses", "item__measures", "reminder_plan")
        .order_by("due_at", "id")
    )


def merged_into(user: User, clock: Clock) -> Item | None:
    """The composite (综合) the clock's report was merged into, when the clock stopped for it (stopped_by "merged" at
    the merge, "composite" when the composite arrived: alerts.services.on_items_merged) and `user` may see that
    composite by the access rule; None otherwise. One query at most."""
    if clock.stopped_by not in ("merged", "composite") or not clock.item_id or not clock.item.outcome_composite_id:
        return None
    return access.visible(user, Item.objects.filter(pk=clock.item.outcome_composite_id)).first()


def queue_counts(clocks: QuerySet[Clock], now) -> dict[str, int]:
    """{"open", "overdue", "unacknowledged"}: how many of `clocks` (an urgent queue) are open, past their due time
    at `now` (marked late or not yet), and not yet acknowledged. One statement."""
    return clocks.order_by().aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(due_at__lte=now)),
        unacknowledged=Count("id", filter=Q(acknowledged_at=None)),
    )


def clock_for(user: User, pk, *, read: str | None = None) -> Clock:
    """A clock the user may see (the waiting office's people, the reporting unit's, within their clearance of the
    emergency's mark); otherwise Http404. `read` names the door when the emergency is shown (audited if classified)."""
    clocks = Clock.objects.select_related("item", "item__source_unit", "unit", "office", "chase", "acknowledged_by")
    return access.get_visible(user, clocks, pk, read=read)


def lapses_visible_to(user: User) -> QuerySet[Lapse]:
    """Lapses of my own units, and of every unit below the offices where I work; not those a correction withdrew
    (they stay on record, in the admin and the audit log, and count nowhere)."""
    return (
        access.visible(user, Lapse.objects.filter(withdrawn_at=None))
        .select_related("unit", "person", "item", "recorded_by")
        .order_by("-created_at", "-id")
    )


def may_record_lapse(user: User, item) -> bool:
    """False (误报) and concealed (瞒报) reports are recorded by an editor of an office the item reached."""
    return REVIEW.listed(user, Hop.objects.filter(item=item)).exists()


def lapse_totals(lapses: QuerySet[Lapse]) -> list[dict]:
    """Counts per unit and person and kind: the 通报 table."""
    rows = {}
    for row in (lapses.order_by().values("unit__name", "person__display_name", "person__username", "kind")
                .annotate(n=Count("id"))):
        key = (row["unit__name"], row["person__display_name"] or row["person__username"] or "")
        rows.setdefault(key, {"unit": key[0], "person": key[1], **dict.fromkeys(Lapse.Kind.values, 0)})[row["kind"]] += row["n"]
    return sorted(rows.values(), key=lambda r: (-sum(r[k] for k in Lapse.Kind.values), r["unit"]))


def chases_visible_to(user: User) -> QuerySet[Chase]:
    return (
        access.visible(user, Chase.objects.all())
        .select_related("office", "unit", "item", "recorded_by")
        .order_by("-created_at", "-id")
    )


# --- start pages --------------------------------------------------------------------------------------------------


def chases_owed(user: User, unit_ids) -> list[Chase]:
    """Open chases against the units (what they must report, and by when), the nearest deadline first (one query)."""
    chases = access.visible(user, Chase.objects.filter(unit_id__in=unit_ids, state=Chase.State.OPEN))
    return list(chases.select_related("office", "unit").order_by("due_at", "id"))


def follow_ups_owed(user: User, unit_ids) -> list[Clock]:
    """The running follow-up deadlines (续报 due twice a day for events of grade 较大 and above) of the units'
    emergencies, nearest first, each with its first report (one query)."""
    clocks = access.visible(user, Clock.objects.filter(kind=Clock.Kind.FOLLOW_UP, stopped_at=None, unit_id__in=unit_ids))
    return list(clocks.select_related("item", "office").defer("item__body", "item__search_document")
                .order_by("due_at", "id"))


def unit_lapses(user: User, unit_ids, since) -> dict:
    """The units' standing lapses (迟报, 漏报, 误报, 瞒报): how many since `since`, and the latest five, each naming
    whom it holds answerable. Two queries."""
    lapses = lapses_visible_to(user).filter(unit_id__in=unit_ids)
    return {"since": lapses.filter(created_at__gte=since).count(), "latest": list(lapses[:5])}


def queue_summary(user: User) -> dict:
    """The duty officer's start page: the open deadlines of my duty offices (how many, not yet acknowledged, past
    their deadline) and the first eight, least time left first; the chases my offices are waiting on. Three queries."""
    clocks = urgent_queue(user)
    counts = clocks.order_by().aggregate(
        open=Count("id"), unacknowledged=Count("id", filter=Q(acknowledged_at=None)),
        late=Count("id", filter=Q(state=Clock.State.BREACHED)))
    offices = unit_ids_where(user, Role.DUTY_OFFICER)
    chases = (chases_visible_to(user).filter(office_id__in=offices, state=Chase.State.OPEN).order_by("due_at", "id"))
    return {**counts, "first": list(clocks[:8]), "chases": list(chases[:5])}


def chaseable_units(user: User) -> QuerySet[Unit]:
    """The units a duty officer may chase: everything below their duty offices."""
    offices = unit_ids_where(user, Role.DUTY_OFFICER)
    return Unit.objects.filter(tree.within(offices), is_active=True).exclude(pk__in=offices)


# --- the deadline an item races (submissions.deadlines; registered in alerts.apps) -----------------------------------

# A first report races its open report clocks (and the written report owed after a phone report): the earliest is the
# next level it must reach. A follow-up or final report races its chain's follow-up clock until it is filed (filing it
# meets that clock). A clock marked late stays open until the report arrives: it is still raced, its time passed.
RACED_BY_FIRST_REPORTS = (Clock.Kind.REPORT, Clock.Kind.WRITTEN)


class RacingDue(Expression):
    """The due time of the open clock the item at `prefix` races, in SQL: a CASE over the item's columns with a
    correlated subquery per emergency row (none for an item that is no emergency), the same rule as racing_clock. The
    SQL is written once here: an ORM Case of Subqueries cost a millisecond of Python to compile on every list."""

    output_field = DateTimeField()
    SQL = (
        f"CASE WHEN {{kind}} = '{ReportKind.FIRST.value}' THEN (SELECT min(c.due_at) FROM {Clock._meta.db_table} c"
        f" WHERE c.item_id = {{id}} AND c.kind IN ({', '.join(repr(str(k)) for k in RACED_BY_FIRST_REPORTS)})"
        f" AND c.stopped_at IS NULL) WHEN {{first}} IS NOT NULL AND {{filed}} IS NULL THEN (SELECT min(c.due_at)"
        f" FROM {Clock._meta.db_table} c WHERE c.item_id = {{first}} AND c.kind = '{Clock.Kind.FOLLOW_UP.value}'"
        f" AND c.stopped_at IS NULL) END"
    )

    def __init__(self, prefix: str = ""):
        super().__init__()
        self.columns = [F(f"{prefix}{name}") for name in ("id", "report_kind", "first_report_id", "submitted_at")]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        (item, _p1), (kind, _p2), (first, _p3), (filed, _p4) = (compiler.compile(c) for c in self.columns)
        return self.SQL.format(id=item, kind=kind, first=first, filed=filed), []


def racing_due_expression(prefix: str = "") -> RacingDue:
    """The due time of the open clock the item at `prefix` races, as an SQL expression (NULL for none)."""
    return RacingDue(prefix)


def first_reports_racing(ids: list[int]) -> dict[int, datetime]:
    """{first report id: the due time of the open clock it races} for those of `ids` that race one (one query)."""
    return dict(Clock.objects.filter(item_id__in=ids, kind__in=RACED_BY_FIRST_REPORTS, stopped_at=None)
                .order_by().values("item_id").annotate(due=Min("due_at")).values_list("item_id", "due"))


def racing_clock(item: Item) -> Clock | None:
    """The open clock `item` races now (see racing_due_expression), or None. One query, none for no emergency."""
    if item.report_kind == ReportKind.FIRST:
        clocks = Clock.objects.filter(item_id=item.pk, kind__in=RACED_BY_FIRST_REPORTS)
    elif item.first_report_id and item.submitted_at is None:
        clocks = Clock.objects.filter(item_id=item.first_report_id, kind=Clock.Kind.FOLLOW_UP)
    else:
        return None
    return clocks.filter(stopped_at=None).select_related("office").order_by("due_at", "id").first()


def racing_of(item: Item) -> Racing | None:
    clock = racing_clock(item)
    if clock is None:
        return None
    return Racing(due_at=clock.due_at, office=clock.office.name, kind=clock.get_kind_display(), clock_id=clock.pk,
                  missed=clock.state == Clock.State.BREACHED)


def open_work(unit_ids) -> list[tuple[int, str, int]]:
    """infohub.openwork: the open deadlines (clocks not stopped, chases among them) these units owe a report for, and
    those these offices wait for. Two queries."""
    clocks = Clock.objects.filter(stopped_at=None)
    return [*counted(clocks.filter(unit_id__in=unit_ids), "unit_id", gettext_lazy("deadlines it owes a report for")),
            *counted(clocks.filter(office_id__in=unit_ids), "office_id", gettext_lazy("deadlines it waits for"))]
