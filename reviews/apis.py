"""REST API of the review chain: the same services, selectors and scoping as the pages."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from infohub.params import BIGINT_MAX
from submissions.apis import ERRORS, ItemSerializer, RevisionSerializer
from submissions.models import Item
from submissions.selectors import item_for

from . import selectors, services
from .forms import InboxFilters
from .models import Hop


class HopSerializer(serializers.ModelSerializer):
    item = ItemSerializer(read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    sender_name = serializers.CharField(source="sender.name", read_only=True)

    class Meta:
        model = Hop
        fields = [
            "id", "item", "office", "office_name", "level", "sender", "sender_name", "previous", "received_at",
            "status", "adoption", "reason", "acted_at", "acted_by", "forward", "forwarded_at", "composite",
        ]  # fmt: skip


class LineageHopSerializer(serializers.ModelSerializer):
    office_name = serializers.CharField(source="office.name")

    class Meta:
        model = Hop
        fields = ["id", "office", "office_name", "level", "received_at", "status", "adoption", "acted_by", "acted_at",
                  "reason", "forwarded_at", "forward_signed_by", "composite"]


class StageSerializer(serializers.Serializer):
    name = serializers.CharField()
    started = serializers.DateTimeField(allow_null=True)
    ended = serializers.DateTimeField(allow_null=True)
    seconds = serializers.SerializerMethodField()

    def get_seconds(self, stage) -> float | None:
        return stage.duration.total_seconds() if stage.duration is not None else None


class LineageSerializer(serializers.Serializer):
    item = ItemSerializer()
    hops = LineageHopSerializer(many=True)
    stages = StageSerializer(many=True)
    adopted_at = serializers.SerializerMethodField()
    credited = serializers.SerializerMethodField()
    sources = serializers.SerializerMethodField()

    def get_adopted_at(self, lineage) -> list[str]:
        return [hop.level for hop in lineage.adopted_at]

    def get_credited(self, lineage) -> list[int]:
        return [unit.pk for unit in lineage.credited]

    def get_sources(self, lineage) -> list[int]:
        return [item.pk for item in lineage.sources]


class ReasonSerializer(RevisionSerializer):
    reason = serializers.CharField(allow_blank=True)


class AdoptSerializer(RevisionSerializer):
    adoption = serializers.ChoiceField(choices=Hop.Adoption.choices)


class MergeSerializer(serializers.Serializer):
    hops = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX), min_length=2,
                                 max_length=200)
    title = serializers.CharField(max_length=Item._meta.get_field("title").max_length)
    body = serializers.CharField(max_length=settings.INFOHUB_BODY_MAX_LENGTH)


class BatchSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX), min_length=1,
                                  max_length=200)


class BatchResultSerializer(serializers.Serializer):
    item_id = serializers.IntegerField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


def _body(serializer_class, request):
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


# --- unit sign-off -----------------------------------------------------------------------------------------


@extend_schema(tags=["sign-off"], summary="Items of my units awaiting my sign-off, most urgent then oldest first")
class SignoffQueueApi(generics.ListAPIView):
    serializer_class = ItemSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.signoff_queue(self.request.user).prefetch_related("attachments")


@extend_schema(tags=["sign-off"], summary="Sign off an item (签发)", request=RevisionSerializer,
               responses={200: ItemSerializer, **ERRORS})
class SignoffApproveApi(APIView):
    def post(self, request, pk):
        item = item_for(request.user, pk)  # 404 for an item the user may not see, whatever the body
        data = _body(RevisionSerializer, request)
        item = services.signoff_approve(actor=request.user, item=item, expected_revision=data.get("revision"))
        return Response(ItemSerializer(item).data)


@extend_schema(tags=["sign-off"], summary="Return an item to the clerk with a reason", request=ReasonSerializer,
               responses={200: ItemSerializer, **ERRORS})
class SignoffReturnApi(APIView):
    def post(self, request, pk):
        item = item_for(request.user, pk)  # 404 for an item the user may not see, whatever the body
        data = _body(ReasonSerializer, request)
        item = services.signoff_return(actor=request.user, item=item, reason=data["reason"],
                                       expected_revision=data.get("revision"))
        return Response(ItemSerializer(item).data)


@extend_schema(tags=["sign-off"], summary="Sign off several items; each result says ok or why not",
               request=BatchSerializer, responses={200: BatchResultSerializer(many=True), 400: ERRORS[400]})
class SignoffBatchApi(APIView):
    def post(self, request):
        data = _body(BatchSerializer, request)
        results = services.signoff_batch(actor=request.user, item_ids=data["items"])
        return Response(BatchResultSerializer(results, many=True).data)


# --- upstream review -----------------------------------------------------------------------------------------


INBOX_PARAMETERS = [
    OpenApiParameter("status", enum=Hop.Status.values, description="Default: received (awaiting review)."),
    OpenApiParameter("sender", int, description="Only items sent by this unit."),
    OpenApiParameter("category", str),
    OpenApiParameter("urgency", str),
    OpenApiParameter("older_than_hours", int),
    OpenApiParameter("q", str, description="Search title, keywords and body."),
]


@extend_schema(tags=["review"])
class HopViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Items received by my offices (the editor's inbox), and the actions on each."""

    queryset = Hop.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = HopSerializer
    filter_backends = []  # the selector applies the filters, so the page and the API share them

    def get_queryset(self):
        params = self.request.query_params
        form = InboxFilters(params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        status = params.get("status", Hop.Status.RECEIVED)
        if status not in Hop.Status.values:
            raise serializers.ValidationError({"status": [f"Choose one of {', '.join(Hop.Status.values)}."]})
        return selectors.inbox_for(self.request.user, status=status, filters=form.filters())

    def get_object(self):
        read = "api" if self.request.method == "GET" else None  # what an action answers is not a read of it
        return selectors.hop_for(self.request.user, self.kwargs["pk"], read=read)

    @extend_schema(summary="My offices' inbox: most urgent, then oldest first", parameters=INBOX_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One received item", responses={200: HopSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def _hop_and_body(self, serializer_class=None) -> tuple[Hop, dict]:
        """The hop first (404 for one the user may not see, whatever the body), then the body."""
        hop = self.get_object()
        return hop, (_body(serializer_class, self.request) if serializer_class else {})

    @extend_schema(summary="Adopt (采用): full, combined or summary", request=AdoptSerializer,
                   responses={200: HopSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def adopt(self, request, pk=None):
        hop, data = self._hop_and_body(AdoptSerializer)
        hop = services.review_adopt(actor=request.user, hop=hop, adoption=data["adoption"],
                                    expected_revision=data.get("revision"))
        return Response(HopSerializer(hop).data)

    @extend_schema(summary="Not adopt (不采用) with a reason", request=ReasonSerializer,
                   responses={200: HopSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="not-adopt")
    def not_adopt(self, request, pk=None):
        hop, data = self._hop_and_body(ReasonSerializer)
        hop = services.review_not_adopt(actor=request.user, hop=hop, reason=data["reason"],
                                        expected_revision=data.get("revision"))
        return Response(HopSerializer(hop).data)

    @extend_schema(summary="Return for revision (退回修改) with a reason", request=ReasonSerializer,
                   responses={200: HopSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        hop, data = self._hop_and_body(ReasonSerializer)
        hop = services.review_return(actor=request.user, hop=hop, reason=data["reason"],
                                     expected_revision=data.get("revision"))
        return Response(HopSerializer(hop).data)

    @extend_schema(summary="Edit the item's text as a new version", request=ItemSerializer,
                   responses={200: ItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def edit(self, request, pk=None):
        hop = self.get_object()
        body = ItemSerializer(hop.item, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        item = services.review_edit(actor=request.user, hop=hop, data=body.content(),
                                    expected_revision=body.validated_data.get("revision"))
        return Response(ItemSerializer(item).data)

    @extend_schema(summary="Propose reporting upward (上报); the office's director signs", request=RevisionSerializer,
                   responses={200: HopSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        hop, data = self._hop_and_body(RevisionSerializer)
        hop = services.forward_request(actor=request.user, hop=hop, expected_revision=data.get("revision"))
        return Response(HopSerializer(hop).data)

    @extend_schema(summary="Director: sign the report upward; returns the next hop", request=None,
                   responses={200: HopSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="forward-sign")
    def forward_sign(self, request, pk=None):
        hop, _data = self._hop_and_body()
        return Response(HopSerializer(services.forward_signoff(actor=request.user, hop=hop)).data)

    @extend_schema(summary="Director: decline reporting upward, with a reason", request=ReasonSerializer,
                   responses={200: HopSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="forward-decline")
    def forward_decline(self, request, pk=None):
        hop, data = self._hop_and_body(ReasonSerializer)
        return Response(HopSerializer(services.forward_decline(actor=request.user, hop=hop, reason=data["reason"])).data)

    @extend_schema(summary="Merge several received items into a composite (综合)", request=MergeSerializer,
                   responses={201: HopSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def merge(self, request):
        data = _body(MergeSerializer, request)
        hops = [selectors.hop_for(request.user, pk) for pk in data["hops"]]
        hop = services.review_merge(actor=request.user, hops=hops, title=data["title"], body=data["body"])
        return Response(HopSerializer(hop).data, status=201)


@extend_schema(tags=["review"], summary="Adopted items awaiting my signature to be reported upward")
class ForwardQueueApi(generics.ListAPIView):
    serializer_class = HopSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.forward_queue(self.request.user)


@extend_schema(tags=["review"], summary="An item's whole path: hops, stage times, adoptions, credited units",
               responses={200: LineageSerializer, 404: ERRORS[404]})
class LineageApi(APIView):
    def get(self, request, pk):
        return Response(LineageSerializer(selectors.lineage_of(request.user, pk, read="api")).data)
