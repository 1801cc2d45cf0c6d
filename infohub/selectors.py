"""Reads of the shared core that views, APIs and tasks share."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification, Role, RoleAssignment, User


def roles_of(user: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("unit").order_by("unit__path", "role")


def unread_notifications(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def people_with(role: Role | str, unit_id: int) -> QuerySet[User]:
    """Active people holding a role in a unit: the recipients of that unit's notifications."""
    return User.objects.filter(roles__unit_id=unit_id, roles__role=role, is_active=True).distinct().order_by("pk")


def people_with_each(pairs) -> dict[tuple[str, int], list[User]]:
    """`people_with(role, unit_id)` for each `(role, unit_id)` of `pairs`, in one statement: {pair: people by pk}."""
    found: dict[tuple[str, int], list[User]] = {(role, unit_id): [] for role, unit_id in pairs}
    if not found:
        return found
    holders = (RoleAssignment.objects.filter(role__in={role for role, _unit in found},
                                             unit_id__in={unit for _role, unit in found}, user__is_active=True)
               .select_related("user").order_by("user_id"))
    for held in holders:
        if (held.role, held.unit_id) in found:
            found[held.role, held.unit_id].append(held.user)
    return found
