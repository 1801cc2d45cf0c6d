"""Every write of leader instructions (SPEC §6), one function per use case. Each is one transaction: the row
re-read with select_for_update, the actor's right and the state checked (instructions.permissions), the change,
its audit row, the follow-up mechanism told (followup.services), and the people told (in the app now, by e-mail
after commit). Sending the same action twice changes nothing the second time: it is refused with the state it
found (409), or answered with what the first did (signing for twice).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from followup import calendar
from followup import services as followup
from followup.delivery import tell
from infohub import access, tree
from infohub.errors import IllegalTransition, NotPermitted
from infohub.models import AuditLog, Classification, Role, RoleAssignment, Unit, User
from infohub.roles import holds, unit_ids_where
from infohub.services import audit_record
from publications.models import Issue
from submissions.models import Item

from . import permissions
from .models import MAX_WORKING_DAYS, Assignment, Extension, Feedback, FeedbackAttachment, Instruction, Kind

DEFAULT_WORKING_DAYS = 5
OFFICE_ROLES = (Role.EDITOR, Role.DIRECTOR)
SIGNING_ROLES = (Role.CLERK, Role.DIRECTOR)  # who signs for a unit's assignment (permissions.SIGN_FOR)


def _office_groups(office_id: int) -> list[tuple[str, int]]:
    return [(role, office_id) for role in OFFICE_ROLES]


def _unit_groups(unit_id: int) -> list[tuple[str, int]]:
    return [(Role.CLERK, unit_id), (Role.DIRECTOR, unit_id)]


def _hm(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _check_days(working_days: int, field: str = "working_days") -> None:
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise ValidationError({field: _("Give between 1 and %(max)d working days.") % {"max": MAX_WORKING_DAYS}})


# --- writing and registering ----------------------------------------------------------------------------------------


def leader_offices(user: User) -> list[Unit]:
    """The units where `user` holds the leader role, highest level first."""
    return sorted(Unit.objects.filter(pk__in=unit_ids_where(user, Role.LEADER)), key=lambda u: (u.path.count("/"), u.pk))


def _subject(item: Item | None, issue: Issue | None) -> tuple[str, str]:
    """(title, classification) of what the instruction is written on."""
    if item is not None:
        return item.title, item.classification
    if issue is not None:
        return issue.title_label, issue.classification
    return "", Classification.INTERNAL


def instruct(*, actor: User, kind: str, text: str, item: Item | None = None, issue: Issue | None = None,
             office: Unit | None = None) -> Instruction:
    """A leader writes an instruction (批示) on an item or an issue they may see. Its office is the unit where they
    hold the leader role (`office`, or their highest one); its level that unit's. Raises NotPermitted for someone
    who is no leader there or may not see the item/issue. A reference kind (参阅/阅) is noted at once; one that
    needs feedback awaits assignment, and the office's editors and directors are told."""
    offices = leader_offices(actor)
    if office is None:
        office = offices[0] if offices else None
    if office is None or office.pk not in {u.pk for u in offices}:
        raise NotPermitted(_("Only a leader writes instructions."))
    if (item is None) == (issue is None):
        raise ValidationError({"item": _("Write the instruction on one item or one issue.")})
    subject = item if item is not None else issue
    if not access.may_see(actor, subject):
        raise NotPermitted(_("You may not see what you are instructing on."))
    title, mark = _subject(item, issue)
    with transaction.atomic():
        instruction = Instruction.objects.create(
            leader=actor, office=office, level=office.level, item=item, issue=issue, title=title[:200], kind=kind,
            text=text, written_at=timezone.now(), classification=mark,
            state=Instruction.State.REGISTERED if Kind.needs_feedback(kind) else Instruction.State.NOTED,
        )
        audit_record(actor=actor, action="instruction.write", obj=instruction, to_state=instruction.state,
                     data={"kind": kind, "item": item and item.pk, "issue": issue and issue.pk})
        _announce(instruction)
    return instruction


