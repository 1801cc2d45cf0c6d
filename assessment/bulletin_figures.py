"""What a 通报 shows (SPEC §9), read from the database in a few aggregate statements and kept as JSON: the bulletin's
`figures`, from which its .docx (bulletin_docx.py) and .xlsx (bulletin_xlsx.py) are drawn, and which is frozen when it
is issued. Nothing here is per unit: the ranking is one statement over the tallies, the totals one, the months one,
the lapses, the quota shortfalls and the annex one each over the ledger, the on-time rate one over the deadline
clocks — whatever the number of units (issue 16: a national quarter, 10,000 units, in seconds).

Shapes: numbers of items are ints; points, scores and rates are strings of Decimals ("12.50", "0.2500"), so the
figures are exact in JSON; months and dates are ISO strings. See `collect` for the keys.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, ExtractMonth, NullIf, Replace, Substr, TruncMonth
from django.utils import timezone, translation

from alerts.models import Clock, Lapse
from infohub.models import Level, Unit
from publications.models import Credit

from . import selectors
from .models import RANKED_GROUPS, Bulletin, Entry, Fact, Letterhead, RuleSet, group_label

VERSION = 1
# How many units of each group a bulletin praises (the top of the ranking) and criticises (its foot).
PRAISED_PER_GROUP = 3
CRITICISED_PER_GROUP = 3

LEVEL_LABELS = {Level.CENTRAL: "中央", Level.PROVINCE: "省级", Level.CITY: "市级", Level.COUNTY: "县级",
                Level.TOWNSHIP: "乡镇"}
LEVEL_COLUMNS = {Level.CENTRAL: "中央", Level.PROVINCE: "省", Level.CITY: "市", Level.COUNTY: "县"}
SCOPES = {Level.CENTRAL: "全国", Level.PROVINCE: "全省", Level.CITY: "全市", Level.COUNTY: "全县（区）",
          Level.TOWNSHIP: "全乡镇（街道）"}
LAPSE_LABELS = {Lapse.Kind.LATE: "迟报", Lapse.Kind.MISSED: "漏报", Lapse.Kind.FALSE: "误报",
                Lapse.Kind.CONCEALED: "瞒报"}
KIND_LABELS = {Bulletin.Kind.MONTHLY: "月度通报", Bulletin.Kind.QUARTERLY: "季度通报", Bulletin.Kind.YEARLY: "年终考评"}
QUARTERS = "一二三四"
UNNUMBERED = "（印发时编号）"


# --- periods -------------------------------------------------------------------------------------------------------


def period_of(kind: str, year: int, number: int | None = None) -> tuple[dt.date, dt.date]:
    """(first month, last month) of a bulletin: month `number` (1–12), quarter `number` (1–4), or the whole `year`.
    Raises ValueError naming what is wrong (an unknown kind, a month or quarter out of range)."""
    if kind == Bulletin.Kind.YEARLY:
        return dt.date(year, 1, 1), dt.date(year, 12, 1)
    if kind == Bulletin.Kind.QUARTERLY:
        if number not in (1, 2, 3, 4):
            raise ValueError("quarter")
        return selectors.quarter_months(year, number)
    if kind == Bulletin.Kind.MONTHLY:
        if number is None or not 1 <= number <= 12:
            raise ValueError("month")
        return dt.date(year, number, 1), dt.date(year, number, 1)
    raise ValueError("kind")


def period_label(kind: str, first_month: dt.date) -> str:
    """2026年7月 / 2026年第三季度 / 2026年度."""
    if kind == Bulletin.Kind.YEARLY:
        return f"{first_month.year}年度"
    if kind == Bulletin.Kind.QUARTERLY:
        return f"{first_month.year}年第{QUARTERS[(first_month.month - 1) // 3]}季度"
    return f"{first_month.year}年{first_month.month}月"


def system_of(office: Unit) -> str:
    return {Unit.Kind.COMMITTEE_OFFICE: "党委", Unit.Kind.GOVERNMENT_OFFICE: "政府"}.get(office.kind, "")


CORRECTION_MARK = "（更正）"


def title_of(kind: str, first_month: dt.date, office: Unit, *, correction: bool = False) -> str:
    """关于2026年第三季度全市党委信息工作情况的通报; the year-end ranking: 关于2026年度全市党委信息工作考评结果的通报; a
    correction of an issued one ends with （更正）."""
    what = "考评结果" if kind == Bulletin.Kind.YEARLY else "情况"
    title = f"关于{period_label(kind, first_month)}{SCOPES.get(office.level, '')}{system_of(office)}信息工作{what}的通报"
    return title + CORRECTION_MARK if correction else title


def levels_shown(office_level: str) -> list[str]:
    """The adopting levels a ranking's 采用 columns show: the assessing office's own level and those above it (a city
    office: 市, 省, 中央), lowest first; never below the county."""
    rank = min(Level.rank(office_level), Level.rank(Level.COUNTY))
    return list(reversed(Level.values[: rank + 1]))


def letterhead_of(office: Unit) -> dict:
    """{"masthead", "prefix", "issuer"} of the office's 通报 (its Letterhead row, or the defaults it describes)."""
    row = Letterhead.objects.filter(office=office).first()
    name = office.name.removeprefix("中共")
    return {"masthead": row.masthead if row else "信息工作通报",
            "prefix": row.prefix if row else f"{name[:1]}办通",
            "issuer": (row.issuer if row and row.issuer else office.name)}


