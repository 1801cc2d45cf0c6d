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
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
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
from django.db.models.functions import Coalesce, Least, Rank, TruncMonth
from django.http import Http404

from alerts.models import Clock
from infohub import access, params, tree
from infohub.models import Level, Unit
from publications.models import Credit

from . import pricing as engine
from .models import RANKED_GROUPS, Entry, Fact, PricedMonth, RuleSet, Tally, group_labels, group_order

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
# The points columns of the monthly sheet: every column the month's total is the sum of (POINTS but the total).
SHEET_POINTS = POINTS[:-1]


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
    `rate` (adopted ÷ filed, a Decimal 0–1 or None), `voids_award`, `zeroed`, its `group` under the rule set's office
    (as the engine wrote it on the tallies: assessment.pricing.group_sql) with the group's `group_label`, and `rank`
    within its group (SPEC §9: the offices one level below, the departments of the office's level, the direct points;
    equal scores share a rank) — None for a unit of Group.OTHER, priced but not ranked at this level. Rows ordered by
    group, rank, unit name.

    `unit_ids`: the units to return (those a person may see); ranks are computed over every unit first.
    Shape: [{"unit_id", "unit_name", "group", "group_label", <counts>, <points>, "score", "rate", "voids_award",
    "zeroed", "rank"}].
    """
    rows = (
        period.tallies().values("unit_id", "group")
        .annotate(unit_name=F("unit__name"), **{name: Coalesce(Sum(name), 0) for name in COUNTS},
                  **{name: Coalesce(Sum(name), ZERO) for name in POINTS},
                  voids_award=Count("pk", filter=Q(voids_award=True)),
                  zeroed_months=Count("pk", filter=Q(zeroed=True)))
        .annotate(score=_score(period.ruleset))
        .annotate(rank=Window(Rank(), partition_by=[F("group")], order_by=F("score").desc()))
        .order_by(group_order(), "rank", "unit__name")
    )
    wanted = None if unit_ids is None else set(unit_ids)
    labels = group_labels(period.ruleset.office.level)
    result = []
    for row in rows:
        if wanted is not None and row["unit_id"] not in wanted:
            continue
        if row["group"] not in RANKED_GROUPS:
            row["rank"] = None
        row["group_label"] = labels.get(row["group"], row["group"])
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
    level and combined vs standalone, the month's points column by column — filing, adoption, and every other column
    that adds to the total (instructions, topic requests, lapse deductions, other: quotas, 挂钩分, overdue follow-ups,
    adjustments), so the month's total is their sum — and the year's total so far.
    Shape: values() rows {"unit_id", "unit_name", "group", "filed", "filed_year", "adopted", "adopted_combined",
    "adopted_standalone", "adopted_<level>", "points_filing", "points_adoption", "points_instruction", "points_topic",
    "points_lapse", "points_other", "points_month", "points_year", "zeroed_months" (months of the year so far in which
    the year stood zeroed)}."""
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
                  **{name: Coalesce(Sum(name, filter=this_month), ZERO) for name in SHEET_POINTS},
                  points_month=Coalesce(Sum("points", filter=this_month), ZERO))
        .annotate(adopted_standalone=F("adopted") - F("adopted_combined"))
        .order_by(group_order(), "unit_path")
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
    """The current ledger rows behind a figure: those of `unit_ids` (None: every unit of the rule set) in the period
    making up `column` (a key of `COLUMN_FACTS`) or of one `fact`. Their points sum to the figure (before a zeroed year
    or the year cap). Raises KeyError for an unknown column."""
    facts = (fact,) if fact else COLUMN_FACTS[column]
    units = {} if unit_ids is None else {"unit_id__in": list(unit_ids)}
    return (
        Entry.objects.filter(ruleset=period.ruleset, superseded_by__isnull=True, month__gte=period.first_month,
                             month__lte=period.last_month, fact__in=facts, **units)
        .select_related("unit", "rule", "item", "person", "cause_type")
        .order_by("month", "occurred_at", "pk")
    )


@dataclass(frozen=True)
class Priced:
    """Which facts a rule set prices — whether a figure has ledger rows behind it to open. A count of a fact no rule
    prices (rule set B gives no points for filing; no rule of it prices a county-level adoption) is a plain number on
    the pages, its column marked "本考核办法不计分": its link opened "0 条" (issue 16). `rules`: (fact, level, ptype id,
    combined) of each rule; `terms`: the facts the rule set's own terms price without a rule (adjustments always; 挂钩分,
    an office's rewrite share and a zeroed year when the rule set has them)."""

    rules: tuple
    terms: frozenset

    def fact(self, fact: str, *, level: str | None = None, ptype: int | None = None,
             combined: bool | None = None) -> bool:
        """Whether some ledger row may price `fact` (at `level`, in publication `ptype`, combined or standalone)."""
        if fact in self.terms:
            return True
        return any(r_fact == fact and (level is None or r_level in ("", level))
                   and (ptype is None or r_ptype in (None, ptype)) and (combined is None or r_combined in (None, combined))
                   for r_fact, r_level, r_ptype, r_combined in self.rules)

    def column(self, column: str) -> bool:
        """Whether some ledger row may make up the points column `column` (a key of COLUMN_FACTS)."""
        return any(self.fact(fact) for fact in COLUMN_FACTS.get(column, ()))


