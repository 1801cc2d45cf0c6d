"""Rows of the item list and its searches, drawn by Jinja2 from templates/jinja2/submissions/item_rows.html (see
infohub.jinja2 for why: Django's templates, their includes and the lazily translated choice labels were about two
thirds of the page) with what submissions.rows gives every item row: a tag for the list's Django template."""

from django import template

from submissions.rows import render

register = template.Library()


@register.simple_tag
def item_rows(items) -> str:
    """`items`: dicts of submissions.views.LIST_COLUMNS with `composite_title` (selectors.name_composites);
    "no items match" in a row of its own when there are none."""
    return render("submissions/item_rows.html", {"items": items})
