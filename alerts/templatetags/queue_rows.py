"""Rows of the urgent queue, drawn by Jinja2 from templates/jinja2/alerts/queue_rows.html (see infohub.jinja2 for
why): every duty officer's page asks for them again every few seconds."""

from django import template
from django.template import engines
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()

# What a row shows, fetched as plain values (`urgent_queue(user).values(*QUEUE_COLUMNS)`); units are named from
# infohub.tree.unit_names, not joined.
QUEUE_COLUMNS = (
    "id", "kind", "state", "due_at", "acknowledged_at", "item_id", "item__title", "item__event_grade",
    "chase_id", "chase__summary", "office_id", "unit_id", "acknowledged_by__display_name",
    "acknowledged_by__first_name", "acknowledged_by__last_name", "acknowledged_by__username",
)


def time_left(seconds: float) -> str:
    """"1:29:05", "9:05" or "−0:12": what the page's script shows as it ticks, so nothing jumps on load."""
    total = int(abs(seconds))
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    text = f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
    return f"−{text}" if seconds < 0 else text


@register.simple_tag
def queue_rows(clocks, now) -> str:
    """`clocks`: dicts of QUEUE_COLUMNS, least time left first; `now`: the time the countdowns start from."""
    # Each row with its due time as a timestamp and the time left from `now`: computed here rather than called from
    # the template, where every call costs a microsecond more (infohub.jinja2).
    rows = [(clock, clock["due_at"].timestamp(), time_left((clock["due_at"] - now).total_seconds())) for clock in clocks]
    return mark_safe(engines["jinja2"].get_template("alerts/queue_rows.html").render({
        "rows": rows, "clock_url": reverse("alerts:clock_detail", args=[0]).removesuffix("0/"),
    }))
