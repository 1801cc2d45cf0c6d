from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "topic.issue": _("issued a topic request"),
    "topic.withdraw": _("withdrew a topic request"),
    "topic.link": _("made the item an answer to a topic request"),
    "topic.unlink": _("took the item back from a topic request"),
    "topic.answered": _("answered a topic request"),
    "topic.decline_draft": _("wrote “nothing to report”, for the director to sign"),
    "topic.declined": _("replied “nothing to report” (signed)"),
    "topic.decline_return": _("did not sign “nothing to report”"),
}


class TopicsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "topics"
    verbose_name = _("Topic requests")

    def ready(self):
        from followup import sweep
        from infohub import access, openwork
        from infohub.models import register_audit_actions, register_audit_states
        from submissions import extensions
        from submissions.models import Item

        from . import editor, receivers, selectors  # noqa: F401  (receivers: connects the signal receivers)
        from .models import Answer, Target, TopicRequest

        # A request is seen by the people of each target unit (its clerks, directors, editors), by the office roles of
        # the requesting office, and by those of every office an answer item reached on its way (an intermediate
        # office's editors read in their inbox which request the item answers). A target (one unit's obligation) is
        # seen by its unit and the requesting office. An answer item reaches the requesting office once its unit
        # signed it off (Answer.sent_to), whichever office the review chain takes it to: the office asked for it.
        access.govern(TopicRequest, unit="targets__unit_id",
                      reached=("office_id", "targets__answers__item__hops__office_id"))
        access.govern(Target, unit="unit_id", reached=("office_id",))
        access.govern(Answer, unit="unit_id", mark="item__classification", reached=("sent_to_id",), audited="item")
        access.reaches(Item, "topic_answer__sent_to_id")
        register_audit_actions(AUDIT_ACTIONS)
        register_audit_states(TopicRequest, TopicRequest.Status.choices)
        register_audit_states(Target, Target.Reply.choices)
        sweep.register(Target, label=_("topic request sweep"))
        openwork.register(selectors.open_work)  # what the roster must not switch off unseen
        extensions.register_editor_field(editor.FIELD)
        extensions.register_item_notes(editor.notes)
