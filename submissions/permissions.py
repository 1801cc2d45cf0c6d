"""Who may act on an item, as rights of the one access rule (infohub.access): each right builds the list of items
open to the action and checks the action itself."""

from django.utils.translation import gettext_lazy as _

from infohub.access import Right
from infohub.errors import ActionRefused, IllegalTransition
from infohub.models import Role

from .models import Item, ReportKind

EDIT = Right(
    role=Role.CLERK, unit="source_unit_id", states={"status": (Item.Status.DRAFT, Item.Status.RETURNED)},
    role_refusal=_("Only an information officer of %(unit)s can change its items."),
    state_refusal=_("Only drafts and returned items can be changed; this one is “%(state)s”."),
)
WITHDRAW = Right(
    role=Role.CLERK, unit="source_unit_id", states={"status": (Item.Status.PENDING_SIGNOFF,)},
    role_refusal=_("Only an information officer of %(unit)s can withdraw its items."),
    state_refusal=_("Only an item awaiting sign-off can be withdrawn; this one is “%(state)s”."),
)
# Follow-ups (续报) and the final report (终报) attach to a filed first report whose chain is still open: the
# service checks those two facts under the row lock.
FOLLOW_UP = Right(
    role=Role.CLERK, unit="source_unit_id", states={"report_kind": (ReportKind.FIRST,)},
    role_refusal=_("Only an information officer of %(unit)s can report on its emergencies."),
    state_refusal=_("Follow-ups attach to a filed first report of an emergency."),
)


def check_follow_up(user, first: Item) -> None:
    """Raise NotPermitted or IllegalTransition unless `user` may start the next follow-up (or the final report)
    of the emergency whose first report is `first`: a clerk of its unit, the first report filed, its chain not yet
    closed by a final report (one query)."""
    FOLLOW_UP.check(user, first)
    if not first.is_filed:
        raise IllegalTransition(FOLLOW_UP.state_refusal)
    if first.follow_ups.filter(report_kind=ReportKind.FINAL).exists():
        raise IllegalTransition(_("The final report of this emergency is written; its chain is closed."))


def may_follow_up(user, first: Item) -> bool:
    try:
        check_follow_up(user, first)
    except ActionRefused:
        return False
    return True
