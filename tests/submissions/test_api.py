"""The REST API: same services and scoping as the pages; errors name the field and the reason."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from submissions import services
from submissions.models import Item

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(network):
    return client_for(network.clerk)


@pytest.fixture
def own_item(network, good_item_data):
    return services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)


@pytest.fixture
def foreign_item(network, good_item_data):
    return services.item_create(actor=network.other_clerk, unit=network.other_county, data=good_item_data)


def test_anonymous_is_refused():
    assert APIClient().get("/api/items/").status_code in (401, 403)


def test_token_is_issued_for_the_right_password(network, settings):
    network.clerk.set_password("correct horse 7")
    network.clerk.save()
    response = APIClient().post("/api/auth/token/", {"username": "dh_clerk", "password": "correct horse 7"})
    assert response.status_code == 200 and response.json()["token"]
    assert APIClient().post("/api/auth/token/", {"username": "dh_clerk", "password": "wrong"}).status_code == 400


def test_me_lists_my_roles_and_units(api, network):
    body = api.get("/api/me/").json()
    assert body["username"] == "dh_clerk"
    assert [(r["role"], r["unit"]["code"], r["unit"]["upstream"]) for r in body["roles"]] == [
        ("clerk", "t-dh", network.city.pk)
    ]
    assert [u["code"] for u in api.get("/api/me/units/").json()] == ["t-dh"]


def test_create_update_and_submit(api, network, good_item_data):
    created = api.post("/api/items/", {**good_item_data, "source_unit": network.county.pk}, format="json")
    assert created.status_code == 201, created.json()
    item = created.json()
    assert item["status"] == "draft"
    updated = api.patch(f"/api/items/{item['id']}/", {"title": "新标题", "revision": item["revision"]}, format="json")
    assert updated.status_code == 200 and updated.json()["title"] == "新标题"
    submitted = api.post(f"/api/items/{item['id']}/submit/", {"revision": updated.json()["revision"]}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "pending_signoff"
    versions = api.get(f"/api/items/{item['id']}/versions/").json()
    assert [v["number"] for v in versions] == [1]


def test_invalid_input_answers_400_with_field_reasons(api, network, good_item_data):
    response = api.post(
        "/api/items/",
        {**good_item_data, "source_unit": network.county.pk, "classification": "secret"},
        format="json",
    )
    body = response.json()
    assert response.status_code == 400
    assert set(body["errors"]) >= {"classification"}
    # a draft needs no phone, but one that is given must be one
    bad_phone = api.post("/api/items/", {**good_item_data, "source_unit": network.county.pk, "contact_phone": "12"},
                         format="json")
    assert bad_phone.status_code == 400 and set(bad_phone.json()["errors"]) == {"contact_phone"}
    assert "机要" in " ".join(body["errors"]["classification"]) or "confidential" in " ".join(body["errors"]["classification"])


def test_a_draft_saves_incomplete_and_filing_it_answers_400_naming_each_field(api, network):
    # given a draft with a title and an emergency's event time only
    created = api.post("/api/items/", {
        "source_unit": network.county.pk, "title": "湖滨街道一仓库起火", "category": "emergency",
        "event_time": (timezone.now() - timedelta(hours=1)).isoformat()}, format="json")
    assert created.status_code == 201, created.json()
    draft = created.json()
    assert (draft["status"], draft["body"], draft["contact_phone"]) == ("draft", "", "")
    # when it is filed so
    response = api.post(f"/api/items/{draft['id']}/submit/", {}, format="json")
    # then 400 names every field filing needs, and the draft keeps what it had
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"body", "contact_phone", "event_place", "event_grade"}
    item = Item.objects.get(pk=draft["id"])
    assert (item.status, item.title) == (Item.Status.DRAFT, "湖滨街道一仓库起火")
    # and once completed it files
    api.patch(f"/api/items/{draft['id']}/", {"body": "今晨仓库起火，已扑灭。", "contact_phone": "13800000000",
                                            "event_place": "湖滨街道", "event_grade": "general"}, format="json")
    assert api.post(f"/api/items/{draft['id']}/submit/", {}, format="json").json()["status"] == "pending_signoff"


def test_a_future_event_time_is_400(api, network, good_item_data):
    response = api.post(
        "/api/items/",
        {**good_item_data, "source_unit": network.county.pk, "category": "emergency", "event_place": "某地",
         "event_grade": "general", "event_time": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400 and "event_time" in response.json()["errors"]


def test_drafting_for_a_foreign_unit_is_403(api, network, good_item_data):
    response = api.post("/api/items/", {**good_item_data, "source_unit": network.other_county.pk}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_permitted"


def test_stale_revision_is_409(api, own_item):
    stale = own_item.revision
    api.patch(f"/api/items/{own_item.pk}/", {"title": "一"}, format="json")
    response = api.patch(f"/api/items/{own_item.pk}/", {"title": "二", "revision": stale}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "stale_revision"


def test_illegal_transition_is_409_with_the_reason(api, own_item):
    response = api.post(f"/api/items/{own_item.pk}/withdraw/", {}, format="json")
    assert response.status_code == 409
    assert "待签发" in response.json()["detail"]


def test_attachment_upload_checks_type(api, own_item):
    bad = api.post(f"/api/items/{own_item.pk}/attachments/", {"file": SimpleUploadedFile("x.exe", b"MZ")}, format="multipart")
    assert bad.status_code == 400 and "x.exe" in str(bad.json())
    good = api.post(f"/api/items/{own_item.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", b"%PDF")}, format="multipart")
    assert good.status_code == 201 and good.json()["original_name"] == "a.pdf"


@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("get", "", None),
        ("patch", "", {"title": "越权"}),
        ("put", "", {"title": "越权"}),
        ("post", "submit/", {}),
        ("post", "withdraw/", {}),
        ("get", "versions/", None),
    ],
)
def test_a_foreign_item_is_404_on_every_endpoint(api, foreign_item, method, suffix, body):
    response = getattr(api, method)(f"/api/items/{foreign_item.pk}/{suffix}", body, format="json")
    assert response.status_code == 404
    foreign_item.refresh_from_db()
    assert (foreign_item.title, foreign_item.status) != ("越权", Item.Status.PENDING_SIGNOFF)


def test_a_foreign_item_is_not_listed(api, own_item, foreign_item):
    ids = [row["id"] for row in api.get("/api/items/").json()["results"]]
    assert ids == [own_item.pk]


def test_an_unguessable_id_is_404_not_500(api):
    assert api.get("/api/items/999999999/").status_code == 404


@pytest.mark.parametrize("user_attr", ["director", "city_editor", "other_clerk"])
def test_other_roles_cannot_edit_a_clerks_draft(network, own_item, user_attr):
    response = client_for(getattr(network, user_attr)).patch(f"/api/items/{own_item.pk}/", {"title": "越权"}, format="json")
    # the director sees the unit's items but may not edit a clerk's draft; the others do not see it at all
    assert response.status_code == (403 if user_attr == "director" else 404)


def test_schema_documents_the_error_responses(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = response.json()
    assert response.status_code == 200
    submit = schema["paths"]["/api/items/{id}/submit/"]["post"]["responses"]
    assert {"200", "400", "403", "404", "409"} <= set(submit)


def test_docs_page_is_served_without_internet(client, network):
    client.force_login(network.clerk)
    page = client.get("/api/docs/").content.decode()
    assert "swagger" in page.lower()
    assert "cdn." not in page and "https://" not in page.split("<body")[0]