def facts_behind(period: Period, *, unit_ids=None, by: tuple[str, ...] = ("unit_id",),
                 under: Unit | None = None) -> dict[tuple, frozenset]:
    """What the figures of the period can open: {key: {(fact, level)}} over the current ledger rows — `key` the row's
    values of `by` (unit_id, person_id, month), or with `under` the branch below that node the row's unit lies in
    (`(child id,)`, as drill_down sums them); `level` the adopting level of an ADOPTED row, and None beside it for every
    fact (a figure over all levels). A count whose fact has no row here opens nothing: it is shown as a plain number
    (the rule set prices nothing it counts, or only other levels of it). One statement. `unit_ids`: None for every
    unit of the rule set."""
    columns = {"unit_id": "e.unit_id", "person_id": "e.person_id", "month": "e.month"}
    keys = ["split_part(substr(u.path, length(%(path)s) + 1), '/', 1)::bigint"] if under else [columns[c] for c in by]
    join = "JOIN infohub_unit u ON u.id = e.unit_id AND u.path LIKE %(path)s || '_%%'" if under else ""
    sql = f"""
        SELECT DISTINCT {", ".join(keys)}, e.fact, c.office_level
        FROM assessment_entry e {join}
        LEFT JOIN publications_credit c ON e.fact = %(adopted)s AND e.cause_type_id = %(credit)s AND c.id = e.cause_id
        WHERE e.ruleset_id = %(ruleset)s AND e.superseded_by_id IS NULL AND e.month BETWEEN %(first)s AND %(last)s
          AND (%(units)s::bigint[] IS NULL OR e.unit_id = ANY(%(units)s::bigint[]))"""
    found: dict[tuple, set] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"path": under.path if under else "", "adopted": Fact.ADOPTED,
                             "credit": ContentType.objects.get_for_model(Credit).pk, "ruleset": period.ruleset.pk,
                             "first": period.first_month, "last": period.last_month,
                             "units": None if unit_ids is None else list(unit_ids)})
        for *key, fact, level in cursor.fetchall():
            found.setdefault(tuple(key), set()).update({(fact, None), (fact, level)})
    return {key: frozenset(facts) for key, facts in found.items()}


def priced(ruleset: RuleSet) -> Priced:
    """What `ruleset` prices (see Priced), read once per rule set object (one query; a page asks it per cell)."""
    known = getattr(ruleset, "_priced", None)
    if known is None:
        terms = {Fact.ADJUSTMENT}
        if ruleset.direct_share:
            terms.add(Fact.LINKED)
        if ruleset.rewrite_share:
            terms.add(Fact.REWRITE)
        if ruleset.zero_after_ignored:
            terms.add(Fact.ZEROED)
        rules = tuple(ruleset.rules.values_list("fact", "level", "ptype_id", "combined"))
        known = ruleset._priced = Priced(rules=rules, terms=frozenset(terms))
    return known


def unrepriced_months(ruleset: RuleSet, first_month: dt.date | None = None, last_month: dt.date | None = None,
                      *, digest: str | None = None) -> list[dt.date]:
    """The months (of first_month..last_month, or of the year) whose figures were priced under rules that have changed
    since, and that no re-pricing has brought under the rules as they are: "办法已修改，尚未重新计分" (issue 16). Their
    ledger rows keep the old rules' values until the office re-prices them with a reason; the routine runs price only
    the facts new to the ledger there. Two small queries (the rules' digest, the months)."""
    digest = digest or engine.rules_digest(ruleset)
    months = PricedMonth.objects.filter(ruleset=ruleset).exclude(rules_digest=digest)
    if first_month is not None:
        months = months.filter(month__gte=first_month)
    if last_month is not None:
        months = months.filter(month__lte=last_month)
    return list(months.order_by("month").values_list("month", flat=True))


def rules_change(ruleset: RuleSet) -> dict | None:
    """The last change of `ruleset`'s rules recorded (the admin's save: assessment.services.ruleset_rules_changed):
    {"who": str, "at": datetime}, or None."""
    from infohub.models import AuditLog

    row = (AuditLog.objects.filter(action="ruleset.rules_change", object_id=str(ruleset.pk))
           .select_related("actor").order_by("-created_at", "-pk").first())
    if row is None:
        return None
    return {"who": str(row.actor) if row.actor else "", "at": row.created_at}


