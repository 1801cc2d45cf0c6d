"""Values a request carries — path, query string, form field — parsed by form fields with their types and bounds.

Never `str.isdigit()` and `int()` by hand: "²".isdigit() is True and int("²") raises, and a number of thirty digits
passes both and overflows Postgres's bigint. Every helper here answers a typed value, or None (or raises
ValidationError where the caller must say why).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIGINT_MAX = 2**63 - 1
MAX_PAGE = 100_000  # far past the last page of any list: Paginator answers the last page

ID = forms.IntegerField(min_value=1, max_value=BIGINT_MAX)
REVISION = forms.IntegerField(min_value=0, max_value=2**31 - 1)


def object_id(value) -> int | None:
    """An object id (1 … 2⁶³−1) from what was sent, or None when it is none."""
    try:
        return ID.clean(value)
    except ValidationError:
        return None


def object_ids(values, *, at_most: int = 500) -> list[int]:
    """The ids among `values` (a list from `getlist`), in order, each once; anything else is left out."""
    seen = dict.fromkeys(filter(None, map(object_id, list(values)[:at_most])))
    return list(seen)


def revision(value) -> int | None:
    """The item revision a form or call read (None: not sent). Raises ValidationError (code "invalid_revision")
    for anything that is no revision, so that the action is refused rather than run on a guess."""
    if value in (None, ""):
        return None
    try:
        return REVISION.clean(value)
    except ValidationError:
        raise ValidationError(_("The revision sent is not a number; reload the page and try again."),
                              code="invalid_revision") from None


def page(value) -> int:
    """A page number: whatever someone typed; nonsense and numbers below 1 mean 1, huge ones the last page."""
    try:
        return min(max(int(forms.IntegerField().clean(value)), 1), MAX_PAGE)
    except (ValidationError, TypeError, ValueError, OverflowError):
        return 1
