"""The instruction pages (SPEC §6, §10): Chinese, a refused form keeps what was typed, the start page shows each
person their part."""

import re

import pytest
from django.urls import reverse

from infohub.models import AuditLog
from instructions.models import Assignment, Instruction

from .conftest import assigned

pytestmark = pytest.mark.django_db


def test_a_leader_instructs_from_the_item_and_sees_it_on_the_start_page(office, client):
    client.force_login(office.leader)
    page = client.get(reverse("submissions:item_detail", args=[office.item.pk])).content.decode()
    assert f"{reverse('instructions:instruct')}?item={office.item.pk}" in page
    home = client.get(reverse("home")).content.decode()
    assert "待我阅示" in home and office.item.title in home
    response = client.post(reverse("instructions:instruct"), {"item": office.item.pk, "kind": "handle",
                                                              "text": "请东湖区抓好落实。", "office": office.city.pk})
    instruction = Instruction.objects.get()
    assert response.status_code == 302 and response["Location"] == instruction.get_absolute_url()
    home = client.get(reverse("home")).content.decode()
    assert "我的批示" in home and "待交办" in home


def test_a_refused_assignment_form_keeps_what_was_typed(office, client):
    instruction = assigned(office).assignments.first().instruction
    other = Instruction.objects.create(leader=office.leader, office=office.city, level="city", item=office.item,
                                       title="t", kind="handle", text="x", written_at=instruction.written_at)
    client.force_login(office.editor)
    response = client.post(reverse("instructions:assign", args=[other.pk]), {
        "lead": office.county.pk, "asked": "请在五个工作日内反馈办理情况", "working_days": "999"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "请在五个工作日内反馈办理情况" in text
    assert Assignment.objects.filter(instruction=other).count() == 0


def test_the_unit_sees_what_it_owes_with_its_colour_and_answers(office, client):
    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    client.force_login(office.county_clerk)
    home = client.get(reverse("home")).content.decode()
    assert "本单位待反馈的批示" in home and 'data-colour="on_time"' in home
    page = client.get(lead.get_absolute_url()).content.decode()
    assert "签收" in page and instruction.text in page
    client.post(reverse("instructions:assignment_act", args=[lead.pk, "sign"]), {"once": "s" * 32})
    response = client.post(reverse("instructions:assignment_act", args=[lead.pk, "feedback"]),
                           {"kind": "final", "text": "已办理。"})
    assert response.status_code == 302
    client.force_login(office.county_director)
    assert "待我签发的反馈" in client.get(reverse("home")).content.decode()
    feedback = lead.feedback.get()
    client.post(reverse("instructions:feedback_act", args=[feedback.pk, "signoff"]))
    lead.refresh_from_db()
    assert lead.state == Assignment.State.ANSWERED
    # the other county sees only its own part; the instruction's page is the office's
    client.force_login(office.other_clerk)
    assert client.get(lead.get_absolute_url()).status_code == 404
    assert client.get(instruction.get_absolute_url()).status_code == 404


def test_the_office_page_shows_every_unit_and_the_history(office, client):
    instruction = assigned(office)
    client.force_login(office.leader)
    page = client.get(instruction.get_absolute_url()).content.decode()
    assert office.county.name in page and office.other.name in page
    assert "交办单" in page and "2026-09-30 18:00" in page
    assert "交办" in page  # the audit trail names the step


def _once(page: str, action: str = "") -> str:
    """The once-only token of the page's form sent to `action` (the first form when none is named)."""
    found = re.search(rf'{re.escape(action)}"[^>]*>(?:(?!</form>).)*?name="once" value="([^"]+)"', page, re.S)
    assert found, "the form carries no once-only token"
    return found.group(1)


def test_a_form_sent_twice_with_its_token_records_one_instruction(office, client):
    """Back to the form, or a double click, sends the same rendered form again: one instruction, and the second
    sending lands on it, told that nothing new was recorded."""
    client.force_login(office.leader)
    url = reverse("instructions:instruct")
    token = _once(client.get(f"{url}?item={office.item.pk}").content.decode())
    data = {"item": office.item.pk, "kind": "handle", "text": "请东湖区抓好落实。", "office": office.city.pk,
            "once": token}
    first = client.post(url, data)
    again = client.post(url, data)
    instruction = Instruction.objects.get()
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == instruction.get_absolute_url()
    assert "只记录一次" in client.get(again["Location"]).content.decode()


def test_the_assignment_form_sent_twice_assigns_once(office, client):
    from .conftest import instructed

    instruction = instructed(office)
    client.force_login(office.editor)
    action = reverse("instructions:assign", args=[instruction.pk])
    token = _once(client.get(instruction.get_absolute_url()).content.decode(), action)
    data = {"lead": office.county.pk, "asked": "请反馈办理情况", "working_days": "5", "once": token}
    responses = [client.post(reverse("instructions:assign", args=[instruction.pk]), data) for _ in range(2)]
    assert [r.status_code for r in responses] == [302, 302]
    assert Assignment.objects.filter(instruction=instruction).count() == 1
    assert AuditLog.objects.filter(action="instruction.assign").count() == 1


def _section(page: str, testid: str) -> str:
    start_at = page.index(f'data-testid="{testid}"')
    return page[start_at:page.index("</section>", start_at)]


def test_the_clerks_start_page_lists_returned_and_overdue_assignments_with_the_reason(office, client, traveller):
    """现在要办 (SPEC §10): an assignment the office returned, feedback the director returned, one overdue and chased —
    each with why; 待反馈 says why a row is there, not only its colour."""
    from followup.sweep import sweep_all
    from instructions import services

    from .test_services import beijing

    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    other = instruction.assignments.get(unit=office.other)
    client.force_login(office.county_clerk)
    page = client.get(reverse("home")).content.decode()
    assert instruction.title not in _section(page, "tasks")  # on time, nothing returned: not "now"
    assert "待签收" in _section(page, "owed")  # …but 待反馈 says what is awaited, beside 正常
    # the other county: its director's final feedback goes up at once; the office returns it with a reason
    feedback = services.feedback_post(actor=office.other_director, assignment=other, kind="final", text="已办理。")
    services.feedback_review(actor=office.editor, feedback=feedback, accept=False, note="缺少整改时限")
    client.force_login(office.other_clerk)
    tasks = _section(client.get(reverse("home")).content.decode(), "tasks")
    assert instruction.title in tasks and "主办单位退回重办：缺少整改时限" in tasks
    # the county: the director returns its clerk's feedback to the clerk
    feedback = services.feedback_post(actor=office.county_clerk, assignment=lead, kind="final", text="初稿。")
    services.feedback_redo(actor=office.county_director, feedback=feedback, note="请补充数据")
    client.force_login(office.county_clerk)
    tasks = _section(client.get(reverse("home")).content.decode(), "tasks")
    assert "反馈被主任退回修改：请补充数据" in tasks
    # past the due time (2026-09-30 18:00), chased by the sweep
    traveller.move_to(beijing(2026, 10, 9, 10))
    sweep_all()
    page = client.get(reverse("home")).content.decode()
    tasks = _section(page, "tasks")
    assert "已逾期2个工作日（应于09-30 18:00前反馈）" in tasks and "已催办" in tasks
    assert 'data-late="已逾期 · ' in tasks and "迟报" not in tasks  # 迟报 is an emergency report's word, not this
    assert "已逾期" in _section(page, "owed")


def test_the_offices_start_page_lists_requests_for_more_time_and_overdue_assignments_with_the_reason(
        office, client, traveller):
    from followup.sweep import sweep_all
    from instructions import services

    from .test_services import beijing

    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    services.extension_request(actor=office.county_clerk, assignment=lead, working_days=3, reason="需等待统计数据")
    client.force_login(office.editor)
    page = client.get(reverse("home")).content.decode()
    asked = _section(page, "extensions-to-decide")
    assert office.county.name in asked and "需等待统计数据" in asked and "3" in asked
    assert 'data-testid="overdue-assignments"' not in page
    traveller.move_to(beijing(2026, 10, 20, 10))  # 8 working days after 09-30; the record is made after 5
    sweep_all()
    page = client.get(reverse("home")).content.decode()
    overdue = _section(page, "overdue-assignments")
    assert "逾期未反馈 2 项" in overdue
    assert office.county.name in overdue and office.other.name in overdue and "已记入通报" in overdue
    # a foreign office sees neither
    client.force_login(office.foreign_editor)
    page = client.get(reverse("home")).content.decode()
    assert "需等待统计数据" not in page and office.item.title not in page


def test_the_assign_form_warns_of_a_unit_nobody_can_sign_for_and_asks_to_confirm(office, client):
    from .conftest import instructed, unit_without_people

    empty = unit_without_people(office)
    instruction = instructed(office)
    client.force_login(office.editor)
    page = client.get(instruction.get_absolute_url()).content.decode()
    assert "东湖区统计局（无人签收）" in page and f"{office.county.name}（无人签收）" not in page
    assert 'type="checkbox" name="confirm_unstaffed"' not in page
    data = {"lead": empty.pk, "asked": "请反馈办理情况", "working_days": "5"}
    response = client.post(reverse("instructions:assign", args=[instruction.pk]), data)
    page = response.content.decode()
    assert response.status_code == 400 and not Assignment.objects.exists()
    assert "无人能为东湖区统计局签收" in page and "请反馈办理情况" in page
    assert 'type="checkbox" name="confirm_unstaffed"' in page
    response = client.post(reverse("instructions:assign", args=[instruction.pk]), {**data, "confirm_unstaffed": "on"})
    assert response.status_code == 302 and Assignment.objects.get().unit == empty
    assert "无人能为东湖区统计局签收" in client.get(response["Location"]).content.decode()


def test_the_assign_form_and_the_admin_calendar_warn_of_a_year_nobody_knows(office, client, traveller, admin_user):
    from followup import calendar
    from followup.models import CalendarDay

    from .conftest import instructed
    from .test_services import beijing

    _first, last = calendar.library_years()
    instruction = instructed(office)
    client.force_login(office.editor)
    assert 'data-testid="calendar-unknown"' not in client.get(instruction.get_absolute_url()).content.decode()
    traveller.move_to(beijing(last, 12, 24, 10))
    page = client.get(instruction.get_absolute_url()).content.decode()
    assert 'data-testid="calendar-unknown"' in page and f"{last + 1}" in page
    response = client.post(reverse("instructions:assign", args=[instruction.pk]), {
        "lead": office.county.pk, "supporting": [office.other.pk], "asked": "请反馈办理情况", "working_days": "10"})
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert f"落在{last + 1}年" in shown and "周一至周五" in shown
    # the admin's working-day calendar names the year and how many open matters are due in it
    client.force_login(admin_user)
    page = client.get(reverse("admin:followup_calendarday_changelist")).content.decode()
    assert f"2 项未办结事项的到期日在{last + 1}年" in page  # the lead county and the other county
    CalendarDay.objects.create(day=beijing(last + 1, 1, 1).date(), is_working_day=False, name="元旦")
    page = client.get(reverse("admin:followup_calendarday_changelist")).content.decode()
    assert f"到期日在{last + 1}年" not in page


def test_a_second_signature_and_an_accepted_feedback_say_what_happened(office, client):
    """Two tabs signing for one assignment: the second is told who signed and when, not "signed"; the office accepting
    a feedback is told it was accepted, not "done"."""
    from instructions import services

    instruction = assigned(office)
    lead = instruction.assignments.get(unit=office.county)
    sign = reverse("instructions:assignment_act", args=[lead.pk, "sign"])
    client.force_login(office.county_clerk)
    first = client.post(sign, follow=True).content.decode()
    assert "已签收。" in first
    second = client.post(sign, follow=True).content.decode()
    assert "签收，无需再签" in second and office.county_clerk.display_name in second and "已签收。" not in second
    feedback = services.feedback_post(actor=office.county_director, assignment=lead, kind="final", text="已办结。")
    client.force_login(office.editor)
    page = client.post(reverse("instructions:feedback_act", args=[feedback.pk, "accept"]), follow=True).content.decode()
    assert "反馈已采纳。" in page
