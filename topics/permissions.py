"""Who may act on a topic request, as rights of the one access rule (infohub.access): each right builds the list of
things open to the action and checks the action itself.

The requesting office's editors issue and withdraw requests; a target unit's information officers answer (link items,
write "nothing to report"); its director signs "nothing to report" or sends it back."""

from django.utils.translation import gettext_lazy as _

from infohub.access import Right
from infohub.models import Role

from .models import Target, TopicRequest

WITHDRAW = Right(
    role=Role.EDITOR, unit="office_id", states={"status": (TopicRequest.Status.OPEN,)},
    role_refusal=_("Only an editor of %(unit)s can withdraw its topic requests."),
    state_refusal=_("Only an open topic request can be withdrawn; this one is “%(state)s”."),
)
# Answering: while the request is open and the unit has not said "nothing to report".
ANSWER = Right(
    role=Role.CLERK, unit="unit_id",
    states={"request__status": (TopicRequest.Status.OPEN,), "reply": (Target.Reply.WAITING, Target.Reply.ANSWERED)},
    role_refusal=_("Only an information officer of %(unit)s can answer this topic request for it."),
    state_refusal=_("This topic request can no longer be answered with items here (“%(state)s”)."),
)
DECLINE = Right(
    role=Role.CLERK, unit="unit_id",
    states={"request__status": (TopicRequest.Status.OPEN,), "reply": (Target.Reply.WAITING,)},
    role_refusal=_("Only an information officer or the director of %(unit)s can reply “nothing to report”."),
    state_refusal=_("“Nothing to report” is a reply for a unit that has not answered; this one is “%(state)s”."),
)
# The director may reply "nothing to report" himself: his reply is signed as he sends it.
DECLINE_AS_DIRECTOR = Right(
    role=Role.DIRECTOR, unit="unit_id",
    states={"request__status": (TopicRequest.Status.OPEN,), "reply": (Target.Reply.WAITING,)},
    role_refusal=DECLINE.role_refusal, state_refusal=DECLINE.state_refusal,
)
SIGN_DECLINE = Right(
    role=Role.DIRECTOR, unit="unit_id",
    states={"request__status": (TopicRequest.Status.OPEN,), "reply": (Target.Reply.DECLINE_PENDING,)},
    role_refusal=_("Only the director of %(unit)s can sign its “nothing to report”."),
    state_refusal=_("There is no “nothing to report” awaiting signature here; the reply is “%(state)s”."),
)
RETURN_DECLINE = Right(
    role=Role.DIRECTOR, unit="unit_id",
    states={"reply": (Target.Reply.DECLINE_PENDING,)},
    role_refusal=SIGN_DECLINE.role_refusal, state_refusal=SIGN_DECLINE.state_refusal,
)
