"""`{% publication_credits item %}`: where an item was published (its credits), for the item's lineage page. A tag,
so the review chain's page shows them without the reviews app knowing publications (the layers point down)."""

from django import template

from ..selectors import credits_of_item

register = template.Library()


@register.inclusion_tag("publications/_item_credits.html", takes_context=True)
def publication_credits(context, item):
    """The uses of the item (itself, or as a source of a composite) in signed issues the reader may know of."""
    return {"credits": credits_of_item(context["request"].user, item), "item": item}