def history_of(entry: Entry) -> QuerySet[Entry]:
    """Every row, current and superseded, ever written for `entry`'s cause and unit under its rule set, oldest first:
    how a figure changed when the rules did."""
    return (Entry.objects.filter(ruleset_id=entry.ruleset_id, fact=entry.fact, cause_type_id=entry.cause_type_id,
                                 cause_id=entry.cause_id, unit_id=entry.unit_id)
            .select_related("pricing", "superseded_by", "rule").order_by("pricing_id", "pk"))


def group_medians(period: Period) -> dict[str, Decimal]:
    """The median score of each ranked group over the period (for "a unit against its group's median"), computed by
    Postgres (percentile_cont over the per-unit sums); the units not ranked at this level (Group.OTHER) have none.
    Shape: {group: Decimal}."""
    from django.db import connection

    sql = """
        SELECT "group", percentile_cont(0.5) WITHIN GROUP (ORDER BY total)
        FROM (SELECT "group", unit_id, SUM(points) AS total FROM assessment_tally
              WHERE ruleset_id = %s AND month BETWEEN %s AND %s AND "group" = ANY(%s)
              GROUP BY "group", unit_id) AS per_unit
        GROUP BY "group"
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.ruleset.pk, period.first_month, period.last_month, list(RANKED_GROUPS)])
        return {group: Decimal(str(round(median, 2))) for group, median in cursor.fetchall()}


GROUP_ORDER = list(RANKED_GROUPS)  # then Group.OTHER, where shown


def units_seen(user, ruleset: RuleSet) -> QuerySet:
    """The ids of the units whose figures under `ruleset` `user` may see (the access rule on Tally), as a subquery."""
    from infohub import access

    return access.visible(user, Tally.objects.filter(ruleset=ruleset)).values("unit_id").distinct()


# --- Who may open which figures (issue 16: "a unit sees its own figures and its group's ranking as the office
# publishes it; an office sees its jurisdiction; nobody else's detail") — every answer comes from the access rule.


def rulesets_for(user) -> QuerySet[RuleSet]:
    """The rule sets `user` may open: those whose live figures they see (the access rule on RuleSet: the office roles
    of the assessing office and of the offices above it) and those under which they see some unit's figures (the
    access rule on Tally: their own units, their jurisdiction). Newest year first."""
    live = access.visible(user, RuleSet.objects.all()).values("pk")
    assessed = access.visible(user, Tally.objects.all()).values("ruleset_id")
    return (RuleSet.objects.filter(Q(pk__in=live) | Q(pk__in=assessed)).select_related("office")
            .order_by("-year", "office__path", "-is_active", "pk"))


def ruleset_for(user, pk) -> RuleSet:
    """The rule set `pk` if `user` may open it (see `rulesets_for`); Http404 otherwise, as if it did not exist."""
    pk = params.object_id(pk)
    ruleset = RuleSet.objects.select_related("office").filter(pk=pk).first() if pk else None
    # The same rule as `rulesets_for`, asked of one rule set: its OR over every tally a person sees costs a page
    # several milliseconds, two EXISTS on one rule set a fraction of one.
    if ruleset is None or not (sees_live(user, ruleset)
                               or access.visible(user, Tally.objects.filter(ruleset=ruleset)).exists()):
        raise Http404
    return ruleset


def sees_live(user, ruleset: RuleSet) -> bool:
    """Whether `user` sees the rule set's live figures — every unit's, ranked (the access rule on RuleSet). Others
    see their own units' figures, and the ranking only as the office issued it (`published_ranking`).
    Asked several times of one request's rule set object: answered once (kept on it, per person)."""
    answers = ruleset.__dict__.setdefault("_live_for", {})
    if user.pk not in answers:
        answers[user.pk] = access.may_see(user, ruleset)
    return answers[user.pk]


def unit_for(user, ruleset: RuleSet, pk) -> Unit:
    """The unit `pk` if `user` may see its figures under `ruleset` (a Tally row of it that the access rule lets them
    see); Http404 otherwise — an unknown id, a malformed one and a foreign unit alike."""
    pk = params.object_id(pk)
    if pk is None or not access.visible(user, Tally.objects.filter(ruleset=ruleset, unit_id=pk)).exists():
        raise Http404
    return Unit.objects.get(pk=pk)


