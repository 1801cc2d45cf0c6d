"""Who may act in the review chain, as rights of the one access rule (infohub.access): each right builds the list
of what is open to the action and checks the action itself."""

from django.utils.translation import gettext_lazy as _

from infohub.access import Right
from infohub.models import Role
from submissions.models import Item

from .models import Hop

# 审核签发: a director of the item's unit, never its author (SPEC §4).
SIGN_OFF = Right(
    role=Role.DIRECTOR, unit="source_unit_id", states={"status": (Item.Status.PENDING_SIGNOFF,)},
    not_by=("created_by_id",),
    role_refusal=_("Only a director of %(unit)s can sign off its items."),
    own_refusal=_("Nobody signs off their own item: another director of the unit must do it."),
    state_refusal=_("Only an item awaiting sign-off can be signed off; this one is “%(state)s”."),
)
RETURN_AT_SIGN_OFF = Right(
    role=Role.DIRECTOR, unit="source_unit_id", states={"status": (Item.Status.PENDING_SIGNOFF,)},
    role_refusal=_("Only a director of %(unit)s can return its items."),
    state_refusal=_("Only an item awaiting sign-off can be returned; this one is “%(state)s”."),
)
# Deciding on, editing and proposing upward what an office received: its editors. Which decision is open
# depends on the hop's state, checked by each service with its own message.
REVIEW = Right(
    role=Role.EDITOR, unit="office_id",
    role_refusal=_("Only an editor of %(unit)s can act on items it received."),
)
# 上报: the office's director signs the report upward, never the editor who proposed it.
SIGN_FORWARD = Right(
    role=Role.DIRECTOR, unit="office_id", states={"forward": (Hop.Forward.AWAITING_SIGNOFF,)},
    not_by=("forward_requested_by_id",),
    role_refusal=_("Only a director of %(unit)s can sign its reports upward."),
    own_refusal=_("Nobody signs off their own proposal: another director must sign it."),
    state_refusal=_("This item is not waiting for sign-off to be reported upward."),
)
DECLINE_FORWARD = Right(
    role=Role.DIRECTOR, unit="office_id", states={"forward": (Hop.Forward.AWAITING_SIGNOFF,)},
    role_refusal=_("Only a director of %(unit)s can decide on its reports upward."),
    state_refusal=_("This item is not waiting for sign-off to be reported upward."),
)
