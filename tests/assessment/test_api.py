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


def test_the_sheet_comes_a_page_of_units_at_a_time(figures, api, monkeypatch):
    """A province's sheet runs to hundreds of units: the API answers it a page at a time (100 units, as the page),
    with the count and links to the other pages; a page that is no page is 400, one past the last 404."""
    from assessment import apis

    monkeypatch.setattr(apis.SheetPagination, "page_size", 2)
    month = {"month": f"{THIS:%Y-%m}"}
    first = api.get(f"{base(figures)}/sheet/", month).json()
    assert first["count"] == 3 and len(first["rows"]) == 2 and first["previous"] is None
    assert "page=2" in first["next"]
    second = api.get(f"{base(figures)}/sheet/", {**month, "page": "2"}).json()
    assert len(second["rows"]) == 1 and second["next"] is None and second["previous"]
    assert {row["unit_name"] for row in first["rows"] + second["rows"]} == {
        "东湖区委办公室", "西岭县委办公室", "临江市应急管理局"}
    # the adoptions by publication still come with the units of the page they are on
    county = next(row for row in first["rows"] + second["rows"] if row["unit_id"] == figures.net.county.pk)
    assert [(u["ptype_name"], u["uses"]) for u in county["by_publication"]] == [("临江信息", 1)]
    bad = api.get(f"{base(figures)}/sheet/", {**month, "page": "abc"})
    assert bad.status_code == 400 and "page" in bad.json()["errors"]
    assert api.get(f"{base(figures)}/sheet/", {**month, "page": "9"}).status_code == 404


@pytest.mark.django_db(transaction=True)  # kept answers are kept only outside a transaction that changed their scopes
def test_the_sheet_is_kept_until_a_pricing_run_changes_its_figures(figures, api):
    """As the page's table: the API's sheet is kept (infohub.listcache) until a pricing run of the rule set."""
    import datetime as dt

    from assessment import pricing
    from assessment.models import Pricing, Rule, Tally

    def month_total() -> str:
        body = api.get(f"{base(figures)}/sheet/", {"month": f"{THIS:%Y-%m}"}).json()
        return next(row["points_month"] for row in body["rows"] if row["unit_id"] == figures.net.county.pk)

    assert month_total() == "11.00"
    assert month_total() == "11.00"  # (the first request starts the scope's version, the second keeps the answer)
    Tally.objects.filter(ruleset=figures.ruleset, unit=figures.net.county).update(points=99)
    assert month_total() == "11.00"  # a write no pricing run made: the kept answer does not see it
    Rule.objects.filter(ruleset=figures.ruleset, fact="adopted").update(points=20)
    month = dt.date(THIS.year, THIS.month, 1)
    run = Pricing.objects.create(ruleset=figures.ruleset, kind=Pricing.Kind.REPRICE, first_month=month,
                                 last_month=month, reason="采用分值调整")
    pricing.price(ruleset=figures.ruleset, first_month=month, last_month=month, pricing=run)
    assert month_total() == "21.00"
    # another person's answer is never one kept for the city's editor: the county's clerk sees only the county
    clerk = APIClient()
    clerk.force_authenticate(figures.net.clerk)
    rows = clerk.get(f"{base(figures)}/sheet/", {"month": f"{THIS:%Y-%m}"}).json()["rows"]
    assert [row["unit_id"] for row in rows] == [figures.net.county.pk]
