"""What a roster workbook would change (SPEC §10, administrator): every row checked, then compared with the
database. Nothing here writes; `infohub.roster.apply` writes a plan.

Shape of a plan (`Plan`):
* `problems`: one `Problem` per bad row and reason — the sheet, the row number as Excel shows it, the unit code or
  username, and a message in the reader's language. Any problem refuses the whole workbook.
* `counts[sheet][kind]` and `changes[sheet][kind]` for kind in new / changed / unchanged / deactivated (units and
  people that the workbook switches off, or that are left out when the mode says so) / deleted (role rows); each
  `Change` names its row and, for a changed row, each column with its old and new value. Unchanged rows are
  counted, not listed.
* the operations `apply` performs, and `digest`, a fingerprint of them: the confirm step refuses to write when the
  database moved between the preview and the confirmation (the plan made again no longer has the same digest).

Meaning of a cell left blank: for a column with a blank value (简称, 上级单位代码 — a root —, 报送至单位代码 — report
to the parent —, 电话, 邮箱) it is that blank; for a column without one (类型, 启用, 密级) it keeps what the
database has, or gives a new row the default (部门, 是, 内部).

Modes (`KEEP`, `SYNC`): rows absent from a sheet are left alone, or — in SYNC, for the sheets the workbook has —
units and people absent from it are deactivated (never the importing administrator nor a superuser) and role rows
absent from it are deleted. In both modes the 角色 sheet gives every person it names exactly the roles it lists.

Units with open work (`busy`): a unit the import would deactivate — left out of the sheet in SYNC, or 启用 否 — while it
still has work open (infohub.openwork: items awaiting its sign-off or review, deadlines it owes or waits for,
instructions and topic requests not answered, issues not signed) is listed with what is open. By default
(`BUSY_KEEP`) such units stay active, with every unit up their reporting chain the import would have deactivated (an
active unit may not report to an inactive one), and the plan says so; they are deactivated only when the administrator
chooses it explicitly (`BUSY_DEACTIVATE`). The digest is taken before that choice is applied, over the busy units'
codes too: either choice confirms the plan previewed, and a unit that became busy since the preview refuses it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Classification, Level, RoleAssignment, Unit, User
from ..openwork import Open, open_work
from ..text import normalize_phone
from .layout import PEOPLE, ROLES, UNITS, Sheet, Workbook, choice, label, labels

KEEP = "keep"
SYNC = "sync"

NEW, CHANGED, UNCHANGED, DEACTIVATED, DELETED = "new", "changed", "unchanged", "deactivated", "deleted"
KINDS = (NEW, CHANGED, UNCHANGED, DEACTIVATED, DELETED)

# What becomes of units the import would deactivate while they have open work.
BUSY_KEEP, BUSY_DEACTIVATE = "keep", "deactivate"


@dataclass
class Problem:
    sheet: str
    row: int | None
    key: str
    message: str


@dataclass
class Change:
    row: int | None
    key: str
    name: str = ""
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column header, old, new)


@dataclass
class Busy:
    """A unit the import would deactivate while it has open work: its sheet row (None: left out of the sheet), code,
    name, and what is open there."""

    row: int | None
    code: str
    name: str
    work: list[Open]


@dataclass
class Plan:
    mode: str
    sheets: list[str]
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: dict[str, dict[str, list[Change]]] = field(default_factory=dict)
    # Units it would deactivate with work open, and what the administrator chose for them (BUSY_KEEP: `kept`, the
    # codes kept active — those units and the units up their reporting chain).
    busy: list[Busy] = field(default_factory=list)
    busy_choice: str = BUSY_KEEP
    kept: list[str] = field(default_factory=list)
    # Operations. Units and people by code / username; values as stored.
    unit_new: list[dict] = field(default_factory=list)
    unit_update: list[tuple[int, dict]] = field(default_factory=list)  # (id, every column), deactivation too
    user_new: list[dict] = field(default_factory=list)
    user_update: list[tuple[int, dict]] = field(default_factory=list)
    user_deactivate: list[int] = field(default_factory=list)
    role_new: list[tuple[str, str, str]] = field(default_factory=list)  # (username, unit code, role)
    role_delete: list[int] = field(default_factory=list)
    digest: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes_anything(self) -> bool:
        return bool(self.unit_new or self.unit_update or self.user_new or self.user_update
                    or self.user_deactivate or self.role_new or self.role_delete)

    def _record(self, sheet: Sheet, kind: str, change: Change | None = None) -> None:
        self.counts[sheet.key][kind] += 1
        if change is not None:
            self.changes[sheet.key][kind].append(change)


_RANK = {level: rank for rank, level in enumerate(Level.values)}  # Level.rank, without its cost per row
UNIT_FIELDS = ("name", "short_name", "level", "kind", "parent", "upstream", "is_active")
USER_FIELDS = ("display_name", "phone", "email", "clearance", "is_active")
_USERNAME = UnicodeUsernameValidator()


def build_plan(workbook: Workbook, *, mode: str = KEEP, actor: User | None = None, busy: str = BUSY_KEEP) -> Plan:
    """Check `workbook` against the database and say what importing it would do. Reads units, people and role
    rows once each (three queries), and the open work of the units it would deactivate (infohub.openwork, a query or
    two per app); no writes. Raises nothing for bad data: problems are in the plan. `busy`: BUSY_KEEP (units with open
    work stay active) or BUSY_DEACTIVATE (the administrator chose to deactivate them all the same).

    A sheet without a single row counts as absent: the template's empty sheets, sent along with a filled one, must
    not deactivate every unit or person in the SYNC mode."""
    empty = [rows.title for rows in workbook.sheets.values() if not rows.rows]
    workbook = Workbook({key: rows for key, rows in workbook.sheets.items() if rows.rows}, workbook.ignored_sheets)
    plan = Plan(mode=mode, sheets=[s.key for s in (UNITS, PEOPLE, ROLES) if workbook.get(s)])
    if empty:
        plan.notices.append(_("Sheets without rows, left alone: %(sheets)s.") % {"sheets": "、".join(empty)})
    for sheet in (UNITS, PEOPLE, ROLES):
        plan.counts[sheet.key] = dict.fromkeys(KINDS, 0)
        plan.changes[sheet.key] = {kind: [] for kind in KINDS}
        rows = workbook.get(sheet)
        if rows is not None:
            if rows.missing:
                plan.problems.append(Problem(rows.title, 1, "", _("The sheet lacks the column(s) %(columns)s.")
                                             % {"columns": "、".join(rows.missing)}))
            if rows.ignored:
                plan.notices.append(_("Sheet “%(sheet)s”: columns not read: %(columns)s.")
                                    % {"sheet": rows.title, "columns": "、".join(rows.ignored)})
    ignored = [title for title in workbook.ignored_sheets if title != "说明"]  # the template's notes
    if ignored:
        plan.notices.append(_("Sheets not read: %(sheets)s.") % {"sheets": "、".join(ignored)})
    if any(p.row == 1 for p in plan.problems):
        return plan  # a sheet without its key columns: its rows cannot be read at all
    units = _Units(plan, workbook)
    people = _People(plan, workbook, actor)
    _Roles(plan, workbook, units, people)
    plan.digest = _digest(plan)  # before the choice for busy units: either choice confirms the plan previewed
    plan.busy_choice = busy if busy in (BUSY_KEEP, BUSY_DEACTIVATE) else BUSY_KEEP
    if plan.busy and plan.busy_choice == BUSY_KEEP and plan.ok:
        units.keep_busy()
    return plan


class _Units:
    """The 单位 sheet against the units table: the tree as it would be after the import, checked whole."""

    def __init__(self, plan: Plan, workbook: Workbook):
        self.plan = plan
        self.stored: dict[str, dict] = {}
        id_to_code = {}
        rows = Unit.objects.values_list("id", "code", "name", "short_name", "level", "kind", "parent_id",
                                        "upstream_id", "is_active")
        for pk, code, name, short, level, kind, parent_id, upstream_id, active in rows:
            id_to_code[pk] = code
            self.stored[code] = {"id": pk, "name": name, "short_name": short, "level": level, "kind": kind,
                                 "parent": parent_id, "upstream": upstream_id, "is_active": active}
        for unit in self.stored.values():
            unit["parent"] = id_to_code.get(unit["parent"])
            unit["upstream"] = id_to_code.get(unit["upstream"])
        # The tree after the import: stored units, overwritten by the sheet's rows.
        self.final: dict[str, dict] = {code: dict(unit) for code, unit in self.stored.items()}
        self.rows: dict[str, int] = {}  # code → row number in the sheet
        sheet = workbook.get(UNITS)
        if sheet is None:
            return
        self.title = sheet.title
        bad: set[str] = set()
        for row in sheet.rows:
            self._read_row(row, bad)
        if plan.mode == SYNC:
            for code, unit in self.final.items():
                if code not in self.rows and unit["is_active"]:
                    unit["is_active"] = False
        self._check_references(bad)
        self._check_tree(bad)
        self._find_busy()
        self._diff()

    def problem(self, row: int | None, key: str, message: str) -> None:
        self.plan.problems.append(Problem(self.title, row, key, message))

    def _read_row(self, row, bad: set[str]) -> None:
        v, n = row.values, row.number
        code = v.get("code", "")
        problems_before = len(self.plan.problems)
        if not code:
            self.problem(n, "", _("The unit code is empty."))
            return
        try:
            validate_slug(code)
            if len(code) > 40:
                raise ValidationError("")
        except ValidationError:
            self.problem(n, code, _("The unit code “%(code)s” may hold only letters, digits, “-” and “_”, at most "
                                    "40 characters.") % {"code": code[:60]})
            return
        if code in self.rows:
            self.problem(n, code, _("The unit code “%(code)s” is already used on row %(row)s: each unit once.")
                         % {"code": code, "row": self.rows[code]})
            return
        self.rows[code] = n
        stored = self.stored.get(code, {})
        unit = self.final.setdefault(code, {"id": None})
        unit["row"] = n
        name, short = v.get("name", ""), v.get("short_name", "")
        if not name:
            self.problem(n, code, _("The unit's name is empty."))
        elif len(name) > 100:
            self.problem(n, code, _("The unit's name is longer than %(n)s characters.") % {"n": 100})
        if len(short) > 30:
            self.problem(n, code, _("The short name is longer than %(n)s characters.") % {"n": 30})
        level = choice("level", v.get("level", "")) if v.get("level") else None
        if level is None:
            self.problem(n, code, _("The level “%(value)s” is not one of %(choices)s.")
                         % {"value": v.get("level", ""), "choices": "、".join(labels("level"))})
        kind = _chosen(self, n, code, "kind", v.get("kind", ""), stored.get("kind", Unit.Kind.DEPARTMENT))
        active = _chosen(self, n, code, "active", v.get("active", ""), stored.get("is_active", True))
        unit.update(name=name, short_name=short, level=level, kind=kind, is_active=active,
                    parent=v.get("parent", "") or None, upstream=v.get("upstream", "") or None)
        if len(self.plan.problems) > problems_before:
            bad.add(code)

    def _check_references(self, bad: set[str]) -> None:
        for code, n in self.rows.items():
            unit = self.final[code]
            for relation, message in (
                ("parent", _("The parent unit code “%(ref)s” is neither in the sheet nor in the system.")),
                ("upstream", _("The unit code “%(ref)s” under 报送至 is neither in the sheet nor in the system.")),
            ):
                ref = unit[relation]
                if ref is not None and ref not in self.final:
                    self.problem(n, code, message % {"ref": ref})
                    unit[relation] = None
                    bad.add(code)
            if unit["parent"] == code:
                self.problem(n, code, _("A unit cannot be its own parent."))
                unit["parent"] = None
                bad.add(code)
            if unit["upstream"] == code:
                self.problem(n, code, _("A unit cannot report to itself."))
                unit["upstream"] = None
                bad.add(code)

    def _check_tree(self, bad: set[str]) -> None:
        """Cycles in the parent chain and in the reporting chain (upstream, else parent), levels that climb the
        wrong way, and active units reporting to an inactive one. Only the sheet's rows can close a cycle: the
        stored tree has none."""
        for relation, message in (
            ("parent", _("The parent chain goes round in a circle: %(cycle)s.")),
            ("destination", _("The reporting chain (报送至, else the parent) goes round in a circle: %(cycle)s.")),
        ):
            for cycle in self._cycles(relation):
                if relation == "destination" and not any(self.final[code]["upstream"] for code in cycle):
                    continue  # the parent chain's own cycle, already named
                text = " → ".join([*cycle, cycle[0]])
                for code in cycle:
                    if code in self.rows:
                        self.problem(self.rows[code], code, message % {"cycle": text})
                        bad.add(code)
        for code, n in self.rows.items():
            unit = self.final[code]
            if unit["level"] is None:
                continue
            rank = _RANK[unit["level"]]
            parent = self.final.get(unit["parent"]) if unit["parent"] else None
            if parent and parent["level"] and _RANK[parent["level"]] > rank:
                self.problem(n, code, _("A %(level)s unit cannot sit below “%(parent)s”, a %(parent_level)s unit.")
                             % {"level": label("level", unit["level"]), "parent": unit["parent"],
                                "parent_level": label("level", parent["level"])})
            upstream = self.final.get(unit["upstream"]) if unit["upstream"] else None
            if upstream and upstream["level"] and _RANK[upstream["level"]] > rank:
                self.problem(n, code, _("A unit cannot report to a unit of a lower level (“%(ref)s”, %(level)s).")
                             % {"ref": unit["upstream"], "level": label("level", upstream["level"])})
        for code, unit in self.final.items():
            target = self._destination(code)
            if unit["is_active"] and target is not None and not self.final[target]["is_active"]:
                if code in self.rows:
                    self.problem(self.rows[code], code, _("The unit is active but the unit it reports to, “%(ref)s”, "
                                                          "would be inactive.") % {"ref": target})
                elif target in self.rows:
                    self.problem(self.rows[target], target, _("“%(ref)s” would be inactive while the active unit "
                                                              "“%(code)s” reports to it.") % {"ref": target, "code": code})

    def _destination(self, code: str) -> str | None:
        unit = self.final[code]
        return unit["upstream"] or unit["parent"]

    def _cycles(self, relation: str) -> list[list[str]]:
        def step(code):
            return self.final[code]["parent"] if relation == "parent" else self._destination(code)

        done: set[str] = set()
        cycles = []
        for start in self.rows:
            path, on_path, code = [], {}, start
            while code is not None and code not in done and code not in on_path:
                on_path[code] = len(path)
                path.append(code)
                code = step(code)
            if code is not None and code in on_path:
                cycles.append(path[on_path[code]:])
            done.update(path)
        return cycles

    def _deactivating(self) -> list[str]:
        """The codes of the stored units that are active now and would not be."""
        return [code for code, unit in self.final.items()
                if code in self.stored and self.stored[code]["is_active"] and not unit["is_active"]]

    def _find_busy(self) -> None:
        """The units the import would deactivate that still have work open (infohub.openwork), in tree order."""
        codes = self._deactivating()
        work = open_work([self.stored[code]["id"] for code in codes])
        self.plan.busy = [Busy(self.rows.get(code), code, self.final[code]["name"] or self.stored[code]["name"],
                               work[self.stored[code]["id"]])
                          for code in sorted(codes) if self.stored[code]["id"] in work]

    def keep_busy(self) -> None:
        """Keep the busy units active, and every unit up their reporting chain the import would deactivate, then say
        again what the sheet changes (BUSY_KEEP)."""
        deactivating = set(self._deactivating())
        kept: list[str] = []
        for busy in self.plan.busy:
            code = busy.code
            while code is not None and code in deactivating and code not in kept:
                self.final[code]["is_active"] = True
                kept.append(code)
                code = self._destination(code)
        self.plan.kept = kept
        self._diff()
        busy = {b.code for b in self.plan.busy}
        self.plan.notices.append(_("Kept active for the work still open there: %(units)s.")
                                 % {"units": "、".join(self._named(code) for code in kept if code in busy)})
        chain = [self._named(code) for code in kept if code not in busy]
        if chain:
            self.plan.notices.append(_("Kept active too, as units that units kept active report to: %(units)s.")
                                     % {"units": "、".join(chain)})

    def _named(self, code: str) -> str:
        return f"{self.final[code]['name']}（{code}）"

    def _diff(self) -> None:
        plan = self.plan
        plan.counts[UNITS.key] = dict.fromkeys(KINDS, 0)
        plan.changes[UNITS.key] = {kind: [] for kind in KINDS}
        plan.unit_new, plan.unit_update = [], []
        for code, unit in self.final.items():
            stored = self.stored.get(code)
            values = {f: unit[f] for f in UNIT_FIELDS}
            if stored is None:
                plan.unit_new.append({"code": code, **values})
                plan._record(UNITS, NEW, Change(unit["row"], code, unit["name"]))
                continue
            changed = [f for f in UNIT_FIELDS if stored[f] != values[f]]
            row = self.rows.get(code)
            if not changed:
                if row is not None:
                    plan._record(UNITS, UNCHANGED)
                continue
            plan.unit_update.append((stored["id"], values))
            if row is None or (changed == ["is_active"] and not values["is_active"]):
                plan._record(UNITS, DEACTIVATED, Change(row, code, unit["name"]))
            else:
                plan._record(UNITS, CHANGED, Change(row, code, unit["name"], [
                    (UNITS.column(_COLUMN.get(f, f)).header, _shown(f, stored[f]), _shown(f, values[f]))
                    for f in changed]))


_COLUMN = {"is_active": "active"}


def _shown(name: str, value) -> str:
    if value is None:
        return ""
    if name in ("level", "kind", "clearance"):
        return label(name, value)
    if name == "is_active":
        return label("active", value)
    return str(value)


_REFUSED_WORD = {
    "kind": gettext_lazy("The kind “%(value)s” is not one of %(choices)s."),
    "active": gettext_lazy("“%(value)s” in 启用 is not one of %(choices)s."),
    "clearance": gettext_lazy("The clearance “%(value)s” is not one of %(choices)s."),
}


def _chosen(reader, n, key, name, typed, default):  # noqa: PLR0917
    """The stored value a choice cell means; `default` for a blank cell; a problem (and `default`) otherwise."""
    if not typed:
        return default
    value = choice(name, typed)
    if value is None:
        reader.problem(n, key, _REFUSED_WORD[name] % {"value": typed[:40], "choices": "、".join(labels(name))})
        return default
    return value


class _People:
    """The 人员 sheet against the user table."""

    def __init__(self, plan: Plan, workbook: Workbook, actor: User | None):
        self.plan = plan
        self.stored: dict[str, dict] = {}
        for pk, username, display, phone, email, clearance, active, superuser in User.objects.values_list(
                "id", "username", "display_name", "phone", "email", "clearance", "is_active", "is_superuser"):
            self.stored[username] = {"id": pk, "display_name": display, "phone": phone, "email": email,
                                     "clearance": clearance, "is_active": active, "superuser": superuser}
        self.rows: dict[str, int] = {}
        sheet = workbook.get(PEOPLE)
        if sheet is None:
            return
        self.title = sheet.title
        self.final: dict[str, dict] = {}
        for row in sheet.rows:
            self._read_row(row, actor)
        spared = []
        for username, stored in self.stored.items():
            if username in self.rows:
                self._diff(username, stored, self.final[username])
            elif plan.mode == SYNC and stored["is_active"]:
                if stored["superuser"] or (actor is not None and actor.pk == stored["id"]):
                    spared.append(username)
                    continue
                plan.user_deactivate.append(stored["id"])
                plan._record(PEOPLE, DEACTIVATED, Change(None, username, stored["display_name"]))
        for username, person in self.final.items():
            if username not in self.stored:
                plan.user_new.append({"username": username, **person})
                plan._record(PEOPLE, NEW, Change(self.rows[username], username, person["display_name"]))
        if spared:
            plan.notices.append(_("Kept active although not in the sheet (superusers and you): %(people)s.")
                                % {"people": "、".join(spared)})

    def problem(self, row: int | None, key: str, message: str) -> None:
        self.plan.problems.append(Problem(self.title, row, key, message))

    def knows(self, username: str) -> bool:
        return username in self.rows or username in self.stored

    def display(self, username: str) -> str:
        """The person's name as it would be after the import."""
        person = self.final.get(username) if self.rows else None
        return (person or self.stored.get(username) or {}).get("display_name", "")

    def _read_row(self, row, actor) -> None:
        v, n = row.values, row.number
        username = v.get("username", "")
        if not username:
            self.problem(n, "", _("The username is empty."))
            return
        try:
            _USERNAME(username)
            if len(username) > 150:
                raise ValidationError("")
        except ValidationError:
            self.problem(n, username, _("The username “%(value)s” may hold only letters, digits and @ . + - _, at "
                                        "most 150 characters.") % {"value": username[:60]})
            return
        if username in self.rows:
            self.problem(n, username, _("The username “%(value)s” is already used on row %(row)s: each person once.")
                         % {"value": username, "row": self.rows[username]})
            return
        self.rows[username] = n
        stored = self.stored.get(username, {})
        display = v.get("display_name", "")
        if len(display) > 50:
            self.problem(n, username, _("The name is longer than %(n)s characters.") % {"n": 50})
        # A value as stored is taken as it is (a province's 30,000 unchanged rows need no second look; a stored
        # value the rules would now refuse is not the import's to fix); anything else is checked.
        phone = v.get("phone", "")
        try:
            if phone != stored.get("phone"):
                phone = normalize_phone(phone)
        except ValidationError as error:
            self.problem(n, username, " ".join(error.messages))
        email = v.get("email", "")
        if email and email != stored.get("email"):
            email = User.objects.normalize_email(email)
            try:
                validate_email(email)
                if len(email) > 254:
                    raise ValidationError("")
            except ValidationError:
                self.problem(n, username, _("“%(value)s” is not an e-mail address.") % {"value": email[:60]})
        clearance = _chosen(self, n, username, "clearance", v.get("clearance", ""),
                            stored.get("clearance", Classification.INTERNAL))
        active = _chosen(self, n, username, "active", v.get("active", ""), stored.get("is_active", True))
        if not active and actor is not None and stored.get("id") == actor.pk:
            self.problem(n, username, _("You cannot deactivate your own account by a sheet."))
        self.final[username] = {"display_name": display, "phone": phone, "email": email, "clearance": clearance,
                                "is_active": active}

    def _diff(self, username: str, stored: dict, person: dict) -> None:
        plan = self.plan
        changed = [f for f in USER_FIELDS if stored[f] != person[f]]
        if not changed:
            plan._record(PEOPLE, UNCHANGED)
            return
        plan.user_update.append((stored["id"], person))
        change = Change(self.rows[username], username, person["display_name"])
        if changed == ["is_active"] and not person["is_active"]:
            plan._record(PEOPLE, DEACTIVATED, change)
            return
        change.fields = [(PEOPLE.column(_COLUMN.get(f, f)).header, _shown(f, stored[f]), _shown(f, person[f]))
                         for f in changed]
        plan._record(PEOPLE, CHANGED, change)


