"""Reads of the shared core that views, APIs and tasks share."""

from __future__ import annotations

import time

from django.db.models import Q, QuerySet

from .models import Notification, Role, RoleAssignment, Unit, User


def units_where(user: User, *roles: str) -> QuerySet[Unit]:
    """The units in which the user holds any of the given roles (any role when none is given)."""
    assignments = RoleAssignment.objects.filter(user=user)
    if roles:
        assignments = assignments.filter(role__in=roles)
    return Unit.objects.filter(pk__in=assignments.values("unit_id"))


def roles_of(user: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("unit").order_by("unit__path", "role")


def has_role(user: User, role: Role | str, unit: Unit | None = None) -> bool:
    assignments = RoleAssignment.objects.filter(user=user, role=role)
    if unit is not None:
        assignments = assignments.filter(unit=unit)
    return assignments.exists()


def unread_notifications(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def people_with(role: Role | str, unit_id: int) -> QuerySet[User]:
    """Active people holding a role in a unit: the recipients of that unit's notifications."""
    return User.objects.filter(roles__unit_id=unit_id, roles__role=role, is_active=True).distinct().order_by("pk")


# Units are reference data: a province has a few thousand, changed a few times a year, and every list page names
# some. Kept a minute in each process; a change to a unit clears them at once in the process that made it
# (`forget_units`, connected in infohub.apps) and within a minute elsewhere.
_KEEP_SECONDS = 60
_kept: dict[str, tuple[float, object]] = {}


def _kept_a_minute(key: str, build):
    now = time.monotonic()
    entry = _kept.get(key)
    if entry is None or entry[0] < now:
        entry = _kept[key] = (now + _KEEP_SECONDS, build())
    return entry[1]


def forget_units(**kwargs) -> None:
    _kept.clear()


class _UnitNames(dict):
    def __missing__(self, pk) -> str:
        """A unit made in another process within the minute: read them all again, once."""
        forget_units()
        return unit_names().get(pk, "")


def unit_names() -> dict[int, str]:
    """{id: name} of every unit, by `names[id]`. List rows name their units from here rather than joining the
    unit table: on the long lists, planning those joins cost Postgres more than running the query."""
    return _kept_a_minute("unit-names", lambda: _UnitNames(Unit.objects.values_list("pk", "name")))


def units_reporting_to(office_ids) -> list[tuple[int, str]]:
    """(id, name) of the units whose items come to these offices (those naming them upstream, or with them as
    parent and no upstream), in tree order."""
    return _kept_a_minute(
        "units-reporting-to:" + ",".join(map(str, sorted(office_ids))),
        lambda: list(
            Unit.objects.filter(Q(upstream_id__in=office_ids) | Q(parent_id__in=office_ids, upstream__isnull=True))
            .order_by("path").values_list("pk", "name")
        ),
    )
