"""What the Jinja2 rows of the item lists write alike (templates/jinja2/, infohub.jinja2 says why Jinja2), and the
one way to draw such rows: the item list's (submissions.templatetags.item_rows), the editor's inbox and the
director's sign-off list (reviews.templatetags.review_rows). Here, not in either app's tags, because it speaks of
items (report kinds, outcome trails, an item's address) and the lowest layer that knows them is this one; the rows
of the layers above import it, so a trail, a report label or a countdown's attributes are written in one place.

`render(name, context)` gives a row template, besides `context` and infohub.jinja2's globals, what `row_labels`
lists (the same for every row of a language, built once per language and process):

* `trails`: {outcome trail: HTML} — `<span class="step step-adopted">市采用</span> · …`, the steps of
  submissions.models.outcome_steps joined by " · ";
* `reports`: {(report kind, follow-up number): 首报 / 续报二 / 终报} (submissions.models.report_label), escaped;
* `countdown`: the attributes static/js/countdown.js reads besides `data-due` (`data-countdown data-left="…"
  data-late="…"`), for `<span class="countdown" data-due="{{ due|epoch }}" {{ countdown }}>`;
* `item_url`: an item's address without its id (`/items/`): reversing once per row is a visible share of a list.

Tables of HTML keyed by value (`trails`, `reports`) are filled on first use: a trail or report kind is drawn once
per language and process, whichever list meets it first.
"""

from functools import cache

from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from infohub.jinja2 import escape

from .models import outcome_steps, report_label

__all__ = ["render", "row_labels"]


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
def _row_labels(language: str) -> dict:
    words = f'data-countdown data-left="{escape(_("{t} left"))}" data-late="{escape(_("{t} overdue"))}"'
    return {
        "trails": _Drawn(_trail),
        "reports": _Drawn(lambda key: escape(report_label(*key))),
        "countdown": mark_safe(words),
        "item_url": escape(reverse("submissions:item_detail", args=[0]).removesuffix("0/")),
    }


def row_labels() -> dict:
    """{"trails", "reports", "countdown", "item_url"} (see the module) in the active language."""
    return _row_labels(translation.get_language())


def render(name: str, context: dict) -> str:
    """The Jinja2 template `name` (under templates/jinja2/) drawn with `context` and `row_labels()`, marked safe
    for the Django template that places it."""
    return mark_safe(engines["jinja2"].get_template(name).render({**context, **row_labels()}))
