"""Rows of the two long review lists (inbox, sign-off), drawn by Jinja2 from templates/jinja2/reviews/ (see
infohub.jinja2 for why): tags for the lists' Django templates."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


def _render(name: str, context: dict) -> str:
    return mark_safe(engines["jinja2"].get_template(name).render(context))


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
