"""Who may act on an instruction, as rights of the one access rule (infohub.access).

The office's side (登记, 交办, review, report, close, reopen, decide extensions): an editor or the director of the
leader's office. The unit's side: a clerk or the director of the assigned unit signs for it, writes feedback and asks
for more time; only its director signs feedback off. A right with several roles (`AnyOf`) is open when one of them
is, and builds its list from the same parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from infohub.access import Right
from infohub.errors import IllegalTransition, NotPermitted
from infohub.models import Role, User

from .models import Assignment, Extension, Feedback, Instruction


@dataclass(frozen=True)
class AnyOf:
    """Open when any of `rights` is. `check` raises the state refusal when a role fits but the state does not,
    else the first right's refusal."""

    rights: tuple[Right, ...]

    def check(self, user: User, obj) -> None:
        errors = []
        for right in self.rights:
            try:
                right.check(user, obj)
                return
            except (NotPermitted, IllegalTransition) as error:
                errors.append(error)
        raise next((e for e in errors if isinstance(e, IllegalTransition)), errors[0])

    def allows(self, user: User, obj) -> bool:
        return any(right.allows(user, obj) for right in self.rights)

    def listed(self, user: User, queryset: QuerySet) -> QuerySet:
        return reduce(or_, (right.listed(user, queryset) for right in self.rights))


def _office(unit: str, **kwargs) -> AnyOf:
    refusal = _("Only an editor or the director of the leader's office (%(unit)s) can do this.")
    return AnyOf(tuple(Right(role=role, unit=unit, role_refusal=refusal, **kwargs)
                       for role in (Role.EDITOR, Role.DIRECTOR)))


def _unit(unit: str, **kwargs) -> AnyOf:
    refusal = _("Only a clerk or the director of the assigned unit (%(unit)s) can do this.")
    return AnyOf(tuple(Right(role=role, unit=unit, role_refusal=refusal, **kwargs)
                       for role in (Role.CLERK, Role.DIRECTOR)))


S, A, F, E = Instruction.State, Assignment.State, Feedback.State, Extension.State

ASSIGN = _office("office_id", states={"state": (S.REGISTERED,)},
                 state_refusal=_("Only an instruction awaiting assignment can be assigned; this one is “%(state)s”."))
REPORT = _office("office_id", states={"state": (S.ASSIGNED,)},
                 state_refusal=_("Only an instruction being handled can be reported; this one is “%(state)s”."))
CLOSE = _office("office_id", states={"state": (S.REPORTED,)},
                state_refusal=_("Only an instruction reported to the leader can be closed; this one is “%(state)s”."))
REOPEN = _office("office_id", states={"state": (S.CLOSED,)},
                 state_refusal=_("Only a closed instruction can be reopened; this one is “%(state)s”."))
# The office sees every assignment of its instructions (colour, feedback, extensions).
FOLLOW = _office("office_id")
SIGN_FOR = _unit("unit_id", states={"state": (A.ASSIGNED,)},
                 state_refusal=_("Only an assignment awaiting sign-for can be signed for; this one is “%(state)s”."))
WRITE = _unit("unit_id", states={"state": (A.ASSIGNED, A.SIGNED, A.RETURNED)},
              state_refusal=_("Feedback can be written while the assignment is open; this one is “%(state)s”."))
ASK_MORE_TIME = _unit("unit_id", states={"state": (A.ASSIGNED, A.SIGNED, A.RETURNED)},
                      state_refusal=_("More time can be asked while the assignment is open; it is “%(state)s”."))
SIGN_OFF = AnyOf((Right(role=Role.DIRECTOR, unit="assignment__unit_id", states={"state": (F.PENDING,)},
                        role_refusal=_("Only the director of %(unit)s signs its feedback off."),
                        state_refusal=_("Only feedback awaiting sign-off can be signed off; this is “%(state)s”.")),))
RESUBMIT = _unit("assignment__unit_id", states={"state": (F.DRAFT,)},
                 state_refusal=_("Only feedback the director returned can be sent again; this is “%(state)s”."))
REVIEW = _office("assignment__office_id", states={"state": (F.SENT,), "kind": (Feedback.Kind.FINAL,)},
                 state_refusal=_("Only final feedback sent to the office can be reviewed; this is “%(state)s”."))
DECIDE = _office("assignment__office_id", states={"state": (E.PENDING,)},
                 state_refusal=_("This request was already decided (“%(state)s”)."))
