"""Pages of the figures (SPEC §9, issue 16 points 3 and 5): the rule sets a person may open, a rule set's overview for a
period (the ranking per group, marks for lost award eligibility and zeroed years, charts), the monthly score sheet,
one unit's figures, the drill-down from the office to its branches, per-person figures, the ledger rows behind any
figure and one row with its history. Thin: parse the period (assessment.periods), ask the selectors — who sees what is
the access rule's (assessment.selectors → infohub.access) — render. Bad parameters answer 400 with the reason beside
the chooser; an id the person may not see answers 404."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from infohub import access, listcache, params
from infohub.models import Level, Unit
from infohub.roles import unit_ids_where

from . import charts, periods, selectors
from .models import RANKED_GROUPS, Entry, Fact, Group, RuleSet, group_labels

LEDGER_PAGE = 50
GROUP_PAGE = 100  # ranking rows of a group shown at once
SHEET_PAGE = 100
PEOPLE_PAGE = 100
LEVELS = ("county", "city", "province", "central")
# Counts on the sheets open the rows of the fact they count.
COUNT_FACTS = {"filed": Fact.FILED, "signed_off": Fact.FILED, "adopted": Fact.ADOPTED,
               "adopted_combined": Fact.ADOPTED, "instructions": Fact.INSTRUCTION,
               "topics_answered": Fact.TOPIC_ANSWERED, "topics_ignored": Fact.TOPIC_IGNORED, "lapses": Fact.LAPSE}


def column_labels() -> dict[str, str]:
    return {
        "points": _("Score"), "points_filing": _("Filing points"), "points_adoption": _("Adoption points"),
        "points_instruction": _("Instruction points"), "points_topic": _("Topic request points"),
        "points_lapse": _("Lapse deductions"), "points_other": _("Other points"),
    }


def _period_or_errors(ruleset: RuleSet, request):
    """(Period, None) from the query string, or (the whole year, {parameter: [reasons]}) when it asks for nonsense."""
    try:
        return periods.period_from(ruleset, request.GET), None
    except ValidationError as error:
        return periods.period_from(ruleset, {}), error.message_dict


def _chooser(ruleset: RuleSet, period, request, errors) -> dict:
    """What the period chooser needs to show what was asked (kept as typed, even when wrong)."""
    asked = periods.query_of(period)
    return {
        "kind": request.GET.get("period") or asked["period"],
        "month": request.GET.get("month") or f"{period.last_month:%Y-%m}",
        "quarter": request.GET.get("quarter") or asked.get("quarter", "1"),
        "from": request.GET.get("from") or f"{period.first_month:%Y-%m}",
        "to": request.GET.get("to") or f"{period.last_month:%Y-%m}",
        "year": ruleset.year, "errors": errors or {},
        "kinds": [("month", pgettext("period", "Month")), ("quarter", _("Quarter")), ("year", _("Year")),
                  ("custom", _("Custom months"))],
        "quarters": [("1", _("Q1")), ("2", _("Q2")), ("3", _("Q3")), ("4", _("Q4"))],
    }


def _base(request, ruleset: RuleSet, period, errors, **more) -> dict:
    return {"ruleset": ruleset, "period": period, "period_label": periods.describe(period),
            "pq": periods.query_of(period), "pq_string": urlencode(periods.query_of(period)),
            "chooser": _chooser(ruleset, period, request, errors),
            "live": selectors.sees_live(request.user, ruleset), **_unrepriced(ruleset, period), **more}


def _unrepriced(ruleset: RuleSet, period) -> dict:
    """What the pages say of the period's months priced under rules changed since ("办法已修改，尚未重新计分")."""
    months = selectors.unrepriced_months(ruleset, period.first_month, period.last_month)
    if not months:
        return {"unrepriced": None}
    change = selectors.rules_change(ruleset)
    return {"unrepriced": {"months": "、".join(_("Month %(month)d") % {"month": m.month} for m in months),
                           "who": change["who"] if change else "", "at": change["at"] if change else None}}