def may_drill(user, ruleset: RuleSet, node: Unit) -> bool:
    """Whether `user` may open the drill-down at `node`: a unit at or below the assessing office whose every figure
    under the rule set they see (by the access rule on Tally) — the assessing office for those who see the rule set
    live, a unit's office for its own office roles (a county office over its townships). Never a node whose subtree
    holds a unit they may not see, so a sum never includes another's figures."""
    if not tree.is_within(node, ruleset.office):
        return False
    below = Tally.objects.filter(ruleset=ruleset, unit__path__startswith=node.path)
    if sees_live(user, ruleset):
        return True
    seen = access.visible(user, below).values("unit_id").distinct().count()
    return seen > 0 and seen == below.values("unit_id").distinct().count()


def figures_scope_name(ruleset: RuleSet) -> str:
    """The infohub.listcache scope of a rule set's figures: marked changed by every pricing run that writes them."""
    return f"assessment:{ruleset.pk}"


def figures_scope(user, ruleset: RuleSet) -> list[int] | None:
    """The units whose figures `user` sees under `ruleset`, as the selectors below take them: None — every unit of the
    rule set — for those who see it live (no list of thousands of ids to send), else the ids of their units
    (`units_seen`)."""
    if sees_live(user, ruleset):
        return None
    return list(units_seen(user, ruleset).values_list("unit_id", flat=True))


def units_of(ruleset: RuleSet) -> QuerySet:
    """The ids of the units a rule set prices: every unit below its office (the engine's pr_unit), as a subquery."""
    return Unit.objects.filter(path__startswith=ruleset.office.path).exclude(pk=ruleset.office_id).values("pk")


# --- Series for the charts (assessment.charts) and per-person figures, each computed by Postgres.


def adoptions_by_month(period: Period, *, unit_ids) -> list[dict]:
    """Adoptions per month of the period by the adopting office's level, summed over `unit_ids` (None: every unit),
    every month of the period present (zeros where nothing). Shape: [{"month": date, "adopted_county", "adopted_city",
    "adopted_province", "adopted_central", "adopted"}] (counts of items, Tally's columns)."""
    columns = ("adopted", "adopted_county", "adopted_city", "adopted_province", "adopted_central")
    tallies = period.tallies() if unit_ids is None else period.tallies().filter(unit_id__in=list(unit_ids))
    sums = {row["month"]: row for row in tallies.values("month")
            .annotate(**{name: Coalesce(Sum(name), 0) for name in columns}).order_by("month")}
    return [sums.get(month) or {"month": month, **dict.fromkeys(columns, 0)}
            for month in months_of(period.first_month, period.last_month)]


def on_time_by_month(first_month: dt.date, last_month: dt.date, *, unit_ids, ruleset: RuleSet | None = None
                     ) -> list[dict]:
    """Emergency reports owed by `unit_ids` (None: every unit `ruleset` prices) that fell due in each month (Asia/Shanghai) from `first_month` to
    `last_month`, from the deadline clocks (alerts.Clock, SPEC §5): `on_time` — stopped before the deadline; `late` —
    marked late (迟报, whether the report came afterwards or not; a late mark a correction withdrew is not late).
    Running and cancelled clocks are not counted. Counted by Postgres, every month present. Shape:
    [{"month": date, "on_time": int, "late": int, "rate": Decimal 0–1 or None}]."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(month_start(first_month), dt.time(), tzinfo=zone)
    after = (month_start(last_month) + dt.timedelta(days=32)).replace(day=1)
    end = dt.datetime.combine(after, dt.time(), tzinfo=zone)
    counted = (
        Clock.objects.filter(unit_id__in=units_of(ruleset) if unit_ids is None else list(unit_ids),
                             due_at__gte=start, due_at__lt=end)
        .filter(Q(state=Clock.State.MET, breached_at__isnull=True) | Q(breached_at__isnull=False))
        .annotate(month=TruncMonth("due_at", tzinfo=zone, output_field=DateField()))
        .values("month")
        .annotate(on_time=Count("pk", filter=Q(breached_at__isnull=True)), late=Count("pk", filter=Q(breached_at__isnull=False)))
        .order_by("month")
    )
    counts = {row["month"]: row for row in counted}
    rows = []
    for month in months_of(first_month, last_month):
        row = counts.get(month) or {"month": month, "on_time": 0, "late": 0}
        due = row["on_time"] + row["late"]
        rows.append({**row, "rate": (Decimal(row["on_time"]) / due).quantize(Decimal("0.0001")) if due else None})
    return rows


def against_median(period: Period, unit: Unit) -> list[dict]:
    """A unit's points in each month of the period beside the median of its group's units that month (Postgres's
    percentile_cont over the month's tallies); no median for a unit not ranked at this level (Group.OTHER). Shape:
    [{"month": date, "points": Decimal, "median": Decimal or None}], every month present (points 0 where the unit has
    no tally)."""
    mine = {row["month"]: row for row in period.tallies().filter(unit=unit).values("month", "group", "points")}
    group = next((row["group"] for row in mine.values() if row["group"] in RANKED_GROUPS), None)
    medians = {}
    if group is not None:
        sql = """
            SELECT month, percentile_cont(0.5) WITHIN GROUP (ORDER BY points) FROM assessment_tally
            WHERE ruleset_id = %s AND month BETWEEN %s AND %s AND "group" = %s GROUP BY month
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [period.ruleset.pk, period.first_month, period.last_month, group])
            medians = {month: Decimal(str(round(median, 2))) for month, median in cursor.fetchall()}
    return [{"month": month, "points": mine[month]["points"] if month in mine else Decimal("0"),
             "median": medians.get(month)} for month in months_of(period.first_month, period.last_month)]


