"""Pages of leader instructions (SPEC §6): the list, writing one on an item or an issue, registering a paper one,
an instruction with its 交办单 and every unit's part, and an assignment as its unit answers it. Thin: each parses,
calls one service or selector, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from followup.colour import colour_of
from followup.models import Colour
from followup.services import shortfalls_of
from infohub import access
from infohub.downloads import content_disposition
from infohub.errors import ActionRefused
from infohub.models import Role, Unit, User
from infohub.roles import unit_ids_where
from publications.models import Issue
from submissions.models import Item

from . import permissions, selectors, services
from .forms import AssignForm, ExtensionForm, FeedbackForm, InstructForm, NoteForm, PaperForm, ReopenForm, TextForm
from .models import Assignment, Feedback, Instruction


def _refuse(form, error) -> None:
    """A service's refusal on the form: a ValidationError naming fields on them, anything else on top."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)])))


@login_required
def instruction_list(request):
    """Instructions of my offices (a leader's own first filter), and what my units owe."""
    rows = selectors.instructions_visible(request.user)
    state = request.GET.get("state", "")
    if state in Instruction.State.values:
        rows = rows.filter(state=state)
    if request.GET.get("mine") == "1":
        rows = rows.filter(leader=request.user)
    colour = request.GET.get("colour", "")
    colour = colour if colour in Colour.values else ""
    owed = selectors.assignments_visible(request.user, colour=colour)
    return render(request, "instructions/list.html", {
        "page": Paginator(rows, 30).get_page(request.GET.get("page")),
        "owed": Paginator(owed, 30).get_page(request.GET.get("apage")),
        "state": state, "states": Instruction.State.choices, "colour": colour, "colours": Colour.choices,
        "may_register": bool(unit_ids_where(request.user, Role.EDITOR, Role.DIRECTOR)),
    })