def register_paper(*, actor: User, office: Unit, leader: User, kind: str, text: str, written_at: datetime,
                   title: str = "", item: Item | None = None, issue: Issue | None = None) -> Instruction:
    """The office registers a paper instruction (批示件) on the leader's behalf: it names the leader (who holds the
    leader role in this office) and when they wrote it. Raises NotPermitted unless the actor is an editor or the
    director of the office."""
    if not (holds(actor, Role.EDITOR, office.pk) or holds(actor, Role.DIRECTOR, office.pk)):
        raise NotPermitted(_("Only an editor or the director of the office registers paper instructions."))
    if not holds(leader, Role.LEADER, office.pk):
        raise ValidationError({"leader": _("%(person)s holds no leader role in %(office)s.") % {
            "person": leader, "office": office}})
    if written_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"written_at": _("The instruction cannot have been written in the future.")})
    if item is not None and issue is not None:
        raise ValidationError({"item": _("Name one item or one issue, not both.")})
    for subject in filter(None, (item, issue)):
        if not access.may_see(actor, subject):
            raise NotPermitted(_("You may not see what the instruction is written on."))
    subject_title, mark = _subject(item, issue)
    title = title or subject_title
    if not title:
        raise ValidationError({"title": _("Say what the instruction is written on.")})
    with transaction.atomic():
        instruction = Instruction.objects.create(
            leader=leader, office=office, level=office.level, item=item, issue=issue, title=title[:200], kind=kind,
            text=text, written_at=written_at, source=Instruction.Source.PAPER, registered_by=actor,
            classification=mark,
            state=Instruction.State.REGISTERED if Kind.needs_feedback(kind) else Instruction.State.NOTED,
        )
        audit_record(actor=actor, action="instruction.register", obj=instruction, to_state=instruction.state,
                     data={"leader": leader.pk, "kind": kind})
        _announce(instruction)
    return instruction


def _announce(instruction: Instruction) -> None:
    if instruction.state != Instruction.State.REGISTERED:
        return
    tell(groups=_office_groups(instruction.office_id), obj=instruction, verb="instruction.written",
         text=_("%(leader)s instructed on “%(title)s”: assign it (交办).") % {
             "leader": instruction.leader, "title": instruction.title[:60]},
         url=instruction.get_absolute_url())


def _lock(model, obj):
    return model.objects.select_for_update(of=("self",)).get(pk=obj.pk)


def _check(right, actor: User, obj, attempt: str) -> None:
    """`right.check`, except that a state refusal — someone else acted on `obj` first (two tabs, two people) — names
    the action this request attempted (`attempt`, e.g. "return to redo"), who got there first, when, and the state
    it is in now, instead of the right's own wording (which names one action for several: signing off and returning
    to the writer share a right). Raises NotPermitted or IllegalTransition."""
    try:
        right.check(actor, obj)
    except IllegalTransition:
        allowed = {state for one in right.rights for state in one.states.get("state", ())}
        if obj.state in allowed:
            raise  # refused for another reason than its state (a progress report is not reviewed)
        last = (AuditLog.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
                .select_related("actor").order_by("-created_at", "-id").first())
        raise IllegalTransition(_("Could not %(attempt)s: %(who)s acted on it first (%(at)s); it is now “%(state)s”.") % {
            "attempt": attempt, "who": (last and last.actor) or _("the system"),
            "at": _hm(last.created_at) if last else "", "state": obj.get_state_display()}) from None


# --- 交办 --------------------------------------------------------------------------------------------------------


def _staffed():
    """An expression: someone active can sign for the unit (holds the clerk or director role there)."""
    return Exists(RoleAssignment.objects.filter(unit=OuterRef("pk"), role__in=SIGNING_ROLES, user__is_active=True))


def assignable_units(office: Unit):
    """The units an office may assign to: every active unit below it in the tree (not itself), each annotated
    `staffed` (someone can sign for it: see `unstaffed`)."""
    return tree.subtree(office).filter(is_active=True).exclude(pk=office.pk).annotate(staffed=_staffed())


