"""Errors a service raises when an action is refused. Pages show the message; the API maps them to
4xx answers (see infohub.api_errors)."""

from django.utils.translation import gettext_lazy as _


class ActionRefused(Exception):
    """An action the actor may not take, or may not take now. The message says why."""

    status_code = 409
    code = "refused"

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))

    default_message = _("This action is not allowed.")


class NotPermitted(ActionRefused):
    status_code = 403
    code = "not_permitted"
    default_message = _("You do not have the right to do this.")


class IllegalTransition(ActionRefused):
    status_code = 409
    code = "illegal_transition"
    default_message = _("This action is not possible in the item's current state.")


class StaleRevision(ActionRefused):
    status_code = 409
    code = "stale_revision"
    default_message = _(
        "Someone changed this item after you opened it. Reload it to see the current version, then try again."
    )
