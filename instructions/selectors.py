"""Reads of leader instructions shared by pages, the API and the start page; each through the one access rule."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from followup.colour import colour_expression, colour_filter
from infohub import access
from infohub.models import Role, User
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


def owed_by_my_units(user: User) -> QuerySet[Assignment]:
    """What my units owe (I am a clerk or the director there): open assignments, due soonest first."""
    units = unit_ids_where(user, Role.CLERK, Role.DIRECTOR)
    return (access.visible(user, Assignment.objects.filter(unit_id__in=units, state__in=Assignment.OPEN_STATES))
            .select_related("unit", "instruction", "instruction__leader")
            .annotate(colour=colour_expression()).order_by("due_at", "id"))


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
    to_sign = list(SIGN_OFF.listed(user, Feedback.objects.all())
                   .select_related("assignment", "assignment__instruction")[:5])
    return {"owed": owed, "feedback_to_sign": to_sign} if owed or to_sign else None


def office_start_page(user: User) -> dict | None:
    """For an office's editors and directors: instructions awaiting assignment and final feedback to review. None
    when there is neither."""
    from .permissions import ASSIGN, REVIEW

    to_assign = list(ASSIGN.listed(user, Instruction.objects.all()).select_related("leader")[:5])
    to_review = list(REVIEW.listed(user, Feedback.objects.all())
                     .select_related("assignment__unit", "assignment__instruction")[:5])
    return {"to_assign": to_assign, "to_review": to_review} if to_assign or to_review else None
