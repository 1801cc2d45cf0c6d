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
