"""The instruction pages (SPEC §6, §10): Chinese, a refused form keeps what was typed, the start page shows each
person their part."""

import pytest
from django.urls import reverse

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
