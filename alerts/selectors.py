"""Reads of the emergency rules shared by pages, the API and tasks; each goes through the one access rule."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from infohub import access, tree
from infohub.models import Role, Unit, User
from infohub.roles import unit_ids_where
from reviews.models import Hop
from reviews.permissions import REVIEW

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


def chaseable_units(user: User) -> QuerySet[Unit]:
    """The units a duty officer may chase: everything below their duty offices."""
    offices = unit_ids_where(user, Role.DUTY_OFFICER)
    return Unit.objects.filter(tree.within(offices), is_active=True).exclude(pk__in=offices)