class _Roles:
    """The 角色 sheet against the role rows: each person it names holds exactly the roles it lists."""

    def __init__(self, plan: Plan, workbook: Workbook, units: _Units, people: _People):
        sheet = workbook.get(ROLES)
        if sheet is None:
            return
        title = sheet.title
        usernames = dict(User.objects.values_list("id", "username"))
        codes = {unit["id"]: code for code, unit in units.stored.items()}
        stored: dict[tuple[str, str, str], int] = {}
        for pk, user_id, unit_id, role in RoleAssignment.objects.values_list("id", "user_id", "unit_id", "role"):
            stored[(usernames[user_id], codes[unit_id], role)] = pk
        seen: dict[tuple[str, str, str], int] = {}
        for row in sheet.rows:
            v, n = row.values, row.number
            username, code, typed = v.get("username", ""), v.get("unit", ""), v.get("role", "")
            key = f"{username} · {code}"
            ok = True
            if not username:
                plan.problems.append(Problem(title, n, key, _("The username is empty.")))
                ok = False
            elif not people.knows(username):
                plan.problems.append(Problem(title, n, key, _("No person has the username “%(value)s”: add them to "
                                                              "the 人员 sheet.") % {"value": username[:60]}))
                ok = False
            if not code:
                plan.problems.append(Problem(title, n, key, _("The unit code is empty.")))
                ok = False
            elif code not in units.final:
                plan.problems.append(Problem(title, n, key, _("No unit has the code “%(value)s”: the role would be "
                                                              "held in a unit that does not exist.")
                                             % {"value": code[:60]}))
                ok = False
            role = choice("role", typed) if typed else None
            if role is None:
                plan.problems.append(Problem(title, n, key, _("The role “%(value)s” is not one of %(choices)s.")
                                             % {"value": typed[:40], "choices": "、".join(labels("role"))}))
                ok = False
            if not ok:
                continue
            triple = (username, code, role)
            if triple in seen:
                plan.problems.append(Problem(title, n, key, _("The same role in the same unit is already on row "
                                                              "%(row)s.") % {"row": seen[triple]}))
                continue
            seen[triple] = n
            change = Change(n, f"{username} · {code} · {label('role', role)}", people.display(username))
            if triple in stored:
                plan._record(ROLES, UNCHANGED)
            else:
                plan.role_new.append(triple)
                plan._record(ROLES, NEW, change)
        named = {username for username, _code, _role in seen}
        for triple, pk in stored.items():
            if triple not in seen and (triple[0] in named or plan.mode == SYNC):
                plan.role_delete.append(pk)
                plan._record(ROLES, DELETED, Change(None, f"{triple[0]} · {triple[1]} · {label('role', triple[2])}",
                                                    people.display(triple[0])))


def _digest(plan: Plan) -> str:
    """A fingerprint of what the plan would write and of what it would change (each changed column's old value
    too, not the file): a unit edited after the preview changes the digest even where the workbook overwrites it."""
    changes = {sheet: {kind: [(c.row, c.key, c.fields) for c in listed] for kind, listed in kinds.items()}
               for sheet, kinds in plan.changes.items()}
    operations = [plan.mode, plan.counts, changes, sorted(busy.code for busy in plan.busy),
                  sorted(plan.unit_new, key=lambda u: u["code"]), sorted(plan.unit_update),
                  sorted(plan.user_new, key=lambda u: u["username"]),
                  sorted(plan.user_update, key=lambda u: u[0]), sorted(plan.user_deactivate), sorted(plan.role_new),
                  sorted(plan.role_delete)]
    return hashlib.sha256(json.dumps(operations, sort_keys=True, default=str).encode()).hexdigest()