def adopted_by_publication(period: Period, *, unit_ids) -> list[dict]:
    """What the monthly sheet's "adopted by publication" columns show (SPEC §9): per unit, publication and adopting
    level, the current ADOPTED ledger rows of the period joined to the publication credits they price
    (publications.Credit) — uses counted, of which combined or summary ("综合"), and their points. Shape:
    [{"unit_id", "ptype_id", "ptype_name", "level", "uses", "combined", "standalone", "points"}], ordered by unit,
    level (top-down) and publication. `unit_ids`: None for every unit of the rule set."""
    if unit_ids is not None:
        unit_ids = list(unit_ids)
        if not unit_ids:
            return []
    sql = """
        SELECT e.unit_id, c.ptype_id, p.name, c.office_level, COUNT(*),
               COUNT(*) FILTER (WHERE c.combined OR c.adoption <> 'full'), COALESCE(SUM(e.points), 0)
        FROM assessment_entry e
        JOIN publications_credit c ON c.id = e.cause_id
        JOIN publications_publicationtype p ON p.id = c.ptype_id
        WHERE e.ruleset_id = %s AND e.superseded_by_id IS NULL AND e.month BETWEEN %s AND %s AND e.fact = %s
          AND e.cause_type_id = %s AND (%s::bigint[] IS NULL OR e.unit_id = ANY(%s::bigint[]))
        GROUP BY e.unit_id, c.ptype_id, p.name, c.office_level
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.ruleset.pk, period.first_month, period.last_month, Fact.ADOPTED,
                             ContentType.objects.get_for_model(Credit).pk, unit_ids, unit_ids])
        rows = [{"unit_id": unit_id, "ptype_id": ptype_id, "ptype_name": name, "level": level, "uses": uses,
                 "combined": combined, "standalone": uses - combined, "points": points}
                for unit_id, ptype_id, name, level, uses, combined, points in cursor.fetchall()]
    levels = list(Level.values)
    return sorted(rows, key=lambda row: (row["unit_id"], levels.index(row["level"]), row["ptype_name"]))


def sheet_publication_columns(period: Period, *, unit_ids) -> list[dict]:
    """The monthly sheet's "adopted by publication and level" columns for the whole sheet — every publication and
    adopting level in which any unit of `unit_ids` (None: every unit of the rule set) has a current ADOPTED ledger row
    in the period — so every page of the sheet (the page's and the API's) has the same columns, whichever units it
    holds. Shape: [{"level", "ptype_id", "ptype_name"}], top-down by level, then by publication name."""
    if unit_ids is not None:
        unit_ids = list(unit_ids)
        if not unit_ids:
            return []
    sql = """
        SELECT DISTINCT c.office_level, c.ptype_id, p.name
        FROM assessment_entry e
        JOIN publications_credit c ON c.id = e.cause_id
        JOIN publications_publicationtype p ON p.id = c.ptype_id
        WHERE e.ruleset_id = %s AND e.superseded_by_id IS NULL AND e.month BETWEEN %s AND %s AND e.fact = %s
          AND e.cause_type_id = %s AND (%s::bigint[] IS NULL OR e.unit_id = ANY(%s::bigint[]))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.ruleset.pk, period.first_month, period.last_month, Fact.ADOPTED,
                             ContentType.objects.get_for_model(Credit).pk, unit_ids, unit_ids])
        rows = [{"level": level, "ptype_id": ptype_id, "ptype_name": name} for level, ptype_id, name in cursor.fetchall()]
    levels = list(Level.values)
    return sorted(rows, key=lambda row: (levels.index(row["level"]), row["ptype_name"], row["ptype_id"]))