def unstaffed(units) -> list[Unit]:
    """The units among `units` nobody can sign for (SPEC §6: each unit signs for its part): no active person holds
    the information officer's or the director's role there, so nobody would be told, reminded, chased or could answer.
    One statement."""
    units = list(units)
    staffed = set(RoleAssignment.objects.filter(unit__in=units, role__in=SIGNING_ROLES, user__is_active=True)
                  .values_list("unit_id", flat=True))
    return [unit for unit in units if unit.pk not in staffed]


UNSTAFFED = "unstaffed"


def is_unconfirmed(error: ValidationError) -> bool:
    """Whether `error` is `assign`'s refusal of a unit nobody can sign for, which the office may confirm."""
    return hasattr(error, "error_dict") and any(
        getattr(one, "code", None) == UNSTAFFED for errors in error.error_dict.values() for one in errors)


def unstaffed_message(units: list[Unit]) -> str:
    return _("Nobody can sign for %(units)s: no active information officer or director there would be told, reminded "
             "or chased, or could answer. Choose another unit, or confirm to assign it anyway (reach it another way "
             "and have its people added in the admin).") % {"units": "、".join(unit.name for unit in units)}


def assign(*, actor: User, instruction: Instruction, lead: Unit, supporting: list[Unit] = (), asked: str,
           working_days: int = DEFAULT_WORKING_DAYS, confirm_unstaffed: bool = False) -> Instruction:
    """交办: a lead unit and supporting units, what is asked, due in `working_days` working days (followup.calendar:
    the closing time of the n-th working day after today). One Assignment per unit, each followed up. Raises
    ValidationError naming the field for a unit outside the office's tree, a unit named twice, days out of range —
    and, unless `confirm_unstaffed`, for a unit nobody can sign for (`unstaffed`; code "unstaffed", naming the
    units: warn and confirm, not block — a unit may be without people for a while, and the office may reach it
    another way; a confirmed one is noted in the audit row)."""
    _check_days(working_days)
    supporting = [unit for unit in supporting if unit.pk != lead.pk]
    if len({u.pk for u in supporting}) != len(supporting):
        raise ValidationError({"supporting": _("A unit is named twice.")})
    with transaction.atomic():
        instruction = _lock(Instruction, instruction)
        permissions.ASSIGN.check(actor, instruction)
        allowed = set(assignable_units(instruction.office).filter(pk__in=[lead.pk, *[u.pk for u in supporting]])
                      .values_list("pk", flat=True))
        if lead.pk not in allowed:
            raise ValidationError({"lead": _("%(unit)s is not below %(office)s.") % {
                "unit": lead, "office": instruction.office}})
        outside = [u for u in supporting if u.pk not in allowed]
        if outside:
            raise ValidationError({"supporting": _("%(unit)s is not below %(office)s.") % {
                "unit": outside[0], "office": instruction.office}})
        empty = unstaffed([lead, *supporting])
        if empty and not confirm_unstaffed:
            field = "lead" if empty[0].pk == lead.pk else "supporting"
            raise ValidationError({field: ValidationError(unstaffed_message(empty), code=UNSTAFFED)})
        now = timezone.now()
        due = calendar.add_working_days(now, working_days)
        instruction.asked, instruction.working_days, instruction.due_at = asked, working_days, due
        instruction.assigned_at, instruction.assigned_by = now, actor
        instruction.state = Instruction.State.ASSIGNED
        instruction.save()
        for role, unit in [(Assignment.Role.LEAD, lead), *[(Assignment.Role.SUPPORT, u) for u in supporting]]:
            assignment = Assignment(instruction=instruction, unit=unit, office=instruction.office, role=role,
                                    created_at=now)
            followup.schedule(assignment, due_at=due, now=now, save=False)
            assignment.save()
            _tell_unit(assignment, "instruction.assigned",
                       _("Assigned to %(unit)s (%(role)s): %(leader)s's instruction on “%(title)s”; feedback due by "
                         "%(due)s.") % {"unit": unit, "role": assignment.get_role_display(),
                                        "leader": instruction.leader, "title": instruction.title[:60],
                                        "due": _hm(due)})
        audit_record(actor=actor, action="instruction.assign", obj=instruction, from_state=Instruction.State.REGISTERED,
                     to_state=instruction.state, reason=asked, data={"lead": lead.pk, "supporting": [u.pk for u in supporting],
                                                       "working_days": working_days, "due_at": due.isoformat(),
                                                       "unstaffed": [u.pk for u in empty]})
    return instruction


