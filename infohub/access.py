"""Who may see and act on what (SPEC §11): the one access rule every door goes through — page, API, print view,
export, lineage, list, queue, clock page, notification and task.

Seeing. A person sees an object when, and only when, both hold:

1. it is theirs, or it reached them: its unit is one where they hold a unit role (`SOURCE_ROLES`), or it reached
   an office where they hold an office role (`OFFICE_ROLES`) — the review chain's hops, the deadline clocks of an
   emergency the office waits for, a chase the office recorded —, or their unit filed it jointly with its unit
   (合报: `joint`, once filed; read only, since every right names the object's own unit);
2. its classification mark is within their clearance (`User.clearance`).

Where a model's objects reach offices through many rows of other tables (an item through its hops, its deadline
clocks and its topic answer), every branch of the first condition is also kept on the object itself, as one array
of keys (`keys`, e.g. `Item.access_keys`): its unit, and its joint units once the joint conditions hold, as minus
their ids (seen by the unit roles there), and each office it reached as its id (seen by the office roles there).
`visible` then asks one condition of the object's own table — the keys overlap those of the person (minus each unit
where they hold a unit role, each office where they hold an office role) — which a GIN index answers exactly, beside
the search words, instead of a union over the relations that made a city editor's list read the tens of thousands
of items the office received before the first row of the page. The keys are kept here, from the same declared facts
(`keep_keys`): every save or delete of a row of such a relation (and every change of the joint units) recomputes
them for its object, in the writer's transaction, whichever code writes the row; the object's own save keeps the
keys its own row decides (`own_fields`). A writer that bypasses signals (bulk_create, queryset update or delete, raw
SQL: migrations, benchmarks) calls `keep_keys` itself.

Anything else is answered exactly as if it did not exist (404). Each model the rule governs declares where the
facts are (`govern`); each app that makes an object reach an office declares that relation (`reaches`), so the
core names no app's model. Reading a classified item (秘密 / 机密) through any door is audited here, once.

Acting. A `Right` names the role an actor must hold in the object's unit, the states in which the action is
open and the people who may not take it (nobody signs off their own item). The same right builds the list of
things to act on and checks the action, so a list never offers what the action would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, models, router
from django.db.models import Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from . import listcache, params, tree
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
    the conditions `joint_when` hold ({"submitted_at__isnull": False}: an item once filed, not its draft); `keys` an
    array field of the object holding its unit and joint units (as minus their ids) and every office named by
    `reached` (see above), which the rule then reads instead of them."""

    unit: str | None = None
    mark: str | None = None
    reached: list[str] = field(default_factory=list)
    jurisdiction: str | None = None
    audited: str | None = None
    joint: str | None = None
    joint_when: dict = field(default_factory=dict)
    keys: str | None = None


_governed: dict[type[models.Model], Facts] = {}


def govern(model: type[models.Model], *, unit: str | None = None, mark: str | None = None,
           reached: tuple[str, ...] = (), jurisdiction: str | None = None, audited: str | None = None,
           joint: str | None = None, joint_when: dict | None = None, keys: str | None = None) -> None:
    """Put `model` under the access rule (called once per model from its app's `ready()`)."""
    if joint is not None and "__" not in joint:
        raise ValueError("a joint lookup goes through a relation (e.g. joint_units__id)")
    facts = _governed.setdefault(model, Facts())
    facts.unit, facts.mark, facts.jurisdiction, facts.audited = unit, mark, jurisdiction, audited
    facts.joint, facts.joint_when = joint, dict(joint_when or {})
    if keys and (jurisdiction or (unit and "__" in unit)):
        raise ValueError(f"{model.__name__}: access keys hold a unit of the object's own and offices reached")
    facts.keys = keys
    facts.reached.extend(lookup for lookup in reached if lookup not in facts.reached)
    if keys:
        for lookup in facts.reached:
            _keep_on_write(model, lookup)
        if joint:
            _keep_on_joining(model, joint)


def reaches(model: type[models.Model], lookup: str) -> None:
    """Declare that `model`'s objects reach the offices named by `lookup` (e.g. `hops__office_id`): the office
    roles there see them. Called by the app that owns the relation, from its `ready()`. A relation to rows of
    another table (`hops__office_id`) keeps the model's `keys` column, if it has one, on every write of such a row."""
    facts = _governed.setdefault(model, Facts())
    if lookup not in facts.reached:
        facts.reached.append(lookup)
        if facts.keys:
            _keep_on_write(model, lookup)


def _keep_on_write(model: type[models.Model], lookup: str) -> None:
    """Connect the receivers that keep `model`'s `keys` column when a row of the relation `lookup` starts with
    (`hops` of `hops__office_id`) is saved or deleted: the column of the object the row belongs to is recomputed."""
    name, _sep, rest = lookup.partition("__")
    if not rest:
        raise ValueError(f"{model.__name__}: access keys hold offices reached through other tables ({lookup})")
    relation = model._meta.get_field(name)
    if not (relation.is_relation and relation.auto_created and not relation.concrete and "__" not in rest):
        raise ValueError(f"{model.__name__}: a reached relation must be one step to another table's field ({lookup})")
    related, owner = relation.related_model, relation.field  # Hop, Hop.item
    office = related._meta.get_field(rest.removesuffix("_id"))

    def written(sender, instance, created=False, update_fields=None, **kwargs):
        if not created and update_fields is not None and not {office.name, office.attname} & set(update_fields):
            return  # a save that cannot have changed the office (a hop's state)
        if _governed[model].keys:
            keep_keys(model, [getattr(instance, owner.attname)], using=kwargs.get("using"))

    uid = f"infohub.access.keep.{model._meta.label_lower}.{lookup}"
    post_save.connect(written, sender=related, weak=False, dispatch_uid=uid)
    post_delete.connect(written, sender=related, weak=False, dispatch_uid=uid)


