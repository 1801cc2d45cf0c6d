"""The review API: every endpoint × role × own/foreign office, with 403/404/409 reasons."""

import pytest
from django.core.management import call_command

from reviews import services
from reviews.models import Hop
from submissions import services as submissions
from tests.submissions.test_api import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def hop(chain, filed_item) -> Hop:
    services.signoff_approve(actor=chain.net.director, item=filed_item)
    return Hop.objects.get(item=filed_item)


def test_director_signs_off_through_the_api(chain, filed_item):
    api = client_for(chain.net.director)
    assert [row["id"] for row in api.get("/api/signoff/").json()["results"]] == [filed_item.pk]
    response = api.post(f"/api/items/{filed_item.pk}/signoff/", {"revision": filed_item.revision}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "signed_off"
    again = api.post(f"/api/items/{filed_item.pk}/signoff/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


def test_return_needs_a_reason(chain, filed_item):
    api = client_for(chain.net.director)
    assert api.post(f"/api/items/{filed_item.pk}/signoff-return/", {"reason": ""}, format="json").status_code == 409
    response = api.post(f"/api/items/{filed_item.pk}/signoff-return/", {"reason": "请核实"}, format="json")
    assert response.json()["status"] == "returned"


def test_batch_answers_each_item(chain, filed_item, good_item_data):
    draft = submissions.item_create(actor=chain.net.clerk, unit=chain.net.county, data=good_item_data)
    response = client_for(chain.net.director).post("/api/signoff/batch/", {"items": [filed_item.pk, draft.pk]}, format="json")
    assert [(r["item_id"], r["ok"]) for r in response.json()] == [(filed_item.pk, True), (draft.pk, False)]
    assert client_for(chain.net.director).post("/api/signoff/batch/", {"items": []}, format="json").status_code == 400


def test_editor_walks_the_item_up_through_the_api(chain, hop):
    editor, director = client_for(chain.net.city_editor), client_for(chain.city_director)
    assert [row["id"] for row in editor.get("/api/inbox/").json()["results"]] == [hop.pk]
    assert editor.post(f"/api/inbox/{hop.pk}/adopt/", {"adoption": "bogus"}, format="json").status_code == 400
    assert editor.post(f"/api/inbox/{hop.pk}/adopt/", {"adoption": "full"}, format="json").json()["status"] == "adopted"
    assert editor.post(f"/api/inbox/{hop.pk}/forward/", {}, format="json").json()["forward"] == "awaiting_signoff"
    assert [row["id"] for row in director.get("/api/forwards/").json()["results"]] == [hop.pk]
    next_hop = director.post(f"/api/inbox/{hop.pk}/forward-sign/", {}, format="json").json()
    assert next_hop["office"] == chain.net.province.pk
    lineage = client_for(chain.net.clerk).get(f"/api/items/{hop.item_id}/lineage/").json()
    assert [h["level"] for h in lineage["hops"]] == ["city", "province"]
    assert lineage["adopted_at"] == ["city"] and lineage["credited"] == [chain.net.county.pk]


def test_editor_edits_through_the_api_and_stale_is_409(chain, hop):
    editor = client_for(chain.net.city_editor)
    revision = hop.item.__class__.objects.get(pk=hop.item_id).revision
    ok = editor.post(f"/api/inbox/{hop.pk}/edit/", {"title": "改后标题", "revision": revision}, format="json")
    assert ok.status_code == 200 and ok.json()["title"] == "改后标题"
    stale = editor.post(f"/api/inbox/{hop.pk}/adopt/", {"adoption": "full", "revision": revision}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_revision"


@pytest.mark.parametrize("outsider", ["other_clerk", "foreign_editor", "foreign_director", "province_editor", "clerk"])
def test_foreign_people_get_404_on_every_hop_endpoint(chain, hop, outsider):
    user = getattr(chain.net, outsider, None) or getattr(chain, outsider)
    api = client_for(user)
    calls = [
        ("get", f"/api/inbox/{hop.pk}/", None),
        ("post", f"/api/inbox/{hop.pk}/adopt/", {"adoption": "full"}),
        ("post", f"/api/inbox/{hop.pk}/not-adopt/", {"reason": "x"}),
        ("post", f"/api/inbox/{hop.pk}/return/", {"reason": "x"}),
        ("post", f"/api/inbox/{hop.pk}/edit/", {"title": "x"}),
        ("post", f"/api/inbox/{hop.pk}/forward/", {}),
        ("post", f"/api/inbox/{hop.pk}/forward-sign/", {}),
        ("post", f"/api/inbox/{hop.pk}/forward-decline/", {"reason": "x"}),
        ("post", "/api/inbox/merge/", {"hops": [hop.pk, hop.pk], "title": "x", "body": "y"}),
    ]
    for method, url, body in calls:
        assert getattr(api, method)(url, body, format="json").status_code == 404, (outsider, url)
    assert api.get("/api/inbox/").json()["count"] == 0
    hop.refresh_from_db()
    assert hop.status == "received"


@pytest.mark.parametrize("outsider", ["other_clerk", "foreign_editor", "foreign_director"])
def test_foreign_people_get_404_on_sign_off_and_lineage(chain, filed_item, outsider):
    api = client_for(getattr(chain.net, outsider, None) or getattr(chain, outsider))
    assert api.post(f"/api/items/{filed_item.pk}/signoff/", {}, format="json").status_code == 404
    assert api.post(f"/api/items/{filed_item.pk}/signoff-return/", {"reason": "x"}, format="json").status_code == 404
    assert api.get(f"/api/items/{filed_item.pk}/lineage/").status_code == 404


def test_a_clerk_signing_off_is_403_with_the_reason(chain, filed_item):
    response = client_for(chain.net.clerk).post(f"/api/items/{filed_item.pk}/signoff/", {}, format="json")
    assert response.status_code == 403 and response.json()["detail"]


def test_the_schema_is_valid_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