def assign_warnings(instruction: Instruction) -> list[dict]:
    """What the office should know about an assignment just made, each `{"code", "field", "message"}`: units nobody
    can sign for (code "unstaffed", field "lead" or "supporting"; assigned after the office confirmed), a due date in
    a year whose holidays nobody knows (code "calendar_unknown", field "working_days": followup.calendar.due_warning).
    Shown on the page after assigning and in the API's answer."""
    assignments = list(instruction.assignments.select_related("unit"))
    warnings = []
    empty = {unit.pk for unit in unstaffed([a.unit for a in assignments])}
    for role, field in ((Assignment.Role.LEAD, "lead"), (Assignment.Role.SUPPORT, "supporting")):
        units = [a.unit for a in assignments if a.role == role and a.unit_id in empty]
        if units:
            warnings.append({"code": UNSTAFFED, "field": field, "message": _(
                "Nobody can sign for %(units)s: it was assigned as you confirmed; reach it another way and have its "
                "people added in the admin.") % {"units": "、".join(unit.name for unit in units)}})
    if instruction.due_at and (text := calendar.due_warning(instruction.due_at)):
        warnings.append({"code": CALENDAR_UNKNOWN, "field": "working_days", "message": text})
    return warnings


CALENDAR_UNKNOWN = "calendar_unknown"


def calendar_ahead(now: datetime | None = None) -> str:
    """For the assign form, before a due date is chosen: a warning when a due date it can give (up to
    MAX_WORKING_DAYS working days from now) may fall in a year nobody knows (followup.calendar.year_unknown), else
    ""."""
    now = now or timezone.now()
    years = calendar.unknown_years(calendar.local_date(now),
                                   calendar.local_date(calendar.add_working_days(now, MAX_WORKING_DAYS)))
    if not years:
        return ""
    return _("The public holidays and 调休 days of %(years)s are not known yet (neither chinese-calendar nor the "
             "working-day calendar has them): a due date in that year is counted Monday to Friday. Enter them in the "
             "admin (工作日历) first, or check the due date after assigning.") % {
        "years": "、".join(str(year) for year in years)}


def _tell_unit(assignment: Assignment, verb: str, text: str, *, people=()) -> int:
    return tell(groups=_unit_groups(assignment.unit_id), people=list(people), obj=assignment, verb=verb, text=text,
                url=assignment.get_absolute_url())


def _tell_office(assignment: Assignment, verb: str, text: str) -> int:
    return tell(groups=_office_groups(assignment.office_id), obj=assignment, verb=verb, text=text,
                url=assignment.get_absolute_url())


# --- the unit's side ----------------------------------------------------------------------------------------------


def sign_for(*, actor: User, assignment: Assignment) -> Assignment:
    """签收. Signing for an assignment already signed for answers it unchanged."""
    with transaction.atomic():
        assignment = _lock(Assignment, assignment)
        if assignment.signed_at is not None and any(holds(actor, role, assignment.unit_id)
                                                    for role in (Role.CLERK, Role.DIRECTOR)):
            return assignment  # a repeat: already signed for
        permissions.SIGN_FOR.check(actor, assignment)
        followup.sign_for(assignment, actor=actor)
        assignment.state = Assignment.State.SIGNED
        assignment.save(update_fields=["state"])
        audit_record(actor=actor, action="assignment.sign", obj=assignment, from_state=Assignment.State.ASSIGNED,
                     to_state=assignment.state)
    return assignment


