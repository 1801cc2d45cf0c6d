"""Writing a roster workbook (SPEC §10, administrator): the service behind the import's confirm step.

All or nothing: one transaction makes the plan again under a lock (one import at a time; units and role rows
held still), refuses when it has problems or differs from the plan the administrator previewed, then writes it
with a handful of set-based statements — a province's 10,000 units and 30,000 people in seconds, where saving
row by row through the ORM (and its signals) takes minutes. What the per-row signals would have done is done
here once: the tree's materialised paths are recomputed, this process's unit tables are dropped after commit and
the names' list-cache version is renewed (infohub.tree, infohub.listcache), so every list and every process sees
the new names and tree at once. One audit row records the import.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import listcache
from ..errors import ActionRefused
from ..models import AuditLog, RoleAssignment, Unit, User, path_below
from ..tree import forget_units
from .layout import Workbook
from .plan import BUSY_KEEP, KEEP, Plan, build_plan

_BATCH = 2000


class RosterRefused(ActionRefused):
    """The workbook has problems (listed in `plan.problems`), or the database changed since the preview."""

    code = "roster_refused"

    def __init__(self, message, plan: Plan):
        super().__init__(message)
        self.plan = plan


def roster_import(*, workbook: Workbook, actor: User, mode: str = KEEP, expected_digest: str = "",
                  file_name: str = "", busy: str = BUSY_KEEP) -> Plan:
    """Apply `workbook` (infohub.roster.plan explains modes, blanks and `busy`: units with open work stay active
    unless BUSY_DEACTIVATE). Returns the plan it wrote.

    Raises RosterRefused, writing nothing, when any row has a problem, or when `expected_digest` (the preview's)
    is given and the plan made now differs — someone changed units, people or roles in between, or a unit it would
    deactivate got work open since."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('infohub.roster'))")
                cursor.execute(f"LOCK TABLE {Unit._meta.db_table}, {RoleAssignment._meta.db_table} "
                               "IN SHARE ROW EXCLUSIVE MODE")
            plan = build_plan(workbook, mode=mode, actor=actor, busy=busy)
            if not plan.ok:
                raise RosterRefused(_("The workbook has errors; nothing was imported."), plan)
            if expected_digest and plan.digest != expected_digest:
                raise RosterRefused(_("Units, people or roles changed after the preview; nothing was imported. "
                                      "Upload the workbook again to see what it would change now."), plan)
            if plan.changes_anything:
                _write(plan)
                listcache.changed(listcache.NAMES)
                transaction.on_commit(forget_units)
            AuditLog.objects.create(actor=actor, action="roster.import", object_type="infohub.roster",
                                    object_id=plan.digest[:12], to_state=mode,
                                    data={"file": file_name[:200], "sheets": plan.sheets, "counts": plan.counts,
                                          "busy": {b.code: [str(w) for w in b.work] for b in plan.busy},
                                          "busy_choice": plan.busy_choice, "kept": plan.kept})
    except IntegrityError:
        # A username or unit code taken by someone else's edit between our read and our write.
        raise RosterRefused(_("Someone added a unit or person with the same code or username meanwhile; nothing "
                              "was imported. Upload the workbook again."), Plan(mode=mode, sheets=[])) from None
    return plan


