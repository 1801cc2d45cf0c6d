"""Who may act on a publication, as rights of the one access rule (infohub.access).

A publication type names the role that compiles its issues, the one that reviews them (审核) and the one that
signs them (签发), each held in the publishing office. So each action has one right per role it may be given to;
`right(action, issue)` picks the one the issue's type names, and `listed(action, user, issues)` builds the list of
issues open to the action from the same rights.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from infohub.access import Right
from infohub.models import Role, User
from infohub.roles import role_map

from .models import ACTING_ROLES, Issue, PublicationType

ROLES = [role for role, _label in ACTING_ROLES]

# Which field of the type names the role of each action.
ROLE_FIELD = {"start": "edit_role", "compile": "edit_role", "submit": "edit_role", "review": "review_role",
              "return": "review_role", "sign": "sign_role", "return_signed": "sign_role"}


def _rights(**kwargs) -> dict[str, Right]:
    return {role: Right(role=role, unit="office_id", **kwargs) for role in ROLES}


RIGHTS: dict[str, dict[str, Right]] = {
    # Start an issue of a type (the object is the type).
    "start": _rights(role_refusal=_("Only the people who compile this publication at %(unit)s can start an issue.")),
    "compile": _rights(
        states={"status": (Issue.Status.COMPILING,)},
        role_refusal=_("Only the people who compile this publication at %(unit)s can change its issues."),
        state_refusal=_("Only an issue being compiled can be changed; this one is “%(state)s”."),
    ),
    "submit": _rights(
        states={"status": (Issue.Status.COMPILING,)},
        role_refusal=_("Only the people who compile this publication at %(unit)s can submit its issues."),
        state_refusal=_("Only an issue being compiled can be submitted; this one is “%(state)s”."),
    ),
    # 审核: never by the editor who submitted it.
    "review": _rights(
        states={"status": (Issue.Status.SUBMITTED,)}, not_by=("submitted_by_id",),
        role_refusal=_("Only the reviewers of this publication at %(unit)s can review its issues."),
        own_refusal=_("Nobody reviews an issue they submitted: someone else must do it."),
        state_refusal=_("Only an issue awaiting review can be reviewed; this one is “%(state)s”."),
    ),
    "return": _rights(
        states={"status": (Issue.Status.SUBMITTED,)},
        role_refusal=_("Only the reviewers of this publication at %(unit)s can return its issues."),
        state_refusal=_("Only an issue awaiting review or signature can be returned; this one is “%(state)s”."),
    ),
    # 签发: never by the editor who submitted it.
    "sign": _rights(
        states={"status": (Issue.Status.REVIEWED,)}, not_by=("submitted_by_id",),
        role_refusal=_("Only the signers of this publication at %(unit)s can sign its issues."),
        own_refusal=_("Nobody signs an issue they submitted: someone else must sign it."),
        state_refusal=_("Only a reviewed issue can be signed; this one is “%(state)s”."),
    ),
    "return_signed": _rights(
        states={"status": (Issue.Status.REVIEWED,)},
        role_refusal=_("Only the signers of this publication at %(unit)s can return its issues."),
        state_refusal=_("Only an issue awaiting review or signature can be returned; this one is “%(state)s”."),
    ),
}


def _role_of(action: str, obj) -> str:
    ptype = obj if isinstance(obj, PublicationType) else obj.ptype
    return getattr(ptype, ROLE_FIELD[action])


def right(action: str, obj: Issue | PublicationType) -> Right:
    """The right of `action` on this issue (or, for "start", this type): its type names the role."""
    return RIGHTS[action][_role_of(action, obj)]


def check(action: str, user: User, obj: Issue | PublicationType) -> None:
    """Raise NotPermitted or IllegalTransition, with the reason, unless `user` may take `action` on `obj` now.
    "return" covers both steps: an issue awaiting review goes back from its reviewer, a reviewed one from its
    signer."""
    if action == "return" and isinstance(obj, Issue) and obj.status == Issue.Status.REVIEWED:
        action = "return_signed"
    right(action, obj).check(user, obj)


def allows(action: str, user: User, obj: Issue | PublicationType) -> bool:
    if action == "return" and isinstance(obj, Issue) and obj.status == Issue.Status.REVIEWED:
        action = "return_signed"
    return right(action, obj).allows(user, obj)


def listed(action: str, user: User, queryset: QuerySet) -> QuerySet:
    """The objects of `queryset` (issues, or types for "start") open to `action` for `user`: per role, the
    objects whose type gives the action to that role, listed by that role's right."""
    prefix = "" if queryset.model is PublicationType else "ptype__"
    parts = [RIGHTS[action][role].listed(user, queryset.filter(**{f"{prefix}{ROLE_FIELD[action]}": role}))
             for role in ROLES if role in _held(user)]
    if not parts:
        return queryset.none()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part
    return combined


def _held(user: User) -> set[str]:
    return set(role_map(user))


def may_compile_any(user: User) -> bool:
    return user.is_authenticated and bool({Role.EDITOR, Role.CLERK, Role.DIRECTOR} & _held(user))
