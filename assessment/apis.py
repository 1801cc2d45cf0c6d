"""REST API of the figures (SPEC §9, §10; issue 16 point 6): the same selectors and the same access rule as the pages.

* `GET /api/assessment/rulesets/` — the rule sets I may open; `…/{id}/` one, with its rules;
* `…/{id}/ranking/` — per unit over a period, ranked within its group (to a unit's own people: their units'
  figures without a live rank, and the ranking as last issued in a 通报);
* `…/{id}/sheet/?month=YYYY-MM` — the monthly score sheet, with the adoptions by publication and level;
* `…/{id}/drill/?unit=` — a node's figures and each branch below it, summed over its subtree;
* `…/{id}/people/` — per person figures;
* `…/{id}/entries/` — the ledger rows behind a figure (paginated), each naming its cause;
* `GET /api/assessment/entries/{id}/` — one ledger row with its history.

The period is asked as the pages ask it (`period`, `month`, `quarter`, `from`, `to`: assessment.periods). Bad input is
400 naming the parameter; a rule set, unit, area or row the caller may not see is 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from infohub import access, listcache
from infohub.api_errors import ErrorSerializer
from infohub.models import Level, Unit
from infohub.pagination import ApiPagination
from infohub.roles import unit_ids_where

from . import periods, selectors
from .models import Entry, Fact, Group, Pricing, Rule, RuleSet, group_labels

BIGINT = {"min_value": 1, "max_value": 2**63 - 1}
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each parameter and the reason."),
    404: OpenApiResponse(ErrorSerializer, description="No such rule set, unit or row visible to this user."),
}
POINTS = {"max_digits": 12, "decimal_places": 2}


# --- query parameters -------------------------------------------------------------------------------------------


def _month_field(help_text: str) -> serializers.CharField:
    # Text here: the month is read by assessment.periods, the pages' parser, so both accept and refuse the same
    # (2026-3 and 2026-03 alike; a bad one is 400 naming the parameter, from there).
    return serializers.CharField(required=False, allow_blank=True, max_length=20, help_text=help_text)


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=periods.KINDS, required=False,
                                     help_text="month, quarter, year (default) or custom (from–to).")
    month = _month_field("YYYY-MM or YYYY-M, a month of the rule set's year.")
    quarter = serializers.CharField(required=False, allow_blank=True, max_length=4, help_text="1–4 (period=quarter).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = _month_field("YYYY-MM or YYYY-M (period=custom).")
        fields["to"] = _month_field("YYYY-MM or YYYY-M (period=custom).")
        return fields


class UnitQuerySerializer(PeriodQuerySerializer):
    unit = serializers.IntegerField(required=False, help_text="One unit whose figures you see.", **BIGINT)


class SheetQuerySerializer(serializers.Serializer):
    month = _month_field("YYYY-MM or YYYY-M (default: this month, within the rule set's year).")
    page = serializers.IntegerField(required=False, min_value=1, help_text="A page of 100 units (default 1).")


class LedgerQuerySerializer(UnitQuerySerializer):
    area = serializers.IntegerField(required=False, help_text="Every unit within this one (drill-down).", **BIGINT)
    column = serializers.ChoiceField(choices=list(selectors.COLUMN_FACTS), required=False,
                                     help_text="A points column of the sheets (default: points, the total).")
    fact = serializers.ChoiceField(choices=Fact.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False, help_text="Adoptions at this level.")
    ptype = serializers.IntegerField(required=False, help_text="Adoptions in this publication type.", **BIGINT)
    combined = serializers.ChoiceField(choices=["0", "1"], required=False,
                                       help_text="Adoptions: 1 combined or summary, 0 standalone.")
    person = serializers.IntegerField(required=False, help_text="Rows naming this person.", **BIGINT)
    page = serializers.IntegerField(required=False, min_value=1)


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _period(ruleset: RuleSet, wanted: dict) -> selectors.Period:
    asked = {name: str(wanted[name]) for name in periods.PARAMETERS if name in wanted}
    try:
        return periods.period_from(ruleset, asked)
    except ValidationError as error:
        raise serializers.ValidationError(error.message_dict) from None


# --- answers ----------------------------------------------------------------------------------------------------


class FiguresPeriodSerializer(serializers.Serializer):
    first_month = serializers.DateField()
    last_month = serializers.DateField()
    label = serializers.CharField()
    unrepriced_months = serializers.ListField(
        child=serializers.DateField(),
        help_text="Months of the period priced under rules changed since and not re-priced yet (办法已修改，尚未重新计分): "
                  "their figures are as the rules were; facts recorded since are priced under the rules as they are.")


def _period_data(period) -> dict:
    return {"first_month": period.first_month, "last_month": period.last_month, "label": periods.describe(period),
            "unrepriced_months": selectors.unrepriced_months(period.ruleset, period.first_month, period.last_month)}


class RuleSerializer(serializers.ModelSerializer):
    ptype_name = serializers.CharField(source="ptype.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Rule
        fields = ["id", "position", "label", "fact", "level", "ptype", "ptype_name", "combined", "forwarded", "kind",
                  "group", "points", "multiplier", "monthly_cap", "quota", "voids_award"]
        read_only_fields = fields


class RuleSetSerializer(serializers.ModelSerializer):
    office_name = serializers.CharField(source="office.name", read_only=True)

    class Meta:
        model = RuleSet
        fields = ["id", "office", "office_name", "year", "name", "is_active", "effective_from", "counting", "placing",
                  "joint_split", "direct_share", "rewrite_share", "zero_after_ignored", "year_cap", "source"]
        read_only_fields = fields


class RuleSetDetailSerializer(RuleSetSerializer):
    rules = RuleSerializer(many=True, read_only=True)
    live = serializers.SerializerMethodField(help_text="Whether you see every unit's figures, ranked (the "
                                             "assessing office and the offices above it).")

    class Meta(RuleSetSerializer.Meta):
        fields = [*RuleSetSerializer.Meta.fields, "live", "rules"]
        read_only_fields = fields

    def get_live(self, ruleset) -> bool:
        return selectors.sees_live(self.context["request"].user, ruleset)


class FiguresSerializer(serializers.Serializer):
    filed = serializers.IntegerField()
    signed_off = serializers.IntegerField()
    adopted = serializers.IntegerField()
    adopted_combined = serializers.IntegerField()
    adopted_county = serializers.IntegerField()
    adopted_city = serializers.IntegerField()
    adopted_province = serializers.IntegerField()
    adopted_central = serializers.IntegerField()
    instructions = serializers.IntegerField()
    topics_answered = serializers.IntegerField()
    topics_ignored = serializers.IntegerField()
    lapses = serializers.IntegerField()
    points_filing = serializers.DecimalField(**POINTS)
    points_adoption = serializers.DecimalField(**POINTS)
    points_instruction = serializers.DecimalField(**POINTS)
    points_topic = serializers.DecimalField(**POINTS)
    points_lapse = serializers.DecimalField(**POINTS)
    points_other = serializers.DecimalField(**POINTS)
    points = serializers.DecimalField(**POINTS)


GROUP_HELP = ("The unit's group under the rule set's office: district (the party and government offices one level "
              "below), department (the departments of the office's own level), direct (direct-reporting points and "
              "special information officers), other (priced, not ranked at this level).")


class RankingRowSerializer(FiguresSerializer):
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    group = serializers.ChoiceField(choices=Group.choices, help_text=GROUP_HELP)
    group_label = serializers.CharField(help_text="The group as the office's level names it (e.g. 县（市、区）, 市直部门).")
    score = serializers.DecimalField(**POINTS, help_text="Points, 0 for a zeroed year, never above the year cap.")
    rate = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True,
                                    help_text="Adopted ÷ filed (0–1); null when nothing was filed.")
    voids_award = serializers.BooleanField()
    zeroed = serializers.BooleanField()
    rank = serializers.IntegerField(allow_null=True, help_text="Within the group; null for a unit's own people "
                                    "(they see the ranking as issued: `published`) and for a unit of the group "
                                    "`other`, not ranked at this level.")


class PublishedGroupSerializer(serializers.Serializer):
    group = serializers.CharField()
    label = serializers.CharField()
    rows = serializers.ListField(child=serializers.DictField(), help_text="As kept in the issued 通报.")


class PublishedSerializer(serializers.Serializer):
    bulletin = serializers.IntegerField()
    title = serializers.CharField()
    issued_at = serializers.DateTimeField(allow_null=True)
    first_month = serializers.DateField(help_text="The period it was issued for: its first month …")
    last_month = serializers.DateField(help_text="… and its last.")
    groups = PublishedGroupSerializer(many=True)


class RankingSerializer(serializers.Serializer):
    period = FiguresPeriodSerializer()
    live = serializers.BooleanField()
    rows = RankingRowSerializer(many=True)
    published = PublishedSerializer(allow_null=True, help_text="To a unit's own people: the ranking as the office "
                                    "issued it for exactly this period (a month's 通报 for the month, a quarter's for "
                                    "the quarter, the year-end ranking for the year); null when none was issued for it.")


class PublicationUseSerializer(serializers.Serializer):
    ptype_id = serializers.IntegerField()
    ptype_name = serializers.CharField()
    level = serializers.CharField()
    uses = serializers.IntegerField()
    combined = serializers.IntegerField()
    standalone = serializers.IntegerField()
    points = serializers.DecimalField(**POINTS)


class SheetRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    group = serializers.ChoiceField(choices=Group.choices, help_text=GROUP_HELP)
    group_label = serializers.CharField(help_text="The group as the office's level names it.")
    filed = serializers.IntegerField(help_text="Filed this month.")
    filed_year = serializers.IntegerField(help_text="Filed this year up to the month.")
    adopted = serializers.IntegerField()
    adopted_standalone = serializers.IntegerField()
    adopted_combined = serializers.IntegerField()
    adopted_county = serializers.IntegerField()
    adopted_city = serializers.IntegerField()
    adopted_province = serializers.IntegerField()
    adopted_central = serializers.IntegerField()
    points_filing = serializers.DecimalField(**POINTS)
    points_adoption = serializers.DecimalField(**POINTS)
    points_instruction = serializers.DecimalField(**POINTS)
    points_topic = serializers.DecimalField(**POINTS)
    points_lapse = serializers.DecimalField(**POINTS)
    points_other = serializers.DecimalField(**POINTS, help_text="Quota deductions, 挂钩分, overdue follow-ups, "
                                            "adjustments.")
    points_month = serializers.DecimalField(**POINTS, help_text="The sum of the six points columns before it.")
    points_year = serializers.DecimalField(**POINTS)
    zeroed = serializers.BooleanField()
    by_publication = PublicationUseSerializer(many=True)


class SheetColumnSerializer(serializers.Serializer):
    level = serializers.CharField()
    level_label = serializers.CharField()
    ptype_id = serializers.IntegerField()
    ptype_name = serializers.CharField()


class SheetSerializer(serializers.Serializer):
    period = FiguresPeriodSerializer()
    columns = SheetColumnSerializer(many=True, help_text="The publications and levels the sheet's units were adopted "
                                    "in this month (分刊物、分层级采用): the whole sheet's, the same on every page; a "
                                    "row's `by_publication` holds its uses among them.")
    count = serializers.IntegerField(help_text="Units on the sheet, on every page.")
    next = serializers.URLField(allow_null=True, help_text="The next page (`page=`), or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    rows = SheetRowSerializer(many=True, help_text="One page of units (100), by group and place in the tree.")


class SheetPagination(ApiPagination):
    """A sheet's page: as many units as the page shows (a province's sheet runs to hundreds of units)."""

    page_size = 100


class DrillRowSerializer(FiguresSerializer):
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    children = serializers.BooleanField(help_text="Whether it has units below (drill further with unit=).")
    units = serializers.IntegerField(help_text="Units counted in the sums.")


class DrillSerializer(serializers.Serializer):
    period = FiguresPeriodSerializer()
    node = DrillRowSerializer(help_text="The node's own figures.")
    branches = DrillRowSerializer(many=True)


class PersonRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    person_name = serializers.CharField()
    filed = serializers.IntegerField()
    signed_off = serializers.IntegerField()
    adopted_county = serializers.IntegerField()
    adopted_city = serializers.IntegerField()
    adopted_province = serializers.IntegerField()
    adopted_central = serializers.IntegerField()
    adopted = serializers.IntegerField()
    points = serializers.DecimalField(**POINTS)


class PeopleSerializer(serializers.Serializer):
    period = FiguresPeriodSerializer()
    rows = PersonRowSerializer(many=True)


class PricingSerializer(serializers.ModelSerializer):
    requested_by_name = serializers.CharField(source="requested_by", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Pricing
        fields = ["id", "kind", "first_month", "last_month", "reason", "requested_by", "requested_by_name",
                  "requested_at", "state"]
        read_only_fields = fields


class LedgerRowSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    person_name = serializers.CharField(source="person", read_only=True, default=None, allow_null=True)
    rule_label = serializers.CharField(source="rule.label", read_only=True, default=None, allow_null=True)
    cause_type = serializers.CharField(source="cause_type.model", read_only=True)
    cause_label = serializers.SerializerMethodField()
    cause_url = serializers.SerializerMethodField(help_text="The cause's page, where you may open it.")
    current = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = ["id", "month", "unit", "unit_name", "person", "person_name", "fact", "cause_type", "cause_id",
                  "cause_label", "cause_url", "item", "rule", "rule_label", "share", "points", "basis", "occurred_at",
                  "voids_award", "pricing", "superseded_by", "current"]
        read_only_fields = fields

    def _cause(self, entry):
        return self.context["causes"].get(entry.pk)

    def get_cause_label(self, entry) -> str:
        cause = self._cause(entry)
        return cause.label if cause else entry.get_fact_display()

    def get_cause_url(self, entry) -> str | None:
        cause = self._cause(entry)
        return cause.url if cause else None

    def get_current(self, entry) -> bool:
        return entry.superseded_by_id is None


class HistoryRowSerializer(serializers.ModelSerializer):
    rule_label = serializers.CharField(source="rule.label", read_only=True, default=None, allow_null=True)
    pricing = PricingSerializer(read_only=True)
    superseded_by = PricingSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Entry
        fields = ["id", "points", "share", "basis", "rule", "rule_label", "pricing", "superseded_by"]
        read_only_fields = fields


class LedgerRowDetailSerializer(LedgerRowSerializer):
    history = serializers.SerializerMethodField()

    class Meta(LedgerRowSerializer.Meta):
        fields = [*LedgerRowSerializer.Meta.fields, "history"]
        read_only_fields = fields

    @extend_schema_field(HistoryRowSerializer(many=True))
    def get_history(self, entry) -> list[dict]:
        return HistoryRowSerializer(self.context["history"], many=True).data


# --- views ------------------------------------------------------------------------------------------------------


def _seen(user, ruleset: RuleSet) -> list[int] | None:
    return selectors.figures_scope(user, ruleset)


@extend_schema(tags=["assessment"])
class RuleSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rule sets whose figures I may open, and their figures."""

    queryset = RuleSet.objects.none()
    serializer_class = RuleSetSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.rulesets_for(self.request.user)

    def get_object(self):
        return selectors.ruleset_for(self.request.user, self.kwargs["pk"])

    @extend_schema(summary="Rule sets whose figures I may open (newest year first)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One rule set, with its rules", responses={200: RuleSetDetailSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        ruleset = self.get_object()
        ruleset = RuleSet.objects.prefetch_related("rules__ptype").select_related("office").get(pk=ruleset.pk)
        return Response(RuleSetDetailSerializer(ruleset, context={"request": request}).data)

    @extend_schema(summary="Per unit over a period, ranked within its group", parameters=[PeriodQuerySerializer],
                   responses={200: RankingSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        ruleset = self.get_object()
        period = _period(ruleset, _query(PeriodQuerySerializer, request))
        live = selectors.sees_live(request.user, ruleset)
        rows = selectors.ranking(period, unit_ids=_seen(request.user, ruleset))
        published = None
        if not live:
            for row in rows:
                row["rank"] = None
            issued = selectors.published_ranking(request.user, period)  # for exactly this period, as the page
            if issued:
                bulletin = issued["bulletin"]
                published = {"bulletin": bulletin.pk, "title": bulletin.title, "issued_at": bulletin.issued_at,
                             "first_month": bulletin.first_month, "last_month": bulletin.last_month,
                             "groups": issued["groups"]}
        return Response(RankingSerializer({"period": _period_data(period), "live": live, "rows": rows,
                                           "published": published}).data)

    @extend_schema(summary="The monthly score sheet (SPEC §9 columns) of the units I see",
                   parameters=[SheetQuerySerializer], responses={200: SheetSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def sheet(self, request, pk=None):
        ruleset = self.get_object()
        wanted = _query(SheetQuerySerializer, request)
        period = _period(ruleset, {"period": "month", "month": wanted.get("month")
                                   or f"{periods.last_month_with_figures(ruleset):%Y-%m}"})
        seen = _seen(request.user, ruleset)

        def answer() -> dict:
            paginator = SheetPagination()
            rows = paginator.paginate_queryset(selectors.monthly_sheet(ruleset, period.first_month, unit_ids=seen),
                                               request, view=self)
            uses: dict[int, list] = {}
            for use in selectors.adopted_by_publication(period, unit_ids=[row["unit_id"] for row in rows]):
                uses.setdefault(use["unit_id"], []).append(use)
            labels = group_labels(ruleset.office.level)
            rows = [{**row, "group_label": labels.get(row["group"], row["group"]), "zeroed": row["zeroed_months"] > 0,
                     "by_publication": uses.get(row["unit_id"], [])} for row in rows]
            columns = [{**column, "level_label": Level(column["level"]).label}
                       for column in selectors.sheet_publication_columns(period, unit_ids=seen)]
            return SheetSerializer({"period": _period_data(period), "columns": columns,
                                    "count": paginator.page.paginator.count,
                                    "next": paginator.get_next_link(), "previous": paginator.get_previous_link(),
                                    "rows": rows}).data

        # Kept like the page's table (infohub.listcache) until a pricing run of the rule set changes its figures.
        return Response(listcache.rendered(
            "assessment-sheet-api-v3", [selectors.figures_scope_name(ruleset), listcache.NAMES],
            (ruleset.pk, period.first_month, "live" if seen is None else tuple(sorted(seen)), request.get_host(),
             *listcache.reader_key(request)), answer))

    @extend_schema(summary="A node's figures and each branch below it, summed over its subtree",
                   parameters=[UnitQuerySerializer], responses={200: DrillSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def drill(self, request, pk=None):
        ruleset = self.get_object()
        wanted = _query(UnitQuerySerializer, request)
        user = request.user
        if wanted.get("unit"):
            node = Unit.objects.filter(pk=wanted["unit"]).first()
            if node is None or not selectors.may_drill(user, ruleset, node):
                raise Http404
        else:
            candidates = [ruleset.office, *Unit.objects.filter(pk__in=unit_ids_where(user)).order_by("path")]
            node = next((unit for unit in candidates if selectors.may_drill(user, ruleset, unit)), None)
            if node is None:
                raise Http404
        period = _period(ruleset, wanted)
        rows = selectors.drill_down(period, node, unit_ids=_seen(user, ruleset))
        return Response(DrillSerializer({"period": _period_data(period), "node": rows[0],
                                         "branches": [row for row in rows[1:] if row["units"]]}).data)

    @extend_schema(summary="Per person figures (filed, signed off, adopted per level, points)",
                   parameters=[UnitQuerySerializer], responses={200: PeopleSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def people(self, request, pk=None):
        ruleset = self.get_object()
        wanted = _query(UnitQuerySerializer, request)
        unit = selectors.unit_for(request.user, ruleset, wanted["unit"]) if wanted.get("unit") else None
        period = _period(ruleset, wanted)
        rows = selectors.person_stats(period, unit_ids=[unit.pk] if unit else _seen(request.user, ruleset))
        return Response(PeopleSerializer({"period": _period_data(period), "rows": rows}).data)

    @extend_schema(summary="The ledger rows behind a figure (current rows; each names its cause and rule)",
                   parameters=[LedgerQuerySerializer], responses={200: LedgerRowSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def entries(self, request, pk=None):
        ruleset = self.get_object()
        wanted = _query(LedgerQuerySerializer, request)
        user = request.user
        unit = selectors.unit_for(user, ruleset, wanted["unit"]) if wanted.get("unit") else None
        area = None
        if wanted.get("area"):
            area = Unit.objects.filter(pk=wanted["area"]).first()
            if area is None or not selectors.may_drill(user, ruleset, area):
                raise Http404
        if unit is not None:
            unit_ids = [unit.pk]
        elif area is not None:  # the drill-down opens an area only to those who see every figure within it
            unit_ids = list(Unit.objects.filter(path__startswith=area.path).values_list("pk", flat=True))
        else:
            unit_ids = _seen(user, ruleset)
        period = _period(ruleset, wanted)
        combined = wanted.get("combined")
        rows = access.visible(user, selectors.ledger_rows(
            period, unit_ids=unit_ids,
            column=wanted.get("column", "points"), fact=wanted.get("fact"), level=wanted.get("level"),
            ptype=wanted.get("ptype"), combined=None if combined is None else combined == "1",
            person=wanted.get("person")))
        page = self.paginate_queryset(rows)
        causes = selectors.causes_of(user, page)
        return self.get_paginated_response(LedgerRowSerializer(page, many=True, context={"causes": causes}).data)


@extend_schema(tags=["assessment"])
class EntryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One ledger row, with its history."""

    queryset = Entry.objects.none()
    serializer_class = LedgerRowDetailSerializer
    filter_backends = []

    @extend_schema(summary="One ledger row with its history (every row written for its cause and unit, and the "
                   "pricing runs that wrote and superseded them)",
                   responses={200: LedgerRowDetailSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        user = request.user
        entry = access.get_visible(user, Entry.objects.select_related("unit", "rule", "person", "cause_type"),
                                   self.kwargs["pk"])
        history = access.visible(user, selectors.history_of(entry)).select_related(
            "pricing__requested_by", "superseded_by__requested_by")
        return Response(LedgerRowDetailSerializer(entry, context={
            "causes": selectors.causes_of(user, [entry]), "history": list(history)}).data)
