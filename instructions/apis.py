"""REST API of leader instructions (SPEC §6, §10): the same services, selectors and access rule as the pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from alerts.apis import EventTimeField
from followup.colour import colour_of
from followup.models import Colour
from infohub import access, params
from infohub.models import Unit, User
from infohub.text import NormalizingJSONParser
from publications.models import Issue
from submissions.apis import ERRORS
from submissions.models import Item

from . import selectors, services
from .models import MAX_WORKING_DAYS, Assignment, Extension, Feedback, Instruction, Kind


def _call(function, **kwargs):
    """A service's ValidationError as DRF's 400 naming the field."""
    try:
        return function(**kwargs)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class AssignmentSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    instruction_title = serializers.CharField(source="instruction.title", read_only=True)
    colour = serializers.SerializerMethodField(help_text="on_time, approaching, due_today, overdue, or done.")

    class Meta:
        model = Assignment
        fields = ["id", "instruction", "instruction_title", "unit", "unit_name", "office", "role", "state", "due_at",
                  "colour", "created_at", "signed_at", "signed_by", "answered_at", "chased_at", "overdue_recorded_at",
                  "closed_at"]
        read_only_fields = fields

    def get_colour(self, assignment) -> str:
        annotated = getattr(assignment, "colour", None)
        return annotated if isinstance(annotated, str) else colour_of(assignment)


class InstructionSerializer(serializers.ModelSerializer):
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = Instruction
        fields = ["id", "leader", "leader_name", "office", "level", "item", "issue", "title", "kind", "text",
                  "written_at", "source", "registered_by", "classification", "state", "asked", "working_days",
                  "due_at", "assigned_at", "assigned_by", "report", "reported_at", "closed_at", "reopened",
                  "assignments"]
        read_only_fields = fields


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`unstaffed`: nobody can sign for a unit; `calendar_unknown`: the due date "
                                           "falls in a year whose holidays nobody entered.")
    field = serializers.CharField()
    message = serializers.CharField()


class AssignedSerializer(InstructionSerializer):
    """The instruction as GET gives it, and what the office should know about the assignment just made."""

    warnings = serializers.SerializerMethodField()

    class Meta(InstructionSerializer.Meta):
        fields = [*InstructionSerializer.Meta.fields, "warnings"]
        read_only_fields = fields

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, instruction) -> list[dict]:
        return services.assign_warnings(instruction)


class InstructSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False,
                                    help_text="The item instructed on (or give `issue`).")
    issue = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False,
                                     help_text="The publication issue instructed on.")
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField(max_length=4000)
    office = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False,
                                      help_text="The unit where you hold the leader role (default: your highest).")


class PaperSerializer(serializers.Serializer):
    office = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX)
    leader = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX)
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=4000)
    written_at = EventTimeField(help_text="When the leader wrote it (not in the future).")
    item = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False)
    issue = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, required=False)


class AssignSerializer(serializers.Serializer):
    lead = serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX, help_text="The lead unit (牵头).")
    supporting = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=params.BIGINT_MAX),
                                       required=False, max_length=200, help_text="Supporting units (配合).")
    asked = serializers.CharField(max_length=4000)
    working_days = serializers.IntegerField(min_value=1, max_value=MAX_WORKING_DAYS,
                                            default=services.DEFAULT_WORKING_DAYS)
    confirm_unstaffed = serializers.BooleanField(
        default=False, help_text="Assign even a unit nobody can sign for (no active information officer or director "
                                 "there). Without it such a unit is refused with 400, code `unstaffed`, naming it.")


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=8000)


class ReopenSerializer(serializers.Serializer):
    asked = serializers.CharField(max_length=4000)
    working_days = serializers.IntegerField(min_value=1, max_value=MAX_WORKING_DAYS,
                                            default=services.DEFAULT_WORKING_DAYS)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FeedbackSerializer(serializers.ModelSerializer):
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = ["id", "assignment", "kind", "text", "state", "written_by", "written_at", "signed_by", "signed_at",
                  "director_note", "reviewed_by", "reviewed_at", "review_note", "attachments"]
        read_only_fields = fields

    def get_attachments(self, feedback) -> list[str]:
        return [a.original_name for a in feedback.attachments.all()]


class FeedbackPostSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    text = serializers.CharField(max_length=8000)
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=10)


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = ["id", "assignment", "working_days", "reason", "state", "requested_by", "requested_at", "due_before",
                  "due_after", "decided_by", "decided_at", "decision_note"]
        read_only_fields = fields


class ExtensionRequestSerializer(serializers.Serializer):
    working_days = serializers.IntegerField(min_value=1, max_value=MAX_WORKING_DAYS)
    reason = serializers.CharField(max_length=2000)


class AssignmentQuerySerializer(serializers.Serializer):
    colour = serializers.ChoiceField(choices=Colour.choices, required=False)
    state = serializers.ChoiceField(choices=Assignment.State.choices, required=False)


def _unit(pk: int, field: str) -> Unit:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise ValidationError({field: ["No such unit."]})
    return unit


@extend_schema_view(
    list=extend_schema(summary="Instructions of my offices (a leader's own among them)"),
    retrieve=extend_schema(summary="One instruction with its 交办单 and every unit's part",
                           responses={200: InstructionSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["instructions"])
class InstructionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Instruction.objects.none()
    serializer_class = InstructionSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.instructions_visible(self.request.user).prefetch_related("assignments__unit")

    def get_object(self):
        return selectors.instruction_for(self.request.user, self.kwargs["pk"])

    def _answer(self, instruction, code=status.HTTP_200_OK):
        return Response(InstructionSerializer(selectors.instruction_for(self.request.user, instruction.pk)).data,
                        status=code)

    @extend_schema(summary="Write an instruction (批示) on an item or an issue", request=InstructSerializer,
                   responses={201: InstructionSerializer, **ERRORS})
    def create(self, request):
        body = InstructSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = access.get_visible(request.user, Item.objects.all(), data["item"]) if "item" in data else None
        issue = access.get_visible(request.user, Issue.objects.all(), data["issue"]) if "issue" in data else None
        office = _unit(data["office"], "office") if "office" in data else None
        instruction = _call(services.instruct, actor=request.user, kind=data["kind"], text=data["text"], item=item,
                            issue=issue, office=office)
        return self._answer(instruction, status.HTTP_201_CREATED)

    @extend_schema(summary="Register a paper instruction (批示件) on a leader's behalf", request=PaperSerializer,
                   responses={201: InstructionSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def register(self, request):
        body = PaperSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["office"] = _unit(data["office"], "office")
        leader = User.objects.filter(pk=data["leader"]).first()
        if leader is None:
            raise ValidationError({"leader": ["No such person."]})
        data["leader"] = leader
        data["item"] = access.get_visible(request.user, Item.objects.all(), data["item"]) if "item" in data else None
        data["issue"] = (access.get_visible(request.user, Issue.objects.all(), data["issue"])
                         if "issue" in data else None)
        instruction = _call(services.register_paper, actor=request.user, **data)
        return self._answer(instruction, status.HTTP_201_CREATED)

    @extend_schema(summary="Assign (交办): lead and supporting units, what is asked, due in working days",
                   description="The answer is the instruction and what the office should know about it "
                               "(`warnings`: a unit nobody can sign for, assigned as confirmed; a due date in a year "
                               "whose holidays nobody entered). A unit nobody can sign for is refused (400, code "
                               "`unstaffed`, `errors` naming the field and the unit) unless `confirm_unstaffed`.",
                   request=AssignSerializer, responses={200: AssignedSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        instruction = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead = _unit(data["lead"], "lead")
        supporting = [_unit(pk, "supporting") for pk in dict.fromkeys(data.get("supporting", []))]
        try:
            services.assign(actor=request.user, instruction=instruction, lead=lead, supporting=supporting,
                            asked=data["asked"], working_days=data["working_days"],
                            confirm_unstaffed=data["confirm_unstaffed"])
        except DjangoValidationError as error:
            if services.is_unconfirmed(error):
                errors = error.message_dict
                return Response({"detail": next(iter(errors.values()))[0], "code": services.UNSTAFFED,
                                 "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
            raise ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})
        return Response(AssignedSerializer(selectors.instruction_for(request.user, instruction.pk)).data)

    @extend_schema(summary="Report back to the leader (报告领导)", request=TextSerializer,
                   responses={200: InstructionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        instruction = self.get_object()
        body = TextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(services.report, actor=request.user, instruction=instruction, text=body.validated_data["text"])
        return self._answer(instruction)

    @extend_schema(summary="Close (办结)", request=None, responses={200: InstructionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        instruction = self.get_object()
        services.close(actor=request.user, instruction=instruction)
        return self._answer(instruction)

    @extend_schema(summary="Reopen after a check (回访)", request=ReopenSerializer,
                   responses={200: InstructionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        instruction = self.get_object()
        body = ReopenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(services.reopen, actor=request.user, instruction=instruction, **body.validated_data)
        return self._answer(instruction)


@extend_schema_view(
    list=extend_schema(summary="Assignments my units owe and my offices wait for, most urgent first",
                       parameters=[AssignmentQuerySerializer]),
    retrieve=extend_schema(summary="One assignment", responses={200: AssignmentSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["instructions"])
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Assignment.objects.none()
    serializer_class = AssignmentSerializer
    filter_backends = []
    parser_classes = [NormalizingJSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        query = AssignmentQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return selectors.assignments_visible(self.request.user, **query.validated_data)

    def get_object(self):
        return selectors.assignment_for(self.request.user, self.kwargs["pk"])

    @extend_schema(summary="Sign for (签收)", request=None, responses={200: AssignmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        assignment = services.sign_for(actor=request.user, assignment=self.get_object())
        return Response(AssignmentSerializer(assignment).data)

    @extend_schema(summary="Write progress or final feedback (text and attachments)",
                   request={"multipart/form-data": FeedbackPostSerializer, "application/json": FeedbackPostSerializer},
                   responses={201: FeedbackSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        assignment = self.get_object()
        # read, never copied: a copy of multipart data deep-copies its files, and one Django spooled to disk won't pickle
        files = request.FILES.getlist("files") if hasattr(request, "FILES") else []
        body = FeedbackPostSerializer(data={"kind": request.data.get("kind"), "text": request.data.get("text")})
        body.is_valid(raise_exception=True)
        feedback = _call(services.feedback_post, actor=request.user, assignment=assignment,
                         kind=body.validated_data["kind"], text=body.validated_data["text"], files=files)
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Ask for more time (before the due time)", request=ExtensionRequestSerializer,
                   responses={201: ExtensionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None):
        assignment = self.get_object()
        body = ExtensionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        extension = _call(services.extension_request, actor=request.user, assignment=assignment,
                          **body.validated_data)
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["instructions"])
class FeedbackViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One feedback; the director signs it off or returns it to its writer; the office accepts or returns it."""

    queryset = Feedback.objects.none()
    serializer_class = FeedbackSerializer
    filter_backends = []

    def get_object(self):
        return selectors.feedback_for(self.request.user, self.kwargs["pk"])

    def _answer(self, feedback):
        return Response(FeedbackSerializer(Feedback.objects.get(pk=feedback.pk)).data)

    @extend_schema(summary="Sign off (director) and send up", request=None,
                   responses={200: FeedbackSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def signoff(self, request, pk=None):
        return self._answer(services.feedback_signoff(actor=request.user, feedback=self.get_object()))

    @extend_schema(summary="Return to its writer (director)", request=NoteSerializer,
                   responses={200: FeedbackSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def redo(self, request, pk=None):
        feedback = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(_call(services.feedback_redo, actor=request.user, feedback=feedback,
                                  note=body.validated_data["note"]))

    @extend_schema(summary="Accept the final feedback (office)", request=NoteSerializer,
                   responses={200: FeedbackSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        feedback = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(_call(services.feedback_review, actor=request.user, feedback=feedback, accept=True,
                                  note=body.validated_data["note"]))

    @extend_schema(summary="Return the final feedback to redo (office)", request=NoteSerializer,
                   responses={200: FeedbackSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        feedback = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(_call(services.feedback_review, actor=request.user, feedback=feedback, accept=False,
                                  note=body.validated_data["note"]))


@extend_schema(tags=["instructions"])
class ExtensionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A request for more time; the office grants or refuses it."""

    queryset = Extension.objects.none()
    serializer_class = ExtensionSerializer
    filter_backends = []

    def get_object(self):
        return selectors.extension_for(self.request.user, self.kwargs["pk"])

    def _decide(self, request, grant: bool):
        extension = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        extension = _call(services.extension_decide, actor=request.user, extension=extension, grant=grant,
                          note=body.validated_data["note"])
        return Response(ExtensionSerializer(extension).data)

    @extend_schema(summary="Grant (office)", request=NoteSerializer, responses={200: ExtensionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(summary="Refuse, with a reason (office)", request=NoteSerializer,
                   responses={200: ExtensionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(request, False)
