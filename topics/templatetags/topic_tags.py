"""Tags that show a topic request where an item is written, signed off and reviewed: tags, so that the pages of
submissions and reviews show it without those apps knowing this one (the layers point down)."""

from django import template

from infohub import access, params

from ..models import Target, TopicRequest
from ..selectors import answer_of_item

register = template.Library()


@register.inclusion_tag("topics/_request_summary.html", takes_context=True)
def topic_editor_panel(context, field, item=None):
    """Below the editor's "answers the topic request" field: the chosen request's guidance, length limit and due time
    (the request of the field's current value, among the field's own choices: nothing the writer may not see)."""
    target_id = params.object_id(field.value())
    target = (field.field.queryset.filter(pk=target_id).select_related("request__publication").first()
              if target_id else None)
    return {"topic": target.request if target else None, "target": target, "item": item, "editor": True}


@register.inclusion_tag("topics/_request_summary.html", takes_context=True)
def topic_of_item(context, item):
    """On an item's pages (the item, its sign-off, an office's review of it): the request it answers, for a reader
    who may see that request (infohub.access)."""
    answer = answer_of_item(item)
    if answer is None:
        return {"topic": None}
    request = answer.target.request
    if not access.may_see(context["request"].user, TopicRequest(pk=request.pk)):
        return {"topic": None}
    return {"topic": request, "target": answer.target, "item": item, "answer": answer}


@register.filter
def reply_label(value: str) -> str:
    return Target.Reply(value).label if value in Target.Reply.values else value