def person_stats(period: Period, *, unit_ids) -> list[dict]:
    """Per unit and person over the period (SPEC §9 "per person"): `filed` — items they filed that were signed off and
    sent (submitted_at in the period, Asia/Shanghai months; the engine's FILED facts); `signed_off` — items of the unit they signed off (the audit log's item.signoff);
    `adopted_<level>` — distinct items of theirs adopted at each level (current ADOPTED ledger rows naming them, by the
    publishing office's level); `points` — the current ledger rows naming them (Entry.person). Each counted by Postgres
    in one statement; people with none of these are left out. Shape: [{"unit_id", "person_id", "person_name",
    "filed", "signed_off", "adopted_county", "adopted_city", "adopted_province", "adopted_central", "adopted",
    "points"}], by unit then points (highest first). `unit_ids`: None for every unit of the rule set."""
    unit_ids = list(units_of(period.ruleset).values_list("pk", flat=True) if unit_ids is None else unit_ids)
    if not unit_ids:
        return []
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(period.first_month, dt.time(), tzinfo=zone)
    end = dt.datetime.combine((period.last_month + dt.timedelta(days=32)).replace(day=1), dt.time(), tzinfo=zone)
    sql = """
        WITH filed AS (
            SELECT source_unit_id AS unit_id, created_by_id AS person_id, COUNT(*) AS n FROM submissions_item
            WHERE source_unit_id = ANY(%(units)s) AND status = 'signed_off'
              AND submitted_at >= %(start)s AND submitted_at < %(end)s
            GROUP BY 1, 2
        ), signed AS (
            SELECT i.source_unit_id AS unit_id, a.actor_id AS person_id, COUNT(DISTINCT i.id) AS n
            FROM infohub_auditlog a JOIN submissions_item i ON i.id = a.object_id::bigint
            WHERE a.action = 'item.signoff' AND a.object_type = 'submissions.item' AND a.actor_id IS NOT NULL
              AND a.created_at >= %(start)s AND a.created_at < %(end)s AND i.source_unit_id = ANY(%(units)s)
            GROUP BY 1, 2
        ), ledger AS (
            SELECT e.unit_id, e.person_id, SUM(e.points) AS points,
                   COUNT(DISTINCT e.item_id) FILTER (WHERE c.office_level = 'county') AS county,
                   COUNT(DISTINCT e.item_id) FILTER (WHERE c.office_level = 'city') AS city,
                   COUNT(DISTINCT e.item_id) FILTER (WHERE c.office_level = 'province') AS province,
                   COUNT(DISTINCT e.item_id) FILTER (WHERE c.office_level = 'central') AS central,
                   COUNT(DISTINCT e.item_id) FILTER (WHERE c.id IS NOT NULL) AS adopted
            FROM assessment_entry e
            LEFT JOIN publications_credit c ON e.fact = %(adopted)s AND e.cause_type_id = %(credit)s AND c.id = e.cause_id
            WHERE e.ruleset_id = %(ruleset)s AND e.superseded_by_id IS NULL AND e.month BETWEEN %(first)s AND %(last)s
              AND e.unit_id = ANY(%(units)s) AND e.person_id IS NOT NULL
            GROUP BY 1, 2
        ), keys AS (SELECT unit_id, person_id FROM filed UNION SELECT unit_id, person_id FROM signed
                    UNION SELECT unit_id, person_id FROM ledger)
        SELECT k.unit_id, k.person_id, COALESCE(NULLIF(u.display_name, ''), u.username),
               COALESCE(f.n, 0), COALESCE(s.n, 0), COALESCE(l.county, 0), COALESCE(l.city, 0),
               COALESCE(l.province, 0), COALESCE(l.central, 0), COALESCE(l.adopted, 0), COALESCE(l.points, 0)
        FROM keys k JOIN infohub_user u ON u.id = k.person_id
        LEFT JOIN filed f ON f.unit_id = k.unit_id AND f.person_id = k.person_id
        LEFT JOIN signed s ON s.unit_id = k.unit_id AND s.person_id = k.person_id
        LEFT JOIN ledger l ON l.unit_id = k.unit_id AND l.person_id = k.person_id
        ORDER BY k.unit_id, COALESCE(l.points, 0) DESC, 3
    """
    names = ("unit_id", "person_id", "person_name", "filed", "signed_off", "adopted_county", "adopted_city",
             "adopted_province", "adopted_central", "adopted", "points")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"units": unit_ids, "start": start, "end": end, "ruleset": period.ruleset.pk,
                             "first": period.first_month, "last": period.last_month, "adopted": Fact.ADOPTED,
                             "credit": ContentType.objects.get_for_model(Credit).pk})
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def ledger_rows(period: Period, *, unit_ids, column: str = "points", fact: str | None = None,
                level: str | None = None, ptype: int | None = None, combined: bool | None = None,
                person: int | None = None) -> QuerySet[Entry]:
    """`entries_behind` narrowed to the rows naming one `person`, and to adoptions at one `level`, in one publication
    type `ptype`, or combined (True) / standalone (False) uses — the rows behind one cell of the sheet's "adopted by
    publication and level" columns (the ADOPTED rows whose publication credit matches). Raises KeyError for an
    unknown column."""
    rows = entries_behind(period, unit_ids=unit_ids, column=column, fact=fact)
    if person is not None:
        rows = rows.filter(person_id=person)
    if level is None and ptype is None and combined is None:
        return rows
    credits = Credit.objects.all()
    if level is not None:
        credits = credits.filter(office_level=level)
    if ptype is not None:
        credits = credits.filter(ptype_id=ptype)
    if combined is not None:
        either = Q(combined=True) | ~Q(adoption="full")
        credits = credits.filter(either if combined else ~either)
    return rows.filter(fact=Fact.ADOPTED, cause_type=ContentType.objects.get_for_model(Credit),
                       cause_id__in=credits.values("pk"))


