"""Reads of leader instructions shared by pages, the API and the start page; each through the one access rule."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followup import calendar
from followup.colour import colour_expression, colour_filter
from followup.models import Colour
from infohub import access
from infohub.models import AuditLog, Role, User
from infohub.openwork import counted
from infohub.roles import unit_ids_where
from publications.selectors import issue_list
from reviews.models import Hop
from submissions.models import Item

from .models import Assignment, Extension, Feedback, Instruction


def instructions_visible(user: User) -> QuerySet[Instruction]:
    """Instructions of the offices where I hold an office role (a leader's own among them), newest first."""
    return (access.visible(user, Instruction.objects.all()).select_related("leader", "office")
            .annotate(units=Count("assignments"), answered_units=Count(
                "assignments", filter=Q(assignments__answered_at__isnull=False)))
            .order_by("-written_at", "-id"))


def instruction_for(user: User, pk) -> Instruction:
    """An instruction I may see, else Http404."""
    return access.get_visible(user, Instruction.objects.select_related("leader", "office", "item", "issue",
                                                                         "assigned_by", "registered_by"), pk)


def assignments_of(instruction: Instruction) -> QuerySet[Assignment]:
    return (instruction.assignments.select_related("unit", "signed_by")
            .annotate(colour=colour_expression()).order_by("role", "id"))


def assignments_visible(user: User, *, colour: str = "", state: str = "") -> QuerySet[Assignment]:
    """Assignments my units owe and those my offices wait for, the most urgent first; optionally one colour
    (followup.models.Colour) or one state."""
    rows = access.visible(user, Assignment.objects.all())
    if colour:
        rows = rows.filter(colour_filter(colour))
    if state:
        rows = rows.filter(state=state)
    return (rows.select_related("unit", "office", "instruction", "instruction__leader")
            .annotate(colour=colour_expression())
            .order_by(F("answered_at").asc(nulls_first=True), F("closed_at").asc(nulls_first=True), "due_at", "id"))


def owed_by_my_units(user: User, roles: tuple[str, ...] = (Role.CLERK, Role.DIRECTOR)) -> QuerySet[Assignment]:
    """What my units owe (I hold one of `roles` there; a clerk or the director by default): open assignments, due
    soonest first, each annotated for `reason_of`."""
    units = unit_ids_where(user, *roles)
    return with_reasons(access.visible(user, Assignment.objects.filter(unit_id__in=units, state__in=Assignment.OPEN_STATES))
                        .select_related("unit", "instruction", "instruction__leader")
                        .annotate(colour=colour_expression()).order_by("due_at", "id"))


def with_reasons(rows: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """`rows` annotated with what `reason_of` reads, in the same statement (no query per row): the office's note on
    the last final feedback it returned (`office_note`), the director's note on feedback returned to its writer
    (`director_note`), whether feedback awaits the director (`to_sign`), the working days of a pending request for
    more time (`more_days`)."""
    feedback = Feedback.objects.filter(assignment=OuterRef("pk"))
    return rows.annotate(
        office_note=Subquery(feedback.filter(state=Feedback.State.RETURNED)
                             .order_by("-reviewed_at", "-id").values("review_note")[:1]),
        director_note=Subquery(feedback.filter(state=Feedback.State.DRAFT).order_by("-id").values("director_note")[:1]),
        to_sign=Exists(feedback.filter(state=Feedback.State.PENDING)),
        more_days=Subquery(Extension.objects.filter(assignment=OuterRef("pk"), state=Extension.State.PENDING)
                           .values("working_days")[:1]),
    )


def _hm(at: datetime) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M")


def reason_of(assignment: Assignment, now: datetime | None = None) -> str:
    """Why an open assignment is where it is, in words (SPEC §6, §10: the start page says why a row is listed, not
    only its colour): overdue by how many working days, chased, on record; returned by the office or by the director
    with their note; feedback awaiting the director; more time asked; awaiting sign-for; else being handled, due by.
    Reads the annotations of `with_reasons` (absent ones count as nothing)."""
    now = now or timezone.now()
    parts = []
    if assignment.is_open and assignment.due_at <= now:
        late = calendar.working_days_late(assignment.due_at, now)
        parts.append(_("Overdue by %(n)d working days (due %(due)s)") % {"n": late, "due": _hm(assignment.due_at)}
                     if late else _("Overdue (due %(due)s)") % {"due": _hm(assignment.due_at)})
        if assignment.overdue_recorded_at:
            parts.append(_("on record for the 通报"))
        elif assignment.chased_at:
            parts.append(_("催办 sent"))
    if assignment.state == Assignment.State.RETURNED:
        note = getattr(assignment, "office_note", "") or ""
        parts.append(_("Returned by the office to redo: %(note)s") % {"note": note[:80]} if note
                     else _("Returned by the office to redo"))
    director_note = getattr(assignment, "director_note", None)
    if director_note:
        parts.append(_("Feedback returned by the director: %(note)s") % {"note": director_note[:80]})
    if getattr(assignment, "to_sign", False):
        parts.append(_("Feedback awaiting the director's sign-off"))
    more = getattr(assignment, "more_days", None)
    if more:
        parts.append(_("%(n)d more working days asked, awaiting the office") % {"n": more})
    if assignment.state == Assignment.State.ASSIGNED:
        parts.append(_("Awaiting sign-for (签收)"))
    if not parts:
        parts.append(_("Being handled, feedback due by %(due)s") % {"due": _hm(assignment.due_at)})
    return "；".join(str(part) for part in parts)


def needs_clerk_now(assignment: Assignment) -> bool:
    """Whether an open assignment belongs among a clerk's "to act on now": overdue or due today, returned by the
    office, or feedback the director returned."""
    return (getattr(assignment, "colour", "") in (Colour.OVERDUE, Colour.DUE_TODAY)
            or assignment.state == Assignment.State.RETURNED or bool(getattr(assignment, "director_note", None)))


def clerk_tasks(user: User) -> list[Assignment]:
    """The assignments of my units (I am their clerk) to act on now (`needs_clerk_now`), each with `reason`, the
    most urgent first. Two statements whatever they hold."""
    urgent = Q(colour__in=(Colour.OVERDUE, Colour.DUE_TODAY)) | Q(state=Assignment.State.RETURNED) | Q(
        director_note__isnull=False)
    rows = list(owed_by_my_units(user, (Role.CLERK,)).filter(urgent)[:20])
    now = timezone.now()
    for row in rows:
        row.reason = reason_of(row, now)
    return rows


def trail(instruction: Instruction, assignments: list[Assignment]) -> list[AuditLog]:
    """The history of an instruction, oldest first: the audit rows of the instruction, of its assignments and of the
    requests for more time made on them (request, grant, refusal, settled at closing). Each row gets `unit_name` (the
    unit an assignment's or a request's row is about, else "") and `outcome` (what the step came to, where the action
    alone does not say: a review accepted or returned, the days asked, the due time a grant moved to). Three
    statements."""
    units = {assignment.pk: assignment.unit.name for assignment in assignments}
    extensions = {extension.pk: extension for extension in Extension.objects.filter(assignment__in=assignments)}
    rows = AuditLog.objects.filter(object_type="instructions.instruction", object_id=str(instruction.pk))
    rows |= AuditLog.objects.filter(object_type="instructions.assignment", object_id__in=[str(a) for a in units])
    rows |= AuditLog.objects.filter(object_type="instructions.extension", object_id__in=[str(e) for e in extensions])
    found = list(rows.select_related("actor").order_by("created_at", "id"))
    for row in found:
        row.unit_name, row.outcome = "", ""
        if row.object_type == "instructions.assignment":
            row.unit_name = units.get(int(row.object_id), "")
            if row.action == "assignment.review":
                row.outcome = row.to_label
        elif row.object_type == "instructions.extension":
            extension = extensions[int(row.object_id)]
            row.unit_name = units.get(extension.assignment_id, "")
            if row.action == "extension.request":
                row.outcome = _("%(n)d more working days: %(reason)s") % {"n": extension.working_days,
                                                                        "reason": extension.reason}
            elif row.action == "extension.grant" and extension.due_after:
                row.outcome = _("now due by %(due)s") % {
                    "due": timezone.localtime(extension.due_after).strftime("%Y-%m-%d %H:%M")}
            else:
                row.outcome = row.to_label
    return found


def assignment_for(user: User, pk) -> Assignment:
    return access.get_visible(user, Assignment.objects.select_related("unit", "office", "instruction",
                                                                        "instruction__leader", "signed_by"), pk)


def feedback_for(user: User, pk) -> Feedback:
    return access.get_visible(user, Feedback.objects.select_related("assignment", "assignment__unit",
                                                                      "assignment__instruction"), pk)


def extension_for(user: User, pk) -> Extension:
    return access.get_visible(user, Extension.objects.select_related("assignment", "assignment__unit",
                                                                       "assignment__instruction"), pk)


def leader_start_page(user: User) -> dict | None:
    """For a leader's start page (project.start): my latest instructions with where each stands, and what awaits my
    reading — items adopted at my offices I have not instructed on yet, the latest issues sent to my units. None for
    someone who is no leader."""
    offices = unit_ids_where(user, Role.LEADER)
    if not offices:
        return None
    mine = instructions_visible(user).filter(leader=user)[:10]
    adopted = access.visible(user, Item.objects.filter(
        pk__in=Hop.objects.filter(office_id__in=offices, status=Hop.Status.ADOPTED).values("item_id")))
    to_read = (adopted.exclude(pk__in=Instruction.objects.filter(leader=user, item__isnull=False).values("item_id"))
               .only("id", "title", "source_unit__name", "submitted_at").select_related("source_unit")
               .order_by("-submitted_at", "-id")[:10])
    issues = issue_list(user, tab="received").exclude(
        pk__in=Instruction.objects.filter(leader=user, issue__isnull=False).values("issue_id"))[:5]
    return {"my_instructions": list(mine), "to_read": list(to_read), "issues_to_read": list(issues)}


def unit_start_page(user: User) -> dict | None:
    """For a clerk's or director's start page: what my units owe (the five most urgent) and feedback awaiting my
    sign-off (directors). None when there is neither."""
    from .permissions import SIGN_OFF

    owed = list(owed_by_my_units(user)[:5])
    now = timezone.now()
    for row in owed:
        row.reason = reason_of(row, now)
    to_sign = list(SIGN_OFF.listed(user, Feedback.objects.all())
                   .select_related("assignment", "assignment__instruction")[:5])
    return {"owed": owed, "feedback_to_sign": to_sign} if owed or to_sign else None


def office_start_page(user: User) -> dict | None:
    """For an office's editors and directors: instructions awaiting assignment, final feedback to review, requests
    for more time to decide (with the unit's reason, the days and the due time they would move) and the overdue
    assignments of the office's instructions (the most overdue first, each with `reason`, and how many there are).
    None when there is nothing. Five statements whatever the lists hold."""
    from .permissions import ASSIGN, DECIDE, FOLLOW, REVIEW

    to_assign = list(ASSIGN.listed(user, Instruction.objects.all()).select_related("leader")[:5])
    to_review = list(REVIEW.listed(user, Feedback.objects.all())
                     .select_related("assignment__unit", "assignment__instruction")[:5])
    extensions = list(DECIDE.listed(user, Extension.objects.all())
                      .select_related("assignment__unit", "assignment__instruction", "requested_by")
                      .order_by("due_before", "id")[:10])
    now = timezone.now()
    overdue = FOLLOW.listed(user, Assignment.objects.filter(colour_filter(Colour.OVERDUE, now)))
    overdue_rows = list(with_reasons(overdue.select_related("unit", "instruction")).order_by("due_at", "id")[:10])
    for row in overdue_rows:
        row.reason = reason_of(row, now)
    overdue_count = overdue.count() if len(overdue_rows) == 10 else len(overdue_rows)
    found = {"to_assign": to_assign, "to_review": to_review, "extensions_to_decide": extensions,
             "overdue": overdue_rows, "overdue_count": overdue_count}
    return found if any(found.values()) else None


def open_work(unit_ids) -> list[tuple[int, str, int]]:
    """infohub.openwork: the assignments (交办) these units have not answered, those these offices have not closed, and
    the instructions these offices still handle (not closed, not for reference only). Three queries."""
    open_instructions = Instruction.objects.filter(office_id__in=unit_ids).exclude(
        state__in=[Instruction.State.CLOSED, Instruction.State.NOTED])
    return [*counted(Assignment.objects.filter(unit_id__in=unit_ids, answered_at=None, closed_at=None), "unit_id",
                     gettext_lazy("assignments to answer")),
            *counted(Assignment.objects.filter(office_id__in=unit_ids, closed_at=None), "office_id",
                     gettext_lazy("assignments it follows up")),
            *counted(open_instructions, "office_id", gettext_lazy("leader instructions being handled"))]
