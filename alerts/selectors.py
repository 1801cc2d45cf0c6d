"""Reads of the emergency rules shared by pages, the API and tasks; each is scoped to the user."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from infohub.models import Role, Unit, User
from infohub.roles import unit_ids_where
from reviews.models import Hop

from .models import Chase, Clock, Lapse

# Roles at an office that see what is late within its jurisdiction.
OFFICE_ROLES = (Role.DUTY_OFFICER, Role.DIRECTOR, Role.EDITOR, Role.LEADER)


def urgent_queue(user: User) -> QuerySet[Clock]:
    """Every open deadline my duty offices are waiting for, least time left first."""
    return (
        Clock.objects.filter(office_id__in=unit_ids_where(user, Role.DUTY_OFFICER), stopped_at=None)
        .select_related("item", "unit", "office", "chase", "acknowledged_by")
        .defer("item__body", "item__search_document", "item__losses", "item__measures", "reminder_plan")
        .order_by("due_at", "id")
    )


def clock_for(user: User, pk) -> Clock:
    """A clock for the people of the waiting office or of the reporting unit; 404 for anyone else."""
    mine = unit_ids_where(user)
    try:
        return (
            Clock.objects.select_related("item", "item__source_unit", "unit", "office", "chase", "acknowledged_by")
            .filter(Q(office_id__in=mine) | Q(unit_id__in=mine))
            .get(pk=pk)
        )
    except (Clock.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def jurisdiction(user: User, *roles: str, path: str = "unit__path") -> Q:
    """Units at or below those where the user holds one of the roles, as a filter on the `path` field."""
    paths = Unit.objects.filter(pk__in=unit_ids_where(user, *roles)).values_list("path", flat=True)
    condition = Q(pk__in=[])
    for prefix in paths:
        condition |= Q(**{f"{path}__startswith": prefix})
    return condition


def lapses_visible_to(user: User) -> QuerySet[Lapse]:
    """Lapses of my own units, and of every unit below the offices where I work."""
    mine = unit_ids_where(user, Role.CLERK, Role.DIRECTOR)
    return (
        Lapse.objects.filter(Q(unit_id__in=mine) | jurisdiction(user, *OFFICE_ROLES))
        .select_related("unit", "person", "item", "recorded_by")
        .order_by("-created_at", "-id")
    )


def may_record_lapse(user: User, item) -> bool:
    """False (误报) and concealed (瞒报) reports are recorded by an editor of an office the item reached."""
    return Hop.objects.filter(item=item, office_id__in=unit_ids_where(user, Role.EDITOR)).exists()


def lapse_totals(lapses: QuerySet[Lapse]) -> list[dict]:
    """Counts per unit and person and kind: the 通报 table."""
    rows = {}
    for row in (lapses.order_by().values("unit__name", "person__display_name", "person__username", "kind")
                .annotate(n=Count("id"))):
        key = (row["unit__name"], row["person__display_name"] or row["person__username"] or "")
        rows.setdefault(key, {"unit": key[0], "person": key[1], **dict.fromkeys(Lapse.Kind.values, 0)})[row["kind"]] += row["n"]
    return sorted(rows.values(), key=lambda r: (-sum(r[k] for k in Lapse.Kind.values), r["unit"]))


def chases_visible_to(user: User) -> QuerySet[Chase]:
    mine = unit_ids_where(user, Role.CLERK, Role.DIRECTOR)
    offices = unit_ids_where(user, *OFFICE_ROLES)
    return (
        Chase.objects.filter(Q(office_id__in=offices) | Q(unit_id__in=mine))
        .select_related("office", "unit", "item", "recorded_by")
        .order_by("-created_at", "-id")
    )


def chaseable_units(user: User) -> QuerySet[Unit]:
    """The units a duty officer may chase: everything below their duty offices."""
    return Unit.objects.filter(jurisdiction(user, Role.DUTY_OFFICER, path="path"), is_active=True).exclude(
        pk__in=unit_ids_where(user, Role.DUTY_OFFICER)
    )