def _mark_behind(period, rows: list[dict], *, by=("unit_id",), under=None, key=lambda row: (row["unit_id"],)) -> None:
    """Give each figures row its `behind`: the facts with ledger rows behind its figures (selectors.facts_behind), so
    a figure links only where its ledger has rows (a count the rule set does not price is a plain number)."""
    if not rows:
        return
    units = None if under is not None else sorted({row["unit_id"] for row in rows})
    found = selectors.facts_behind(period, unit_ids=units, by=by, under=under)
    for row in rows:
        row["behind"] = found.get(key(row), frozenset())


def _svg(chart) -> str:
    return mark_safe(chart.svg())  # matplotlib escapes the text it draws, Chart.svg its title


@login_required
def index(request):
    """The rule sets whose figures the person may open, newest year first."""
    rulesets = list(selectors.rulesets_for(request.user))
    return render(request, "assessment/index.html", {"rulesets": rulesets})


@login_required
def overview(request, pk):
    """A rule set's figures for a period: to those who see it live, the ranking of every unit per group; to a unit's
    own people, their units' figures and the ranking as the office last issued it. Charts beside them."""
    ruleset = selectors.ruleset_for(request.user, pk)
    period, errors = _period_or_errors(ruleset, request)
    context = _base(request, ruleset, period, errors)
    if errors:
        return render(request, "assessment/overview.html", context, status=400)
    seen = selectors.figures_scope(request.user, ruleset)
    rows = selectors.ranking(period, unit_ids=seen)
    live = context["live"]
    only = request.GET.get("group") if request.GET.get("group") in Group.values else None
    if not live:
        for row in rows:  # a unit's own people see where it stands only as the office published it
            row["rank"] = None
    # the ranking as issued for exactly this period (a month's 通报 is no ranking of the year); else where one was
    published = None if live else selectors.published_ranking(request.user, period)
    issued = [] if live or published else [
        {**found, "pq_string": urlencode(periods.query_of(found["period"])),
         "label": periods.describe(found["period"])} for found in selectors.issued_rankings(request.user, ruleset)]
    labels = group_labels(ruleset.office.level)
    groups = []
    # the ranked groups, then the units of the jurisdiction not ranked at the office's level (figures, no rank)
    for group in [*selectors.GROUP_ORDER, *sorted({row["group"] for row in rows} - set(selectors.GROUP_ORDER))]:
        members = [row for row in rows if row["group"] == group]
        if not members or (only and group != only):
            continue
        ranked = group in RANKED_GROUPS
        # bars of a group scoring nothing (every score 0) would only draw an empty axis: a note says so instead
        drawn = live and ranked and charts.worth_drawing(members)
        chart = charts.ranking_bars(members, top=15, title=_("%(group)s: ranking by score") % {
            "group": labels.get(group, group)}) if drawn else None
        # a province's groups run to thousands of units: the first rows here, every row a page at a time in the group
        page = Paginator(members, GROUP_PAGE).get_page(params.page(request.GET.get("page")) if only else 1)
        groups.append({"group": group, "label": labels.get(group, group), "ranked": ranked, "rows": page.object_list,
                       "page": page, "more": not only and page.has_next(), "count": len(members),
                       "chart": _svg(chart) if chart else None, "all_zero": live and ranked and not drawn})
    _mark_behind(period, [row for table in groups for row in table["rows"]])
    mine = set(unit_ids_where(request.user))
    if published:
        for table in published["groups"]:
            table["label"] = table["label"] or labels.get(table["group"], table["group"])
            highlight = next((row.get("unit_id") for row in table["rows"] if row.get("unit_id") in mine), None)
            table["all_zero"] = not charts.worth_drawing(table["rows"])
            table["chart"] = None if table["all_zero"] else _svg(charts.ranking_bars(
                table["rows"], highlight=highlight, top=15, title=_("%(group)s: ranking as issued") % {
                    "group": table["label"]}))
            table["mine"] = mine
    own = [row for row in rows if row["unit_id"] in mine]
    median_chart = None
    # The group's median is drawn from every unit's live figures: before a 通报 is issued only those who see the live
    # ranking see it (in a small group a median is another unit's own score). A unit not ranked here has none.
    if len(own) == 1 and context["live"] and own[0]["group"] in RANKED_GROUPS:
        unit = Unit.objects.get(pk=own[0]["unit_id"])
        median_chart = _svg(charts.against_median(selectors.against_median(period, unit), unit_name=unit.name))
    context.update({
        "groups": groups, "published": published, "issued": issued, "levels": LEVELS, "level_labels": charts.level_labels(),
        "adoptions_chart": _svg(charts.adoptions_per_month(selectors.adoptions_by_month(period, unit_ids=seen))),
        "on_time_chart": _svg(charts.on_time_rate(selectors.on_time_by_month(
            period.first_month, period.last_month, unit_ids=seen, ruleset=ruleset))),
        "median_chart": median_chart, "only": only,
        "lost": [row for row in rows if row["voids_award"] or row["zeroed"]],
    })
    return render(request, "assessment/overview.html", context)