def _write(plan: Plan) -> None:
    ids = dict(Unit.objects.values_list("code", "id"))
    ids.update(_insert(Unit, "code", [
        {"code": u["code"], "name": u["name"], "short_name": u["short_name"], "level": u["level"], "kind": u["kind"],
         "is_active": u["is_active"], "path": ""} for u in plan.unit_new]))
    rows = [(ids[u["code"]], u) for u in plan.unit_new if u["parent"] or u["upstream"]] + plan.unit_update
    _update(Unit, ["name", "short_name", "level", "kind", "parent_id", "upstream_id", "is_active"],
            [(pk, u["name"], u["short_name"], u["level"], u["kind"], ids.get(u["parent"]), ids.get(u["upstream"]),
              u["is_active"]) for pk, u in rows])
    if plan.unit_new or plan.unit_update:
        _recompute_paths()

    usernames = dict(User.objects.values_list("username", "id"))
    unusable = make_password(None)  # no password until the administrator sets one or the person resets it
    usernames.update(_insert(User, "username", [
        {"username": p["username"], "display_name": p["display_name"], "phone": p["phone"], "email": p["email"],
         "clearance": p["clearance"], "is_active": p["is_active"], "password": unusable} for p in plan.user_new]))
    _update(User, ["display_name", "phone", "email", "clearance", "is_active"],
            [(pk, p["display_name"], p["phone"], p["email"], p["clearance"], p["is_active"])
             for pk, p in plan.user_update])
    if plan.user_deactivate:
        User.objects.filter(pk__in=plan.user_deactivate).update(is_active=False)

    if plan.role_delete:
        RoleAssignment.objects.filter(pk__in=plan.role_delete).delete()
    _insert(RoleAssignment, None, [{"user_id": usernames[username], "unit_id": ids[code], "role": role}
                                   for username, code, role in plan.role_new])


def _insert(model, key: str | None, rows: list[dict]) -> list[tuple[str, int]]:
    """INSERT … SELECT FROM unnest(arrays) RETURNING (key, id), 5,000 rows a statement: `bulk_create` spends
    seconds compiling 70,000 rows' parameters one by one. Columns a row does not give take the field's default
    (auto_now_add: now), the same for every row — what `Model()` would have set."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = set(rows[0])
    constants = {}
    for field in fields:
        if field.attname not in given:
            auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            constants[field.attname] = now if auto else field.get_default()
    columns = ", ".join(f.column for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    returning = f"{model._meta.get_field(key).column}, id" if key else "id"
    sql = (f"INSERT INTO {model._meta.db_table} ({columns}) SELECT * FROM unnest({arrays}) "
           f"RETURNING {returning}")
    made = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            batch = rows[start:start + 5000]
            cursor.execute(sql, [[row[f.attname] for row in batch] if f.attname in given
                                 else [constants[f.attname]] * len(batch) for f in fields])
            if key:
                made.extend(cursor.fetchall())
    return made


_SQL_TYPES = {"name": "text", "short_name": "text", "level": "text", "kind": "text", "parent_id": "bigint",
              "upstream_id": "bigint", "is_active": "boolean", "display_name": "text", "phone": "text",
              "email": "text", "clearance": "text", "path": "text"}


def _update(model, columns: list[str], rows: list[tuple]) -> None:
    """Set `columns` of the rows named by the first value of each tuple: one UPDATE … FROM unnest(arrays) per
    batch of 5,000 (bulk_update's CASE per column costs Postgres far more at this size)."""
    if not rows:
        return
    table = model._meta.db_table
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    arrays = ", ".join(["%s::bigint[]", *(f"%s::{_SQL_TYPES[c]}[]" for c in columns)])
    sql = (f"UPDATE {table} AS t SET {assignments} FROM unnest({arrays}) AS v(id, {', '.join(columns)}) "
           "WHERE t.id = v.id")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            batch = rows[start:start + 5000]
            cursor.execute(sql, [list(values) for values in zip(*batch, strict=True)])


def _recompute_paths() -> None:
    """Every unit's materialised path (Unit.path, infohub.models.path_below) from the parents as they now are; rewrites only
    the paths that differ. The tree is acyclic (the plan refused cycles)."""
    parents, paths = {}, {}
    for pk, parent_id, path in Unit.objects.values_list("id", "parent_id", "path"):
        parents[pk], paths[pk] = parent_id, path
    new: dict[int, str] = {}
    for pk in parents:
        chain = []
        node = pk
        while node is not None and node not in new:
            chain.append(node)
            node = parents[node]
        prefix = new[node] if node is not None else "/"
        for member in reversed(chain):
            prefix = new[member] = path_below(prefix, member)
    _update(Unit, ["path"], [(pk, path) for pk, path in new.items() if paths[pk] != path])
