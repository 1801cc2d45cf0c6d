"""Who may see and act on what (SPEC §11): the one access rule every door goes through — page, API, print view,
export, lineage, list, queue, clock page, notification and task.

Seeing. A person sees an object when, and only when, both hold:

1. it is theirs, or it reached them: its unit is one where they hold a unit role (`SOURCE_ROLES`), or it reached
   an office where they hold an office role (`OFFICE_ROLES`) — the review chain's hops, the deadline clocks of an
   emergency the office waits for, a chase the office recorded —, or their unit filed it jointly with its unit
   (合报: `joint`, once filed; read only, since every right names the object's own unit);
2. its classification mark is within their clearance (`User.clearance`).

Anything else is answered exactly as if it did not exist (404). Each model the rule governs declares where the
facts are (`govern`); each app that makes an object reach an office declares that relation (`reaches`), so the
core names no app's model. Reading a classified item (秘密 / 机密) through any door is audited here, once.

Acting. A `Right` names the role an actor must hold in the object's unit, the states in which the action is
open and the people who may not take it (nobody signs off their own item). The same right builds the list of
things to act on and checks the action, so a list never offers what the action would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q, QuerySet, Value
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from . import params, tree
from .errors import IllegalTransition, NotPermitted
from .models import Classification, Role, RoleAssignment, Unit, User
from .roles import unit_ids_where
from .services import audit_record

# Roles that see their own unit's objects, and roles that see what reached their office.
SOURCE_ROLES = (Role.CLERK, Role.DIRECTOR, Role.EDITOR)
OFFICE_ROLES = (Role.EDITOR, Role.DIRECTOR, Role.DUTY_OFFICER, Role.LEADER)
# Marks whose every read is written to the audit log (SPEC §11).
AUDITED_MARKS = (Classification.SECRET, Classification.CONFIDENTIAL)


@dataclass
class Facts:
    """Where the rule finds, on one model, the facts it reads. Each is a lookup path ("source_unit_id",
    "item__classification"); `reached` grows as apps declare relations through which the object reaches an
    office; `jurisdiction` is the path field of a unit for records every office above that unit sees (a lapse is
    seen in the jurisdiction of the offices over its unit); `audited` is the attribute path to the item whose
    reads are audited ("" for the item itself); `joint` the units that filed the object jointly with its unit
    (合报: "joint_units__id"), whose unit roles see it — only to read: a `Right` names the object's own unit — once
    the conditions `joint_when` hold ({"submitted_at__isnull": False}: an item once filed, not its draft)."""

    unit: str | None = None
    mark: str | None = None
    reached: list[str] = field(default_factory=list)
    jurisdiction: str | None = None
    audited: str | None = None
    joint: str | None = None
    joint_when: dict = field(default_factory=dict)


_governed: dict[type[models.Model], Facts] = {}


def govern(model: type[models.Model], *, unit: str | None = None, mark: str | None = None,
           reached: tuple[str, ...] = (), jurisdiction: str | None = None, audited: str | None = None,
           joint: str | None = None, joint_when: dict | None = None) -> None:
    """Put `model` under the access rule (called once per model from its app's `ready()`)."""
    if joint is not None and "__" not in joint:
        raise ValueError("a joint lookup goes through a relation (e.g. joint_units__id)")
    facts = _governed.setdefault(model, Facts())
    facts.unit, facts.mark, facts.jurisdiction, facts.audited = unit, mark, jurisdiction, audited
    facts.joint, facts.joint_when = joint, dict(joint_when or {})
    facts.reached.extend(lookup for lookup in reached if lookup not in facts.reached)


def reaches(model: type[models.Model], lookup: str) -> None:
    """Declare that `model`'s objects reach the offices named by `lookup` (e.g. `hops__office_id`): the office
    roles there see them. Called by the app that owns the relation, from its `ready()`."""
    facts = _governed.setdefault(model, Facts())
    if lookup not in facts.reached:
        facts.reached.append(lookup)


def facts_of(model: type[models.Model]) -> Facts:
    try:
        return _governed[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not governed by the access rule (infohub.access.govern)") from None


def cleared_marks(user: User) -> list[str]:
    """The classification marks `user` may open, lowest first."""
    return [mark for mark in Classification.values if user.may_open(mark)]


def _mark_filter(facts: Facts, user: User) -> Q:
    if facts.mark is None or user.may_open(Classification.accredited_maximum()):
        return Q()  # nothing stored here can be above their clearance: no filter, no join
    allowed = Q(**{f"{facts.mark}__in": cleared_marks(user)})
    if "__" in facts.mark:  # through a nullable relation (a chase's clock has no item): unmarked passes
        allowed |= Q(**{f"{facts.mark}__isnull": True})
    return allowed


def visible(user: User, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to the objects `user` may see (the rule above). Costs no query itself.

    Lookups through a relation are combined as a UNION of indexed lookups: an OR across joins would make
    Postgres scan the whole table."""
    facts = facts_of(queryset.model)
    own = unit_ids_where(user, *SOURCE_ROLES) if facts.unit or facts.joint else set()
    offices = unit_ids_where(user, *OFFICE_ROLES) if facts.reached or facts.jurisdiction else set()
    # (lookup, unit ids, further conditions of the branch)
    parts = ([(facts.unit, own, Q())] if own and facts.unit else []) + [
        (lookup, offices, Q()) for lookup in facts.reached if offices]
    if facts.jurisdiction and offices:
        parts.append((facts.jurisdiction, offices, Q()))
    if facts.joint and own:  # 合报: through the relation, so always a branch of its own
        parts.append((facts.joint, own, Q(**facts.joint_when)))

    def branch(lookup, ids, when) -> Q:
        return (tree.within(ids, path=lookup) if lookup == facts.jurisdiction else Q(**{f"{lookup}__in": ids})) & when

    if not parts:
        return queryset.none()
    if all("__" not in lookup for lookup, _ids, _when in parts):
        reach = Q()
        for part in parts:
            reach |= branch(*part)
        narrowed = queryset.filter(reach)
    else:
        # Each branch starts from `queryset`, so its own conditions (an id, a state) narrow every branch.
        base = queryset.order_by().values("pk")
        selects = [base.filter(branch(*part)) for part in parts]
        narrowed = queryset.filter(pk__in=selects[0].union(*selects[1:]) if len(selects) > 1 else selects[0])
    return narrowed.filter(_mark_filter(facts, user))


def may_see(user: User, obj: models.Model) -> bool:
    """Whether `user` may see `obj`: the same rule as `visible`, asked of one object (one query)."""
    return visible(user, type(obj)._base_manager.filter(pk=obj.pk)).exists()


def get_visible(user: User, queryset: QuerySet, pk, *, read: str | None = None):
    """The object `pk` of `queryset` if `user` may see it; otherwise Http404, exactly as if it did not exist (a
    malformed or out-of-range id too).

    `read` names the door when the object is being read ("page", "print", "api", "lineage", "clock"…): reading a
    classified item is then audited (`item.view`, or `item.print` for the print door), once per call."""
    pk = params.object_id(pk)
    if pk is None:
        raise Http404
    try:
        obj = visible(user, queryset.filter(pk=pk)).get()
    except queryset.model.DoesNotExist:
        raise Http404 from None
    if read:
        audit_read(user, obj, door=read)
    return obj


def audit_read(user: User, obj: models.Model, *, door: str) -> None:
    """Record that `user` read `obj` through `door`, when what it shows is a classified item (SPEC §11)."""
    path = facts_of(type(obj)).audited
    if path is None:
        return
    item = obj
    for name in filter(None, path.split(".")):
        item = getattr(item, name)
    if item is not None and item.classification in AUDITED_MARKS:
        action = "item.print" if door == "print" else "item.view"
        audit_record(actor=user, action=action, obj=item, data={"door": door})


def audience(obj: models.Model) -> Q:
    """A filter on User: the people who may see `obj` — the rule seen from the object's side, for choosing who is
    told about it (a notification names the object). Reads the object's unit (or units, through a relation), mark and
    reached offices (one query per relation to other tables)."""
    model, facts = type(obj), facts_of(type(obj))
    holds_here = Q(pk__in=[])
    if facts.unit:
        if "__" in facts.unit:  # through a relation (a topic request's target units): one query
            units = set(model._base_manager.filter(pk=obj.pk).exclude(**{f"{facts.unit}__isnull": True})
                        .values_list(facts.unit, flat=True))
        else:
            units = {_value(obj, facts.unit)}
        holds_here |= Q(pk__in=RoleAssignment.objects.filter(unit_id__in=units, role__in=SOURCE_ROLES)
                        .values("user_id"))
    if facts.joint:  # the units that filed it jointly, once the conditions hold: one query
        joint = set(model._base_manager.filter(pk=obj.pk, **facts.joint_when)
                    .exclude(**{f"{facts.joint}__isnull": True}).values_list(facts.joint, flat=True))
        if joint:
            holds_here |= Q(pk__in=RoleAssignment.objects.filter(unit_id__in=joint, role__in=SOURCE_ROLES)
                            .values("user_id"))
    offices = set()
    for lookup in facts.reached:
        if "__" not in lookup:  # a field of the object itself
            offices.add(_value(obj, lookup))
            continue
        offices.update(model._base_manager.filter(pk=obj.pk).exclude(**{f"{lookup}__isnull": True})
                       .values_list(lookup, flat=True))
    offices.discard(None)
    if facts.jurisdiction:
        path = _value(obj, facts.jurisdiction)
        offices.update(tree.ancestor_ids(Unit(path=path)) if path else ())
    if offices:
        holds_here |= Q(pk__in=RoleAssignment.objects.filter(unit_id__in=offices, role__in=OFFICE_ROLES)
                        .values("user_id"))
    mark = _value(obj, facts.mark) if facts.mark else None
    if mark:
        holds_here &= Q(clearance__in=[c for c in Classification.values if Classification.rank(c) >= Classification.rank(mark)])
    return holds_here


def who_may_see(people, obj: models.Model) -> list[User]:
    """Those of `people` (users) who may see `obj`, in the order given. One query for them all."""
    people = list(people)
    if not people:
        return []
    allowed = set(User.objects.filter(pk__in=[p.pk for p in people]).filter(audience(obj)).values_list("pk", flat=True))
    return [person for person in people if person.pk in allowed]


def who_may_see_each(pairs) -> list[list[User]]:
    """For each `(people, obj)` of `pairs`: those of `people` who may see `obj`, as `who_may_see` answers — in one
    statement per 100 pairs (a UNION ALL of their questions) instead of one each: what a periodic job telling many
    units about many rows asks at once."""
    pairs = list(pairs)
    questions = [
        User.objects.filter(pk__in=[p.pk for p in people]).filter(audience(obj)).order_by()
        .annotate(pair=Value(i, output_field=models.IntegerField())).values_list("pk", "pair")
        for i, (people, obj) in enumerate(pairs) if people
    ]
    allowed: dict[int, set[int]] = {}
    for start in range(0, len(questions), 100):
        first, *rest = questions[start:start + 100]
        for pk, pair in (first.union(*rest, all=True) if rest else first):
            allowed.setdefault(pair, set()).add(pk)
    return [[person for person in people if person.pk in allowed.get(i, ())] for i, (people, _obj) in enumerate(pairs)]


def _value(obj, lookup: str):
    """Follow a lookup path ("item__classification", "source_unit_id") on an instance; None past a null."""
    value = obj
    for name in lookup.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


@dataclass(frozen=True)
class Right:
    """The right to take one action: hold `role` in the unit named by `unit` (a field of the object), the object
    in one of `states` ({field: allowed values}), the actor not named by any of `not_by` (fields naming people),
    and cleared for the object's mark. `listed` gives the objects open to the action, `check` refuses one that
    is not, saying why. Both read these same parts.

    The role must be one that sees the object through the same unit (a unit role on the object's unit, an office
    role on an office it reached), so holding the right implies seeing the object."""

    role: str
    unit: str
    states: dict = field(default_factory=dict)
    not_by: tuple[str, ...] = ()
    role_refusal: str = _("You do not hold the role this action needs in %(unit)s.")
    own_refusal: str = _("Nobody acts on their own work here: someone else must do it.")
    state_refusal: str = _("This action is not possible in the current state (“%(state)s”).")

    def q(self, user: User) -> Q:
        condition = Q(**{f"{self.unit}__in": unit_ids_where(user, self.role)})
        for name, values in self.states.items():
            condition &= Q(**{f"{name}__in": list(values)})
        for name in self.not_by:
            condition &= ~Q(**{name: user.pk}) | Q(**{f"{name}__isnull": True})
        return condition

    def listed(self, user: User, queryset: QuerySet) -> QuerySet:
        """The objects of `queryset` on which `user` may take the action now. The role already places each in
        what the user sees (see above), so of the seeing rule only the clearance is left to apply."""
        return queryset.filter(self.q(user)).filter(_mark_filter(facts_of(queryset.model), user))

    def allows(self, user: User, obj: models.Model) -> bool:
        try:
            self.check(user, obj)
        except (NotPermitted, IllegalTransition):
            return False
        return True

    def check(self, user: User, obj: models.Model) -> None:
        """Raise NotPermitted (wrong role or unit, own work, above clearance) or IllegalTransition (wrong state),
        with the reason, unless `user` may take the action on `obj` now. No query."""
        unit_id = _value(obj, self.unit)
        unit = _value(obj, self.unit.removesuffix("_id")) if self.unit.endswith("_id") else unit_id
        if unit_id not in unit_ids_where(user, self.role):
            raise NotPermitted(self.role_refusal % {"unit": unit})
        if any(_value(obj, name) == user.pk for name in self.not_by):
            raise NotPermitted(self.own_refusal)
        mark = facts_of(type(obj)).mark
        if mark and _value(obj, mark) and not user.may_open(_value(obj, mark)):
            raise NotPermitted(_("This item is above your clearance."))
        for name, values in self.states.items():
            if _value(obj, name) not in values:
                label = getattr(obj, f"get_{name}_display", lambda name=name: _value(obj, name))()
                raise IllegalTransition(self.state_refusal % {"state": label or "—"})
