"""Work still open at units (SPEC §10, the administrator's roster): what would be stranded if a unit were switched
off — items awaiting its sign-off or its review, deadline clocks it owes or waits for, instructions and topic requests
not yet answered, issues not yet signed.

The core imports no app (README: layers), so it does not know what "open" means anywhere: each app registers, from its
`ready()`, one function that answers for a set of unit ids (`register`), as apps declare their access facts
(infohub.access) and their periodic jobs (infohub.periodic). `open_work` asks them all; the roster's preview uses it
for the units an import would deactivate (infohub.roster.plan).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from django.db.models import Count

# A reporter: given unit ids, rows (unit id, what is open — a translatable label —, how many), only for counts > 0.
Reporter = Callable[[Collection[int]], Iterable[tuple[int, str, int]]]

_REPORTERS: list[Reporter] = []


@dataclass(frozen=True)
class Open:
    """One kind of open work at a unit: `label` ("items awaiting review"), `count` (≥ 1)."""

    label: str
    count: int

    def __str__(self) -> str:
        return f"{self.label} {self.count}"


def register(reporter: Reporter) -> None:
    """Add an app's reporter (called from its AppConfig.ready(); registering the same function again does nothing).
    It must answer with a query or two for any number of unit ids — grouped by unit, not one query per unit."""
    if reporter not in _REPORTERS:
        _REPORTERS.append(reporter)


def open_work(unit_ids: Collection[int]) -> dict[int, list[Open]]:
    """{unit id: [Open, …]} for the units among `unit_ids` with anything open, in the order the apps registered; units
    with nothing open are left out. One or two queries per registered app, whatever the number of units; none for no
    units."""
    ids = set(unit_ids)
    if not ids:
        return {}
    found: dict[int, list[Open]] = {}
    for reporter in _REPORTERS:
        for unit_id, label, count in reporter(ids):
            if count and unit_id in ids:
                found.setdefault(unit_id, []).append(Open(str(label), count))
    return found


def counted(queryset, field: str, label) -> list[tuple[int, str, int]]:
    """Helper for reporters: `queryset` grouped by its unit column `field` ("office_id"), each group's size under
    `label`. One query."""
    return [(unit_id, label, n) for unit_id, n in
            queryset.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n")]
