from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "item.signoff": _("signed off and sent upward"),
    "item.signoff_return": _("returned for revision at sign-off"),
    "item.composite": _("wrote a composite item"),
    "hop.adopted": _("adopted"),
    "hop.not_adopted": _("did not adopt"),
    "hop.returned": _("returned for revision"),
    "hop.merged": _("merged into a composite item"),
    "hop.forward_request": _("proposed reporting upward"),
    "hop.forwarded": _("signed and reported upward"),
    "hop.forward_declined": _("declined reporting upward"),
    "item.same_event": _("marked as the same event as another item"),
}


class ReviewsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'reviews'
    verbose_name = _("Review chain")

    def ready(self):
        from infohub import access, openwork
        from infohub.models import register_audit_actions, register_audit_states
        from submissions.models import Item

        from . import receivers, selectors  # noqa: F401  (receivers: connects the signal receivers)
        from .models import Hop

        # An item reaches every office it was sent to; a hop is seen by the people of its office.
        access.reaches(Item, "hops__office_id")
        access.govern(Hop, mark="item__classification", reached=("office_id",), audited="item")
        register_audit_actions(AUDIT_ACTIONS)
        # what the review chain records on an item's rows: where its hop stands, and its report upward
        register_audit_states(Item, [*Hop.Status.choices, *Hop.Forward.choices])
        openwork.register(selectors.open_work)  # what the roster must not switch off unseen
