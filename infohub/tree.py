"""The information network (信息网络, SPEC §2): every question about the unit tree, answered here and only here.

Two relations make the tree:
* `parent` is administrative nesting; `Unit.path` ("/0000000001/0000000007/", ids zero-padded: models.path_below)
  materialises it, so "at or below a unit" is one indexed prefix query, and ordering by it is tree order.
* `upstream` is where a unit's signed-off items go when it is not its parent: a direct-reporting point (直报点)
  or a special information officer (特约信息员) reports straight to a designated higher office, skipping levels.

Reviews, alerts and everything after ask this module; none answers these questions itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .models import Level, Unit


def destination_of(unit: Unit) -> Unit | None:
    """Where a unit's signed-off items go (SPEC §2, §4): its designated upstream office, else its parent.

    Returns None at the top of the chain. Reads `unit.upstream` / `unit.parent` (one query each unless selected).
    """
    return unit.upstream if unit.upstream_id else unit.parent


def offices_above(unit: Unit) -> list[Unit]:
    """The offices a unit's reports pass through on their way up, nearest first: [city, province, centre] for a
    county. A cycle in badly kept data ends the walk instead of looping. One query per level."""
    offices, seen = [], {unit.pk}
    office = destination_of(unit)
    while office is not None and office.pk not in seen:
        offices.append(office)
        seen.add(office.pk)
        office = destination_of(office)
    return offices


def ancestor_ids(unit: Unit) -> list[int]:
    """Ids of the unit and every unit above it in the administrative tree, root first (no query)."""
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def ancestors(unit: Unit) -> QuerySet[Unit]:
    """The unit and every unit above it, root first."""
    return Unit.objects.filter(pk__in=ancestor_ids(unit)).order_by("path")


def nearest_above_at(unit: Unit, level: str) -> Unit | None:
    """The nearest unit strictly above `unit` in the administrative tree at `level` (a Level value): a
    direct-reporting point's county (SPEC §9 挂钩分). None when there is none. One query."""
    return ancestors(unit).exclude(pk=unit.pk).filter(level=level).order_by("-path").first()


def nearest_above_at_sql(alias: str, level: str) -> str:
    """The same in SQL, for statements that work on sets of units: a scalar subquery giving the id of the nearest
    unit strictly above the unit row `alias` (a table alias with `id` and `path`) at `level` (a Level value, checked
    here), or NULL. Its ancestors' ids are read from the path, so the lookup is by primary key."""
    if level not in Level.values:
        raise ValueError(f"not a level: {level!r}")
    return (f"(SELECT a.id FROM {Unit._meta.db_table} a WHERE a.id = ANY(string_to_array(trim(both '/' from "
            f"{alias}.path), '/')::bigint[]) AND a.id <> {alias}.id AND a.level = '{level}' "
            f"ORDER BY length(a.path) DESC LIMIT 1)")


def subtree(unit: Unit) -> QuerySet[Unit]:
    """The unit and every unit below it."""
    return Unit.objects.filter(path__startswith=unit.path)


def is_within(unit: Unit, office: Unit) -> bool:
    """Whether `unit` sits at or below `office` in the tree (no query)."""
    return unit.path.startswith(office.path)


def within(unit_ids: Iterable[int], *, path: str = "path") -> Q:
    """A filter for "at or below one of these units" on a path field: `path` for units themselves,
    `unit__path` for rows naming a unit. An office's jurisdiction (管辖范围) is `within([office.pk])`.
    Matches nothing when `unit_ids` is empty. One query for the units' paths."""
    condition = Q(pk__in=[])
    for prefix in Unit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True):
        condition |= Q(**{f"{path}__startswith": prefix})
    return condition


# Units are reference data: a province has a few thousand, changed a few times a year, and every list page names
# some. Kept a minute in each process; a change to a unit clears them at once in the process that made it
# (`forget_units`, connected in infohub.apps) and within a minute elsewhere (or at once where lists are kept:
# infohub.listcache follows the names' version).
_KEEP_SECONDS = 60
_kept: dict[str, tuple[float, object]] = {}


def _kept_a_minute(key: str, build):
    now = time.monotonic()
    entry = _kept.get(key)
    if entry is None or entry[0] < now:
        entry = _kept[key] = (now + _KEEP_SECONDS, build())
    return entry[1]


def forget_units(**kwargs) -> None:
    """Drop this process's kept unit tables (a signal receiver: takes and ignores the signal's arguments)."""
    _kept.clear()


class _UnitNames(dict):
    def __missing__(self, pk) -> str:
        """A unit made in another process within the minute: read them all again, once."""
        forget_units()
        return unit_names().get(pk, "")


def unit_names() -> dict[int, str]:
    """{id: name} of every unit, by `names[id]` ("" for an id that does not exist). List rows name their units
    from here rather than joining the unit table: on the long lists, planning those joins cost Postgres more than
    running the query."""
    return _kept_a_minute("unit-names", lambda: _UnitNames(Unit.objects.values_list("pk", "name")))


def reporting_to(office_ids: Iterable[int]) -> Q:
    """A filter on units whose items come to these offices: those naming one as upstream, or with one as parent
    and no upstream of their own (the inverse of `destination_of`)."""
    office_ids = list(office_ids)
    return Q(upstream_id__in=office_ids) | Q(parent_id__in=office_ids, upstream__isnull=True)


def units_reporting_to(office_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, name) of the units whose items come to these offices, in tree order; kept a minute."""
    office_ids = sorted(office_ids)
    return _kept_a_minute(
        "units-reporting-to:" + ",".join(map(str, office_ids)),
        lambda: list(Unit.objects.filter(reporting_to(office_ids)).order_by("path").values_list("pk", "name")),
    )
