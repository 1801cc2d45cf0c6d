"""REST API for information items: the same services as the pages, the same scoping."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from infohub.api_errors import ErrorSerializer
from infohub.models import Level, Unit
from infohub.text import NormalizingMultiPartParser

from . import selectors, services
from .models import Attachment, Item, ItemVersion, Outcome

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each field and the reason."),
    403: OpenApiResponse(ErrorSerializer, description="Not permitted for this user."),
    404: OpenApiResponse(ErrorSerializer, description="No such item visible to this user."),
    409: OpenApiResponse(ErrorSerializer, description="Illegal in the item's current state, or a stale revision."),
}


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "content_type", "uploaded_at"]


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemVersion
        fields = ["number", "content", "edited_by", "created_at", "note"]


class ItemSerializer(serializers.ModelSerializer):
    source_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    joint_units = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Unit.objects.all(), required=False,
        help_text="Units filing the item jointly with its source unit (合报单位): ids of units in the jurisdiction of "
                  "the office its items go to; the source unit itself is dropped. Given on update, replaces the list. "
                  "400 naming `joint_units` for an unknown unit or one that may not file jointly.")
    revision = serializers.IntegerField(
        required=False,
        help_text="On update: the revision you read. A stale one is refused with 409 instead of overwriting.",
    )
    attachments = AttachmentSerializer(many=True, read_only=True)
    # Where the item stands along the chain (kept by the review chain; blank before its first hop).
    outcome = serializers.ChoiceField(
        choices=[("", ""), *Outcome.choices], read_only=True,
        help_text="The state of the item's furthest hop (blank: not sent upward yet).")
    adopted_level = serializers.ChoiceField(
        choices=[("", ""), *Level.choices], read_only=True, help_text="The highest level that adopted it (blank: none).")
    outcome_trail = serializers.CharField(
        read_only=True, help_text="Each level's step of the lineage, lowest first: 'city:adopted province:in_review' "
                                  "(a step is an outcome or 'forwarding': adopted, awaiting the signature to go up).")
    outcome_reason = serializers.CharField(
        read_only=True, help_text="The reason given at the furthest step (not adopted, returned).")

    class Meta:
        model = Item
        fields = [
            "id", "title", "body", "category", "urgency", "classification", "source_unit", "joint_units", "authors",
            "contact_phone", "keywords", "status", "revision", "created_at", "updated_at", "submitted_at",
            "return_reason", "event_time", "event_place", "event_grade", "event_type", "deaths", "injuries", "missing",
            "losses", "measures", "report_kind", "first_report", "follow_up_number", "attachments",
            "outcome", "adopted_level", "outcome_trail", "outcome_reason",
        ]  # fmt: skip
        read_only_fields = [
            "status", "created_at", "updated_at", "submitted_at", "return_reason", "report_kind", "first_report",
            "follow_up_number", "outcome", "adopted_level", "outcome_trail", "outcome_reason",
        ]  # fmt: skip


    def content(self) -> dict:
        """The content fields sent, and the joint units (a list of Units) when sent."""
        return {k: v for k, v in self.validated_data.items() if k in Item.CONTENT_FIELDS or k == "joint_units"}


class ItemUpdateSerializer(ItemSerializer):
    class Meta(ItemSerializer.Meta):
        read_only_fields = [*ItemSerializer.Meta.read_only_fields, "source_unit"]


class RevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, help_text="The item revision you read; a stale one is 409.")


class FollowUpSerializer(serializers.Serializer):
    final = serializers.BooleanField(default=False, help_text="True for the final report (终报).")


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search title, keywords and body")

    class Meta:
        model = Item
        fields = ["status", "category", "urgency", "classification", "source_unit"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # A filter sent empty (`?status=`) names none of the values the schema lists: 400 naming it, not "all".
        for name in self.Meta.fields:
            if self.data.get(name) == "":
                self.filters[name].extra["required"] = True
                self.filters[name].__dict__.pop("_field", None)  # a field built before (and copied) is built anew

    def search(self, queryset, name, value):
        return selectors.item_search(queryset, value)


@extend_schema_view(
    list=extend_schema(summary="Items I may see", responses={200: ItemSerializer(many=True)}),
    retrieve=extend_schema(summary="One item", responses={200: ItemSerializer, 404: ERRORS[404]}),
    create=extend_schema(summary="Draft a new item", responses={201: ItemSerializer, **ERRORS}),
    update=extend_schema(summary="Edit a draft or returned item", request=ItemUpdateSerializer,
                         responses={200: ItemSerializer, **ERRORS}),
    partial_update=extend_schema(summary="Edit some fields of a draft or returned item", request=ItemUpdateSerializer,
                                 responses={200: ItemSerializer, **ERRORS}),
)
@extend_schema(tags=["items"])
class ItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    queryset = Item.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    ordering_fields = ["updated_at", "submitted_at", "created_at", "urgency", "title"]
    ordering = ["-updated_at"]

    def get_queryset(self):
        return selectors.items_visible_to(self.request.user).prefetch_related("attachments", "joint_units")

    def get_object(self):
        read = "api" if self.request.method == "GET" else None  # what an action answers is not a read of it
        return selectors.item_for(self.request.user, self.kwargs["pk"], read=read)

    def get_serializer_class(self):
        return ItemUpdateSerializer if self.action in ("update", "partial_update") else ItemSerializer

    def perform_create(self, serializer):
        serializer.instance = services.item_create(
            actor=self.request.user, unit=serializer.validated_data["source_unit"], data=serializer.content()
        )

    def perform_update(self, serializer):
        serializer.instance = services.item_update(
            actor=self.request.user,
            item=serializer.instance,
            data=serializer.content(),
            expected_revision=serializer.validated_data.get("revision"),
        )

    @extend_schema(summary="File the item for unit sign-off", request=RevisionSerializer,
                   responses={200: ItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(services.item_submit, request)

    @extend_schema(summary="Withdraw an item still awaiting sign-off", request=RevisionSerializer,
                   responses={200: ItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(services.item_withdraw, request)

    @extend_schema(
        summary="Start a follow-up (续报) or the final report (终报) of a filed first report",
        request=FollowUpSerializer,
        responses={201: ItemSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        first = self.get_object()  # 404 for an item the user may not see, whatever the body
        body = FollowUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = services.item_follow_up(actor=request.user, first=first, final=body.validated_data["final"])
        return Response(ItemSerializer(draft, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Versions of the item since filing", responses={200: VersionSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, pk=None):
        return Response(VersionSerializer(self.get_object().versions.all(), many=True).data)

    @extend_schema(
        summary="Attach a file to a draft or returned item",
        request={"multipart/form-data": inline_serializer("AttachmentUpload", {"file": serializers.FileField()})},
        responses={201: AttachmentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[NormalizingMultiPartParser])
    def attachments(self, request, pk=None):
        item = self.get_object()  # 404 for an item the user may not see, whatever the body
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": ["No file was sent."]})
        item = services.item_update(actor=request.user, item=item, data={}, files=[upload])
        return Response(AttachmentSerializer(item.attachments.order_by("-id").first()).data, status=status.HTTP_201_CREATED)

    def _transition(self, service, request):
        item = self.get_object()  # 404 for an item the user may not see, whatever the body
        body = RevisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = service(actor=request.user, item=item, expected_revision=body.validated_data.get("revision"))
        return Response(ItemSerializer(item, context=self.get_serializer_context()).data)