@login_required
def sheet(request, pk):
    """The monthly score sheet (SPEC §9) of the units the person sees: filed this month and this year, adopted by
    publication and level (standalone / combined), filing and adoption points, the month's and the year's totals."""
    ruleset = selectors.ruleset_for(request.user, pk)
    errors = None
    try:
        month = periods.parse_month(request.GET.get("month") or f"{periods.last_month_with_figures(ruleset):%Y-%m}",
                                    name="month", year=ruleset.year)
    except ValidationError as error:
        errors, month = error.message_dict, periods.last_month_with_figures(ruleset)
    period = selectors.Period(ruleset, month, month)
    context = _base(request, ruleset, period, errors, month=month,
                    months=[dt.date(ruleset.year, m, 1) for m in range(1, 13)])
    if errors:
        return render(request, "assessment/sheet.html", context, status=400)
    seen = selectors.figures_scope(request.user, ruleset)

    def table() -> str:
        page = Paginator(selectors.monthly_sheet(ruleset, month, unit_ids=seen), SHEET_PAGE).get_page(
            params.page(request.GET.get("page")))
        rows = list(page.object_list)
        # the columns are the whole sheet's (every unit seen, this month), so each page has the same header
        columns = selectors.sheet_publication_columns(period, unit_ids=seen)
        uses = selectors.adopted_by_publication(period, unit_ids=[row["unit_id"] for row in rows])
        cells = {(use["unit_id"], use["level"], use["ptype_id"]): use for use in uses}
        for row in rows:
            row["by_publication"] = [{"level": c["level"], "ptype_id": c["ptype_id"],
                                      "use": cells.get((row["unit_id"], c["level"], c["ptype_id"]))}
                                     for c in columns]
        return render_to_string("assessment/_sheet_table.html", {
            **context, "rows": rows, "page": page,
            "columns": [{"level": c["level"], "level_label": Level(c["level"]).label, "ptype_id": c["ptype_id"],
                         "name": c["ptype_name"]} for c in columns],
            "year_query": {"period": "custom", "from": f"{month:%Y}-01", "to": f"{month:%Y-%m}"}}, request=request)

    # The table is kept (infohub.listcache) until a pricing run of the rule set changes its figures: a sheet is asked
    # for again and again between the runs, and drawing it is most of the page's cost.
    context["table"] = mark_safe(listcache.rendered(
        "assessment-sheet-v3", [selectors.figures_scope_name(ruleset), listcache.NAMES],
        (ruleset.pk, month, "live" if seen is None else tuple(sorted(seen)), *listcache.reader_key(request)), table))
    return render(request, "assessment/sheet.html", context)


@login_required
def unit_detail(request, pk, unit_pk):
    """One unit's figures under the rule set: month by month over the period, adopted by publication, its people,
    and charts (adoptions per month, the unit against its group's median, its emergency reports on time)."""
    ruleset = selectors.ruleset_for(request.user, pk)
    unit = selectors.unit_for(request.user, ruleset, unit_pk)
    period, errors = _period_or_errors(ruleset, request)
    context = _base(request, ruleset, period, errors, unit=unit)
    if errors:
        return render(request, "assessment/unit.html", context, status=400)
    [total] = selectors.ranking(period, unit_ids=[unit.pk]) or [None]
    if total and not context["live"]:
        total["rank"] = None
    months = selectors.unit_months(period, unit)
    for row in months:
        row["pq"] = periods.query_of(selectors.Period(ruleset, row["month"], row["month"]))
        row["unit_id"] = unit.pk
    _mark_behind(period, months, by=("month",), key=lambda row: (row["month"],))
    if total:
        total["behind"] = frozenset().union(*(row["behind"] for row in months))
    context.update({
        "total": total, "months": months,
        "uses": selectors.adopted_by_publication(period, unit_ids=[unit.pk]),
        "people": selectors.person_stats(period, unit_ids=[unit.pk]),
        "adoptions_chart": _svg(charts.adoptions_per_month(selectors.adoptions_by_month(period, unit_ids=[unit.pk]))),
        "median_chart": _svg(charts.against_median(selectors.against_median(period, unit), unit_name=unit.name))
        # the group's live median (see the overview); a unit not ranked at this level has none
        if context["live"] and (total is None or total["group"] in RANKED_GROUPS) else None,
        "on_time_chart": _svg(charts.on_time_rate(selectors.on_time_by_month(
            period.first_month, period.last_month, unit_ids=[unit.pk]))),
        "may_drill": selectors.may_drill(request.user, ruleset, unit) and Unit.objects.filter(parent=unit).exists(),
    })
    return render(request, "assessment/unit.html", context)