def _attach(feedback: Feedback, files) -> None:
    for upload in files:
        try:
            FeedbackAttachment._meta.get_field("file").run_validators(upload)
        except ValidationError as error:
            raise ValidationError({"files": error.messages}) from None
        FeedbackAttachment.objects.create(feedback=feedback, file=upload, original_name=upload.name[:200],
                                          size=upload.size, content_type=getattr(upload, "content_type", "")[:100])


def feedback_post(*, actor: User, assignment: Assignment, kind: str, text: str, files=()) -> Feedback:
    """A clerk or the director writes progress or final feedback. Signs for the assignment if nobody had. A clerk's
    feedback awaits the director's sign-off; the director's own goes up at once (signed by writing it)."""
    if not text.strip():
        raise ValidationError({"text": _("Write the feedback.")})
    with transaction.atomic():
        assignment = _lock(Assignment, assignment)
        permissions.WRITE.check(actor, assignment)
        if kind == Feedback.Kind.FINAL and assignment.feedback.filter(
                kind=Feedback.Kind.FINAL, state__in=[Feedback.State.DRAFT, Feedback.State.PENDING,
                                                     Feedback.State.SENT]).exists():
            raise IllegalTransition(_("A final feedback of this assignment is already on its way."))
        if assignment.state == Assignment.State.ASSIGNED:
            followup.sign_for(assignment, actor=actor)
            assignment.state = Assignment.State.SIGNED
            assignment.save(update_fields=["state"])
            audit_record(actor=actor, action="assignment.sign", obj=assignment, from_state=Assignment.State.ASSIGNED,
                         to_state=assignment.state)
        feedback = Feedback.objects.create(assignment=assignment, kind=kind, text=text, written_by=actor)
        _attach(feedback, files)
        audit_record(actor=actor, action="feedback.post", obj=feedback, to_state=feedback.state,
                     data={"assignment": assignment.pk, "kind": kind, "files": len(files)})
        if holds(actor, Role.DIRECTOR, assignment.unit_id):
            _send_up(feedback, assignment, actor)
        else:
            tell(groups=[(Role.DIRECTOR, assignment.unit_id)], obj=assignment, verb="feedback.to_sign",
                 text=_("Feedback to sign off: %(what)s.") % {"what": assignment.followup_subject()},
                 url=assignment.get_absolute_url())
    return feedback


def _send_up(feedback: Feedback, assignment: Assignment, director: User) -> None:
    now = timezone.now()
    from_state = feedback.state
    feedback.state, feedback.signed_by, feedback.signed_at = Feedback.State.SENT, director, now
    feedback.save(update_fields=["state", "signed_by", "signed_at"])
    audit_record(actor=director, action="feedback.signoff", obj=feedback, from_state=from_state,
                 to_state=feedback.state)
    if feedback.kind == Feedback.Kind.FINAL:
        before = assignment.state
        followup.answered(assignment, at=now, person=feedback.written_by)
        assignment.state = Assignment.State.ANSWERED
        assignment.save(update_fields=["state"])
        audit_record(actor=director, action="assignment.answer", obj=assignment, from_state=before,
                     to_state=assignment.state, data={"late": now > assignment.due_at, "feedback": feedback.pk})
        text = _("Final feedback from %(unit)s to review: %(what)s.")
    else:
        text = _("Progress from %(unit)s: %(what)s.")
    _tell_office(assignment, "feedback.sent", text % {"unit": assignment.unit, "what": assignment.followup_subject()})


def feedback_signoff(*, actor: User, feedback: Feedback) -> Feedback:
    """The unit's director signs the feedback off: it goes up to the office. A final feedback answers the
    assignment (its follow-up stops; late if after the due time)."""
    with transaction.atomic():
        feedback = _lock(Feedback, feedback)
        _check(permissions.SIGN_OFF, actor, feedback, _("sign the feedback off"))
        assignment = _lock(Assignment, feedback.assignment)
        if feedback.kind == Feedback.Kind.FINAL and assignment.state not in Assignment.OPEN_STATES:
            raise IllegalTransition(_("The assignment is no longer open (“%(state)s”).") % {
                "state": assignment.get_state_display()})
        _send_up(feedback, assignment, actor)
    return feedback


