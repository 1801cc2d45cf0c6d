"""Topic requests through the REST API (SPEC §7, §10): issue, list, the board and its counts and export, a target
unit's replies; errors name the field; a retried call with the same Idempotency-Key records once."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from infohub.models import AuditLog
from topics.models import Answer, Target, TopicRequest

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _issue(topics, **body):
    return api(topics.editor).post("/api/topics/requests/", {
        "office": topics.city.pk, "subject": "基层减负工作进展", "guidance": "每篇不超过800字",
        "due_at": (timezone.now() + timedelta(days=3)).isoformat(), "groups": ["counties"], **body}, format="json")


def test_issue_list_read_and_withdraw(topics):
    response = _issue(topics, length_limit=800, urgent=True)
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert TopicRequest.objects.get(pk=pk).targets.count() == 3
    assert [r["id"] for r in api(topics.clerk).get("/api/topics/requests/?tab=received").json()["results"]] == [pk]
    assert api(topics.foreign_clerk).get("/api/topics/requests/").json()["results"] == []
    assert api(topics.foreign_clerk).get(f"/api/topics/requests/{pk}/").status_code == 404
    assert api(topics.clerk).get(f"/api/topics/requests/{pk}/").json()["urgent"] is True
    assert api(topics.clerk).post(f"/api/topics/requests/{pk}/withdraw/", {"reason": "x"},
                                  format="json").status_code == 403
    body = api(topics.editor).post(f"/api/topics/requests/{pk}/withdraw/", {"reason": "重复"}, format="json").json()
    assert body["status"] == "withdrawn"


def test_bad_input_names_the_field(topics):
    cases = [
        ({"subject": ""}, "subject"),
        ({"due_at": "2020-01-01T00:00:00+08:00"}, "due_at"),
        ({"due_at": "0001-01-01T00:00"}, "due_at"),
        ({"units": [topics.foreign_county.pk], "groups": []}, "units"),
        ({"units": ["²"], "groups": []}, "units.0"),
        ({"units": [], "groups": []}, "units"),
        ({"groups": ["planets"]}, "groups.0"),
        ({"length_limit": 0}, "length_limit"),
        ({"office": topics.chain.foreign_city.pk}, "office"),
        ({"office": "9" * 30}, "office"),
        ({"publication": 999999}, "publication"),
    ]
    for body, field in cases:
        response = _issue(topics, **body)
        assert response.status_code == 400, (body, response.status_code)
        assert field in response.json()["errors"], (body, response.json())
    assert not TopicRequest.objects.exists()


def test_the_board_counts_and_export_are_the_offices(topics):
    pk = _issue(topics).json()["id"]
    target = Target.objects.get(request_id=pk, unit=topics.county)
    api(topics.director).post(f"/api/topics/targets/{target.pk}/decline/", {"note": "无此类情况"}, format="json")
    board = api(topics.editor).get(f"/api/topics/requests/{pk}/board/").json()
    states = {row["unit_name"]: row["state"] for row in board["results"]}
    assert states == {"东湖区委办公室": "declined", "西岭县委办公室": "waiting", "南山县委办公室": "waiting"}
    counts = api(topics.editor).get(f"/api/topics/requests/{pk}/counts/").json()
    assert counts == {"answered": 0, "late": 0, "declined": 1, "waiting": 2, "ignored": 0, "total": 3}
    filtered = api(topics.editor).get(f"/api/topics/requests/{pk}/board/?state=waiting").json()
    assert filtered["count"] == 2
    assert api(topics.editor).get(f"/api/topics/requests/{pk}/board/?state=planets").status_code == 400
    export = api(topics.editor).get(f"/api/topics/requests/{pk}/export/")
    assert export.status_code == 200
    assert f'filename="topic-request-{pk}-' in export["Content-Disposition"]  # not "-{pk}-<date>.xlsx" alone
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=11, values_only=True)] == [
        "东湖区委办公室", "西岭县委办公室", "南山县委办公室"]
    for who in (topics.clerk, topics.director):  # a target sees the request, not the others' replies
        assert api(who).get(f"/api/topics/requests/{pk}/board/").status_code == 404
        assert api(who).get(f"/api/topics/requests/{pk}/export/").status_code == 404


def test_the_board_asks_nothing_per_row(topics):
    """The board's rows come with their unit, office and request: no statement reads one row's request or unit (the
    API serialises each row's office name and request subject; they were two statements a row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pk = _issue(topics).json()["id"]
    client = APIClient()
    client.force_login(topics.editor)
    for path in (f"/api/topics/requests/{pk}/board/", f"/topics/{pk}/"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        statements = [q["sql"] for q in captured.captured_queries]
        assert sum('FROM "topics_topicrequest"' in sql for sql in statements) == 1, path  # the access rule's
        assert not [sql for sql in statements if 'FROM "infohub_unit" WHERE "infohub_unit"."id" = ' in sql], path
    assert len(client.get(f"/api/topics/requests/{pk}/board/").json()["results"]) == 3


def test_a_target_answers_with_an_item_and_takes_it_back(topics):
    pk = _issue(topics).json()["id"]
    target = Target.objects.get(request_id=pk, unit=topics.county)
    mine = api(topics.clerk).get("/api/topics/targets/?open=true").json()["results"]
    assert [t["id"] for t in mine] == [target.pk]
    item = topics.draft()
    response = api(topics.clerk).post(f"/api/topics/targets/{target.pk}/answers/", {"item": item.pk}, format="json")
    assert response.status_code == 201 and response.json()["item_title"] == item.title
    answer = Answer.objects.get()
    listed = api(topics.clerk).get(f"/api/topics/targets/{target.pk}/answers/").json()
    assert [a["id"] for a in listed] == [answer.pk]
    foreign_item = topics.draft(unit=topics.other, clerk=topics.other_clerk)
    refused = api(topics.clerk).post(f"/api/topics/targets/{target.pk}/answers/", {"item": foreign_item.pk},
                                     format="json")
    assert refused.status_code == 400 and "item" in refused.json()["errors"]  # an item he may not see: no such item
    assert api(topics.clerk).delete(f"/api/topics/targets/{target.pk}/answers/{answer.pk}/").status_code == 204
    assert api(topics.clerk).delete(f"/api/topics/targets/{target.pk}/answers/{answer.pk}/").status_code == 404
    assert not Answer.objects.exists()


def test_nothing_to_report_signed_or_returned_by_the_director(topics):
    pk = _issue(topics).json()["id"]
    target = Target.objects.get(request_id=pk, unit=topics.county)
    body = api(topics.clerk).post(f"/api/topics/targets/{target.pk}/decline/", {"note": "无"}, format="json").json()
    assert body["reply"] == "decline_pending"
    stale = api(topics.director).post(f"/api/topics/targets/{target.pk}/sign/", {"revision": 1}, format="json")
    assert stale.status_code == 409
    assert api(topics.director).post(f"/api/topics/targets/{target.pk}/return/", {"reason": ""},
                                     format="json").status_code == 400
    body = api(topics.director).post(f"/api/topics/targets/{target.pk}/return/", {"reason": "请补报典型做法"},
                                     format="json").json()
    assert body["reply"] == "waiting"
    api(topics.clerk).post(f"/api/topics/targets/{target.pk}/decline/", {}, format="json")
    body = api(topics.director).post(f"/api/topics/targets/{target.pk}/sign/", {}, format="json").json()
    assert body["reply"] == "declined" and body["answered_at"]
    assert api(topics.other_clerk).get(f"/api/topics/targets/{target.pk}/").status_code == 404


def test_a_retried_call_with_the_same_key_records_once(topics):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=topics.editor).key}",
                       HTTP_IDEMPOTENCY_KEY="issue-1")
    body = {"office": topics.city.pk, "subject": "重试", "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "units": [topics.county.pk]}
    first = client.post("/api/topics/requests/", body, format="json")
    second = client.post("/api/topics/requests/", body, format="json")
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert TopicRequest.objects.count() == 1 and AuditLog.objects.filter(action="topic.issue").count() == 1


def test_targetable_units_and_groups(topics):
    body = api(topics.editor).get(f"/api/topics/targetable/?office={topics.city.pk}").json()
    names = {unit["name"] for unit in body["units"]}
    assert {"东湖区委办公室", "西岭县委办公室", "南山县委办公室", "临江市应急管理局"} <= names
    assert "南城区委办公室" not in names
    assert set(body["groups"]["departments"]) == {topics.department.pk}
    assert api(topics.clerk).get(f"/api/topics/targetable/?office={topics.city.pk}").status_code == 400
    assert api(topics.editor).get("/api/topics/targetable/?office=abc").status_code == 400
