"""Who holds which role where, loaded once per request and kept on the user object."""

from __future__ import annotations

from .models import Role, RoleAssignment, User


def role_map(user: User) -> dict[str, set[int]]:
    """{role: {unit ids}} for the user; cached on the instance so a page asks the database once, or not at all
    when the user came with their `role_pairs` (infohub.auth)."""
    cached = getattr(user, "_infohub_role_map", None)
    if cached is None:
        if hasattr(user, "role_pairs"):
            pairs = (pair.rpartition(":") for pair in user.role_pairs)
            assignments = [(role, int(unit_id)) for role, _, unit_id in pairs]
        elif user.is_authenticated:
            assignments = RoleAssignment.objects.filter(user=user).values_list("role", "unit_id")
        else:
            assignments = []
        cached = {}
        for role, unit_id in assignments:
            cached.setdefault(role, set()).add(unit_id)
        user._infohub_role_map = cached
    return cached


def unit_ids_where(user: User, *roles: str) -> set[int]:
    mapping = role_map(user)
    wanted = roles or tuple(mapping)
    return set().union(*(mapping.get(role, set()) for role in wanted))


def holds(user: User, role: Role | str, unit_id: int | None = None) -> bool:
    units = role_map(user).get(role, set())
    return bool(units) if unit_id is None else unit_id in units
