"""REST API of topic requests (SPEC §7, §10): the same services, selectors and access rule as the pages.

Every operation on a request or a target finds it first (404 for one the caller may not see, whatever the body), then
reads the body, then calls one service. Requests: list, issue, read, withdraw, the status board (rows and counts) and
its Excel export; targets (one unit's reply): list mine, read, answer with an item (and take it back), "nothing to
report", its director's signature or refusal.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from infohub import access
from infohub.downloads import content_disposition
from infohub.models import Unit
from infohub.roles import unit_ids_where
from publications.models import PublicationType
from submissions.apis import ERRORS
from submissions.selectors import item_for

from . import exports, selectors, services
from .models import MAX_LENGTH_LIMIT, Answer, Target, TopicRequest

BIGINT = {"min_value": 1, "max_value": 2**63 - 1}


class TopicRequestSerializer(serializers.ModelSerializer):
    office_name = serializers.CharField(source="office.name", read_only=True)
    publication_name = serializers.CharField(source="publication.name", read_only=True, default=None)

    class Meta:
        model = TopicRequest
        fields = ["id", "office", "office_name", "kind", "subject", "guidance", "length_limit", "due_at", "urgent",
                  "publication", "publication_name", "status", "created_by", "created_at", "withdrawn_at",
                  "withdraw_reason"]
        read_only_fields = fields


class DueField(serializers.DateTimeField):
    """A due time: one whose conversion to UTC overflows (year 1 or 9999, with or without a zone) is refused like any
    other wrong time (DRF lets that OverflowError through); the years allowed are the service's to say."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class IssueSerializer(serializers.Serializer):
    office = serializers.IntegerField(help_text="The requesting office (one where you are an editor).", **BIGINT)
    kind = serializers.ChoiceField(choices=TopicRequest.Kind.choices, default=TopicRequest.Kind.REQUEST)
    subject = serializers.CharField(max_length=120)
    guidance = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    length_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_LENGTH_LIMIT,
                                            help_text="Characters.")
    due_at = DueField(help_text="ISO 8601; without an offset it is Asia/Shanghai time.")
    urgent = serializers.BooleanField(default=False, help_text="Targets are told by SMS too.")
    publication = serializers.IntegerField(required=False, allow_null=True, **BIGINT,
                                           help_text="One of the office's own publication types.")
    units = serializers.ListField(child=serializers.IntegerField(**BIGINT), required=False, default=list,
                                  max_length=services.MAX_TARGETS, help_text="Target units, from the office's "
                                  "jurisdiction (GET /api/topics/targetable/?office=…).")
    groups = serializers.ListField(child=serializers.ChoiceField(choices=list(selectors.GROUPS)), required=False,
                                   default=list, max_length=len(selectors.GROUPS),
                                   help_text="Whole groups: counties, departments, direct_points.")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class AnswerSerializer(serializers.ModelSerializer):
    item_title = serializers.SerializerMethodField()
    item_status = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = ["id", "item", "item_title", "item_status", "target", "unit", "linked_by", "linked_at", "sent_at"]
        read_only_fields = fields

    def _item(self, answer):
        return self.context.get("items", {}).get(answer.item_id)

    def get_item_title(self, answer) -> str | None:
        """The item's title, when the reader may see the item (null otherwise)."""
        item = self._item(answer)
        return item.title if item else None

    def get_item_status(self, answer) -> str | None:
        item = self._item(answer)
        return item.status if item else None


class TargetSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    subject = serializers.CharField(source="request.subject", read_only=True)
    answered_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = Target
        fields = ["id", "request", "subject", "unit", "unit_name", "office", "office_name", "due_at", "reply",
                  "answered_at", "answered_late", "closed_at", "decline_note", "decline_by", "decline_at",
                  "decline_signed_by", "decline_return_reason", "revision"]
        read_only_fields = fields


class BoardRowSerializer(TargetSerializer):
    state = serializers.ChoiceField(choices=selectors.BOARD_STATES, read_only=True)
    answers = serializers.SerializerMethodField()

    class Meta(TargetSerializer.Meta):
        fields = [*TargetSerializer.Meta.fields, "state", "answers"]
        read_only_fields = fields

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, target) -> list[dict]:
        rows = self.context["answers"].get(target.pk, [])
        items = {row.answer.item_id: row.item for row in rows if row.item}
        return AnswerSerializer([row.answer for row in rows], many=True, context={"items": items}).data


class CountsSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    late = serializers.IntegerField()
    declined = serializers.IntegerField()
    waiting = serializers.IntegerField()
    ignored = serializers.IntegerField()
    total = serializers.IntegerField()


class BoardFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=selectors.BOARD_STATES, required=False)
    group = serializers.ChoiceField(choices=list(selectors.GROUPS), required=False)
    sort = serializers.ChoiceField(choices=list(selectors.BOARD_SORTS), required=False)
    page = serializers.IntegerField(required=False, min_value=1)


class DeclineSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    revision = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1,
                                        help_text="The target's revision you read; a stale one is 409.")


class TopicRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


