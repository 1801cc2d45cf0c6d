"""Helpers for the rows of long lists: choice labels from a dict built once, names from values() columns."""

from functools import cache

__all__ = ["choices_of", "person_name"]


@cache
def choices_of(model, field: str) -> dict:
    """{value: lazy label} of a field's choices, built once per process (Django rebuilds it on every
    get_FOO_display call)."""
    return dict(model._meta.get_field(field).flatchoices)


def person_name(row: dict, prefix: str) -> str:
    """User.__str__ from a values() row's `<prefix>__display_name`, `__first_name`, `__last_name`, `__username`."""
    full = f'{row[f"{prefix}__first_name"] or ""} {row[f"{prefix}__last_name"] or ""}'.strip()
    return row[f"{prefix}__display_name"] or full or row[f"{prefix}__username"] or ""
