"""Rows of the two long review lists (inbox, sign-off), drawn by Jinja2 from templates/jinja2/reviews/ (see
infohub.jinja2 for why) with what submissions.rows gives every item row (trails, report kinds, a countdown's
attributes, an item's address): tags for the lists' Django templates."""

from django import template

from submissions.rows import render

register = template.Library()


@register.simple_tag
def inbox_rows(hops, tab: str, hop_url: str) -> str:
    """`hops`: dicts of the inbox view's INBOX_COLUMNS; `hop_url`: a hop's address without its id."""
    return render("reviews/inbox_rows.html", {"hops": hops, "tab": tab, "hop_url": hop_url})


@register.simple_tag
def signoff_rows(items, signoff_url: str) -> str:
    """`items`: dicts of the sign-off view's SIGNOFF_COLUMNS; `signoff_url`: the list's address."""
    return render("reviews/signoff_rows.html", {"items": items, "signoff_url": signoff_url})


@register.simple_tag
def options(choices, selected: str) -> str:
    """The `<option>`s of (value, label) pairs, the one equal to `selected` (from the query string) selected."""
    return render("reviews/options.html", {"choices": choices, "selected": selected})
