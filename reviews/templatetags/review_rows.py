"""Rows of the two long review lists (inbox, sign-off), drawn by Jinja2 from templates/jinja2/reviews/ (see
infohub.jinja2 for why): tags for the lists' Django templates."""

from functools import cache

from django import template
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from infohub.jinja2 import escape
from submissions.models import outcome_steps, report_label

register = template.Library()


class _Drawn(dict):
    """{key: HTML} drawn on first use by `draw(key)`, in the language active then (one table per language)."""

    def __init__(self, draw):
        super().__init__()
        self.draw = draw

    def __missing__(self, key):
        html = self[key] = mark_safe(self.draw(key))
        return html


def _trail(trail: str) -> str:
    return " · ".join(f'<span class="step step-{escape(step)}">{escape(label)}</span>' for step, label in outcome_steps(trail))


@cache
def _labels(language: str) -> dict:
    """What every row of a language writes the same: `trails` {outcome trail: HTML}, `reports` {(report kind,
    follow-up number): 首报 / 续报二}, `countdown` the attributes of a countdown (static/js/countdown.js), `item_url`
    an item's address without its id."""
    words = f'data-countdown data-left="{escape(_("{t} left"))}" data-late="{escape(_("{t} overdue"))}"'
    return {
        "trails": _Drawn(_trail),
        "reports": _Drawn(lambda key: escape(report_label(*key))),
        "countdown": mark_safe(words),
        "item_url": escape(reverse("submissions:item_detail", args=[0]).removesuffix("0/")),
    }


def _render(name: str, context: dict) -> str:
    return mark_safe(engines["jinja2"].get_template(name).render({**context, **_labels(translation.get_language())}))


@register.simple_tag
def inbox_rows(hops, tab: str, hop_url: str) -> str:
    """`hops`: dicts of the inbox view's INBOX_COLUMNS; `hop_url`: a hop's address without its id."""
    return _render("reviews/inbox_rows.html", {"hops": hops, "tab": tab, "hop_url": hop_url})


@register.simple_tag
def signoff_rows(items, signoff_url: str) -> str:
    """`items`: dicts of the sign-off view's SIGNOFF_COLUMNS; `signoff_url`: the list's address."""
    return _render("reviews/signoff_rows.html", {"items": items, "signoff_url": signoff_url})


@register.simple_tag
def options(choices, selected: str) -> str:
    """The `<option>`s of (value, label) pairs, the one equal to `selected` (from the query string) selected."""
    return _render("reviews/options.html", {"choices": choices, "selected": selected})
