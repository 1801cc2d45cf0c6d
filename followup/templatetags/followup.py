"""{{ value|colour_badge }}: an obligation's colour state (followup.models.Colour) as a labelled badge."""

from django import template
from django.utils.html import format_html

from followup.models import Colour

register = template.Library()


@register.filter
def colour_badge(value: str) -> str:
    try:
        label = Colour(value).label
    except ValueError:
        return ""
    return format_html('<span class="colour colour-{}" data-colour="{}">{}</span>', value, value, label)