def feedback_redo(*, actor: User, feedback: Feedback, note: str) -> Feedback:
    """The director sends the feedback back to its writer, saying why."""
    if not note.strip():
        raise ValidationError({"note": _("Say what to change.")})
    with transaction.atomic():
        feedback = _lock(Feedback, feedback)
        _check(permissions.SIGN_OFF, actor, feedback, _("return the feedback to its writer"))
        feedback.state, feedback.director_note = Feedback.State.DRAFT, note
        feedback.save(update_fields=["state", "director_note"])
        audit_record(actor=actor, action="feedback.redo", obj=feedback, from_state=Feedback.State.PENDING,
                     to_state=feedback.state, reason=note)
        tell(people=[feedback.written_by], groups=[], obj=feedback.assignment, verb="feedback.redo",
             text=_("Your director returned your feedback: %(note)s") % {"note": note[:120]},
             url=feedback.assignment.get_absolute_url())
    return feedback


def feedback_resubmit(*, actor: User, feedback: Feedback, text: str) -> Feedback:
    """The writer sends returned feedback to the director again, with the text changed."""
    if not text.strip():
        raise ValidationError({"text": _("Write the feedback.")})
    with transaction.atomic():
        feedback = _lock(Feedback, feedback)
        _check(permissions.RESUBMIT, actor, feedback, _("send the feedback again"))
        feedback.text, feedback.state, feedback.written_by = text, Feedback.State.PENDING, actor
        feedback.save(update_fields=["text", "state", "written_by"])
        audit_record(actor=actor, action="feedback.resubmit", obj=feedback, from_state=Feedback.State.DRAFT,
                     to_state=feedback.state)
        assignment = feedback.assignment
        if holds(actor, Role.DIRECTOR, assignment.unit_id):
            _send_up(feedback, _lock(Assignment, assignment), actor)
    return feedback


def extension_request(*, actor: User, assignment: Assignment, working_days: int, reason: str) -> Extension:
    """More time, asked before the due time (after it, it is refused: the unit answers late or is chased)."""
    _check_days(working_days)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why more time is needed.")})
    with transaction.atomic():
        assignment = _lock(Assignment, assignment)
        permissions.ASK_MORE_TIME.check(actor, assignment)
        now = timezone.now()
        if now >= assignment.due_at:
            raise IllegalTransition(_("The due time (%(due)s) has passed: more time can only be asked before it.") % {
                "due": _hm(assignment.due_at)})
        if assignment.extensions.filter(state=Extension.State.PENDING).exists():
            raise IllegalTransition(_("A request for more time is already awaiting the office."))
        extension = Extension.objects.create(assignment=assignment, working_days=working_days, reason=reason,
                                             requested_by=actor, requested_at=now, due_before=assignment.due_at)
        audit_record(actor=actor, action="extension.request", obj=extension, to_state=extension.state,
                     data={"assignment": assignment.pk, "working_days": working_days})
        _tell_office(assignment, "extension.requested",
                     _("%(unit)s asks for %(days)d more working days for %(what)s.") % {
                         "unit": assignment.unit, "days": working_days, "what": assignment.followup_subject()})
    return extension