@dataclass(frozen=True)
class Cause:
    """What a ledger row names as its cause, as its reader may see it: `label` (a title, a subject; only what the
    reader may see, else the kind of fact alone) and `url` (the cause's page when the access rule lets them open it)."""

    label: str
    url: str | None = None


def causes_of(user, entries) -> dict[int, Cause]:
    """{entry id: Cause} for ledger rows (a page of them): each cause's page linked where the access rule lets `user`
    see it (an item, a publication issue, an instruction, a topic request, a follow-up's obligation, a lapse's clock),
    one query per kind of cause on the page."""
    from django.urls import reverse

    from alerts.models import Lapse
    from followup.models import Shortfall
    from publications.models import Issue
    from submissions.models import Item

    from .models import Adjustment, Rewrite

    entries = list(entries)
    wanted: dict[type, set[int]] = {}
    for entry in entries:
        wanted.setdefault(entry.cause_type.model_class(), set()).add(entry.cause_id)

    def seen(model, ids) -> dict[int, object]:
        try:
            return {obj.pk: obj for obj in access.visible(user, model.objects.filter(pk__in=list(ids)))}
        except LookupError:  # not under the access rule: nothing to link
            return {}

    def items_seen(ids) -> dict[int, Item]:
        return {item.pk: item for item in access.visible(user, Item.objects.filter(pk__in=[i for i in ids if i]))
                .only("pk", "title", "classification", "source_unit_id")}

    found: dict[tuple[type, int], Cause] = {}
    for model, ids in wanted.items():
        if model is Item:
            for pk, item in items_seen(ids).items():
                found[model, pk] = Cause(item.title, reverse("submissions:item_detail", args=[pk]))
        elif model is Credit:
            credits = {c.pk: c for c in access.visible(user, Credit.objects.filter(pk__in=list(ids)))
                       .select_related("issue__ptype", "item")}
            issues = seen(Issue, {c.issue_id for c in credits.values()})
            # where the issue is not theirs to open (a unit credited, or filing jointly), the item used
            items = items_seen({c.source_item_id for c in credits.values() if c.issue_id not in issues})
            for pk, credit in credits.items():
                issue = credit.issue
                label = f"{issue.title_label} · {credit.item.title}" if credit.item_id else issue.title_label
                url = (reverse("publications:issue_detail", args=[issue.pk]) if issue.pk in issues else
                       reverse("submissions:item_detail", args=[credit.source_item_id])
                       if credit.source_item_id in items else None)
                found[model, pk] = Cause(label, url)
        elif model is Shortfall:
            shortfalls = seen(Shortfall, ids)
            obligations: dict[type, set[int]] = {}
            for shortfall in shortfalls.values():
                obligations.setdefault(shortfall.content_type.model_class(), set()).add(shortfall.object_id)
            open_to = {(kind, pk) for kind, pks in obligations.items() for pk in seen(kind, pks)}
            for pk, shortfall in shortfalls.items():
                kind = shortfall.content_type.model_class()
                obligation = kind.objects.get(pk=shortfall.object_id) if (kind, shortfall.object_id) in open_to else None
                found[model, pk] = Cause(f"{shortfall.get_kind_display()}：{shortfall.subject}",
                                         obligation.followup_url() or None if obligation else None)
        elif model is Lapse:
            lapses = {lapse.pk: lapse for lapse in access.visible(user, Lapse.objects.filter(pk__in=list(ids)))
                      .select_related("item", "clock")}
            clocks = seen(Clock, {lapse.clock_id for lapse in lapses.values() if lapse.clock_id})
            for pk, lapse in lapses.items():
                label = f"{lapse.get_kind_display()} · {lapse.item.title if lapse.item_id else lapse.reason[:60]}"
                if lapse.clock_id in clocks:
                    url = reverse("alerts:clock_detail", args=[lapse.clock_id])
                else:
                    url = reverse("alerts:lapse_list")
                found[model, pk] = Cause(label, url)
        elif model is Adjustment:
            for adjustment in Adjustment.objects.filter(pk__in=list(ids)):
                found[model, adjustment.pk] = Cause(adjustment.reason[:120])
        elif model is Rewrite:
            rewrites = {r.pk: r for r in Rewrite.objects.filter(pk__in=list(ids))}
            items = items_seen({r.item_id for r in rewrites.values()})
            for pk, rewrite in rewrites.items():
                item = items.get(rewrite.item_id)
                found[model, pk] = Cause(item.title if item else rewrite.note,
                                         reverse("submissions:item_detail", args=[item.pk]) if item else None)
        elif model is Unit:
            for unit in Unit.objects.filter(pk__in=list(ids)):
                found[model, unit.pk] = Cause(unit.name)
        else:
            for pk, obj in seen(model, ids).items():
                url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None
                found[model, pk] = Cause(str(obj), url)
    return {entry.pk: found.get((entry.cause_type.model_class(), entry.cause_id))
            or Cause(entry.get_fact_display()) for entry in entries}