@login_required
def instruct(request):
    """A leader writes an instruction on `?item=<id>` or `?issue=<id>` (one they may see: 404 otherwise)."""
    source = request.POST if request.method == "POST" else request.GET
    item = issue = None
    if source.get("item"):
        item = access.get_visible(request.user, Item.objects.all(), source.get("item"))
    elif source.get("issue"):
        issue = access.get_visible(request.user, Issue.objects.all(), source.get("issue"))
    else:
        raise Http404
    offices = services.leader_offices(request.user)
    if not offices:
        messages.error(request, _("Only a leader writes instructions."))
        return redirect("home")
    form = InstructForm(request.POST or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        try:
            instruction = services.instruct(actor=request.user, item=item, issue=issue, kind=form.cleaned_data["kind"],
                                            text=form.cleaned_data["text"], office=form.cleaned_data["office"])
        except (ActionRefused, ValidationError) as error:
            _refuse(form, error)
        else:
            messages.success(request, _("Instruction recorded."))
            return redirect(instruction.get_absolute_url())
    return render(request, "instructions/instruct.html", {"form": form, "item": item, "issue": issue},
                  status=400 if form.errors else 200)


@login_required
def register(request):
    """The office registers a paper instruction (批示件) on a leader's behalf."""
    office_ids = unit_ids_where(request.user, Role.EDITOR, Role.DIRECTOR)
    offices = Unit.objects.filter(pk__in=office_ids)
    leaders = User.objects.filter(roles__role=Role.LEADER, roles__unit_id__in=office_ids, is_active=True).distinct()
    if not office_ids:
        messages.error(request, _("Only an editor or the director of an office registers paper instructions."))
        return redirect("instructions:list")
    form = PaperForm(request.POST or None, offices=offices, leaders=leaders)
    if request.method == "POST" and form.is_valid():
        try:
            instruction = services.register_paper(actor=request.user, **form.cleaned_data)
        except (ActionRefused, ValidationError) as error:
            _refuse(form, error)
        else:
            messages.success(request, _("Paper instruction registered."))
            return redirect(instruction.get_absolute_url())
    return render(request, "instructions/register.html", {"form": form}, status=400 if form.errors else 200)


def _detail(request, instruction, *, assign_form=None, text_form=None, reopen_form=None, status=200):
    user = request.user
    assignments = list(selectors.assignments_of(instruction))
    return render(request, "instructions/detail.html", {
        "instruction": instruction,
        "assignments": assignments,
        "may_assign": permissions.ASSIGN.allows(user, instruction),
        "may_report": permissions.REPORT.allows(user, instruction) and all(
            a.state == Assignment.State.ACCEPTED for a in assignments),
        "may_close": permissions.CLOSE.allows(user, instruction),
        "may_reopen": permissions.REOPEN.allows(user, instruction),
        "assign_form": assign_form or AssignForm(units=services.assignable_units(instruction.office)),
        "calendar_ahead": services.calendar_ahead() if permissions.ASSIGN.allows(user, instruction) else "",
        "text_form": text_form or TextForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "trail": selectors.trail(instruction, assignments),
        "feedback": Feedback.objects.filter(assignment__instruction=instruction).exclude(
            state__in=[Feedback.State.DRAFT, Feedback.State.PENDING]).select_related("assignment__unit", "signed_by"),
    }, status=status)


@login_required
def instruction_detail(request, pk):
    return _detail(request, selectors.instruction_for(request.user, pk))


@login_required
def instruction_assign(request, pk):
    instruction = selectors.instruction_for(request.user, pk)
    if request.method != "POST":
        return redirect(instruction.get_absolute_url())
    form = AssignForm(request.POST, units=services.assignable_units(instruction.office))
    if form.is_valid():
        data = form.cleaned_data
        try:
            assigned = services.assign(actor=request.user, instruction=instruction, lead=data["lead"],
                                       supporting=list(data["supporting"]), asked=data["asked"],
                                       working_days=data["working_days"], confirm_unstaffed=data["confirm_unstaffed"])
        except (ActionRefused, ValidationError) as error:
            _refuse(form, error)
            if isinstance(error, ValidationError) and services.is_unconfirmed(error):
                form.ask_to_confirm()
        else:
            messages.success(request, _("Assigned."))
            for warning in services.assign_warnings(assigned):
                messages.warning(request, warning["message"])
            return redirect(instruction.get_absolute_url())
    return _detail(request, instruction, assign_form=form, status=400)


@login_required
@require_POST
def instruction_act(request, pk, action):
    """report (报告领导, with text), close (办结), reopen (回访, with what is asked and days)."""
    instruction = selectors.instruction_for(request.user, pk)
    if action == "report":
        form = TextForm(request.POST)
        if form.is_valid():
            try:
                services.report(actor=request.user, instruction=instruction, text=form.cleaned_data["text"])
            except (ActionRefused, ValidationError) as error:
                _refuse(form, error)
            else:
                messages.success(request, _("Reported to the leader."))
                return redirect(instruction.get_absolute_url())
        return _detail(request, instruction, text_form=form, status=400)
    if action == "close":
        try:
            services.close(actor=request.user, instruction=instruction)
        except ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Closed (办结)."))
        return redirect(instruction.get_absolute_url())
    if action == "reopen":
        form = ReopenForm(request.POST)
        if form.is_valid():
            try:
                services.reopen(actor=request.user, instruction=instruction, **form.cleaned_data)
            except (ActionRefused, ValidationError) as error:
                _refuse(form, error)
            else:
                messages.success(request, _("Reopened (回访)."))
                return redirect(instruction.get_absolute_url())
        return _detail(request, instruction, reopen_form=form, status=400)
    raise Http404


def _assignment_page(request, assignment, *, feedback_form=None, extension_form=None, status=200):
    user = request.user
    rows = list(assignment.feedback.select_related("written_by", "signed_by", "reviewed_by")
                .prefetch_related("attachments"))
    for row in rows:
        row.may_sign_off = permissions.SIGN_OFF.allows(user, row)
        row.may_resubmit = permissions.RESUBMIT.allows(user, row)
        row.may_review = permissions.REVIEW.allows(user, row)
    extensions = list(assignment.extensions.select_related("requested_by", "decided_by"))
    for row in extensions:
        row.may_decide = permissions.DECIDE.allows(user, row)
    instruction = assignment.instruction
    return render(request, "instructions/assignment.html", {
        "assignment": assignment, "instruction": instruction, "feedback": rows, "extensions": extensions,
        "colour": colour_of(assignment),
        "may_sign_for": permissions.SIGN_FOR.allows(user, assignment),
        "may_write": permissions.WRITE.allows(user, assignment),
        "may_ask": (permissions.ASK_MORE_TIME.allows(user, assignment) and assignment.is_open
                    and assignment.due_at > timezone.now()),
        "sees_instruction": access.may_see(user, instruction),
        "sees_item": bool(instruction.item_id) and access.may_see(user, instruction.item),
        "feedback_form": feedback_form or FeedbackForm(),
        "extension_form": extension_form or ExtensionForm(),
        "note_form": NoteForm(),
        "shortfalls": shortfalls_of(assignment),
    }, status=status)


@login_required
def assignment_detail(request, pk):
    return _assignment_page(request, selectors.assignment_for(request.user, pk))


@login_required
@require_POST
def assignment_act(request, pk, action):
    """sign (签收), feedback (progress or final, with attachments), extension (more time)."""
    assignment = selectors.assignment_for(request.user, pk)
    if action == "sign":
        already = assignment.signed_at  # another tab, or a colleague, signed first: say so, not "signed"
        try:
            signed = services.sign_for(actor=request.user, assignment=assignment)
        except ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            if already is None:
                messages.success(request, _("Signed for."))
            else:
                messages.info(request, _("Already signed for by %(who)s at %(when)s: nothing more to do.") % {
                    "who": signed.signed_by or "—", "when": formats.date_format(
                        timezone.localtime(already), "m-d H:i")})
        return redirect(assignment.get_absolute_url())
    if action == "feedback":
        form = FeedbackForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.feedback_post(actor=request.user, assignment=assignment, kind=form.cleaned_data["kind"],
                                       text=form.cleaned_data["text"], files=form.cleaned_data["files"])
            except (ActionRefused, ValidationError) as error:
                _refuse(form, error)
            else:
                messages.success(request, _("Feedback recorded."))
                return redirect(assignment.get_absolute_url())
        return _assignment_page(request, assignment, feedback_form=form, status=400)
    if action == "extension":
        form = ExtensionForm(request.POST)
        if form.is_valid():
            try:
                services.extension_request(actor=request.user, assignment=assignment, **form.cleaned_data)
            except (ActionRefused, ValidationError) as error:
                _refuse(form, error)
            else:
                messages.success(request, _("More time asked; the office decides."))
                return redirect(assignment.get_absolute_url())
        return _assignment_page(request, assignment, extension_form=form, status=400)
    raise Http404


FEEDBACK_ACTIONS = ("signoff", "redo", "resubmit", "accept", "return")
# What each feedback action did, said after it (the trail says it too).
FEEDBACK_DONE = {
    "signoff": _lazy("Feedback signed off and sent to the office."),
    "redo": _lazy("Feedback returned to its writer."),
    "resubmit": _lazy("Feedback sent again."),
    "accept": _lazy("Feedback accepted."),
    "return": _lazy("Feedback returned to the unit to redo."),
}


@login_required
@require_POST
def feedback_act(request, pk, action):
    """The director signs feedback off or returns it to its writer; the writer sends it again; the office accepts
    a final feedback or returns it to redo."""
    feedback = selectors.feedback_for(request.user, pk)
    if action not in FEEDBACK_ACTIONS:
        raise Http404
    note, text = request.POST.get("note", "")[:2000], request.POST.get("text", "")[:8000]
    try:
        if action == "signoff":
            services.feedback_signoff(actor=request.user, feedback=feedback)
        elif action == "redo":
            services.feedback_redo(actor=request.user, feedback=feedback, note=note)
        elif action == "resubmit":
            services.feedback_resubmit(actor=request.user, feedback=feedback, text=text or feedback.text)
        else:
            services.feedback_review(actor=request.user, feedback=feedback, accept=action == "accept", note=note)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, FEEDBACK_DONE[action])
    return redirect(feedback.assignment.get_absolute_url())


@login_required
@require_POST
def extension_act(request, pk, action):
    extension = selectors.extension_for(request.user, pk)
    if action not in ("grant", "refuse"):
        raise Http404
    try:
        services.extension_decide(actor=request.user, extension=extension, grant=action == "grant",
                                  note=request.POST.get("note", "")[:2000])
    except ActionRefused as refused:
        messages.error(request, refused.message)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("Decided."))
    return redirect(extension.assignment.get_absolute_url())


@login_required
def attachment_download(request, pk, attachment_pk):
    feedback = selectors.feedback_for(request.user, pk)
    attachment = get_object_or_404(feedback.attachments, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Content-Disposition"] = content_disposition(
        attachment.original_name, fallback=f"feedback-{feedback.pk}-attachment-{attachment.pk}")
    return response


