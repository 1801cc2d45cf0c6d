"""The whole of a publication through the REST API: types, an issue compiled, ordered, retitled, distributed, reviewed,
signed, its credit and its files — the same services as the pages."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from publications.models import IssueExport

from .conftest import adopted_item

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_an_issue_from_start_to_signature_through_the_api(pubs, django_capture_on_commit_callbacks):
    chain = pubs.chain
    a, b = adopted_item(chain, "第一条"), adopted_item(chain, "第二条", urgency="urgent")
    editor, director = _api(pubs.editor), _api(pubs.director)
    types = editor.get("/api/publications/types/").json()["results"]
    weekly = next(t for t in types if t["name"] == "临江信息")
    assert [r["kind"] for r in weekly["default_recipients"]] == ["report", "send", "issue"]

    issue = editor.post("/api/publications/issues/", {"ptype": weekly["id"]}, format="json").json()
    assert (issue["status"], issue["number"], len(issue["recipients"])) == ("compiling", None, 3)
    url = f"/api/publications/issues/{issue['id']}/"
    candidates = editor.get(url + "candidates/").json()["results"]
    assert sorted(c["title"] for c in candidates) == ["第一条", "第二条"]
    for item in (a, b):
        response = editor.post(url + "entries/", {"item": item.pk}, format="json")
        assert response.status_code == 201, response.json()
    assert editor.post(url + "entries/", {"item": a.pk}, format="json").status_code == 409  # once per issue
    assert editor.post(url + "entries/", {"item": 999999}, format="json").status_code == 400
    entries = editor.get(url + "entries/").json()
    assert [e["item_title"] for e in entries] == ["第一条", "第二条"]
    revision = editor.get(url).json()["revision"]
    response = editor.post(url + "order/", {"entries": [entries[1]["id"], entries[0]["id"]], "revision": revision},
                           format="json")
    assert [e["item"] for e in response.json()["entries"]] == [b.pk, a.pk]
    assert response.json()["urgency"] == "urgent"
    stale = editor.patch(url, {"editor_note": "编者按", "revision": revision}, format="json")
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_revision")
    assert editor.patch(url, {"editor_note": "现将有关情况编发，供参阅。"}, format="json").json()["editor_note"]
    retitled = editor.patch(url + f"entries/{entries[0]['id']}/", {"title": "第一条（本期标题）"}, format="json").json()
    assert retitled["title_in_issue"] == "第一条（本期标题）"
    distribution = editor.put(url + "distribution/", {"recipients": [
        {"kind": "report", "unit": chain.net.province.pk}, {"kind": "send", "unit": chain.net.city.pk,
                                                             "label": "市委领导同志"}]}, format="json")
    assert [r["kind"] for r in distribution.json()] == ["report", "send"]

    assert editor.post(url + "submit/", {}, format="json").json()["status"] == "submitted"
    assert editor.post(url + "review/", {}, format="json").status_code == 403  # not the editor's to review
    assert director.post(url + "return/", {"reason": ""}, format="json").status_code == 409
    assert director.post(url + "review/", {}, format="json").json()["status"] == "reviewed"
    signed = director.post(url + "sign/", {}, format="json").json()
    assert (signed["status"], signed["number"], signed["total_number"], signed["title"].endswith("第1期")) == (
        "signed", 1, 345, True)
    assert editor.post(url + "entries/", {"item": a.pk}, format="json").status_code == 409  # signed: immutable

    credits = _api(chain.net.clerk).get(f"/api/publications/credits/?item={a.pk}").json()["results"]
    assert [(c["unit"], c["share"], c["office_level"]) for c in credits] == [(chain.net.county.pk, "1.0000", "city")]
    assert len(director.get(url + "credits/").json()) == 2
    # the leader of a recipient unit finds it in his list, and asks for its file
    leader = _api(pubs.city_leader)
    assert [i["id"] for i in leader.get("/api/publications/issues/?tab=received").json()["results"]] == [issue["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        export = leader.post(url + "exports/", {"format": "docx"}, format="json")
    assert export.status_code == 202
    ready = leader.get(url + "exports/").json()
    assert ready[0]["state"] == "done" and ready[0]["download"].endswith("/download/docx/")
    assert leader.get(ready[0]["download"]).status_code == 200
    assert IssueExport.objects.filter(format="docx", state="done").count() == 1
    # not a recipient: it does not exist for him
    assert _api(chain.foreign_editor).get(url).status_code == 404


def test_the_api_discards_an_issue_being_compiled_only(pubs):
    editor = _api(pubs.editor)
    issue = editor.post("/api/publications/issues/", {"ptype": pubs.daily.pk}, format="json").json()
    with transaction.atomic():
        assert _api(pubs.city_leader).delete(f"/api/publications/issues/{issue['id']}/").status_code == 404
    assert editor.delete(f"/api/publications/issues/{issue['id']}/").status_code == 204
    assert editor.get(f"/api/publications/issues/{issue['id']}/").status_code == 404


def test_the_schema_documents_the_publications_api(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/publications/issues/{id}/sign/", "/api/publications/issues/{id}/entries/{entry_id}/",
                 "/api/publications/issues/{id}/distribution/", "/api/publications/credits/",
                 "/api/publications/issues/{id}/download/{fmt}/"):
        assert path in schema, path