def number_label(prefix: str, year: int | None, number: int | None) -> str:
    """临办通〔2026〕3号, or a placeholder before the bulletin is issued."""
    if number is None or year is None:
        return UNNUMBERED
    return f"{prefix}〔{year}〕{number}号"


def date_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- the figures ---------------------------------------------------------------------------------------------------


def _s(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def collect(ruleset: RuleSet, kind: str, first_month: dt.date, last_month: dt.date, *,
            corrects: Bulletin | None = None, correction_reason: str = "") -> dict:
    """Every table a 通报 of `ruleset` over the months `first_month`–`last_month` shows, as JSON-ready data.

    Keys: version, kind, kind_label, ruleset {id, name, year}, office {id, name, level}, masthead, prefix, issuer,
    first_month, last_month, period_label, title, scope, levels [adopting levels shown], level_labels, year_cap,
    number_label, date, totals {units, filed, adopted, adopted_<level>…, instructions, topics_answered,
    topics_ignored, lapses, points}, groups [{group, label, rows: [ranking row]}], praised, criticised, below_quota,
    filed_nothing, quota {…: `_quota`}, lapses, lapse_counts {kind: n}, annex, monthly, on_time, correction (None, or
    {number_label, title, date, reason} of the issued bulletin this one corrects). A ranking row: unit_id, unit, rank,
    the counts of selectors.COUNTS, the points of selectors.POINTS, score, rate, voids_award, zeroed (and unit_name, as
    selectors.ranking names it)."""
    office = ruleset.office
    period = selectors.Period(ruleset, first_month, last_month)
    head = letterhead_of(office)
    groups = _groups(period, office.level)
    lapses = _lapses(period)
    correction = None
    if corrects is not None:
        correction = {"number_label": corrects.number_label, "title": corrects.title,
                      "date": timezone.localdate(corrects.issued_at).isoformat() if corrects.issued_at else None,
                      "reason": correction_reason}
    figures = {
        "version": VERSION, "kind": kind, "kind_label": KIND_LABELS[kind],
        "ruleset": {"id": ruleset.pk, "name": ruleset.name, "year": ruleset.year},
        "office": {"id": office.pk, "name": office.name, "level": office.level},
        **head,
        "first_month": first_month.isoformat(), "last_month": last_month.isoformat(),
        "period_label": period_label(kind, first_month),
        "title": title_of(kind, first_month, office, correction=corrects is not None), "correction": correction,
        "scope": SCOPES.get(office.level, ""), "system": system_of(office),
        "levels": levels_shown(office.level), "level_labels": {str(k): v for k, v in LEVEL_LABELS.items()},
        "year_cap": _s(ruleset.year_cap),
        "number_label": UNNUMBERED, "date": timezone.localdate().isoformat(),
        "totals": _totals(period),
        "groups": groups,
        **_praise_and_criticism(groups, lapses),
        "below_quota": _below_quota(period),
        "quota": _quota(ruleset, first_month, last_month),
        "filed_nothing": [{"unit_id": row["unit_id"], "unit": row["unit"], "group_label": group["label"]}
                          for group in groups for row in group["rows"] if row["filed"] == 0],
        "lapses": lapses,
        "annex": _annex(period, office.level),
        "monthly": _monthly(period),
        "on_time": _on_time(office, first_month, last_month),
    }
    counts: dict[str, int] = {}
    for lapse in figures["lapses"]:
        counts[lapse["kind"]] = counts.get(lapse["kind"], 0) + 1
    figures["lapse_counts"] = counts
    return figures


def _groups(period: selectors.Period, office_level: str) -> list[dict]:
    """The ranking tables: one per group ranked under the office (RANKED_GROUPS, in that order), each with its label
    (models.group_label, in Chinese whatever the language of the request: the document is). The units of the
    jurisdiction not ranked at the office's level (Group.OTHER) are in no table, so in none of the lists drawn from
    them (praised, criticised, filed nothing) and among no recipients."""
    rows_by_group: dict[str, list[dict]] = {}
    for row in selectors.ranking(period):  # one statement, ranked within groups by Postgres
        if row["group"] not in RANKED_GROUPS:
            continue
        # "unit_name" as well: the figures' pages read an issued ranking's rows (selectors.published_ranking)
        out = {"unit_id": row["unit_id"], "unit": row["unit_name"], "unit_name": row["unit_name"], "rank": row["rank"]}
        out.update({name: int(row[name]) for name in selectors.COUNTS})
        out.update({name: _s(row[name]) for name in selectors.POINTS})
        out.update(score=_s(row["score"]), rate=None if row["rate"] is None else str(row["rate"]),
                   voids_award=row["voids_award"], zeroed=row["zeroed"])
        rows_by_group.setdefault(row["group"], []).append(out)
    with translation.override("zh-hans"):
        return [{"group": g, "label": group_label(g, office_level), "rows": rows_by_group[g]}
                for g in RANKED_GROUPS if g in rows_by_group]


def _totals(period: selectors.Period) -> dict:
    sums = {name: Coalesce(Sum(name), 0) for name in selectors.COUNTS}
    totals = period.tallies().aggregate(units=Count("unit_id", distinct=True), points=Coalesce(Sum("points"), selectors.ZERO),
                                        **sums)
    totals["points"] = _s(totals["points"])
    return totals


def _praise_and_criticism(groups: list[dict], lapses: list[dict] = ()) -> dict:
    """The units praised and criticised, each with the reason printed.

    Praised (通报表扬): the first `PRAISED_PER_GROUP` ranks of each group that filed information in the period and
    scored (points above 0), still eligible for awards and with their year not zeroed. A unit that filed nothing is
    not praised whatever its points (SPEC §9: the 通报 names "units that filed nothing" — a unit cannot be praised for
    its information work and listed among them in one document; points from adjustments alone are no information
    work).

    Criticised (通报批评): the last `CRITICISED_PER_GROUP` of each group, not praised nor tied with a unit above them,
    and every unit whose award eligibility a lapse voided or whose year was zeroed. The lapse is named by the kinds
    that occurred (`lapses`: the period's, bulletin_figures._lapses — "发生误报", not "误报、瞒报等")."""
    voiding: dict[int, list[str]] = {}
    for lapse in lapses:
        if lapse.get("voids_award", True):
            kinds = voiding.setdefault(lapse["unit_id"], [])
            if lapse["kind_label"] not in kinds:
                kinds.append(lapse["kind_label"])
    praised, criticised = [], []
    for group in groups:
        rows = group["rows"]
        top = [r for r in rows if r["rank"] <= PRAISED_PER_GROUP and Decimal(r["score"]) > 0
               and r.get("filed", 1) > 0 and not r["voids_award"] and not r["zeroed"]]
        praised += [{"unit_id": r["unit_id"], "unit": r["unit"], "group_label": group["label"], "rank": r["rank"],
                     "score": r["score"]} for r in top]
        named = {r["unit_id"] for r in top}
        count = len(rows)
        foot = []
        if count > PRAISED_PER_GROUP:
            # The last rows by rank, not by position: a unit tied with one above the last rows is not "at the back"
            # (0, 0, -20, -30 ranked 1, 1, 3, 4: the second 0 is first too), the units tied for the last place all are,
            # and nobody is when all share the first place.
            above = rows[-CRITICISED_PER_GROUP - 1]["rank"] if count > CRITICISED_PER_GROUP else 1
            window = {r["unit_id"] for r in rows[-CRITICISED_PER_GROUP:]}
            foot = [r for r in rows if r["unit_id"] not in named and r["rank"] > 1
                    and (r["rank"] == rows[-1]["rank"] or (r["unit_id"] in window and r["rank"] > above))]
        for r in rows:
            reasons = []
            if r in foot:
                reasons.append(f"得分排名靠后（第{r['rank']}名，共{count}家）")
            if r["voids_award"]:
                kinds = [k for k in LAPSE_LABELS.values() if k in voiding.get(r["unit_id"], ())]
                what = f"发生{'、'.join(kinds)}" if kinds else "紧急信息报送出现问题"
                reasons.append(f"{what}，取消评先评优资格")
            if r["zeroed"]:
                reasons.append("多次未按要求报送约稿信息，全年得分清零")
            if reasons:
                criticised.append({"unit_id": r["unit_id"], "unit": r["unit"], "group_label": group["label"],
                                   "rank": r["rank"], "score": r["score"], "reason": "；".join(reasons)})
    return {"praised": praised, "criticised": criticised}


def _current(period: selectors.Period, fact: str):
    return Entry.objects.filter(ruleset=period.ruleset, superseded_by__isnull=True, fact=fact,
                                month__gte=period.first_month, month__lte=period.last_month)


def _below_quota(period: selectors.Period) -> list[dict]:
    """Units ranked in the period (not Group.OTHER: the 通报 names the units it ranks) with a quota deduction in it: the
    months short, the points taken off and how each month was worked out, named by its month and without the rule's
    name repeated ("1月：报送 8 条，定额 20 条，-1 × 12；2月：报送 15 条，定额 20 条，-1 × 5" — a quarter's row printed
    the same sentence three times without saying which month each was), one row per unit in one statement."""
    from django.contrib.postgres.aggregates import StringAgg

    ranked = period.tallies().filter(group__in=RANKED_GROUPS).values("unit_id")
    # the engine writes "<rule's label>：报送 8 条，定额 20 条，-1 × 12": the label is the table's heading already
    said = Replace(Coalesce(F("basis"), Value("")), Concat(Coalesce(F("rule__label"), Value("")), Value("：")),
                   Value(""))
    month = Concat(Cast(ExtractMonth("month"), CharField()), Value("月："), said, output_field=CharField())
    rows = (_current(period, Fact.QUOTA).filter(unit_id__in=ranked).values("unit_id")
            .annotate(unit_name=F("unit__name"), path=F("unit__path"), months=Count("month", distinct=True),
                      points=Sum("points"), basis=StringAgg(month, delimiter="；", order_by="month"))
            .order_by("path"))
    return [{"unit_id": r["unit_id"], "unit": r["unit_name"], "months": r["months"], "points": _s(r["points"]),
             "basis": r["basis"]} for r in rows]


def _quota(ruleset: RuleSet, first_month: dt.date, last_month: dt.date) -> dict:
    """Whether the period's quotas were assessed, month by month, so the 通报 says what is true of them: {"rules":
    whether the rule set prices quotas at all, "assessed": the months of the period whose quotas the ledger holds,
    "not_assessed": the others, "from": the first month a quota is owed (RuleSet.quota_from)}. A month's quota is
    assessed when the rule set has a quota rule, the month is on or after the month it took effect (施行日期), and a
    pricing run finished after the month was over (Beijing time) priced it — the engine charges quotas for months
    already over only (assessment.pricing). One statement at most."""
    from .models import Pricing, Rule

    months = selectors.months_of(first_month, last_month)
    rules = Rule.objects.filter(ruleset=ruleset, fact=Fact.QUOTA, quota__isnull=False).exists()
    assessed = []
    if rules:
        tz = timezone.get_default_timezone()
        owed = [m for m in months if m >= ruleset.quota_from]
        if owed:
            runs = list(Pricing.objects.filter(ruleset=ruleset, state=Pricing.State.DONE, first_month__lte=owed[-1],
                                               last_month__gte=owed[0]).values_list("first_month", "last_month",
                                                                                    "finished_at"))
            for month in owed:
                end = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
                ended = timezone.make_aware(dt.datetime.combine(end, dt.time()), tz)
                if any(lo <= month <= hi and done and done >= ended for lo, hi, done in runs):
                    assessed.append(month)
    return {"rules": rules, "assessed": [m.isoformat() for m in assessed],
            "not_assessed": [m.isoformat() for m in months if m not in assessed],
            "from": ruleset.quota_from.isoformat()}


def _lapses(period: selectors.Period) -> list[dict]:
    """Every 迟报 / 漏报 / 误报 / 瞒报 the ledger priced in the period, named: the unit, the event (the report's title, or
    what the chase said was known), its kind, when it was recorded and the points it cost. One statement."""
    lapse_type = ContentType.objects.get_for_model(Lapse)
    lapse = Lapse.objects.filter(pk=OuterRef("cause_id"))
    rows = (_current(period, Fact.LAPSE).filter(cause_type=lapse_type)
            .annotate(kind=Subquery(lapse.values("kind")[:1]),
                      recorded=Subquery(lapse.values("created_at")[:1]),
                      event=Coalesce(F("item__title"), Subquery(lapse.annotate(s=Substr("chase__summary", 1, 60))
                                                                .values("s")[:1]),
                                     Subquery(lapse.annotate(s=Substr("reason", 1, 60)).values("s")[:1])))
            .values("unit_id", "kind", "recorded", "event", "points", "occurred_at", "voids_award",
                    unit_name=F("unit__name"))
            .order_by("occurred_at", "pk"))
    out = []
    for r in rows:
        when = timezone.localtime(r["recorded"] or r["occurred_at"]).date()
        out.append({"unit_id": r["unit_id"], "unit": r["unit_name"], "kind": r["kind"] or "",
                    "kind_label": LAPSE_LABELS.get(r["kind"], "迟报"), "event": r["event"] or "",
                    "date": when.isoformat(), "points": _s(r["points"]), "voids_award": r["voids_award"]})
    return out


def _annex(period: selectors.Period, office_level: str) -> list[dict]:
    """The adopted titles (附件): every use in a publication, at the assessing office's level or above, of an item
    the ledger priced as adopted in the period — title as printed, credited unit, publication and issue, adopting
    level, date — highest level first, then by date. One statement."""
    credit_type = ContentType.objects.get_for_model(Credit)
    levels = levels_shown(office_level)
    priced = _current(period, Fact.ADOPTED).filter(cause_type=credit_type).values("cause_id")
    rows = (Credit.objects.filter(pk__in=priced, office_level__in=levels)
            .values("office_level", "signed_at", "issue__year", "issue__number", "issue__kind", "combined",
                    # as printed; an entry frozen without it (entered around the signing) by its title, then the item's
                    title=Coalesce(NullIf(F("entry__printed_title"), Value("")), NullIf(F("entry__title"), Value("")),
                                   F("item__title")),
                    unit_name=F("unit__name"), publication=F("ptype__name"))
            .order_by("signed_at", "id"))
    order = {level: index for index, level in enumerate(reversed(levels))}
    out = []
    for r in rows:
        supplement = "增刊" if r["issue__kind"] == "supplement" else ""
        out.append({"title": r["title"], "unit": r["unit_name"], "publication": f"《{r['publication']}》",
                    "issue": f"{r['issue__year']}年{supplement}第{r['issue__number']}期", "level": r["office_level"],
                    "level_label": LEVEL_LABELS.get(r["office_level"], ""), "combined": r["combined"],
                    "date": timezone.localtime(r["signed_at"]).date().isoformat()})
    out.sort(key=lambda row: order.get(row["level"], 99))  # stable: by date within a level
    return out


def _monthly(period: selectors.Period) -> list[dict]:
    """Per month of the period: filed, adopted, and adopted at each level (for the chart of adoptions per month)."""
    names = ("filed", "adopted", "adopted_county", "adopted_city", "adopted_province", "adopted_central")
    rows = {r["month"]: r for r in period.tallies().values("month").annotate(
        **{name: Coalesce(Sum(name), 0) for name in names}).order_by("month")}
    out = []
    for month in selectors.months_of(period.first_month, period.last_month):
        row = rows.get(month, {})
        out.append({"month": month.isoformat(), **{name: int(row.get(name, 0)) for name in names}})
    return out


def _on_time(office: Unit, first_month: dt.date, last_month: dt.date) -> list[dict]:
    """Per month: the emergency reports due at the assessing office that arrived in time (met) and late (breached),
    by the month of their deadline (Asia/Shanghai). One statement over the deadline clocks."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(first_month, dt.time()), tz)
    end_month = (last_month + dt.timedelta(days=32)).replace(day=1)
    end = timezone.make_aware(dt.datetime.combine(end_month, dt.time()), tz)
    rows = {r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]: r for r in (
        Clock.objects.filter(office=office, kind=Clock.Kind.REPORT, due_at__gte=start, due_at__lt=end,
                             state__in=[Clock.State.MET, Clock.State.BREACHED])
        .annotate(month=TruncMonth("due_at", tzinfo=tz)).values("month")
        .annotate(met=Count("pk", filter=Q(state=Clock.State.MET)),
                  late=Count("pk", filter=Q(state=Clock.State.BREACHED))))}
    out = []
    for month in selectors.months_of(first_month, last_month):
        row = rows.get(month, {})
        met, late = int(row.get("met", 0)), int(row.get("late", 0))
        out.append({"month": month.isoformat(), "on_time": met, "late": late,
                    "rate": str((Decimal(met) / (met + late)).quantize(Decimal("0.0001"))) if met + late else None})
    return out
