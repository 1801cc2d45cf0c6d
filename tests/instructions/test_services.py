"""Leader instructions end to end through the services (SPEC §6), and the time edges of issue 15: due at the end of
the working day before a holiday, a 调休 Saturday, more time granted one minute before the due time, feedback one
second after it."""

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from followup import calendar
from followup.models import Notice, Shortfall
from followup.sweep import sweep_all
from infohub.errors import IllegalTransition, NotPermitted
from infohub.models import AuditLog, Notification, Role
from instructions import services
from instructions.models import Assignment, Extension, Feedback, Instruction, Kind

from .conftest import assigned, instructed

pytestmark = pytest.mark.django_db


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=calendar.local_zone())


def final(office, assignment, text="已牵头研究，形成整改方案并落实。", *, by=None):
    """A clerk writes the final feedback and the director signs it off."""
    clerk = by or (office.county_clerk if assignment.unit == office.county else office.other_clerk)
    director = office.county_director if assignment.unit == office.county else office.other_director
    feedback = services.feedback_post(actor=clerk, assignment=assignment, kind=Feedback.Kind.FINAL, text=text)
    return services.feedback_signoff(actor=director, feedback=feedback)


def test_a_leader_instructs_and_the_office_is_told(office):
    instruction = instructed(office)
    assert instruction.state == Instruction.State.REGISTERED
    assert instruction.office == office.city and instruction.level == "city"
    assert instruction.title == office.item.title
    told = set(Notification.objects.filter(verb="instruction.written").values_list("recipient__username", flat=True))
    assert told == {"lj_editor", "lj_editor2", "lj_director"}  # the city office's editors and director
    assert AuditLog.objects.filter(action="instruction.write", object_id=str(instruction.pk)).exists()


def test_reference_kinds_need_no_feedback_and_cannot_be_assigned(office):
    instruction = instructed(office, kind=Kind.READ)
    assert instruction.state == Instruction.State.NOTED
    with pytest.raises(IllegalTransition):
        services.assign(actor=office.editor, instruction=instruction, lead=office.county, asked="阅", working_days=5)


def test_only_a_leader_who_may_see_the_item_instructs(office):
    with pytest.raises(NotPermitted):
        services.instruct(actor=office.editor, item=office.item, kind=Kind.HANDLE, text="x")
    foreign_leader = office.foreign_editor  # no leader role anywhere
    with pytest.raises(NotPermitted):
        services.instruct(actor=foreign_leader, item=office.item, kind=Kind.HANDLE, text="x")


def test_a_paper_instruction_names_the_leader(office):
    instruction = services.register_paper(
        actor=office.editor, office=office.city, leader=office.leader, kind=Kind.GUIDE, text="请认真研究。",
        written_at=beijing(2026, 9, 22, 16), title="关于秋粮收购情况的报告")
    assert instruction.source == Instruction.Source.PAPER and instruction.registered_by == office.editor
    assert instruction.leader == office.leader and instruction.item is None
    with pytest.raises(ValidationError) as refused:
        services.register_paper(actor=office.editor, office=office.city, leader=office.editor, kind=Kind.GUIDE,
                                text="x", written_at=beijing(2026, 9, 22, 16), title="t")
    assert "leader" in refused.value.message_dict
    with pytest.raises(NotPermitted):
        services.register_paper(actor=office.county_clerk, office=office.city, leader=office.leader, kind=Kind.GUIDE,
                                text="x", written_at=beijing(2026, 9, 22, 16), title="t")


def test_assign_checks_units_and_days(office):
    instruction = instructed(office)
    with pytest.raises(ValidationError) as refused:
        services.assign(actor=office.editor, instruction=instruction, lead=office.chain.foreign_city, asked="x")
    assert "lead" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.assign(actor=office.editor, instruction=instruction, lead=office.county, asked="x", working_days=0)
    assert "working_days" in refused.value.message_dict
    with pytest.raises(NotPermitted):
        services.assign(actor=office.county_clerk, instruction=instruction, lead=office.county, asked="x")
    services.assign(actor=office.editor, instruction=instruction, lead=office.county, supporting=[office.other],
                    asked="x")
    with pytest.raises(IllegalTransition):  # assigning twice
        services.assign(actor=office.editor, instruction=instruction, lead=office.county, asked="x")
    assert Assignment.objects.count() == 2


