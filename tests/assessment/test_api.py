"""The figures through the REST API (issue 16 point 6): the same figures as the pages, the ledger rows behind one
paginated and naming their causes, one row's history, and 400 naming the parameter for bad input."""
import pytest
from rest_framework.test import APIClient

from tests.assessment.handmade import THIS

pytestmark = pytest.mark.django_db

MONTH = {"period": "month", "month": f"{THIS:%Y-%m}"}


@pytest.fixture
def api(figures):
    client = APIClient()
    client.force_authenticate(figures.net.city_editor)
    return client


def base(figures) -> str:
    return f"/api/assessment/rulesets/{figures.ruleset.pk}"


def test_rule_sets_and_their_rules(figures, api):
    listed = api.get("/api/assessment/rulesets/").json()
    assert [r["name"] for r in listed["results"]] == ["临江市信息工作考核办法"]
    one = api.get(f"{base(figures)}/").json()
    assert one["live"] is True and {rule["label"] for rule in one["rules"]} == {"报送信息", "市委办单条采用", "迟报"}


def test_the_ranking_for_a_period(figures, api):
    body = api.get(f"{base(figures)}/ranking/", MONTH).json()
    assert body["period"]["first_month"] == f"{THIS:%Y-%m}-01" and "月" in body["period"]["label"]
    rows = {row["unit_name"]: row for row in body["rows"]}
    assert (rows["东湖区委办公室"]["score"], rows["东湖区委办公室"]["rank"]) == ("11.00", 1)
    assert rows["西岭县委办公室"]["voids_award"] is True and rows["西岭县委办公室"]["rate"] == "0.0000"
    assert body["published"] is None


def test_the_monthly_sheet_with_adoptions_by_publication(figures, api):
    body = api.get(f"{base(figures)}/sheet/", {"month": f"{THIS:%Y-%m}"}).json()
    row = next(r for r in body["rows"] if r["unit_id"] == figures.net.county.pk)
    assert (row["filed"], row["filed_year"], row["points_month"], row["points_year"]) == (1, 1, "11.00", "11.00")
    assert [(u["ptype_name"], u["level"], u["uses"], u["standalone"]) for u in row["by_publication"]] == [
        ("临江信息", "city", 1, 1)]


def test_drill_down_and_people(figures, api):
    drill = api.get(f"{base(figures)}/drill/", {"unit": figures.net.city.pk}).json()
    assert {b["unit_name"]: b["points"] for b in drill["branches"]} == {
        "东湖区委办公室": "11.00", "西岭县委办公室": "-26.00", "临江市应急管理局": "2.00"}
    people = api.get(f"{base(figures)}/people/", {"unit": figures.net.county.pk}).json()
    clerk = next(r for r in people["rows"] if r["person_id"] == figures.net.clerk.pk)
    assert (clerk["filed"], clerk["adopted_city"], clerk["points"]) == (1, 1, "11.00")


def test_the_rows_behind_a_figure_paginated_with_their_causes(figures, api):
    body = api.get(f"{base(figures)}/entries/", {**MONTH, "unit": figures.net.county.pk, "column": "points_adoption"}
                   ).json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["points"], row["rule_label"], row["basis"], row["current"]) == ("10.00", "市委办单条采用", "10 × 1", True)
    assert row["cause_type"] == "credit" and "东湖区推行网格化服务机制" in row["cause_label"]
    assert row["cause_url"] == f"/publications/{figures.credit.issue_id}/"
    every = api.get(f"{base(figures)}/entries/", {**MONTH, "unit": figures.net.county.pk}).json()
    assert sorted(r["points"] for r in every["results"]) == ["1.00", "10.00"]  # they sum to the score, 11


def test_a_row_and_its_history(figures, api):
    body = api.get(f"/api/assessment/entries/{figures.adopted.pk}/").json()
    assert [(h["points"], h["superseded_by"] and h["superseded_by"]["reason"]) for h in body["history"]] == [
        ("5.00", "市委办采用分值调整为10分"), ("10.00", None)]


@pytest.mark.parametrize("path, query, field", [
    ("ranking/", {"period": "month", "month": f"{THIS.year}-13"}, "month"),
    ("ranking/", {"period": "month"}, "month"),
    ("ranking/", {"period": "quarter", "quarter": "9"}, "quarter"),
    ("ranking/", {"period": "fortnight"}, "period"),
    ("ranking/", {"period": "custom", "from": f"{THIS.year}-06", "to": f"{THIS.year}-01"}, "to"),
    ("sheet/", {"month": f"{THIS.year - 1}-12"}, "month"),
    ("entries/", {"column": "bonus"}, "column"),
    ("entries/", {"level": "galactic"}, "level"),
    ("entries/", {"page": "0"}, "page"),
    ("drill/", {"unit": "x"}, "unit"),
])
def test_bad_input_is_400_naming_the_parameter(figures, api, path, query, field):
    response = api.get(f"{base(figures)}/{path}", query)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_a_unit_or_area_not_seen_is_404(figures, api):
    assert api.get(f"{base(figures)}/entries/", {"unit": figures.foreign_county.pk}).status_code == 404
    assert api.get(f"{base(figures)}/entries/", {"area": figures.chain.foreign_city.pk}).status_code == 404
    assert api.get(f"{base(figures)}/people/", {"unit": 2**63 - 1}).status_code == 404
    assert api.get(f"/api/assessment/rulesets/{figures.foreign_ruleset.pk}/ranking/").status_code == 404