def _keep_on_joining(model: type[models.Model], joint: str) -> None:
    """Connect the receiver that keeps `model`'s `keys` when units are added to or removed from its joint relation
    (`joint_units` of `joint_units__id`), from either side."""
    relation = model._meta.get_field(joint.partition("__")[0])
    through = relation.remote_field.through
    cleared: dict[int, list[int]] = {}

    def joined(sender, instance, action, reverse, pk_set, **kwargs):
        if not reverse:
            pks = [instance.pk]
        elif action == "pre_clear":  # a unit's joint items, before they are forgotten
            cleared[id(instance)] = list(getattr(instance, relation.related_query_name()).values_list("pk", flat=True))
            return
        else:
            pks = cleared.pop(id(instance), []) if action == "post_clear" else list(pk_set or ())
        if action in ("post_add", "post_remove", "post_clear"):
            keep_keys(model, pks, using=kwargs.get("using"))

    m2m_changed.connect(joined, sender=through, weak=False,
                        dispatch_uid=f"infohub.access.keep.{model._meta.label_lower}.{joint}")


def own_fields(model: type[models.Model]) -> list[str]:
    """The fields of the object's own row that its keys read (its unit; the fields of the joint conditions): a save
    that changes one of them recomputes the keys (see the model's save)."""
    facts = facts_of(model)
    return [name for name in (facts.unit, *(lookup.split("__")[0] for lookup in facts.joint_when)) if name]


def keep_keys(model: type[models.Model], pks, *, using: str | None = None) -> int:
    """Recompute the `keys` column of `model`'s objects `pks` from the facts declared for it: minus its unit's id and
    its joint units' (when the joint conditions hold), and the id of every office it reached through the relations
    declared by `reaches`, each once, in ascending order. One statement; rows already right are not rewritten.
    The lists kept for the holders of a changed row's keys, before and after, are marked changed
    (infohub.listcache.holders): an office an item reaches sees it in its lists at once. Returns how many rows
    changed."""
    facts = facts_of(model)
    pks = sorted({pk for pk in pks if pk is not None})
    if not facts.keys or not pks:
        return 0
    using = using or router.db_for_write(model)
    # The ids as one array parameter, however many (a batch of a backfill holds tens of thousands).
    ids = RawSQL("SELECT unnest(%s::bigint[])", (pks,))
    mine = model._base_manager.db_manager(using).filter(pk__in=ids).order_by()
    found = [mine.exclude(**{f"{lookup}__isnull": True}).values_list("pk", lookup) for lookup in facts.reached]
    for unit, when in ((facts.unit, {}), (facts.joint, facts.joint_when)):
        if unit:
            found.append(mine.filter(**when).exclude(**{f"{unit}__isnull": True}).annotate(key=-models.F(unit))
                         .values_list("pk", "key"))
    meta = model._meta
    column, pk = meta.get_field(facts.keys).column, meta.pk.column
    union = found[0].union(*found[1:], all=True) if len(found) > 1 else found[0]
    sql, params = union.query.sql_with_params()
    with connections[using].cursor() as cursor:
        # `old` reads the rows as the UPDATE finds them (one snapshot): the keys before, for the lists to mark.
        cursor.execute(
            f'WITH old AS (SELECT "{pk}" AS id, "{column}" AS keys FROM "{meta.db_table}"'
            f' WHERE "{pk}" = ANY(%s::bigint[]))'
            f' UPDATE "{meta.db_table}" AS t SET "{column}" = r.keys FROM ('
            f" SELECT k.id, COALESCE(array_agg(DISTINCT f.key ORDER BY f.key)"
            f" FILTER (WHERE f.key IS NOT NULL), '{{}}') AS keys"
            f" FROM unnest(%s::bigint[]) AS k(id) LEFT JOIN ({sql}) AS f(id, key) ON f.id = k.id GROUP BY k.id"
            f') AS r, old WHERE t."{pk}" = r.id AND old.id = r.id AND t."{column}" IS DISTINCT FROM r.keys'
            f" RETURNING (SELECT array_agg(DISTINCT k) FROM unnest(old.keys || r.keys) AS k)",
            [pks, pks, *params],
        )
        touched = {key for (keys,) in cursor.fetchall() for key in keys or ()}
        listcache.changed(*listcache.holders(touched))
        return cursor.rowcount


def keys_of(units=(), offices=()) -> list[int]:
    """The access keys of objects of `units` and of objects that reached `offices` (see above), ascending."""
    return sorted({-int(u) for u in units} | {int(o) for o in offices})


def keys_seen_by(user: User, model: type[models.Model]) -> list[int]:
    """The access keys of the objects of `model` (one governed with `keys`) that `user` may see, ascending: the
    units where they hold a unit role (minus), the offices where they hold an office role (plus). `visible` asks
    that an object's keys overlap these; a list kept for `user` depends on the holders of these keys alone
    (infohub.listcache.holders). No query beyond the user's roles."""
    facts = facts_of(model)
    own = unit_ids_where(user, *SOURCE_ROLES) if facts.unit or facts.joint else ()
    offices = unit_ids_where(user, *OFFICE_ROLES) if facts.reached else ()
    return keys_of(own, offices)


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
    if facts.keys:  # every branch in one indexed condition on the object's own table (see above)
        keys = keys_seen_by(user, queryset.model)
        narrowed = queryset.filter(**{f"{facts.keys}__overlap": keys}) if keys else queryset.none()
        return narrowed.filter(_mark_filter(facts, user))
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