@login_required
def drill(request, pk):
    """The figures of a node and of each branch below it, each branch summed over its subtree; a branch with units
    below links down, a unit to its own page. `unit`: the node (default: the assessing office, or the person's own
    office unit)."""
    ruleset = selectors.ruleset_for(request.user, pk)
    user = request.user
    if request.GET.get("unit"):
        node = Unit.objects.filter(pk=params.object_id(request.GET["unit"])).first()
        if node is None or not selectors.may_drill(user, ruleset, node):
            raise Http404
    else:
        candidates = [ruleset.office, *Unit.objects.filter(pk__in=unit_ids_where(user)).order_by("path")]
        node = next((unit for unit in candidates if selectors.may_drill(user, ruleset, unit)), None)
        if node is None:
            raise Http404
    period, errors = _period_or_errors(ruleset, request)
    context = _base(request, ruleset, period, errors, node=node, keep_unit=[("unit", node.pk)])
    if errors:
        return render(request, "assessment/drill.html", context, status=400)
    seen = selectors.figures_scope(user, ruleset)
    rows = selectors.drill_down(period, node, unit_ids=seen)
    head, branches = rows[0], [row for row in rows[1:] if row["units"]]
    _mark_behind(period, branches, under=node)
    _mark_behind(period, [head])
    for row in branches:
        row["own_page"] = seen is None or row["unit_id"] in seen
    trail = [unit for unit in Unit.objects.filter(pk__in=[int(p) for p in node.path.strip("/").split("/")])
             .order_by("path") if unit.path.startswith(ruleset.office.path)]
    context.update({"head": head, "branches": branches, "trail": trail, "node_own_page": seen is None or node.pk in seen})
    return render(request, "assessment/drill.html", context)


@login_required
def people(request, pk):
    """Per person figures over the period (filed, signed off, adopted per level, points) for the units the person
    sees, or for one of them (`unit`)."""
    ruleset = selectors.ruleset_for(request.user, pk)
    unit = selectors.unit_for(request.user, ruleset, request.GET["unit"]) if request.GET.get("unit") else None
    period, errors = _period_or_errors(ruleset, request)
    context = _base(request, ruleset, period, errors, unit=unit, keep_unit=[("unit", unit.pk)] if unit else [])
    if errors:
        return render(request, "assessment/people.html", context, status=400)
    seen = [unit.pk] if unit else selectors.figures_scope(request.user, ruleset)
    page = Paginator(selectors.person_stats(period, unit_ids=seen), PEOPLE_PAGE).get_page(
        params.page(request.GET.get("page")))
    rows = list(page.object_list)
    names = dict(Unit.objects.filter(pk__in={row["unit_id"] for row in rows}).values_list("pk", "name"))
    for row in rows:
        row["unit_name"] = names.get(row["unit_id"], "")
    _mark_behind(period, rows, by=("unit_id", "person_id"), key=lambda row: (row["unit_id"], row["person_id"]))
    context.update({"rows": rows, "page": page})
    return render(request, "assessment/people.html", context)


