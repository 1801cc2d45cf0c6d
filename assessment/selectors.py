"""Reads of the assessment figures (SPEC §9) that pages, the API, the 通报 documents and the charts share.

Every figure is an aggregate computed by Postgres over `Tally` (one row per rule set, month and unit, kept by the
pricing runs) or over the current ledger rows (`Entry`, superseded_by NULL) behind it; nothing is summed in Python.
Who may see which unit's figures is the access rule's (infohub.access, governed in assessment.apps): callers pass
the units a person may see, and the ranks are always computed over the whole rule set first, so a unit's rank
does not change with who looks.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Least, Rank

from infohub.models import Unit

from .models import Entry, Fact, Group, RuleSet, Tally

COUNTS = ("filed", "signed_off", "adopted", "adopted_combined", "adopted_county", "adopted_city",
          "adopted_province", "adopted_central", "instructions", "topics_answered", "topics_ignored", "lapses")
POINTS = ("points_filing", "points_adoption", "points_instruction", "points_topic", "points_lapse", "points_other",
          "points")

# Which ledger facts make up each points column of a sheet (what "open this figure" lists).
COLUMN_FACTS = {
    "points_filing": (Fact.FILED,),
    "points_adoption": (Fact.ADOPTED, Fact.REWRITE),
    "points_instruction": (Fact.INSTRUCTION,),
    "points_topic": (Fact.TOPIC_ANSWERED, Fact.TOPIC_IGNORED, Fact.TOPIC_LATE),
    "points_lapse": (Fact.LAPSE,),
    "points_other": (Fact.OVERDUE, Fact.QUOTA, Fact.LINKED, Fact.ADJUSTMENT, Fact.ZEROED),
    "points": tuple(Fact.values),
}

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=11, decimal_places=2))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_of(first_month: dt.date, last_month: dt.date) -> list[dt.date]:
    """The first days of the months from `first_month` to `last_month`, both included."""
    months, month = [], month_start(first_month)
    while month <= last_month:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def quarter_months(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """(first month, last month) of quarter 1–4 of `year`."""
    first = dt.date(year, 3 * quarter - 2, 1)
    return first, dt.date(year, 3 * quarter, 1)


def rule_set_in_force(office: Unit, year: int) -> RuleSet | None:
    return RuleSet.objects.filter(office=office, year=year, is_active=True).first()


@dataclass(frozen=True)
class Period:
    ruleset: RuleSet
    first_month: dt.date
    last_month: dt.date

    def tallies(self) -> QuerySet[Tally]:
        return Tally.objects.filter(ruleset=self.ruleset, month__gte=self.first_month, month__lte=self.last_month)


def ranking(period: Period, *, unit_ids=None) -> list[dict]:
    """Per unit over the period: every count of `COUNTS` and points column of `POINTS` summed, `score` (see `_score`),
    `rate` (adopted ÷ filed, a Decimal 0–1 or None), `voids_award`, `zeroed`, and `rank` within its group (SPEC §9:
    districts, departments, direct points; equal scores share a rank). Rows ordered by group, rank, unit name.

    `unit_ids`: the units to return (those a person may see); ranks are computed over every unit first.
    Shape: [{"unit_id", "unit_name", "group", <counts>, <points>, "score", "rate", "voids_award", "zeroed", "rank"}].
    """
    rows = (
        period.tallies().values("unit_id", "group")
        .annotate(unit_name=F("unit__name"), **{name: Coalesce(Sum(name), 0) for name in COUNTS},
                  **{name: Coalesce(Sum(name), ZERO) for name in POINTS},
                  voids_award=Count("pk", filter=Q(voids_award=True)),
                  zeroed_months=Count("pk", filter=Q(zeroed=True)))
        .annotate(score=_score(period.ruleset))
        .annotate(rank=Window(Rank(), partition_by=[F("group")], order_by=F("score").desc()))
        .order_by("group", "rank", "unit__name")
    )
    wanted = None if unit_ids is None else set(unit_ids)
    result = []
    for row in rows:
        if wanted is not None and row["unit_id"] not in wanted:
            continue
        row["voids_award"] = row["voids_award"] > 0
        row["zeroed"] = row.pop("zeroed_months") > 0
        row["rate"] = (Decimal(row["adopted"]) / row["filed"]).quantize(Decimal("0.0001")) if row["filed"] else None
        result.append(row)
    return result


def _score(ruleset: RuleSet):
    """A unit's score over the period, from the summed `points` and `zeroed_months` of a ranking row: 0 when its year
    was zeroed (SPEC §9: two ignored topic requests zero the year), and never above the rule set's year cap."""
    total = F("points")
    if ruleset.year_cap is not None:
        total = Least(total, Value(ruleset.year_cap, output_field=DecimalField(max_digits=11, decimal_places=2)))
    return Case(When(zeroed_months__gt=0, then=ZERO), default=total,
                output_field=DecimalField(max_digits=11, decimal_places=2))