def extension_decide(*, actor: User, extension: Extension, grant: bool, note: str = "") -> Extension:
    """The office grants (the due time moves `working_days` working days past the current one; a new round of
    reminders, 催办 and record) or refuses (with a reason)."""
    if not grant and not note.strip():
        raise ValidationError({"note": _("Say why the request is refused.")})
    with transaction.atomic():
        extension = _lock(Extension, extension)
        _check(permissions.DECIDE, actor, extension, _("grant more time") if grant else _("refuse more time"))
        assignment = _lock(Assignment, extension.assignment)
        now = timezone.now()
        extension.decided_by, extension.decided_at, extension.decision_note = actor, now, note
        if grant:
            new_due = calendar.add_working_days(assignment.due_at, extension.working_days)
            extension.state, extension.due_after = Extension.State.GRANTED, new_due
            if assignment.is_open:
                followup.schedule(assignment, due_at=new_due, now=now)
            else:
                assignment.due_at = new_due
                assignment.save(update_fields=["due_at"])
            text = _("More time granted: %(what)s is now due by %(due)s.") % {
                "what": assignment.followup_subject(), "due": _hm(new_due)}
        else:
            extension.state = Extension.State.REFUSED
            text = _("More time refused for %(what)s: %(note)s") % {"what": assignment.followup_subject(),
                                                                     "note": note[:120]}
        extension.save()
        audit_record(actor=actor, action=f"extension.{'grant' if grant else 'refuse'}", obj=extension,
                     from_state=Extension.State.PENDING, to_state=extension.state, reason=note,
                     data={"due_after": extension.due_after and extension.due_after.isoformat()})
        _tell_unit(assignment, "extension.decided", text)
    return extension


def _settle_extensions(assignment: Assignment, *, actor: User, at: datetime, reason: str) -> int:
    """Requests for more time still pending when nothing more can be owed (the unit's final feedback accepted, the
    instruction closed) are settled — refused with `reason`, decided by the one whose action settled them — each
    audited (extension.settle) and the unit told, so that none stays 待审批 on a closed matter. Returns how many."""
    settled = 0
    for extension in assignment.extensions.select_for_update().filter(state=Extension.State.PENDING):
        extension.state, extension.decided_by, extension.decided_at = Extension.State.REFUSED, actor, at
        extension.decision_note = reason
        extension.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, action="extension.settle", obj=extension, from_state=Extension.State.PENDING,
                     to_state=extension.state, reason=reason, data={"assignment": assignment.pk})
        _tell_unit(assignment, "extension.decided", _("Your request for more time on %(what)s: %(reason)s") % {
            "what": assignment.followup_subject(), "reason": reason})
        settled += 1
    return settled


# --- the office reviews, reports, closes, reopens ---------------------------------------------------------------


def feedback_review(*, actor: User, feedback: Feedback, accept: bool, note: str = "") -> Feedback:
    """The office accepts the final feedback (the unit's part is done) or returns it to redo (the assignment is
    open again under its due time, with a reason)."""
    if not accept and not note.strip():
        raise ValidationError({"note": _("Say what is to be redone.")})
    with transaction.atomic():
        feedback = _lock(Feedback, feedback)
        _check(permissions.REVIEW, actor, feedback,
               _("accept the feedback") if accept else _("return the feedback to redo"))
        assignment = _lock(Assignment, feedback.assignment)
        now = timezone.now()
        feedback.reviewed_by, feedback.reviewed_at, feedback.review_note = actor, now, note
        feedback.state = Feedback.State.ACCEPTED if accept else Feedback.State.RETURNED
        feedback.save(update_fields=["reviewed_by", "reviewed_at", "review_note", "state"])
        before = assignment.state
        if accept:
            assignment.state = Assignment.State.ACCEPTED
            assignment.save(update_fields=["state"])
            _settle_extensions(assignment, actor=actor, at=now,
                               reason=_("Not decided: the unit's final feedback was accepted, no more time is needed."))
            text = _("Feedback accepted: %(what)s.") % {"what": assignment.followup_subject()}
        else:
            followup.returned(assignment, at=now)
            assignment.state = Assignment.State.RETURNED
            assignment.save(update_fields=["state"])
            text = _("Feedback returned to redo: %(what)s — %(note)s") % {"what": assignment.followup_subject(),
                                                                          "note": note[:120]}
        audit_record(actor=actor, action=f"feedback.{'accept' if accept else 'return'}", obj=feedback,
                     from_state=Feedback.State.SENT, to_state=feedback.state, reason=note)
        audit_record(actor=actor, action="assignment.review", obj=assignment, from_state=before,
                     to_state=assignment.state, reason=note)
        _tell_unit(assignment, "feedback.reviewed", text)
    return feedback


