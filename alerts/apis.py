"""REST API of the emergency rules: the same services, selectors and scoping as the pages."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from infohub import params
from infohub.models import Unit
from submissions.apis import ERRORS
from submissions.models import validate_event_time
from submissions.selectors import item_for

from . import selectors, services
from .models import Chase, Clock, Lapse


class ClockSerializer(serializers.ModelSerializer):
    item_title = serializers.CharField(source="item.title", read_only=True, default=None)
    office_name = serializers.CharField(source="office.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = Clock
        fields = [
            "id", "kind", "item", "item_title", "chase", "office", "office_name", "level", "unit", "unit_name",
            "started_at", "due_at", "seconds_left", "state", "stopped_at", "stopped_by", "breached_at",
            "acknowledged_at", "acknowledged_by", "note", "quarantined_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_seconds_left(self, clock) -> float:
        from django.utils import timezone

        return round((clock.due_at - timezone.now()).total_seconds(), 1)


class PhoneReportSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Who called and what they reported.")


class EventTimeField(serializers.DateTimeField):
    """A time an event happened: as an emergency report's event time, not in the future and not older than
    INFOHUB_EVENT_TIME_MAX_AGE_DAYS. A time whose conversion to Beijing time or UTC overflows (year 1 or 9999
    written with or without a zone) is refused like any other (DRF lets that OverflowError through)."""

    def __init__(self, **kwargs):
        super().__init__(validators=[validate_event_time], **kwargs)

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class ChaseSerializer(serializers.ModelSerializer):
    event_time = EventTimeField(required=False, allow_null=True,
                                help_text="When the event happened, as far as is known (optional).")
    minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False, write_only=True,
                                       help_text="The unit must report within this many minutes.")
    office = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())

    class Meta:
        model = Chase
        fields = ["id", "office", "unit", "channel", "summary", "event_time", "minutes", "due_at", "state", "item",
                  "recorded_by", "created_at"]
        read_only_fields = ["due_at", "state", "item", "recorded_by", "created_at"]


class LapseKindField(serializers.ChoiceField):
    """A lapse's kind: any of the four when read; by hand only false (误报) and concealed (瞒报), since late and missed
    reports are recorded by the clocks."""

    def __init__(self, **kwargs):
        super().__init__(choices=[Lapse.Kind.FALSE, Lapse.Kind.CONCEALED], **kwargs)

    def to_representation(self, value):
        return value  # late/missed come from the clocks; the write choices are narrower


class LapseKindFieldExtension(OpenApiSerializerFieldExtension):
    """The schema of LapseKindField: all four kinds in an answer, the two recorded by hand in a request."""

    target_class = LapseKindField

    def map_serializer_field(self, auto_schema, direction):
        kinds = Lapse.Kind.values if direction == "response" else [Lapse.Kind.FALSE, Lapse.Kind.CONCEALED]
        return {"type": "string", "enum": list(kinds)}


class LapseSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", min_value=1, max_value=params.BIGINT_MAX,
                                    help_text="The item received by one of your offices.")
    kind = LapseKindField(help_text="Any of the four when read; by hand only false (误报) and concealed (瞒报): late "
                                    "and missed reports are recorded by the clocks.")
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Lapse
        fields = ["id", "kind", "unit", "unit_name", "person", "item", "clock", "chase", "reason", "recorded_by",
                  "created_at"]
        read_only_fields = ["unit", "person", "clock", "chase", "recorded_by", "created_at"]


@extend_schema(tags=["alerts"])
class ClockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The urgent queue: every open deadline of my duty offices, least time left first."""

    queryset = Clock.objects.none()
    serializer_class = ClockSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.urgent_queue(self.request.user)

    def get_object(self):
        read = "api" if self.request.method == "GET" else None  # what an action answers is not a read of it
        return selectors.clock_for(self.request.user, self.kwargs["pk"], read=read)

    @extend_schema(summary="Acknowledge (签收) an emergency", request=None, responses={200: ClockSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        clock = services.acknowledge(actor=request.user, clock=self.get_object())
        return Response(ClockSerializer(clock).data)

    @extend_schema(summary="Log a phone report (电话报告); answers with the clock for the written report",
                   request=PhoneReportSerializer, responses={201: ClockSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="phone-report")
    def phone_report(self, request, pk=None):
        clock = self.get_object()  # 404 for a clock the user may not see, whatever the body
        body = PhoneReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        written = services.phone_report(actor=request.user, clock=clock, note=body.validated_data["note"])
        return Response(ClockSerializer(written).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["alerts"])
class ChaseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Chases (催报): events a duty officer learned of another way, and whether the unit reported them."""

    queryset = Chase.objects.none()
    serializer_class = ChaseSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.chases_visible_to(self.request.user)

    @extend_schema(responses={201: ChaseSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.chase_record(
            actor=self.request.user, office=data["office"], unit=data["unit"], channel=data["channel"],
            summary=data["summary"], event_time=data.get("event_time"), minutes=data.get("minutes"),
        )


class LapseQuerySerializer(serializers.Serializer):
    """The lapse list's query string: each filter typed and bounded (a bad one is 400, not ignored)."""

    kind = serializers.ChoiceField(choices=Lapse.Kind.choices, required=False)
    unit = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False,
                                    help_text="Only lapses of this unit.")
    person = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False,
                                      help_text="Only lapses of this person.")


@extend_schema(tags=["alerts"])
class LapseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Late (迟报), missed (漏报), false (误报) and concealed (瞒报) reports on record, per unit and person."""

    queryset = Lapse.objects.none()
    serializer_class = LapseSerializer
    filter_backends = []

    def get_queryset(self):
        lapses = selectors.lapses_visible_to(self.request.user)
        query = LapseQuerySerializer(data=self.request.query_params.dict())  # a blank filter is refused, too
        query.is_valid(raise_exception=True)
        wanted = {f"{name}_id" if name != "kind" else name: value for name, value in query.validated_data.items()}
        return lapses.filter(**wanted)

    @extend_schema(parameters=[LapseQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Record a false or concealed report against the item's unit",
                   responses={201: LapseSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        item = item_for(self.request.user, data["item_id"])  # a foreign item answers 404, like a missing one
        serializer.instance = services.lapse_record(actor=self.request.user, item=item, kind=data["kind"],
                                                    reason=data["reason"])