def _issued(user, ruleset: RuleSet) -> QuerySet:
    from .models import Bulletin

    return access.visible(user, Bulletin.objects.filter(ruleset=ruleset, state=Bulletin.State.ISSUED))


def published_ranking(user, period: Period) -> dict | None:
    """The ranking as the office issued it for `period` (SPEC §9: a unit sees "its group's ranking as the office
    publishes it"): the latest issued 通报 of the period's rule set that `user` may see (the access rule on Bulletin)
    whose months are exactly the period's — a month's 通报 for that month, a quarter's for the quarter, the year-end
    ranking for the year (or the same months asked as custom months); never one of another period shown as if it were
    this one's. The pages and the API both ask here. Shape: {"bulletin": Bulletin, "groups": [{"group": str, "rows":
    [{"unit_id", "unit_name", "score", "rank", …}]}]}, or None when nothing is issued (or visible) for the period."""
    bulletin = (_issued(user, period.ruleset).filter(first_month=period.first_month, last_month=period.last_month)
                .order_by("-issued_at", "-pk").first())
    if bulletin is None:
        return None
    return {"bulletin": bulletin, "groups": figures_ranking(bulletin.figures)}


def issued_rankings(user, ruleset: RuleSet) -> list[dict]:
    """The periods for which the office issued a ranking that `user` may see, latest issue first: [{"bulletin":
    Bulletin, "period": Period}] (what a page offers when the period asked has none; one per period, its latest)."""
    found: dict[tuple, dict] = {}
    for bulletin in _issued(user, ruleset).order_by("-issued_at", "-pk").defer("figures"):
        found.setdefault((bulletin.first_month, bulletin.last_month), {
            "bulletin": bulletin, "period": Period(ruleset, bulletin.first_month, bulletin.last_month)})
    return list(found.values())


def figures_ranking(figures) -> list[dict]:
    """The ranking tables of an issued 通报's `figures` (assessment.bulletin_figures: `groups`, a list of {"group",
    "label", "rows"}, each row naming its unit as "unit"), per group in GROUP_ORDER: [{"group", "label", "rows"}], each
    row with "unit_name" (the unit's name as printed) beside what the 通报 kept ("unit_id", "rank", "score", …).
    Anything that is not such a table is left out."""
    figures = figures if isinstance(figures, dict) else {}
    tables: dict[str, dict] = {}
    groups = figures.get("groups")
    for entry in groups if isinstance(groups, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("rows"), list):
            continue
        table = tables.setdefault(str(entry.get("group", "")), {"label": entry.get("label") or "", "rows": []})
        table["rows"] += [{**row, "unit_name": row.get("unit_name") or row.get("unit") or ""}
                          for row in entry["rows"] if isinstance(row, dict)]
    order = [*GROUP_ORDER, *sorted(set(tables) - set(GROUP_ORDER))]
    return [{"group": group, **tables[group]} for group in order if tables.get(group, {}).get("rows")]


def unit_months(period: Period, unit: Unit) -> list[dict]:
    """One unit's tallies month by month over the period, every month present (zeros where none). Shape:
    [{"month": date, <counts>, <points>, "voids_award": bool, "zeroed": bool}]."""
    kept = {row["month"]: row for row in period.tallies().filter(unit=unit)
            .values("month", *COUNTS, *POINTS, "voids_award", "zeroed")}
    empty = {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(POINTS, Decimal("0")), "voids_award": False, "zeroed": False}
    return [kept.get(month) or {"month": month, **empty} for month in months_of(period.first_month, period.last_month)]


def points_of(entries: QuerySet[Entry]) -> Decimal:
    """The sum of the ledger rows' points (Postgres), 0 for none."""
    return entries.order_by().aggregate(total=Coalesce(Sum("points"), ZERO))["total"]
