"""Rows of the urgent queue, built in Python (see infohub.rows for why): every duty officer's page asks for
them again every few seconds."""

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from infohub.rows import choice_labels, escape, local_hm_formatter, person_name
from infohub.tree import unit_names
from submissions.models import Item

from ..models import Clock

register = template.Library()

# What a row shows, fetched as plain values (`urgent_queue(user).values(*QUEUE_COLUMNS)`); units are named from
# infohub.tree.unit_names, not joined.
QUEUE_COLUMNS = (
    "id", "kind", "state", "due_at", "acknowledged_at", "item_id", "item__title", "item__event_grade",
    "chase__summary", "office_id", "unit_id", "acknowledged_by__display_name",
    "acknowledged_by__first_name", "acknowledged_by__last_name", "acknowledged_by__username",
)

ROW = """<tr data-clock="{id}" data-due="{due}" class="clock-row state-{state}{unacknowledged}">
  <td class="countdown" data-countdown>{left}</td>
  <td><a href="{clock_url}{id}/">{title}</a>
    <br><span class="muted">{kind}{grade}</span></td>
  <td>{deadline}<br><span class="muted">{office}</span></td>
  <td>{unit}</td>
  <td>{acknowledgement}</td>
</tr>
""".format
ACKNOWLEDGED = '<span class="ok">✓ {by} {at}</span>'.format
ACKNOWLEDGE = ('<button type="button" class="primary" hx-post="{clock_url}{id}/acknowledge/" hx-target="closest tr" '
               'hx-swap="outerHTML">{label}</button>').format


def time_left(seconds: float) -> str:
    """"1:29:05", "9:05" or "−0:12": what the page's script shows as it ticks, so nothing jumps on load."""
    total = int(abs(seconds))
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    text = f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
    return f"−{text}" if seconds < 0 else text


@register.simple_tag
def queue_rows(clocks, now) -> str:
    """`clocks`: dicts of QUEUE_COLUMNS, least time left first; `now`: the time the countdowns start from."""
    kinds, grades = choice_labels(Clock, "kind"), choice_labels(Item, "event_grade")
    local_hm, clock_url = local_hm_formatter(), escape(reverse("alerts:clock_detail", args=[0]).removesuffix("0/"))
    names = unit_names()
    late, chase, acknowledge = escape(_("Late")), escape(_("Chase")), escape(_("Acknowledge"))
    rows = []
    for clock in clocks:
        pk, breached = clock["id"], clock["state"] == Clock.State.BREACHED
        if clock["item_id"]:
            label = grades.get(clock["item__event_grade"])
            title, grade = escape(clock["item__title"]), f" · {label}" if label else ""
        else:
            summary = clock["chase__summary"] or ""
            title, grade = f"{chase}：{escape(summary[:39] + '…' if len(summary) > 40 else summary)}", ""
        rows.append(ROW(
            id=pk, due=clock["due_at"].timestamp(), state=escape(clock["state"]),
            unacknowledged="" if clock["acknowledged_at"] else " unacknowledged",
            left=late if breached else time_left((clock["due_at"] - now).total_seconds()),
            clock_url=clock_url, title=title, kind=kinds.get(clock["kind"], ""), grade=grade,
            deadline=local_hm(clock["due_at"]), office=escape(names[clock["office_id"]]),
            unit=escape(names[clock["unit_id"]]),
            acknowledgement=ACKNOWLEDGED(by=escape(person_name(clock, "acknowledged_by")), at=local_hm(clock["acknowledged_at"]))
            if clock["acknowledged_at"] else ACKNOWLEDGE(clock_url=clock_url, id=pk, label=acknowledge),
        ))
    return mark_safe("".join(rows))
