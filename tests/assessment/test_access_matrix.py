"""The figures through the one access rule, at every door (issue 16: "a unit sees its own figures and its group's
ranking as the office publishes it; an office sees its jurisdiction; nobody else's detail"; SPEC §11), the same way
as tests/infohub/test_access_matrix.py (which takes this file's PAGE_DOORS and API_KINDS into its list of every door,
so a new figures page or API operation fails there until it is here).

The city office (临江) assesses 东湖, 西岭 and a department; 青山 is a foreign city with its own rule set. Each door is
asked by each person about the city's rule set, about 东湖 under it and about one of 东湖's ledger rows: the answer is
404 exactly when the person may not see it — written out by hand below, not derived from the rule — and never a 5xx.
"""

import re

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.assessment.handmade import THIS

pytestmark = pytest.mark.django_db

# Page doors: URL name → (what its ids name, method).
PAGE_DOORS = {
    "assessment:overview": ("ruleset", "get"),
    "assessment:sheet": ("ruleset", "get"),
    "assessment:drill": ("ruleset", "get"),
    "assessment:people": ("ruleset", "get"),
    "assessment:ledger": ("ruleset", "get"),
    "assessment:unit": ("unit", "get"),
    "assessment:entry": ("entry", "get"),
}
# API doors: the schema's path prefix → what its {id} names.
API_KINDS = {"/api/assessment/rulesets/{": "ruleset", "/api/assessment/entries/{": "entry"}

PEOPLE = ("clerk", "director", "other_clerk", "city_editor", "city_director", "province_editor", "foreign_editor",
          "foreign_clerk")
# Who may open what, by hand (anything else is 404):
SEES = {
    # the city's rule set: the people of the units it assesses (their own figures) and the offices over it
    "ruleset": {"clerk", "director", "other_clerk", "city_editor", "city_director", "province_editor"},
    # 东湖's figures and its ledger rows: 东湖's own people and the offices above 东湖 — not 西岭, not 青山
    "unit": {"clerk", "director", "city_editor", "city_director", "province_editor"},
    "entry": {"clerk", "director", "city_editor", "city_director", "province_editor"},
}
# Who sees every unit's figures ranked (live): the assessing office's roles and the offices above it.
LIVE = {"city_editor", "city_director", "province_editor"}
OTHERS = ("西岭县委办公室", "临江市应急管理局")  # what 东湖's people must never see


@pytest.fixture
def people(figures) -> dict:
    chain = figures.chain
    net = chain.net
    return {"clerk": net.clerk, "director": net.director, "other_clerk": net.other_clerk,
            "city_editor": net.city_editor, "city_director": chain.city_director,
            "province_editor": chain.province_editor, "foreign_editor": chain.foreign_editor,
            "foreign_clerk": figures.foreign_clerk}


def _page_url(name: str, figures) -> str:
    kind = PAGE_DOORS[name][0]
    if kind == "unit":
        return reverse(name, args=[figures.ruleset.pk, figures.net.county.pk])
    if kind == "entry":
        return reverse(name, args=[figures.adopted.pk])
    return reverse(name, args=[figures.ruleset.pk])


def _api_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        kind = next((k for prefix, k in API_KINDS.items() if path.startswith(prefix)), None)
        if kind:
            for method in operations:
                yield method, path, kind


def _api_url(path: str, kind: str, figures) -> str:
    pk = figures.adopted.pk if kind == "entry" else figures.ruleset.pk
    return path.replace("{id}", str(pk))


def test_every_page_answers_404_exactly_to_those_who_may_not_see(figures, people, client):
    for who in PEOPLE:
        client.force_login(people[who])
        for name, (kind, _method) in PAGE_DOORS.items():
            response = client.get(_page_url(name, figures))
            assert response.status_code < 500, (who, name, response.status_code)
            assert (response.status_code == 404) == (who not in SEES[kind]), (who, name, response.status_code)


