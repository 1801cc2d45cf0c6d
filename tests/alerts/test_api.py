"""The alerts API: scoping by office, the reasons of refusals, and the same rules as the pages."""

from datetime import timedelta

import pytest

from alerts.models import Clock
from reviews import services as reviews
from tests.submissions.test_api import client_for

from .conftest import NOW, file_emergency

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(chain, traveller) -> Clock:
    item = file_emergency(chain.net, event_time=NOW - timedelta(minutes=30))
    return Clock.objects.get(item=item, level="city", kind="report")


def test_the_queue_lists_my_offices_clocks_with_the_time_left(chain, duty, clock):
    rows = client_for(duty.city_duty).get("/api/alerts/clocks/").json()["results"]
    assert [(r["id"], r["seconds_left"]) for r in rows] == [(clock.pk, 90 * 60.0)]
    assert client_for(duty.foreign_duty).get("/api/alerts/clocks/").json()["results"] == []
    assert client_for(duty.foreign_duty).get(f"/api/alerts/clocks/{clock.pk}/").status_code == 404


def test_acknowledge_and_phone_report_through_the_api(duty, clock):
    api = client_for(duty.city_duty)
    assert api.post(f"/api/alerts/clocks/{clock.pk}/acknowledge/").json()["acknowledged_by"] == duty.city_duty.pk
    again = api.post(f"/api/alerts/clocks/{clock.pk}/acknowledge/")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    empty = api.post(f"/api/alerts/clocks/{clock.pk}/phone-report/", {"note": ""}, format="json")
    assert empty.status_code == 400 and "note" in empty.json()["errors"]
    written = api.post(f"/api/alerts/clocks/{clock.pk}/phone-report/", {"note": "来电"}, format="json")
    assert written.status_code == 201 and written.json()["kind"] == "written"


def test_another_offices_duty_officer_is_refused(duty, clock):
    # the province's duty officer sees the city's clock (its breach escalates to him) but may not act on it
    refused = client_for(duty.province_duty).post(f"/api/alerts/clocks/{clock.pk}/acknowledge/")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_permitted")
    clock.refresh_from_db()
    assert clock.acknowledged_at is None


def test_chase_through_the_api(chain, duty):
    api = client_for(duty.city_duty)
    response = api.post("/api/alerts/chases/", {"office": chain.net.city.pk, "unit": chain.net.county.pk,
                                                 "channel": "media", "summary": "网传", "minutes": 30}, format="json")
    assert response.status_code == 201 and response.json()["state"] == "open"
    bad = api.post("/api/alerts/chases/", {"office": chain.net.city.pk, "unit": chain.net.county.pk,
                                            "channel": "rumour", "summary": "网传"}, format="json")
    assert bad.status_code == 400 and "channel" in bad.json()["errors"]
    foreign = client_for(duty.foreign_duty).post(
        "/api/alerts/chases/", {"office": chain.foreign_city.pk, "unit": chain.net.county.pk, "channel": "media",
                                "summary": "x"}, format="json")
    assert foreign.status_code == 403
    assert client_for(duty.foreign_duty).get("/api/alerts/chases/").json()["results"] == []


def test_lapses_through_the_api(chain, duty, clock):
    reviews.signoff_approve(actor=chain.net.director, item=clock.item)
    api = client_for(chain.net.city_editor)
    created = api.post("/api/alerts/lapses/", {"item": clock.item.pk, "kind": "concealed", "reason": "隐瞒伤亡"},
                       format="json")
    assert created.status_code == 201 and created.json()["unit"] == chain.net.county.pk
    late = api.post("/api/alerts/lapses/", {"item": clock.item.pk, "kind": "late", "reason": "x"}, format="json")
    assert late.status_code == 400 and "kind" in late.json()["errors"]
    foreign = client_for(chain.foreign_editor).post(
        "/api/alerts/lapses/", {"item": clock.item.pk, "kind": "false", "reason": "x"}, format="json")
    missing = client_for(chain.foreign_editor).post(
        "/api/alerts/lapses/", {"item": 999999, "kind": "false", "reason": "x"}, format="json")
    assert foreign.status_code == missing.status_code == 404
    assert [r["kind"] for r in client_for(chain.net.director).get("/api/alerts/lapses/").json()["results"]] == ["concealed"]
    assert client_for(chain.foreign_editor).get("/api/alerts/lapses/").json()["results"] == []


def test_a_follow_up_through_the_api_is_numbered_when_filed(chain, clock):
    api = client_for(chain.net.clerk)
    draft = api.post(f"/api/items/{clock.item.pk}/follow-up/", {}, format="json")
    assert draft.status_code == 201 and draft.json()["first_report"] == clock.item.pk
    assert draft.json()["follow_up_number"] is None
    filed = api.post(f"/api/items/{draft.json()['id']}/submit/", {}, format="json").json()
    assert (filed["report_kind"], filed["follow_up_number"]) == ("follow_up", 1)
    assert client_for(chain.net.other_clerk).post(f"/api/items/{clock.item.pk}/follow-up/", {}).status_code == 404