class DeclineReturnSerializer(TopicRevisionSerializer):
    reason = serializers.CharField(max_length=1000)


class LinkSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="An item of the target unit.", **BIGINT)


class ListFilterSerializer(serializers.Serializer):
    tab = serializers.ChoiceField(choices=list(selectors.TABS), required=False)
    status = serializers.ChoiceField(choices=["open", "due", "withdrawn"], required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    page = serializers.IntegerField(required=False, min_value=1)


class TargetFilterSerializer(serializers.Serializer):
    reply = serializers.ChoiceField(choices=Target.Reply.choices, required=False)
    open = serializers.BooleanField(required=False)
    page = serializers.IntegerField(required=False, min_value=1)


class TargetableUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "level", "kind", "parent", "upstream"]
        read_only_fields = fields


class TargetableSerializer(serializers.Serializer):
    units = TargetableUnitSerializer(many=True)
    groups = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()),
                                   help_text="{group: [unit ids]}")


def _body(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _query(serializer_class, request) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


@extend_schema(tags=["topics"])
class TopicRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Topic requests I may see: those sent to my units, and my offices' own."""

    queryset = TopicRequest.objects.none()
    serializer_class = TopicRequestSerializer
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        wanted = _query(ListFilterSerializer, self.request)
        return selectors.request_list(self.request.user, tab=wanted.get("tab", ""), status=wanted.get("status", ""),
                                      q=wanted.get("q", ""))

    def get_object(self):
        return selectors.request_for(self.request.user, self.kwargs["pk"])

    def _board_request(self) -> TopicRequest:
        topic = self.get_object()
        if not selectors.is_requesting_office(self.request.user, topic):
            raise Http404  # a target unit sees the request, never the other units' replies
        return topic

    @extend_schema(summary="Topic requests I may see",
                   parameters=[OpenApiParameter("tab", enum=[*selectors.TABS], description="received: sent to my "
                               "units; office: my offices' own. Default: both."),
                               OpenApiParameter("status", enum=["open", "due", "withdrawn"]),
                               OpenApiParameter("q", str, description="In the subject or the guidance.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One topic request", responses={200: TopicRequestSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return Response(TopicRequestSerializer(self.get_object()).data)

    @extend_schema(summary="Issue a topic request (约稿通知) to units of the office's jurisdiction",
                   request=IssueSerializer, responses={201: TopicRequestSerializer, **ERRORS})
    def create(self, request):
        data = _body(IssueSerializer, request)
        office = Unit.objects.filter(pk=data["office"]).first()
        if office is None or office.pk not in unit_ids_where(request.user, *access.OFFICE_ROLES):
            raise serializers.ValidationError({"office": [_("Not an office of yours.")]})
        publication = None
        if data.get("publication"):
            publication = PublicationType.objects.filter(pk=data["publication"], office=office).first()
            if publication is None:
                raise serializers.ValidationError({"publication": [_("Not a publication of this office.")]})
        topic = services.request_issue(
            actor=request.user, office=office, kind=data["kind"], subject=data["subject"], guidance=data["guidance"],
            length_limit=data.get("length_limit"), due_at=data["due_at"], urgent=data["urgent"],
            publication=publication, unit_ids=data["units"], groups=data["groups"])
        return Response(TopicRequestSerializer(topic).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Withdraw the request (the units owe nothing more)", request=WithdrawSerializer,
                   responses={200: TopicRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        topic = self.get_object()
        data = _body(WithdrawSerializer, request)
        topic = services.request_withdraw(actor=request.user, request=topic, reason=data["reason"])
        return Response(TopicRequestSerializer(topic).data)

    @extend_schema(summary="Status board: every target unit, where it stands and its answers (requesting office)",
                   parameters=[OpenApiParameter("state", enum=[*selectors.BoardState.LABELS]),
                               OpenApiParameter("group", enum=[*selectors.GROUPS]),
                               OpenApiParameter("sort", enum=[*selectors.BOARD_SORTS])],
                   responses={200: BoardRowSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def board(self, request, pk=None):
        topic = self._board_request()
        wanted = _query(BoardFilterSerializer, request)
        rows = selectors.board(topic, state=wanted.get("state", ""), group=wanted.get("group", ""),
                               sort=wanted.get("sort", ""))
        page = self.paginate_queryset(rows)
        answers = selectors.answers_of(request.user, page)
        return self.get_paginated_response(BoardRowSerializer(page, many=True, context={"answers": answers}).data)

    @extend_schema(summary="Status board: how many target units in each state (requesting office)",
                   responses={200: CountsSerializer, 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def counts(self, request, pk=None):
        return Response(selectors.board_counts(self._board_request()))

    @extend_schema(summary="Status board as an Excel workbook (requesting office)",
                   parameters=[OpenApiParameter("state", enum=[*selectors.BoardState.LABELS]),
                               OpenApiParameter("group", enum=[*selectors.GROUPS])],
                   responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                              OpenApiTypes.BINARY, **ERRORS})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        topic = self._board_request()
        wanted = _query(BoardFilterSerializer, request)
        body = exports.board_workbook(request.user, topic, state=wanted.get("state", ""),
                                      group=wanted.get("group", ""))
        response = HttpResponse(body,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition(exports.filename(topic),
                                                              fallback=exports.ascii_filename(topic))
        return response


@extend_schema(tags=["topics"])
class TargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One target unit's reply to a request: what my units owe, and their replies."""

    queryset = Target.objects.none()
    serializer_class = TargetSerializer
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        wanted = _query(TargetFilterSerializer, self.request)
        units = unit_ids_where(self.request.user, *access.SOURCE_ROLES)
        targets = access.visible(self.request.user, Target.objects.filter(unit_id__in=units))
        if wanted.get("reply"):
            targets = targets.filter(reply=wanted["reply"])
        if "open" in wanted:
            owed = Q(closed_at__isnull=True, reply__in=(Target.Reply.WAITING, Target.Reply.DECLINE_PENDING))
            targets = targets.filter(owed) if wanted["open"] else targets.exclude(owed)
        return targets.select_related("request", "unit", "office").order_by("due_at", "pk")

    def get_object(self):
        return selectors.target_for(self.request.user, self.kwargs["pk"])

    def _answer(self, target) -> Response:
        return Response(TargetSerializer(selectors.target_for(self.request.user, target.pk)).data)

    @extend_schema(summary="What my units owe and replied",
                   parameters=[OpenApiParameter("reply", enum=Target.Reply.values),
                               OpenApiParameter("open", bool, description="true: not replied yet, request open.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One unit's reply to a request", responses={200: TargetSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return Response(TargetSerializer(self.get_object()).data)

    @extend_schema(summary="The items that answer (GET); make an item of the unit an answer (POST)",
                   request=LinkSerializer, responses={200: AnswerSerializer(many=True), 201: AnswerSerializer, **ERRORS},
                   methods=["GET", "POST"])
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def answers(self, request, pk=None):
        target = self.get_object()
        if request.method == "POST":
            data = _body(LinkSerializer, request)
            try:
                item = item_for(request.user, data["item"])
            except Http404:
                raise serializers.ValidationError({"item": [_("No such item.")]}) from None
            answer = services.answer_link(actor=request.user, target=target, item=item)
            return Response(AnswerSerializer(answer, context={"items": {item.pk: item}}).data,
                            status=status.HTTP_201_CREATED)
        rows = selectors.answers_of(request.user, [target]).get(target.pk, [])
        items = {row.answer.item_id: row.item for row in rows if row.item}
        return Response(AnswerSerializer([row.answer for row in rows], many=True, context={"items": items}).data)

    @extend_schema(summary="Take an item not yet sent back from the request", request=None,
                   responses={204: None, **ERRORS})
    @action(detail=True, methods=["delete"], url_path=r"answers/(?P<answer_id>[0-9]{1,18})")
    def answer(self, request, pk=None, answer_id=None):
        target = self.get_object()
        found = Answer.objects.filter(pk=answer_id, target=target).first()
        if found is None:
            raise Http404
        services.answer_unlink(actor=request.user, answer=found)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Reply “nothing to report” (无此类情况): a clerk's awaits the director's signature, the "
                           "director's is signed", request=DeclineSerializer, responses={200: TargetSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        target = self.get_object()
        data = _body(DeclineSerializer, request)
        return self._answer(services.decline(actor=request.user, target=target, note=data["note"],
                                             expected_revision=data.get("revision")))

    @extend_schema(summary="Director: sign “nothing to report”", request=TopicRevisionSerializer,
                   responses={200: TargetSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        target = self.get_object()
        data = _body(TopicRevisionSerializer, request)
        return self._answer(services.decline_sign(actor=request.user, target=target,
                                                  expected_revision=data.get("revision")))

    @extend_schema(summary="Director: do not sign “nothing to report” (back to the clerk, with the reason)",
                   request=DeclineReturnSerializer, responses={200: TargetSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        target = self.get_object()
        data = _body(DeclineReturnSerializer, request)
        return self._answer(services.decline_return(actor=request.user, target=target, reason=data["reason"],
                                                    expected_revision=data.get("revision")))


class TargetableFilterSerializer(serializers.Serializer):
    office = serializers.IntegerField(**BIGINT)


@extend_schema(tags=["topics"], summary="The units an office of mine may ask, and its groups",
               parameters=[OpenApiParameter("office", int, required=True)],
               responses={200: TargetableSerializer, **ERRORS})
class TargetableApi(generics.GenericAPIView):
    serializer_class = TargetableSerializer
    filter_backends = []

    def get(self, request):
        wanted = _query(TargetableFilterSerializer, request)
        office = selectors.issuing_offices(request.user).filter(pk=wanted["office"]).first()
        if office is None:
            raise serializers.ValidationError({"office": [_("Not an office where you issue topic requests.")]})
        groups = {key: list(selectors.group_units(office, key).values_list("pk", flat=True))
                  for key in selectors.GROUPS}
        return Response({"units": TargetableUnitSerializer(selectors.targetable(office), many=True).data, "groups": groups})