def _ledger_filters(request) -> tuple[dict, dict]:
    """The ledger's filters from the query string: ({column, fact, level, ptype, combined, person},
    {parameter: [reasons]})."""
    errors = {}
    filters = {"column": "points", "fact": None, "level": None, "ptype": None, "combined": None, "person": None}
    column = request.GET.get("column") or "points"
    if column not in selectors.COLUMN_FACTS:
        errors["column"] = [_("No such figure.")]
    else:
        filters["column"] = column
    fact = request.GET.get("fact")
    if fact:
        if fact in Fact.values:
            filters["fact"] = fact
        else:
            errors["fact"] = [_("No such fact.")]
    level = request.GET.get("level")
    if level:
        if level in Level.values:
            filters["level"] = level
        else:
            errors["level"] = [_("No such level.")]
    if request.GET.get("ptype"):
        filters["ptype"] = params.object_id(request.GET["ptype"])
        if filters["ptype"] is None:
            errors["ptype"] = [_("No such publication.")]
    if request.GET.get("person"):
        filters["person"] = params.object_id(request.GET["person"])
        if filters["person"] is None:
            errors["person"] = [_("No such person.")]
    combined = request.GET.get("combined")
    if combined:
        if combined in ("1", "0"):
            filters["combined"] = combined == "1"
        else:
            errors["combined"] = [_("Write 1 (combined) or 0 (standalone).")]
    return filters, errors


@login_required
def ledger(request, pk):
    """The current ledger rows behind a figure (SPEC §9: "every total can be explained line by line"): of one unit
    (`unit`) or of every unit the person sees, over the period, for one column or fact (and for adoptions one level,
    publication, standalone or combined). Each row names its cause (linked where the person may open it), the rule
    that priced it, how it was worked out and its points, and opens to its history."""
    ruleset = selectors.ruleset_for(request.user, pk)
    user = request.user
    unit = selectors.unit_for(user, ruleset, request.GET["unit"]) if request.GET.get("unit") else None
    area = None
    if request.GET.get("area"):
        area = Unit.objects.filter(pk=params.object_id(request.GET["area"])).first()
        if area is None or not selectors.may_drill(user, ruleset, area):
            raise Http404
    period, errors = _period_or_errors(ruleset, request)
    filters, filter_errors = _ledger_filters(request)
    errors = {**(errors or {}), **filter_errors} or None
    keep = [(name, request.GET[name]) for name in ("unit", "area", "column", "fact", "level", "ptype", "combined",
                                                   "person") if request.GET.get(name)]
    context = _base(request, ruleset, period, errors, unit=unit, area=area, filters=filters, keep=keep,
                    column_label=column_labels().get(filters["column"], ""),
                    fact_label=Fact(filters["fact"]).label if filters["fact"] else "",
                    level_label=Level(filters["level"]).label if filters["level"] else "")
    if errors:
        return render(request, "assessment/ledger.html", context, status=400)
    if unit is not None:
        unit_ids = [unit.pk]
    elif area is not None:  # the drill-down opens an area only to those who see every figure within it
        unit_ids = list(Unit.objects.filter(path__startswith=area.path).values_list("pk", flat=True))
    else:
        unit_ids = selectors.figures_scope(user, ruleset)
    rows = access.visible(user, selectors.ledger_rows(period, unit_ids=unit_ids, **filters))
    total = selectors.points_of(rows)
    page = Paginator(rows, LEDGER_PAGE).get_page(params.page(request.GET.get("page")))
    causes = selectors.causes_of(user, page.object_list)
    context.update({"page": page, "total": total,
                    "rows": [{"entry": entry, "cause": causes[entry.pk]} for entry in page.object_list]})
    return render(request, "assessment/ledger.html", context)


@login_required
def entry_detail(request, pk):
    """One ledger row: its cause, rule, basis and points, and its history — every row ever written for the same cause
    and unit under the rule set, with the pricing run that wrote it and the one that superseded it (who, when, why)."""
    entry = access.get_visible(request.user, Entry.objects.select_related(
        "ruleset__office", "unit", "rule", "person", "pricing__requested_by", "superseded_by__requested_by",
        "cause_type", "item"), pk)
    history = list(access.visible(request.user, selectors.history_of(entry)).select_related(
        "pricing__requested_by", "superseded_by__requested_by"))
    period = selectors.Period(entry.ruleset, entry.month, entry.month)
    return render(request, "assessment/entry.html", {
        "entry": entry, "cause": selectors.causes_of(request.user, [entry])[entry.pk], "history": history,
        "ruleset": entry.ruleset, "pq": periods.query_of(period), "period_label": periods.describe(period)})
