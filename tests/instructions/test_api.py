"""The instructions API (SPEC §6, §10): the same flow as the pages, field-named 400s, idempotent actions."""

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from followup import calendar
from instructions.models import Assignment, Extension, Feedback, Instruction

from .conftest import assigned

pytestmark = pytest.mark.django_db


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=calendar.local_zone())


def as_(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_flow_through_the_api(office, traveller):
    # the leader instructs on the item
    answer = as_(office.leader).post("/api/instructions/", {"item": office.item.pk, "kind": "handle",
                                                            "text": "请认真落实。"}, format="json")
    assert answer.status_code == 201, answer.json()
    pk = answer.json()["id"]
    assert answer.json()["state"] == "registered" and answer.json()["level"] == "city"
    # the editor assigns it: due in 4 working days, the last working day before 国庆
    answer = as_(office.editor).post(f"/api/instructions/{pk}/assign/", {
        "lead": office.county.pk, "supporting": [office.other.pk], "asked": "请研究落实。", "working_days": 4},
        format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["state"] == "assigned" and len(body["assignments"]) == 2
    assert body["due_at"] == "2026-09-30T18:00:00+08:00"  # shown in Beijing time
    assert {a["colour"] for a in body["assignments"]} == {"on_time"}
    lead = next(a["id"] for a in body["assignments"] if a["unit"] == office.county.pk)
    # the county clerk sees what it owes, signs for it twice (once), and writes feedback with an attachment
    owed = as_(office.county_clerk).get("/api/instructions/assignments/").json()
    assert [a["id"] for a in owed["results"]] == [lead]
    for _ in range(2):
        assert as_(office.county_clerk).post(f"/api/instructions/assignments/{lead}/sign/").status_code == 200
    upload = SimpleUploadedFile("方案.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    answer = as_(office.county_clerk).post(f"/api/instructions/assignments/{lead}/feedback/",
                                           {"kind": "final", "text": "已办理完毕。", "files": [upload]},
                                           format="multipart")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["attachments"] == ["方案.pdf"] and answer.json()["state"] == "pending"
    feedback = answer.json()["id"]
    assert as_(office.county_clerk).post(f"/api/instructions/feedback/{feedback}/signoff/").status_code == 403
    assert as_(office.county_director).post(f"/api/instructions/feedback/{feedback}/signoff/").status_code == 200
    assert as_(office.county_director).post(f"/api/instructions/feedback/{feedback}/signoff/").status_code == 409
    answer = as_(office.editor).post(f"/api/instructions/feedback/{feedback}/accept/", {}, format="json")
    assert answer.status_code == 200 and answer.json()["state"] == "accepted"
    assert Assignment.objects.get(pk=lead).state == Assignment.State.ACCEPTED


def test_bad_input_names_the_field(office):
    api = as_(office.leader)
    answer = api.post("/api/instructions/", {"item": office.item.pk, "kind": "nonsense", "text": ""}, format="json")
    assert answer.status_code == 400 and {"kind", "text"} <= set(answer.json()["errors"])
    answer = api.post("/api/instructions/", {"item": 2**70, "kind": "handle", "text": "x"}, format="json")
    assert answer.status_code == 400 and "item" in answer.json()["errors"]
    pk = api.post("/api/instructions/", {"item": office.item.pk, "kind": "handle", "text": "ｘ\u200b请办理"},
                  format="json").json()["id"]
    assert Instruction.objects.get(pk=pk).text == "x请办理"  # normalised: width folded, invisible removed
    editor = as_(office.editor)
    answer = editor.post(f"/api/instructions/{pk}/assign/", {"lead": office.county.pk, "asked": "x",
                                                             "working_days": 0}, format="json")
    assert answer.status_code == 400 and "working_days" in answer.json()["errors"]
    answer = editor.post(f"/api/instructions/{pk}/assign/", {"lead": office.chain.foreign_city.pk, "asked": "x"},
                         format="json")
    assert answer.status_code == 400 and "lead" in answer.json()["errors"]
    answer = editor.post("/api/instructions/register/", {
        "office": office.city.pk, "leader": office.leader.pk, "kind": "guide", "title": "t", "text": "x",
        "written_at": "0001-01-01T00:00:00Z"}, format="json")
    assert answer.status_code == 400 and "written_at" in answer.json()["errors"]
    assert as_(office.county_clerk).get("/api/instructions/assignments/?colour=purple").status_code == 400


def test_an_action_sent_twice_with_one_key_records_once(office):
    pk = as_(office.leader).post("/api/instructions/", {"item": office.item.pk, "kind": "handle", "text": "办"},
                                 format="json").json()["id"]
    from rest_framework.authtoken.models import Token

    editor = APIClient()
    editor.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=office.editor).key}",
                       HTTP_IDEMPOTENCY_KEY="assign-1")
    body = {"lead": office.county.pk, "asked": "x", "working_days": 5}
    first = editor.post(f"/api/instructions/{pk}/assign/", body, format="json")
    second = editor.post(f"/api/instructions/{pk}/assign/", body, format="json")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert Assignment.objects.count() == 1


