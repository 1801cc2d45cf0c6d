"""REST API of the 通报 (SPEC §9, §10; issue 16 point 4): the same services, reads and access rule as the pages
(assessment.bulletins). A bulletin the caller may not see is 404 whatever the operation; the body is read after."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from infohub.downloads import content_disposition
from submissions.apis import ERRORS

from . import bulletin_figures, bulletins
from .models import Bulletin


class BulletinSerializer(serializers.ModelSerializer):
    office_name = serializers.CharField(source="office.name", read_only=True)
    downloads = serializers.SerializerMethodField()
    corrects_number_label = serializers.SerializerMethodField()
    superseded_by = serializers.SerializerMethodField()
    stopped = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = ["id", "title", "kind", "ruleset", "office", "office_name", "first_month", "last_month", "state",
                  "progress", "stage", "error", "year", "number", "number_label", "docx_sha256", "xlsx_sha256",
                  "requested_by", "requested_at", "generated_at", "issued_by", "issued_at", "corrects",
                  "corrects_number_label", "correction_reason", "superseded_by", "stopped", "downloads"]
        read_only_fields = fields

    def get_corrects_number_label(self, bulletin) -> str | None:
        """The number (文号) of the issued bulletin this one corrects (更正); null for no correction."""
        return bulletin.corrects.number_label if bulletin.corrects_id else None

    def get_superseded_by(self, bulletin) -> dict | None:
        """{"id", "number_label"} of the issued correction (更正) that voids this bulletin; null when none."""
        void = bulletin.superseded_by
        return {"id": void.pk, "number_label": void.number_label} if void else None

    def get_stopped(self, bulletin) -> bool:
        """True when the worker making or issuing it died (the page's 生成中断 / 印发中断): `state` still says
        `running` or `issuing`, and asking again (generate, issue) goes on from where it stopped."""
        return bulletin.is_busy and bulletins.stalled(bulletin)

    def get_downloads(self, bulletin) -> dict[str, str]:
        """{"docx": url, "xlsx": url} of the files made (none while queued or being generated)."""
        return {fmt: f"/api/assessment/bulletins/{bulletin.pk}/download/{fmt}/"
                for fmt in bulletins.FORMATS if bulletins.file_of(bulletin, fmt)}


class BulletinDetailSerializer(BulletinSerializer):
    figures = serializers.JSONField(read_only=True)

    class Meta(BulletinSerializer.Meta):
        fields = [*BulletinSerializer.Meta.fields, "figures"]
        read_only_fields = fields


class BulletinRequestSerializer(serializers.Serializer):
    ruleset = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                       help_text="A rule set in force of an office where you are an editor or director.")
    kind = serializers.ChoiceField(choices=Bulletin.Kind.choices)
    period = serializers.IntegerField(required=False, min_value=1, max_value=12,
                                      help_text="The month (1–12) of a monthly bulletin, the quarter (1–4) of a "
                                                "quarterly one; not for the year-end ranking.")
    correction = serializers.BooleanField(
        required=False, default=False,
        help_text="A correction (更正) of the bulletin issued for this period; a period already issued is refused "
                  "(409) without it.")
    correction_reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                              help_text="Why the issued bulletin is corrected (required with "
                                                        "`correction`); printed in the correction.")

    def validate(self, data):
        kind, period = data["kind"], data.get("period")
        if data.get("correction") and not data.get("correction_reason", "").strip():
            raise serializers.ValidationError({"correction_reason": [_("Say why the issued bulletin is corrected.")]})
        if kind == Bulletin.Kind.MONTHLY and period is None:
            raise serializers.ValidationError({"period": [_("A monthly bulletin needs its month (1–12).")]})
        if kind == Bulletin.Kind.QUARTERLY and (period is None or period > 4):
            raise serializers.ValidationError({"period": [_("A quarterly bulletin needs its quarter (1–4).")]})
        if kind == Bulletin.Kind.YEARLY and period is not None:
            raise serializers.ValidationError({"period": [_("The year-end ranking covers the whole year: no period.")]})
        return data


class BulletinListQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Bulletin.Kind.choices, required=False)
    state = serializers.ChoiceField(choices=Bulletin.State.choices, required=False)
    page = serializers.IntegerField(required=False, min_value=1)


@extend_schema(tags=["assessment"])
class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """通报 and year-end rankings: ask for one (made by a worker; poll it for progress), read it with its figures,
    issue it (the office's director), generate it again while unissued, download its .docx and .xlsx."""

    queryset = Bulletin.objects.none()
    serializer_class = BulletinSerializer
    filter_backends = []
    parser_classes = [JSONParser]

    def get_queryset(self):
        found = bulletins.bulletins_visible_to(self.request.user)
        if self.action == "list":
            query = BulletinListQuery(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            if kind := query.validated_data.get("kind"):
                found = found.filter(kind=kind)
            if state := query.validated_data.get("state"):
                found = found.filter(state=state)
        return found

    def get_object(self):
        return bulletins.bulletin_for(self.request.user, self.kwargs["pk"])

    @extend_schema(summary="Bulletins I may see: my offices' own, and those issued to my units",
                   parameters=[OpenApiParameter("kind", enum=Bulletin.Kind.values),
                               OpenApiParameter("state", enum=Bulletin.State.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One bulletin: state, progress, number, checksums and the figures it shows",
                   responses={200: BulletinDetailSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return Response(BulletinDetailSerializer(self.get_object()).data)

    @extend_schema(summary="Ask for a bulletin (made by a worker; asking again for the same period gives the same one; "
                           "a period issued already only as a correction, with its reason)",
                   request=BulletinRequestSerializer, responses={202: BulletinSerializer, **ERRORS})
    def create(self, request):
        body = BulletinRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ruleset = bulletins.ruleset_for(request.user, data["ruleset"])
        first, last = bulletin_figures.period_of(data["kind"], ruleset.year, data.get("period"))
        bulletin = bulletins.bulletin_request(ruleset=ruleset, kind=data["kind"], first_month=first, last_month=last,
                                              actor=request.user,
                                              correction_reason=data["correction_reason"] if data["correction"] else "")
        return Response(BulletinSerializer(bulletins.bulletin_for(request.user, bulletin.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    def _act(self, service, status_code=status.HTTP_200_OK):
        bulletin = self.get_object()
        service(bulletin=bulletin, actor=self.request.user)
        return Response(BulletinSerializer(bulletins.bulletin_for(self.request.user, bulletin.pk)).data,
                        status=status_code)

    @extend_schema(summary="Director: issue the bulletin (印发): a worker numbers it, seals its files and sends it to the "
                           "units it names; poll its state (issuing → issued). Asked again while being issued, "
                           "the same answer",
                   request=None, responses={202: BulletinSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._act(bulletins.bulletin_issue, status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Generate an unissued bulletin again (after a re-pricing, or a failure)",
                   request=None, responses={200: BulletinSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def regenerate(self, request, pk=None):
        return self._act(bulletins.bulletin_regenerate)

    @extend_schema(summary="Download the bulletin's .docx or .xlsx (404 until it is made)",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path=r"download/(?P<fmt>docx|xlsx)")
    def download(self, request, pk=None, fmt=None):
        bulletin = self.get_object()
        stored = bulletins.file_of(bulletin, fmt)
        if stored is None:
            return Response({"detail": "Not made yet: see the bulletin's state and progress.", "code": "not_ready"},
                            status=status.HTTP_404_NOT_FOUND)
        response = FileResponse(stored.open("rb"), content_type=bulletins.FORMATS[fmt])
        response["Content-Disposition"] = content_disposition(
            bulletins.download_name(bulletin, fmt), fallback=bulletins.download_ascii_name(bulletin, fmt))
        return response