def report(*, actor: User, instruction: Instruction, text: str) -> Instruction:
    """The office reports back to the leader (报告领导), once every assigned unit's final feedback is accepted."""
    if not text.strip():
        raise ValidationError({"text": _("Write what is reported to the leader.")})
    with transaction.atomic():
        instruction = _lock(Instruction, instruction)
        permissions.REPORT.check(actor, instruction)
        waiting = instruction.assignments.exclude(state=Assignment.State.ACCEPTED).select_related("unit")
        if waiting:
            raise IllegalTransition(_("Not every unit has answered yet: %(units)s.") % {
                "units": "、".join(a.unit.name for a in waiting)})
        instruction.report, instruction.reported_at, instruction.reported_by = text, timezone.now(), actor
        instruction.state = Instruction.State.REPORTED
        instruction.save()
        audit_record(actor=actor, action="instruction.report", obj=instruction, from_state=Instruction.State.ASSIGNED,
                     to_state=instruction.state, reason=text)
        tell(people=[instruction.leader], groups=[], obj=instruction, verb="instruction.reported",
             text=_("Report on your instruction on “%(title)s”: %(text)s") % {"title": instruction.title[:40],
                                                                            "text": text[:100]},
             url=instruction.get_absolute_url())
    return instruction


def close(*, actor: User, instruction: Instruction) -> Instruction:
    """办结: reported to the leader and nothing more asked. Never without an answer (the report needs every
    unit's accepted feedback)."""
    with transaction.atomic():
        instruction = _lock(Instruction, instruction)
        permissions.CLOSE.check(actor, instruction)
        now = timezone.now()
        instruction.state, instruction.closed_at, instruction.closed_by = Instruction.State.CLOSED, now, actor
        instruction.save()
        for assignment in instruction.assignments.select_for_update():
            followup.close(assignment, at=now)
            assignment.state = Assignment.State.CLOSED
            assignment.save(update_fields=["state"])
            _settle_extensions(assignment, actor=actor, at=now,
                               reason=_("Not decided: the instruction was closed (办结), nothing more is owed."))
        audit_record(actor=actor, action="instruction.close", obj=instruction, from_state=Instruction.State.REPORTED,
                     to_state=instruction.state)
    return instruction


def reopen(*, actor: User, instruction: Instruction, asked: str, working_days: int = DEFAULT_WORKING_DAYS) -> Instruction:
    """回访: a later check finds more to do. Every unit owes feedback again, by a new due time. `asked` becomes what is
    asked now; what was asked and reported before stays in the trail (the audit rows of assign, report and reopen
    carry their texts), and the last report stays on the instruction until the next one replaces it."""
    _check_days(working_days)
    if not asked.strip():
        raise ValidationError({"asked": _("Say what the check found and what is asked now.")})
    with transaction.atomic():
        instruction = _lock(Instruction, instruction)
        permissions.REOPEN.check(actor, instruction)
        now = timezone.now()
        due = calendar.add_working_days(now, working_days)
        instruction.state, instruction.asked = Instruction.State.ASSIGNED, asked
        instruction.working_days, instruction.due_at = working_days, due
        instruction.closed_at = instruction.closed_by = None
        instruction.reported_at = instruction.reported_by = None
        instruction.reopened += 1
        instruction.save()
        for assignment in instruction.assignments.select_for_update():
            followup.reopen(assignment, due_at=due, at=now)
            assignment.state = Assignment.State.SIGNED
            assignment.save(update_fields=["state"])
            _tell_unit(assignment, "instruction.reopened",
                       _("Reopened after a check (回访): %(what)s, due by %(due)s. %(asked)s") % {
                           "what": assignment.followup_subject(), "due": _hm(due), "asked": asked[:100]})
        audit_record(actor=actor, action="instruction.reopen", obj=instruction, from_state=Instruction.State.CLOSED,
                     to_state=instruction.state, reason=asked, data={"due_at": due.isoformat()})
    return instruction