def test_more_time_through_the_api(office, traveller):
    from .conftest import assigned

    lead = assigned(office, supporting=False).assignments.get()
    answer = as_(office.county_clerk).post(f"/api/instructions/assignments/{lead.pk}/extension/",
                                           {"working_days": 3, "reason": "需协调"}, format="json")
    assert answer.status_code == 201
    extension = answer.json()["id"]
    answer = as_(office.editor).post(f"/api/instructions/extensions/{extension}/refuse/", {}, format="json")
    assert answer.status_code == 400 and "note" in answer.json()["errors"]
    answer = as_(office.editor).post(f"/api/instructions/extensions/{extension}/grant/", {}, format="json")
    assert answer.status_code == 200 and answer.json()["due_after"] == "2026-10-10T18:00:00+08:00"
    assert Extension.objects.get().state == "granted"
    assert Feedback.objects.count() == 0


def test_feedback_with_a_file_spooled_to_disk(office, settings):
    """A file over FILE_UPLOAD_MAX_MEMORY_SIZE is a temporary file on disk: the feedback is written all the same
    (it was a 500 while the view copied the request's data, files included)."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    instruction = assigned(office, supporting=False)
    lead = instruction.assignments.get()
    as_(office.county_clerk).post(f"/api/instructions/assignments/{lead.pk}/sign/")
    upload = SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 " + b"x" * 20_000, content_type="application/pdf")
    answer = as_(office.county_clerk).post(f"/api/instructions/assignments/{lead.pk}/feedback/",
                                           {"kind": "final", "text": "已办理。", "files": [upload]}, format="multipart")
    assert answer.status_code == 201, answer.content
    assert answer.json()["attachments"] == ["现场照片.pdf"]


def test_the_api_refuses_a_unit_nobody_can_sign_for_naming_it_until_confirmed(office):
    from .conftest import instructed, unit_without_people

    empty = unit_without_people(office)
    pk = instructed(office).pk
    editor = as_(office.editor)
    answer = editor.post(f"/api/instructions/{pk}/assign/", {"lead": empty.pk, "asked": "请研究。"}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "unstaffed" and "东湖区统计局" in body["errors"]["lead"][0] and "东湖区统计局" in body["detail"]
    assert not Assignment.objects.exists()
    answer = editor.post(f"/api/instructions/{pk}/assign/", {"lead": empty.pk, "asked": "请研究。",
                                                              "confirm_unstaffed": True}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["state"] == "assigned" and [w["code"] for w in body["warnings"]] == ["unstaffed"]
    assert "东湖区统计局" in body["warnings"][0]["message"]


def test_a_due_date_in_a_year_nobody_knows_is_warned_of_in_the_answer(office, traveller):
    from followup.models import CalendarDay

    from .conftest import instructed

    _first, last = calendar.library_years()
    traveller.move_to(beijing(last, 12, 24, 10))
    editor = as_(office.editor)
    pk = instructed(office).pk
    answer = editor.post(f"/api/instructions/{pk}/assign/", {"lead": office.county.pk, "asked": "请研究。",
                                                              "working_days": 10}, format="json")
    assert answer.status_code == 200, answer.json()
    warnings = answer.json()["warnings"]
    assert [(w["code"], w["field"]) for w in warnings] == [("calendar_unknown", "working_days")]
    assert str(last + 1) in warnings[0]["message"] and "周一至周五" in warnings[0]["message"]
    # within the known year, or once the admin entered the next one: nothing to warn of
    second = instructed(office).pk
    answer = editor.post(f"/api/instructions/{second}/assign/", {"lead": office.county.pk, "asked": "请研究。",
                                                                  "working_days": 2}, format="json")
    assert answer.json()["warnings"] == []
    CalendarDay.objects.create(day=datetime(last + 1, 1, 1).date(), is_working_day=False, name="元旦")
    third = instructed(office).pk
    answer = editor.post(f"/api/instructions/{third}/assign/", {"lead": office.county.pk, "asked": "请研究。",
                                                                 "working_days": 10}, format="json")
    assert answer.json()["warnings"] == []
