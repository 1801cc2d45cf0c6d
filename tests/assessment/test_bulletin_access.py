"""通报 through the one access rule, at every door (SPEC §9, §11), the same way as tests/infohub/test_access_matrix.py
(which takes this file's PAGE_DOORS and API_KINDS into its list of every door, so a new bulletin page or API operation
fails there until it is here).

Each door is asked by each person about a bulletin ready for issue (not yet sent to anyone) and an issued one: the
answer is 404 exactly when the person may not see it — written out by hand below, not derived from the rule — and
never a 5xx. Then who may act: ask (the office's editor and director), issue (its director only)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from assessment import bulletins
from assessment.models import Bulletin
from tests.publications.conftest import _no_exports_at_signing, pubs  # noqa: F401  (fixtures)

from .bulletin_world import FEB, JAN, MAR, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

# Page doors: URL name → method. Every one names a bulletin.
PAGE_DOORS = {
    "assessment:bulletin_detail": "get",
    "assessment:bulletin_download": "get",
    "assessment:bulletin_issue": "post",
    "assessment:bulletin_regenerate": "post",
}
# API doors: the schema's path prefix → what its {id} names.
API_KINDS = {"/api/assessment/bulletins/{": "bulletin"}

PEOPLE = ("editor", "director", "clerk", "third_clerk", "unnamed_clerk", "foreign_director")
SEES = {
    # ready, not issued: the assessing office's own people only
    "ready": {"editor", "director"},
    # issued (the quarter): also everyone of each unit it names (the county's and 南山县's clerks — 南山县 filed
    # nothing, and is named for it); not a unit it does not name, not a foreign office
    "issued": {"editor", "director", "clerk", "third_clerk"},
}


@pytest.fixture
def two(world, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        ready = bulletins.bulletin_request(ruleset=world.ruleset, kind="monthly", first_month=FEB, last_month=FEB,
                                           actor=world.editor)
        issued = bulletins.bulletin_request(ruleset=world.ruleset, kind="quarterly", first_month=JAN, last_month=MAR,
                                            actor=world.editor)
    with django_capture_on_commit_callbacks(execute=True):  # a worker issues it after the commit
        bulletins.bulletin_issue(bulletin=issued, actor=world.director)
    people = {who: getattr(world, who) for who in PEOPLE}
    return {"ready": Bulletin.objects.get(pk=ready.pk), "issued": Bulletin.objects.get(pk=issued.pk)}, people


def _url(name: str, bulletin: Bulletin) -> str:
    kwargs = {"pk": bulletin.pk}
    if name == "assessment:bulletin_download":
        kwargs["fmt"] = "docx"
    return reverse(name, kwargs=kwargs)


def _request(client, method: str, url: str):
    with transaction.atomic():
        response = getattr(client, method)(url, {} if method == "post" else None)
        transaction.set_rollback(True)
    return response


def test_every_page_answers_404_exactly_to_those_who_may_not_see(two, client):
    objects, people = two
    for who in PEOPLE:
        client.force_login(people[who])
        for key, bulletin in objects.items():
            for name, method in PAGE_DOORS.items():
                response = _request(client, method, _url(name, bulletin))
                assert response.status_code < 500, (who, key, name, response.status_code)
                assert (response.status_code == 404) == (who not in SEES[key]), (who, key, name, response.status_code)


def _api_operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        if any(path.startswith(prefix) for prefix in API_KINDS):
            for method in operations:
                yield method, path


def test_every_api_operation_answers_404_exactly_to_those_who_may_not_see(two):
    objects, people = two
    operations = list(_api_operations())
    assert len(operations) == 4  # retrieve, issue, regenerate, download
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(people[who])
        for method, path in operations:
            for key, bulletin in objects.items():
                url = path.replace("{id}", str(bulletin.pk)).replace("{fmt}", "xlsx")
                with transaction.atomic():
                    response = getattr(api, method)(url, {}, format="json") if method != "get" else api.get(url)
                    transaction.set_rollback(True)
                seen = who in SEES[key]
                assert response.status_code < 500, (who, method, path, key, response.status_code)
                assert (response.status_code == 404) == (not seen), (who, method, path, key, response.status_code)
                if response.status_code == 404:
                    assert response.json()["detail"]


def test_the_lists_show_each_person_exactly_what_they_may_see(two, client):
    objects, people = two
    for who in PEOPLE:
        expected = {objects[key].pk for key in objects if who in SEES[key]}
        client.force_login(people[who])
        page = client.get("/assessment/bulletins/")
        assert page.status_code == 200
        shown = {b.pk for b in page.context["page"].object_list}
        assert shown == expected, who
        api = APIClient()
        api.force_authenticate(people[who])
        assert {row["id"] for row in api.get("/api/assessment/bulletins/").json()["results"]} == expected, who


def test_only_the_office_asks_and_only_its_director_issues(two, client):
    objects, people = two
    ready = objects["ready"]
    expected = {"editor": 403, "director": 202, "clerk": 404, "third_clerk": 404, "unnamed_clerk": 404,
                "foreign_director": 404}
    for who, code in expected.items():
        api = APIClient()
        api.force_authenticate(people[who])
        with transaction.atomic():
            response = api.post(f"/api/assessment/bulletins/{ready.pk}/issue/", {}, format="json")
            transaction.set_rollback(True)
        assert response.status_code == code, (who, response.status_code, response.content[:200])
    # asking: the office's editor and director (202); anyone else does not find the rule set (404)
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(people[who])
        with transaction.atomic():
            response = api.post("/api/assessment/bulletins/", {"ruleset": ready.ruleset_id, "kind": "monthly",
                                                               "period": 1}, format="json")
            transaction.set_rollback(True)
        assert response.status_code == (202 if who in ("editor", "director") else 404), (who, response.status_code)
    # the page's form is offered to the office only
    for who in PEOPLE:
        client.force_login(people[who])
        assert ("bulletin-form" in client.get("/assessment/bulletins/").content.decode()) == (
            who in ("editor", "director")), who