def test_every_api_operation_answers_404_exactly_to_those_who_may_not_see(figures, people):
    operations = list(_api_operations())
    assert len(operations) == 7
    for who in PEOPLE:
        api = APIClient()
        api.force_authenticate(people[who])
        for method, path, kind in operations:
            response = getattr(api, method)(_api_url(path, kind, figures))
            assert response.status_code < 500, (who, path, response.status_code)
            assert (response.status_code == 404) == (who not in SEES[kind]), (who, path, response.status_code)
            if response.status_code == 404:
                assert set(response.json()) == {"detail", "code"}  # the error shape, and nothing about the object


@pytest.mark.parametrize("door", ["assessment:ledger", "assessment:people", "assessment:drill",
                                  "/entries/", "/people/", "/drill/"])
def test_naming_a_unit_in_the_query_is_the_same_rule(figures, people, client, door):
    """?unit=东湖 (and for the drill-down, a node of which every figure must be theirs)."""
    for who in PEOPLE:
        if door.startswith("/"):
            api = APIClient()
            api.force_authenticate(people[who])
            response = api.get(f"/api/assessment/rulesets/{figures.ruleset.pk}{door}", {"unit": figures.net.county.pk})
        else:
            client.force_login(people[who])
            response = client.get(reverse(door, args=[figures.ruleset.pk]), {"unit": figures.net.county.pk})
        assert response.status_code < 500
        assert (response.status_code == 404) == (who not in SEES["unit"] or who == "other_clerk"), (who, door)


def test_the_foreign_rule_set_does_not_open_our_units(figures, people, client):
    """青山's editor opens 青山's rule set, and through it nothing of 临江's units or rows."""
    client.force_login(people["foreign_editor"])
    foreign = figures.foreign_ruleset.pk
    assert client.get(reverse("assessment:overview", args=[foreign])).status_code == 200
    assert client.get(reverse("assessment:unit", args=[foreign, figures.net.county.pk])).status_code == 404
    assert client.get(reverse("assessment:ledger", args=[foreign]), {"unit": figures.net.county.pk}).status_code == 404
    assert client.get(reverse("assessment:drill", args=[foreign]), {"unit": figures.net.city.pk}).status_code == 404
    html = client.get(reverse("assessment:ledger", args=[foreign])).content.decode()
    assert "东湖" not in html and "网格化" not in html


PAGES_WITHOUT_OTHERS = ("assessment:overview", "assessment:sheet", "assessment:people", "assessment:ledger",
                        "assessment:drill")


def test_a_units_people_never_see_the_live_ranking_of_others(figures, people, client):
    query = {"period": "month", "month": f"{THIS:%Y-%m}"}
    for who in ("clerk", "director"):
        client.force_login(people[who])
        for name in PAGES_WITHOUT_OTHERS:
            response = client.get(reverse(name, args=[figures.ruleset.pk]), query)
            html = response.content.decode()
            assert response.status_code == 200, (who, name)
            assert not [other for other in OTHERS if other in html], (who, name)
        overview = client.get(reverse("assessment:overview", args=[figures.ruleset.pk]), query).content.decode()
        row = re.search(rf'<tr data-unit="{figures.net.county.pk}">(.*?)</tr>', overview, re.S).group(1)
        assert re.search(r">\s*—\s*</td>\s*$", row.strip()), "no live rank for a unit's own people"
        api = APIClient()
        api.force_authenticate(people[who])
        base = f"/api/assessment/rulesets/{figures.ruleset.pk}"
        ranking = api.get(f"{base}/ranking/", query).json()
        assert ranking["live"] is False and [row["rank"] for row in ranking["rows"]] == [None]
        for part in ("ranking/", "sheet/", "people/", "entries/", "drill/"):
            body = api.get(f"{base}/{part}", query).content.decode()
            assert not [other for other in OTHERS if other in body], (who, part)


def test_the_office_sees_its_jurisdiction_ranked(figures, people):
    for who in LIVE:
        api = APIClient()
        api.force_authenticate(people[who])
        ranking = api.get(f"/api/assessment/rulesets/{figures.ruleset.pk}/ranking/",
                          {"period": "month", "month": f"{THIS:%Y-%m}"}).json()
        assert ranking["live"] is True
        assert {row["unit_name"]: row["rank"] for row in ranking["rows"]} == {
            "东湖区委办公室": 1, "西岭县委办公室": 2, "临江市应急管理局": 1}
