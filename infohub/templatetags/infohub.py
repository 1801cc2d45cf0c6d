import uuid

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language

from ..rows import choices_of

register = template.Library()


@register.simple_tag
def once() -> str:
    """`{% once %}` in a form: its once-only token (infohub.idempotency), so that a double click records once."""
    return format_html('<input type="hidden" name="once" value="{}">', uuid.uuid4().hex)


@register.filter
def label(obj, field_name: str) -> str:
    """`{{ item|label:"urgency" }}`: the choice's label, like get_urgency_display but from a dict built once
    (Django rebuilds the choices dict on every get_FOO_display call, which lists with hundreds of rows feel)."""
    value = getattr(obj, field_name)
    return choices_of(type(obj), field_name).get(value, value)


@register.filter
def local_hm(value) -> str:
    """`{{ when|local_hm }}`: "11-23 14:05" in Asia/Shanghai. A plain strftime: lists render it per row, and
    the `date` filter's format machinery costs ten times more."""
    if not value:
        return ""
    return timezone.localtime(value).strftime("%m-%d %H:%M")


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


@register.simple_tag
def colon() -> str:
    """`{% translate "Reason" %}{% colon %}`: "：" on a Chinese page, ": " on an English one (full-width punctuation
    belongs to Chinese text only)."""
    return "：" if _chinese() else ": "


@register.simple_tag
def lp() -> str:
    """`{% lp %}…{% rp %}`: full-width brackets on a Chinese page, " (…)" on an English one."""
    return "（" if _chinese() else " ("


@register.simple_tag
def rp() -> str:
    return "）" if _chinese() else ")"
