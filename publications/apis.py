"""REST API of publications: the same services, selectors and access rule as the pages.

Every operation on an issue finds the issue first (404 for one the caller may not see, whatever the body), then
reads the body, then calls one service.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from infohub.downloads import content_disposition
from submissions.apis import ERRORS
from submissions.selectors import item_for

from . import selectors, services
from .models import (
    Credit,
    DistributionKind,
    Entry,
    Issue,
    IssueExport,
    IssueKind,
    PublicationType,
    Recipient,
    TypeRecipient,
)


class TypeRecipientSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = TypeRecipient
        fields = ["kind", "unit", "unit_name", "label", "position"]


class PublicationTypeSerializer(serializers.ModelSerializer):
    office_name = serializers.CharField(source="office.name", read_only=True)
    default_recipients = TypeRecipientSerializer(many=True, read_only=True)

    class Meta:
        model = PublicationType
        fields = ["id", "name", "masthead", "office", "office_name", "rhythm", "numbered_total", "total_offset",
                  "default_copies", "classification", "edit_role", "review_role", "sign_role", "is_active",
                  "default_recipients"]


class EntrySerializer(serializers.ModelSerializer):
    item_title = serializers.CharField(source="item.title", read_only=True)
    title_in_issue = serializers.CharField(source="shown_title", read_only=True)
    source_unit = serializers.IntegerField(source="item.source_unit_id", read_only=True)
    classification = serializers.CharField(source="item.classification", read_only=True)
    urgency = serializers.CharField(source="item.urgency", read_only=True)

    class Meta:
        model = Entry
        fields = ["id", "item", "item_title", "title", "title_in_issue", "position", "source_unit", "classification",
                  "urgency", "hop", "added_by", "added_at", "printed_title", "printed_body", "printed_sources",
                  "printed_revision"]
        read_only_fields = fields


class RecipientSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Recipient
        fields = ["kind", "unit", "unit_name", "label"]
        extra_kwargs = {"unit": {"queryset": Recipient._meta.get_field("unit").related_model.objects.all()}}


class IssueSerializer(serializers.ModelSerializer):
    ptype_name = serializers.CharField(source="ptype.name", read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    title = serializers.CharField(source="title_label", read_only=True)
    number_label = serializers.CharField(read_only=True)

    class Meta:
        model = Issue
        fields = ["id", "ptype", "ptype_name", "office", "office_name", "kind", "status", "title", "number_label",
                  "year", "number", "total_number", "issue_date", "classification", "urgency", "editor_note", "copies",
                  "revision", "return_reason", "created_by", "created_at", "submitted_by", "submitted_at",
                  "reviewed_by", "reviewed_at", "signed_by", "signed_at"]
        read_only_fields = fields


class IssueDetailSerializer(IssueSerializer):
    entries = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "entries", "recipients"]
        read_only_fields = fields

    @extend_schema_field(EntrySerializer(many=True))
    def get_entries(self, issue) -> list[dict]:
        return EntrySerializer(selectors.entries_of(issue), many=True).data

    @extend_schema_field(RecipientSerializer(many=True))
    def get_recipients(self, issue) -> list[dict]:
        return RecipientSerializer(selectors.recipients_of(issue), many=True).data


class StartSerializer(serializers.Serializer):
    ptype = serializers.IntegerField(help_text="The publication type.")
    kind = serializers.ChoiceField(choices=IssueKind.choices, default=IssueKind.REGULAR)


class IssueRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, help_text="The issue's revision you read; a stale one is 409.")


class UpdateSerializer(IssueRevisionSerializer):
    editor_note = serializers.CharField(required=False, allow_blank=True)
    copies = serializers.IntegerField(required=False, min_value=1, max_value=100000)


class AddItemSerializer(IssueRevisionSerializer):
    item = serializers.IntegerField(help_text="An item adopted at the issue's office.")


class EntryChangeSerializer(IssueRevisionSerializer):
    title = serializers.CharField(allow_blank=True, max_length=120, help_text="Empty brings back the item's title.")


class OrderSerializer(IssueRevisionSerializer):
    entries = serializers.ListField(child=serializers.IntegerField(), help_text="Every entry id, in the new order.")


class IssueReasonSerializer(IssueRevisionSerializer):
    reason = serializers.CharField(allow_blank=True)


class DistributionLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DistributionKind.choices)
    unit = serializers.IntegerField()
    label = serializers.CharField(required=False, allow_blank=True, max_length=60)


class DistributionSerializer(IssueRevisionSerializer):
    recipients = DistributionLineSerializer(many=True)


class CandidateSerializer(serializers.Serializer):
    hop = serializers.IntegerField(source="id")
    item = serializers.IntegerField(source="item_id")
    title = serializers.CharField(source="item__title")
    source_unit = serializers.IntegerField(source="item__source_unit_id")
    classification = serializers.CharField(source="item__classification")
    urgency = serializers.CharField(source="item__urgency")
    category = serializers.CharField(source="item__category")
    adoption = serializers.CharField()
    adopted_at = serializers.DateTimeField(source="acted_at")


class CreditSerializer(serializers.ModelSerializer):
    issue_title = serializers.CharField(source="issue.title_label", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Credit
        fields = ["id", "issue", "issue_title", "entry", "item", "source_item", "unit", "unit_name", "share", "ptype",
                  "office", "office_level", "adoption", "combined", "issue_kind", "year", "signed_at"]
        read_only_fields = fields


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=IssueExport.Format.choices)


class ExportSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = IssueExport
        fields = ["id", "format", "revision", "state", "progress", "stage", "size", "error", "created_at",
                  "started_at", "finished_at", "download"]
        read_only_fields = fields

    def get_download(self, export) -> str | None:
        if export.state != IssueExport.State.DONE:
            return None
        return f"/api/publications/issues/{export.issue_id}/download/{export.format}/"


def _query(serializer_class, request) -> dict:
    """The query string parsed by `serializer_class`: a parameter that is none of what the schema says is 400 naming
    it (the same error shape as a body's), never quietly ignored."""
    query = serializer_class(data={key: request.query_params.get(key) for key in request.query_params})
    query.is_valid(raise_exception=True)
    return query.validated_data


class IssueListQuery(serializers.Serializer):
    tab = serializers.ChoiceField(choices=list(selectors.TABS), required=False)
    type = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    year = serializers.IntegerField(required=False, min_value=1, max_value=9999)


class CandidateQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.CharField(required=False, allow_blank=True, max_length=20)
    sender = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


def _body(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


# --- types ---------------------------------------------------------------------------------------------------------


@extend_schema(tags=["publications"])
class PublicationTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Publication types the caller may see: their offices' own and those sent to their units."""

    queryset = PublicationType.objects.none()
    serializer_class = PublicationTypeSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.types_visible_to(self.request.user).order_by("office__path", "name")

    def get_object(self):
        return selectors.type_for(self.request.user, self.kwargs["pk"])

    @extend_schema(summary="Publication types I may see")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One publication type, with its default distribution",
                   responses={200: PublicationTypeSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


# --- issues --------------------------------------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("tab", enum=list(selectors.TABS), description="received: signed issues sent to my units; "
                     "office: my offices' own; to_review / to_sign: what waits for me. Default: all I may see."),
    OpenApiParameter("type", int, description="Only issues of this publication type."),
    OpenApiParameter("year", int),
]


@extend_schema(tags=["publications"])
class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Issues: compiling (items, order, titles, editor's note, distribution), review, signature, credit, exports."""

    queryset = Issue.objects.none()
    serializer_class = IssueSerializer
    filter_backends = []
    parser_classes = [JSONParser]  # bodies are JSON objects; anything else is 415

    def get_queryset(self):
        if self.action != "list":
            return selectors.issue_list(self.request.user)
        query = _query(IssueListQuery, self.request)
        return selectors.issue_list(self.request.user, tab=query.get("tab", ""), ptype=str(query.get("type", "")),
                                    year=str(query.get("year", "")))

    def get_object(self):
        read = "api" if self.request.method == "GET" else None  # what an action answers is not a read of it
        return selectors.issue_for(self.request.user, self.kwargs["pk"], read=read)

    def _detail(self, issue: Issue, code: int = status.HTTP_200_OK) -> Response:
        issue = selectors.issue_for(self.request.user, issue.pk)
        return Response(IssueDetailSerializer(issue).data, status=code)

    @extend_schema(summary="Issues I may see", parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One issue with its items in order and its distribution",
                   responses={200: IssueDetailSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return Response(IssueDetailSerializer(self.get_object()).data)

    @extend_schema(summary="Start an issue of a publication type (with its default distribution)",
                   request=StartSerializer, responses={201: IssueDetailSerializer, **ERRORS})
    def create(self, request):
        data = _body(StartSerializer, request)
        ptype = selectors.type_for(request.user, data["ptype"])
        return self._detail(services.issue_start(actor=request.user, ptype=ptype, kind=data["kind"]),
                            status.HTTP_201_CREATED)

    @extend_schema(summary="Change the editor's note (编者按) or the copies printed", request=UpdateSerializer,
                   responses={200: IssueDetailSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        issue = self.get_object()
        data = _body(UpdateSerializer, request)
        services.issue_update(actor=request.user, issue=issue, editor_note=data.get("editor_note"),
                              copies=data.get("copies"), expected_revision=data.get("revision"))
        return self._detail(issue)

    @extend_schema(summary="Discard an issue being compiled", responses={204: None, **ERRORS})
    def destroy(self, request, pk=None):
        services.issue_discard(actor=request.user, issue=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Items adopted at the issue's office that no issue of its publication holds yet",
                   parameters=[OpenApiParameter("q", str), OpenApiParameter("category", str),
                               OpenApiParameter("sender", int)],
                   responses={200: CandidateSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def candidates(self, request, pk=None):
        issue = self.get_object()
        query = _query(CandidateQuery, request)
        hops = selectors.candidates(request.user, issue, q=query.get("q", ""), category=query.get("category", ""),
                                    sender=str(query.get("sender", ""))).values(*selectors.CANDIDATE_COLUMNS)
        page = self.paginate_queryset(hops)
        return self.get_paginated_response(CandidateSerializer(page, many=True).data)

    @extend_schema(summary="The issue's items in order", responses={200: EntrySerializer(many=True), 404: ERRORS[404]},
                   methods=["GET"])
    @extend_schema(summary="Add an adopted item at the end", request=AddItemSerializer,
                   responses={201: EntrySerializer, **ERRORS}, methods=["POST"])
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def entries(self, request, pk=None):
        issue = self.get_object()
        if request.method == "GET":
            return Response(EntrySerializer(selectors.entries_of(issue), many=True).data)
        data = _body(AddItemSerializer, request)
        try:
            item = item_for(request.user, data["item"])
        except Http404:
            raise serializers.ValidationError({"item": [_("No such item.")]}) from None
        entry = services.issue_add_item(actor=request.user, issue=issue, item=item,
                                        expected_revision=data.get("revision"))
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change an item's title in this issue", request=EntryChangeSerializer,
                   responses={200: EntrySerializer, **ERRORS}, methods=["PATCH"])
    @extend_schema(summary="Take an item out of the issue", request=IssueRevisionSerializer,
                   responses={204: None, **ERRORS}, methods=["DELETE"])
    @action(detail=True, methods=["patch", "delete"], url_path=r"entries/(?P<entry_id>\d+)")
    def entry(self, request, pk=None, entry_id=None):
        issue = self.get_object()
        if request.method == "DELETE":
            data = _body(IssueRevisionSerializer, request)
            services.issue_remove_entry(actor=request.user, issue=issue, entry_id=entry_id,
                                        expected_revision=data.get("revision"))
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = _body(EntryChangeSerializer, request)
        entry = services.issue_retitle_entry(actor=request.user, issue=issue, entry_id=entry_id, title=data["title"],
                                             expected_revision=data.get("revision"))
        return Response(EntrySerializer(entry).data)

    @extend_schema(summary="Put the items in this order (every entry id, once)", request=OrderSerializer,
                   responses={200: IssueDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def order(self, request, pk=None):
        issue = self.get_object()
        data = _body(OrderSerializer, request)
        services.issue_reorder(actor=request.user, issue=issue, entry_ids=data["entries"],
                               expected_revision=data.get("revision"))
        return self._detail(issue)

    @extend_schema(summary="The distribution (报 / 送 / 发)", responses={200: RecipientSerializer(many=True),
                                                                      404: ERRORS[404]}, methods=["GET"])
    @extend_schema(summary="Replace the distribution (报 / 送 / 发)", request=DistributionSerializer,
                   responses={200: RecipientSerializer(many=True), **ERRORS}, methods=["PUT"])
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def distribution(self, request, pk=None):
        issue = self.get_object()
        if request.method == "PUT":
            data = _body(DistributionSerializer, request)
            services.issue_set_distribution(actor=request.user, issue=issue, recipients=data["recipients"],
                                            expected_revision=data.get("revision"))
        return Response(RecipientSerializer(selectors.recipients_of(issue), many=True).data)

    def _transition(self, service, serializer_class=IssueRevisionSerializer, **extra):
        issue = self.get_object()
        data = _body(serializer_class, self.request)
        kwargs = {key: data[key] for key in extra}
        service(actor=self.request.user, issue=issue, expected_revision=data.get("revision"), **kwargs)
        return self._detail(issue)

    @extend_schema(summary="Submit the issue for review (审核)", request=IssueRevisionSerializer,
                   responses={200: IssueDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(services.issue_submit)

    @extend_schema(summary="Reviewer: approve the issue (审核)", request=IssueRevisionSerializer,
                   responses={200: IssueDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._transition(services.issue_review)

    @extend_schema(summary="Signer: sign the issue (签发); it is numbered, distributed and credited",
                   request=IssueRevisionSerializer, responses={200: IssueDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        return self._transition(services.issue_sign)

    @extend_schema(summary="Reviewer or signer: return the issue to its editor with a reason",
                   request=IssueReasonSerializer, responses={200: IssueDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._transition(services.issue_return, IssueReasonSerializer, reason=True)

    @extend_schema(summary="Where the issue's items are credited (a signed issue)",
                   responses={200: CreditSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None)
    def credits(self, request, pk=None):
        issue = self.get_object()
        credits = selectors.credits_visible_to(request.user).filter(issue=issue).order_by("entry__position", "id")
        return Response(CreditSerializer(credits, many=True).data)

    @extend_schema(summary="The .docx and PDF of the issue's current revision: state and progress",
                   responses={200: ExportSerializer(many=True), 404: ERRORS[404]}, methods=["GET"])
    @extend_schema(summary="Ask for the .docx or PDF (made by a worker; poll this for progress)",
                   request=ExportRequestSerializer, responses={202: ExportSerializer, **ERRORS}, methods=["POST"])
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def exports(self, request, pk=None):
        issue = self.get_object()
        if request.method == "POST":
            fmt = _body(ExportRequestSerializer, request)["format"]
            export = services.export_request(actor=request.user, issue=issue, fmt=fmt)
            return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
        exports = [selectors.current_export(issue, fmt) for fmt in IssueExport.Format.values]
        return Response(ExportSerializer([e for e in exports if e], many=True).data)

    @extend_schema(summary="Download the .docx or PDF of the issue's current revision (404 until it is made)",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path=r"download/(?P<fmt>docx|pdf)")
    def download(self, request, pk=None, fmt=None):
        issue = selectors.issue_for(request.user, pk, read="download")
        export = selectors.current_export(issue, fmt)
        if export is None or export.state != IssueExport.State.DONE or not export.file:
            return Response({"detail": "Not made yet: POST …/exports/?format=" + fmt, "code": "not_ready"},
                            status=status.HTTP_404_NOT_FOUND)
        fallback = selectors.export_ascii_name(issue, fmt)
        response = FileResponse(export.file.open("rb"))
        response["Content-Disposition"] = content_disposition(export.filename or fallback, fallback=fallback)
        return response


# --- credit --------------------------------------------------------------------------------------------------------


class CreditFilterSerializer(serializers.Serializer):
    item = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    unit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    year = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    page = serializers.IntegerField(required=False, min_value=1)


@extend_schema(tags=["publications"], summary="Uses of items in signed issues (the facts scoring prices)",
               parameters=[OpenApiParameter("item", int, description="Uses of this item, as itself or as a source."),
                           OpenApiParameter("unit", int, description="Credited to this unit."),
                           OpenApiParameter("year", int)])
class CreditListApi(generics.ListAPIView):
    serializer_class = CreditSerializer
    filter_backends = []

    def get_queryset(self):
        credits = selectors.credits_visible_to(self.request.user)
        params = CreditFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        wanted = params.validated_data
        if wanted.get("item"):
            credits = credits.filter(item_id=wanted["item"]) | credits.filter(source_item_id=wanted["item"])
        if wanted.get("unit"):
            credits = credits.filter(unit_id=wanted["unit"])
        if wanted.get("year"):
            credits = credits.filter(year=wanted["year"])
        return credits.order_by("-signed_at", "id")