def test_the_whole_way_sign_feedback_review_report_close_reopen(office, traveller, client):
    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    support = instruction.assignments.get(unit=office.other)
    # 签收, twice: once
    services.sign_for(actor=office.county_clerk, assignment=lead)
    services.sign_for(actor=office.county_clerk, assignment=lead)
    assert AuditLog.objects.filter(action="assignment.sign", object_id=str(lead.pk)).count() == 1
    with pytest.raises(NotPermitted):
        services.sign_for(actor=office.other_clerk, assignment=lead)
    # progress, then a final with an attachment, signed off by the director
    progress = services.feedback_post(actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.PROGRESS,
                                      text="已召开专题会议研究。")
    assert progress.state == Feedback.State.PENDING
    services.feedback_signoff(actor=office.county_director, feedback=progress)
    attachment = SimpleUploadedFile("整改方案.docx", b"PK\x03\x04 docx", content_type="application/vnd.openxmlformats")
    feedback = services.feedback_post(actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.FINAL,
                                      text="已完成。", files=[attachment])
    with pytest.raises(NotPermitted):  # the clerk cannot sign off
        services.feedback_signoff(actor=office.county_clerk, feedback=feedback)
    services.feedback_redo(actor=office.county_director, feedback=feedback, note="请补充数据。")
    services.feedback_resubmit(actor=office.county_clerk, feedback=Feedback.objects.get(pk=feedback.pk),
                               text="已完成，整改率100%。")
    traveller.move_to(beijing(2026, 9, 29, 15))
    services.feedback_signoff(actor=office.county_director, feedback=Feedback.objects.get(pk=feedback.pk))
    lead.refresh_from_db()
    assert lead.state == Assignment.State.ANSWERED and lead.answered_at == beijing(2026, 9, 29, 15)
    assert lead.next_at is None and not lead.answered_late
    assert feedback.attachments.get().original_name == "整改方案.docx"
    # the office cannot report while a unit has not answered
    with pytest.raises(IllegalTransition):
        services.report(actor=office.editor, instruction=instruction, text="已办理")
    # the office returns the lead's feedback, it is redone and accepted; the supporting unit answers too
    services.feedback_review(actor=office.editor, feedback=Feedback.objects.get(pk=feedback.pk), accept=False,
                             note="请说明长效机制。")
    lead.refresh_from_db()
    assert lead.state == Assignment.State.RETURNED and lead.is_open and lead.next_at is not None
    again = final(office, lead, "已建立长效机制。")
    services.feedback_review(actor=office.editor, feedback=again, accept=True)
    services.feedback_review(actor=office.director, feedback=final(office, support), accept=True)
    # report, close; nothing closes before the report
    with pytest.raises(IllegalTransition):
        services.close(actor=office.editor, instruction=instruction)
    services.report(actor=office.editor, instruction=instruction, text="东湖区、西岭县已按批示要求办理完毕。")
    assert Notification.objects.filter(recipient=office.leader, verb="instruction.reported").exists()
    services.close(actor=office.director, instruction=instruction)
    instruction.refresh_from_db()
    assert instruction.state == Instruction.State.CLOSED
    assert set(instruction.assignments.values_list("state", flat=True)) == {Assignment.State.CLOSED}
    # 回访: reopened, owed again by a new due time, a new round of the follow-up
    traveller.move_to(beijing(2026, 10, 9, 10))
    services.reopen(actor=office.editor, instruction=instruction, asked="回访发现仍有问题，请继续整改。", working_days=1)
    lead.refresh_from_db()
    assert lead.state == Assignment.State.SIGNED and lead.is_open and lead.round == 2
    assert lead.due_at == beijing(2026, 10, 10, 18)  # the 调休 Saturday
    traveller.move_to(beijing(2026, 10, 10, 18, 0, 1))
    sweep_all()
    assert Notice.objects.filter(object_id=lead.pk, key="2:chase").count() == 1
    actions = list(AuditLog.objects.filter(object_type="instructions.instruction", object_id=str(instruction.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["instruction.write", "instruction.assign", "instruction.report", "instruction.close",
                       "instruction.reopen"]
    # what was asked and reported before the check is still there to read, beside what is asked now
    client.force_login(office.editor)
    page = client.get(instruction.get_absolute_url()).content.decode()
    for text in ("请牵头研究落实，报送办理情况。", "东湖区、西岭县已按批示要求办理完毕。", "回访发现仍有问题，请继续整改。"):
        assert text in page, text


def test_due_at_the_end_of_the_working_day_before_a_holiday(office, traveller):
    instruction = assigned(office, supporting=False)
    lead = instruction.assignments.get()
    assert instruction.due_at == lead.due_at == beijing(2026, 9, 30, 18)
    traveller.move_to(beijing(2026, 9, 30, 17, 59, 59))
    sweep_all()
    assert not Notice.objects.filter(key="1:chase").exists()
    # the holiday passes without a sweep's 催办 being repeated, and the record counts working days only
    traveller.move_to(beijing(2026, 9, 30, 18, 0, 0))
    sweep_all()
    traveller.move_to(beijing(2026, 10, 7, 23))
    sweep_all()
    assert Notice.objects.filter(object_id=lead.pk).count() == 3  # two reminders and the 催办
    assert not Shortfall.objects.exists()


def test_a_make_up_saturday_is_a_working_day(office, traveller):
    traveller.move_to(beijing(2026, 10, 9, 10))  # Friday
    instruction = assigned(office, days=1, supporting=False)
    lead = instruction.assignments.get()
    assert lead.due_at == beijing(2026, 10, 10, 18)  # Saturday 调休
    # the reminder the working day before is Friday 09:00, already past: only the due day's morning is planned
    assert [key for key, _at in lead.plan] == ["remind-0", "chase", "overdue"]
    assert datetime.fromisoformat(lead.plan[-1][1]) == beijing(2026, 10, 16, 18)  # 12, 13, 14, 15, 16


def test_more_time_granted_one_minute_before_the_due_time(office, traveller):
    instruction = assigned(office, supporting=False)
    lead = instruction.assignments.get()
    traveller.move_to(beijing(2026, 9, 30, 17, 50))
    extension = services.extension_request(actor=office.county_director, assignment=lead, working_days=3,
                                           reason="涉及多部门，需协调。")
    traveller.move_to(beijing(2026, 9, 30, 17, 59))
    services.extension_decide(actor=office.editor, extension=extension, grant=True)
    lead.refresh_from_db()
    assert lead.due_at == beijing(2026, 10, 10, 18) and lead.round == 2
    assert Extension.objects.get().due_after == lead.due_at
    traveller.move_to(beijing(2026, 9, 30, 18, 0, 30))
    sweep_all()
    assert not Notice.objects.filter(key__endswith=":chase").exists()
    traveller.move_to(beijing(2026, 10, 10, 18, 0, 1))
    sweep_all()
    assert list(Notice.objects.filter(key__endswith=":chase").values_list("key", flat=True)) == ["2:chase"]


def test_more_time_asked_one_second_after_the_due_time_is_refused(office, traveller):
    lead = assigned(office, supporting=False).assignments.get()
    traveller.move_to(beijing(2026, 9, 30, 18, 0, 1))
    with pytest.raises(IllegalTransition):
        services.extension_request(actor=office.county_director, assignment=lead, working_days=3, reason="晚了")
    assert not Extension.objects.exists()


def test_feedback_one_second_after_the_due_time_is_late_and_stops_the_follow_up(office, traveller):
    lead = assigned(office, supporting=False).assignments.get()
    feedback = services.feedback_post(actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.FINAL,
                                      text="已办理。")
    traveller.move_to(beijing(2026, 9, 30, 18, 0, 1))
    services.feedback_signoff(actor=office.county_director, feedback=feedback)  # before any sweep saw the due time
    lead.refresh_from_db()
    assert lead.answered_late and lead.answered_at == beijing(2026, 9, 30, 18, 0, 1)
    sweep_all()
    traveller.move_to(beijing(2026, 10, 20))
    sweep_all()
    assert not Notice.objects.filter(key__in=["1:chase", "1:overdue"]).exists()
    assert not Shortfall.objects.exists()  # an instruction's record is for overdue beyond N working days


def test_the_same_final_feedback_cannot_go_up_twice(office):
    lead = assigned(office, supporting=False).assignments.get()
    feedback = services.feedback_post(actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.FINAL, text="a")
    with pytest.raises(IllegalTransition):
        services.feedback_post(actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.FINAL, text="b")
    services.feedback_signoff(actor=office.county_director, feedback=feedback)
    with pytest.raises(IllegalTransition):
        services.feedback_signoff(actor=office.county_director, feedback=feedback)
    assert AuditLog.objects.filter(action="assignment.answer").count() == 1


def test_a_directors_own_feedback_goes_up_at_once(office):
    lead = assigned(office, supporting=False).assignments.get()
    feedback = services.feedback_post(actor=office.county_director, assignment=lead, kind=Feedback.Kind.FINAL,
                                      text="主任亲自反馈。")
    assert feedback.state == Feedback.State.SENT and feedback.signed_by == office.county_director
    lead.refresh_from_db()
    assert lead.state == Assignment.State.ANSWERED


def test_the_trail_shows_requests_for_more_time_their_decisions_and_whether_feedback_was_accepted_or_returned(
        office, client):
    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    support = instruction.assignments.get(unit=office.other)
    granted = services.extension_request(actor=office.county_clerk, assignment=lead, working_days=2,
                                         reason="需等待统计局数据")
    services.extension_decide(actor=office.editor, extension=granted, grant=True)
    refused = services.extension_request(actor=office.other_clerk, assignment=support, working_days=3,
                                         reason="人手不足")
    services.extension_decide(actor=office.director, extension=refused, grant=False, note="时限不变")
    returned = final(office, lead, "初步办理情况。")
    services.feedback_review(actor=office.editor, feedback=returned, accept=False, note="请补充整改时限")
    services.feedback_review(actor=office.editor, feedback=final(office, lead, "已办结。"), accept=True)
    client.force_login(office.editor)
    page = client.get(instruction.get_absolute_url()).content.decode()
    trail = page[page.index('data-testid="trail"'):page.index("</ol>", page.index('data-testid="trail"'))]
    rows = [row.split("</li>")[0] for row in trail.split("<li>")[1:]]

    def row(*words):
        return next((r for r in rows if all(word in r for word in words)), None)

    assert row("申请延期", office.county.name, "延期2个工作日：需等待统计局数据")
    assert row("同意延期", office.county.name, "期限延至2026-10-09 18:00")  # 09-30 + 2 working days: 10-08, 10-09 (国庆 between)
    assert row("申请延期", office.other.name, "人手不足")
    assert row("不同意延期", office.other.name, "时限不变")
    assert row("审核反馈", office.county.name, "退回重办", "请补充整改时限")
    assert row("审核反馈", office.county.name, "反馈已采纳")


def test_two_tabs_the_loser_hears_what_it_tried_and_who_acted_first(office):
    """A director returns feedback to its writer in one tab after signing it off in another; the office returns
    feedback another editor accepted; refuses more time another granted: each refusal names the action this request
    tried, who acted first and the state now, not another action's wording."""
    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    feedback = services.feedback_post(actor=office.county_clerk, assignment=lead, kind=Feedback.Kind.FINAL,
                                      text="已办理。")
    stale = Feedback.objects.get(pk=feedback.pk)
    services.feedback_signoff(actor=office.county_director, feedback=feedback)
    with pytest.raises(IllegalTransition) as refused:
        services.feedback_redo(actor=office.county_director, feedback=stale, note="请补充")
    message = str(refused.value.message)
    assert message.startswith("未能将此反馈退回撰写人") and f"“{Feedback.State.SENT.label}”" in message
    assert "签发" not in message  # the words of the right it shares with signing off
    assert str(office.county_director) in message

    stale = Feedback.objects.get(pk=feedback.pk)
    services.feedback_review(actor=office.director, feedback=feedback, accept=True)
    with pytest.raises(IllegalTransition) as refused:
        services.feedback_review(actor=office.editor, feedback=stale, accept=False, note="请补充")
    message = str(refused.value.message)
    assert message.startswith("未能将此反馈退回重办") and str(office.director) in message and "已采纳" in message

    support = instruction.assignments.get(unit=office.other)
    extension = services.extension_request(actor=office.other_clerk, assignment=support, working_days=2, reason="需要时间")
    services.extension_decide(actor=office.editor, extension=extension, grant=True)
    with pytest.raises(IllegalTransition) as refused:
        services.extension_decide(actor=office.director, extension=extension, grant=False, note="不同意")
    message = str(refused.value.message)
    assert message.startswith("未能不同意延期") and str(office.editor) in message and "已同意" in message


def test_closing_settles_a_pending_request_for_more_time_on_record(office, traveller, client):
    """A request for more time still pending when the feedback is accepted and the instruction closed (办结) does not
    stay 待审批: it is settled with the reason, audited, the unit told, and it leaves the office's start page."""
    instruction = assigned(office, supporting=False)
    lead = instruction.assignments.get(unit=office.county)
    pending = services.extension_request(actor=office.county_clerk, assignment=lead, working_days=2, reason="等数据")
    # the unit answers anyway, and the office accepts the answer: no more time is needed
    services.feedback_review(actor=office.editor, feedback=final(office, lead), accept=True)
    pending.refresh_from_db()
    assert pending.state == Extension.State.REFUSED and pending.decided_by == office.editor
    assert "最终反馈已采纳" in pending.decision_note
    assert AuditLog.objects.filter(action="extension.settle", object_id=str(pending.pk)).count() == 1
    assert Notification.objects.filter(recipient=office.county_clerk, verb="extension.decided").exists()
    client.force_login(office.editor)
    assert "等数据" not in client.get("/").content.decode()

    # one still pending at the closing itself (as the database may hold it from before this rule)
    late = Extension.objects.create(assignment=lead, working_days=1, reason="旧的申请", requested_by=office.county_clerk,
                                    due_before=lead.due_at)
    services.report(actor=office.editor, instruction=instruction, text="已办理完毕。")
    services.close(actor=office.director, instruction=instruction)
    late.refresh_from_db()
    assert late.state == Extension.State.REFUSED and "办结" in late.decision_note and late.decided_by == office.director
    assert AuditLog.objects.filter(action="extension.settle", object_id=str(late.pk), actor=office.director).exists()
    page = client.get(instruction.get_absolute_url()).content.decode()
    assert "了结未审批的延期申请" in page
    with pytest.raises(IllegalTransition):
        services.extension_decide(actor=office.editor, extension=late, grant=True)


def test_a_unit_nobody_can_sign_for_is_assigned_only_when_the_office_confirms(office):
    """Warn and confirm (not block): a unit without an active information officer or director is refused, naming it,
    until the office confirms; the confirmed assignment notes it in the audit row and in its warnings."""
    from tests.factories import person

    from .conftest import unit_without_people

    empty = unit_without_people(office)
    gone = person(office.other, Role.CLERK, username="left")  # the other county keeps its director
    gone.is_active = False
    gone.save()
    instruction = instructed(office)
    with pytest.raises(ValidationError) as refused:
        services.assign(actor=office.editor, instruction=instruction, lead=empty, asked="请研究。")
    assert services.is_unconfirmed(refused.value)
    assert "东湖区统计局" in refused.value.message_dict["lead"][0]
    with pytest.raises(ValidationError) as refused:
        services.assign(actor=office.editor, instruction=instruction, lead=office.county, supporting=[empty],
                        asked="请研究。")
    assert list(refused.value.message_dict) == ["supporting"] and "东湖区统计局" in refused.value.message_dict["supporting"][0]
    assert not Assignment.objects.exists()
    # a director alone can sign for a unit; an inactive clerk cannot
    assert services.unstaffed([office.other, empty]) == [empty]
    services.assign(actor=office.editor, instruction=instruction, lead=empty, supporting=[office.other],
                    asked="请研究。", confirm_unstaffed=True)
    assert Assignment.objects.filter(instruction=instruction).count() == 2
    row = AuditLog.objects.get(action="instruction.assign")
    assert row.data["unstaffed"] == [empty.pk]
    warnings = services.assign_warnings(instruction)
    assert [(w["code"], w["field"]) for w in warnings] == [("unstaffed", "lead")] and "东湖区统计局" in warnings[0]["message"]