def monthly_sheet(ruleset: RuleSet, month: dt.date, *, unit_ids=None) -> QuerySet:
    """The monthly score sheet (SPEC §9) of `month`, one row per unit: filed this month and this year, adopted by
    level and combined vs standalone, filing points, adoption points, the month's total and the year's total so far.
    Shape: values() rows {"unit_id", "unit_name", "group", "filed", "filed_year", "adopted", "adopted_combined",
    "adopted_standalone", "adopted_<level>", "points_filing", "points_adoption", "points_month", "points_year",
    "zeroed_months" (months of the year so far in which the year stood zeroed)}."""
    month = month_start(month)
    this_month = Q(month=month)
    tallies = Tally.objects.filter(ruleset=ruleset, month__gte=month.replace(month=1), month__lte=month)
    if unit_ids is not None:
        tallies = tallies.filter(unit_id__in=list(unit_ids))
    month_sum = {name: Coalesce(Sum(name, filter=this_month), 0) for name in COUNTS}
    return (
        tallies.values("unit_id", "group")
        .annotate(filed_year=Coalesce(Sum("filed"), 0), points_year=Coalesce(Sum("points"), ZERO),
                  zeroed_months=Count("pk", filter=Q(zeroed=True)))
        .annotate(unit_name=F("unit__name"), unit_path=F("unit__path"), **month_sum,
                  points_filing=Coalesce(Sum("points_filing", filter=this_month), ZERO),
                  points_adoption=Coalesce(Sum("points_adoption", filter=this_month), ZERO),
                  points_month=Coalesce(Sum("points", filter=this_month), ZERO))
        .annotate(adopted_standalone=F("adopted") - F("adopted_combined"))
        .order_by("group", "unit_path")
    )


def drill_down(period: Period, node: Unit, *, unit_ids=None) -> list[dict]:
    """The figures of `node` and of each unit directly below it, each summed over its whole subtree (a province →
    its cities → a city's counties). Shape: [{"unit_id", "unit_name", "children" (bool), "units" (units counted),
    <counts>, <points>}], `node` itself first (its own figures only), then its children by name.
    `unit_ids`: the units a person may see; others are left out of the sums."""
    children = list(Unit.objects.filter(parent=node).order_by("path").values("pk", "name", "path"))
    base = period.tallies()
    if unit_ids is not None:
        base = base.filter(unit_id__in=list(unit_ids))
    sums = {**{name: Coalesce(Sum(name), 0) for name in COUNTS}, **{name: Coalesce(Sum(name), ZERO) for name in POINTS},
            "units": Count("unit_id", distinct=True)}
    rows = [{"unit_id": node.pk, "unit_name": node.name, "children": False, **base.filter(unit_id=node.pk).aggregate(**sums)}]
    if children:
        branch = Case(*[When(unit__path__startswith=child["path"], then=Value(child["pk"])) for child in children],
                      output_field=IntegerField())
        per_child = {row["branch"]: row for row in base.filter(unit__path__startswith=node.path).exclude(unit_id=node.pk)
                     .annotate(branch=branch).values("branch").annotate(**sums)}
        has_below = set(Unit.objects.filter(parent_id__in=[c["pk"] for c in children]).values_list("parent_id", flat=True))
        for child in children:
            figures = per_child.get(child["pk"]) or dict.fromkeys((*COUNTS, *POINTS, "units"), 0)
            figures.pop("branch", None)
            rows.append({"unit_id": child["pk"], "unit_name": child["name"], "children": child["pk"] in has_below,
                         **figures})
    return rows


def entries_behind(period: Period, *, unit_ids, column: str = "points", fact: str | None = None) -> QuerySet[Entry]:
    """The current ledger rows behind a figure: those of `unit_ids` in the period making up `column` (a key of
    `COLUMN_FACTS`) or of one `fact`. Their points sum to the figure (before a zeroed year or the year cap).
    Raises KeyError for an unknown column."""
    facts = (fact,) if fact else COLUMN_FACTS[column]
    return (
        Entry.objects.filter(ruleset=period.ruleset, superseded_by__isnull=True, month__gte=period.first_month,
                             month__lte=period.last_month, unit_id__in=list(unit_ids), fact__in=facts)
        .select_related("unit", "rule", "item", "person", "cause_type")
        .order_by("month", "occurred_at", "pk")
    )


def history_of(entry: Entry) -> QuerySet[Entry]:
    """Every row, current and superseded, ever written for `entry`'s cause and unit under its rule set, oldest first:
    how a figure changed when the rules did."""
    return (Entry.objects.filter(ruleset_id=entry.ruleset_id, fact=entry.fact, cause_type_id=entry.cause_type_id,
                                 cause_id=entry.cause_id, unit_id=entry.unit_id)
            .select_related("pricing", "superseded_by", "rule").order_by("pricing_id", "pk"))


def group_medians(period: Period) -> dict[str, Decimal]:
    """The median score of each group over the period (for "a unit against its group's median"), computed by
    Postgres (percentile_cont over the per-unit sums). Shape: {group: Decimal}."""
    from django.db import connection

    sql = """
        SELECT "group", percentile_cont(0.5) WITHIN GROUP (ORDER BY total)
        FROM (SELECT "group", unit_id, SUM(points) AS total FROM assessment_tally
              WHERE ruleset_id = %s AND month BETWEEN %s AND %s GROUP BY "group", unit_id) AS per_unit
        GROUP BY "group"
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.ruleset.pk, period.first_month, period.last_month])
        return {group: Decimal(str(round(median, 2))) for group, median in cursor.fetchall()}


GROUP_ORDER = [Group.DISTRICT, Group.DEPARTMENT, Group.DIRECT]


def units_seen(user, ruleset: RuleSet) -> QuerySet:
    """The ids of the units whose figures under `ruleset` `user` may see (the access rule on Tally), as a subquery."""
    from infohub import access

    return access.visible(user, Tally.objects.filter(ruleset=ruleset)).values("unit_id").distinct()
