"""Real facts priced by the engine under example rule set A, then read through the pages and the API (issue 16 "Done
when": "open any figure down to its ledger rows"): the ranking's score is the ledger's sum, its link opens exactly
those rows with their causes and rules, a re-priced row shows its history, per-person figures name the author, and the
county's own people see only their own figures."""
import re
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from assessment import examples
from assessment.models import Fact, Pricing, Rule

from .conftest import at, filed, lapse, points, run, use

pytestmark = pytest.mark.django_db

Q1 = {"period": "quarter", "quarter": "1"}


@pytest.fixture(autouse=True)
def _late_march():
    with time_machine.travel(at(3, 28), tick=False):
        yield


@pytest.fixture
def priced(net):
    """东湖's item used by the city (单条 10) and the province (单条 20), filed (0.5); 西岭's false report (−30, no
    award); priced January to March under rule set A."""
    rules = examples.city_committee_rules(office=net.city, year=2026, central_types={
        "中办": net.types["中办信息"], "国办": net.types["国办信息"]})
    item = filed(net.dh, at(3, 2), by=net.clerk, title="东湖区推行网格化服务")
    use(item, net.types["临江信息"], at(3, 5))
    use(item, net.types["江南信息"], at(3, 10))
    lapse(net.xl, "false", at(3, 12))
    run(rules, 1, 3)
    return rules, item


def _row(html: str, unit_pk: int) -> str:
    return re.search(rf'<tr data-unit="{unit_pk}">(.*?)</tr>', html, re.S).group(1)


def test_a_priced_score_opens_to_the_rows_that_make_it(net, priced, client):
    rules, item = priced
    # given the ledger's own sum for 东湖 (filing 0.5 + city 10 + province 20, less the quota rows of finished months)
    total = points(rules, net.dh)
    client.force_login(net.editor)
    # when the city's editor opens the quarter's ranking
    html = client.get(reverse("assessment:overview", args=[rules.pk]), Q1).content.decode()
    row = _row(html, net.dh.pk)
    score = re.search(r'data-testid="score">([^<]+)<', row).group(1)
    assert D(score) == total
    assert "取消评优资格" in _row(html, net.xl.pk)  # the false report voids 西岭's eligibility
    # then the score's link lists exactly the rows that sum to it, each with its cause and rule
    link = re.search(r'href="([^"]*column=points[^"]*)" data-testid="score"', row).group(1).replace("&amp;", "&")
    ledger = client.get(link).content.decode()
    assert f"合计 {score} 分" in ledger
    for label in ("报送信息", "市委办单条采用", "省级单条采用"):
        assert label in ledger
    assert reverse("submissions:item_detail", args=[item.pk]) in ledger and "东湖区推行网格化服务" in ledger
    assert "临江信息" in ledger and "江南信息" in ledger  # the issues the item was used in
    # and the API says the same
    api = APIClient()
    api.force_authenticate(net.editor)
    ranking = api.get(f"/api/assessment/rulesets/{rules.pk}/ranking/", Q1).json()
    assert D(next(r["score"] for r in ranking["rows"] if r["unit_id"] == net.dh.pk)) == total
    rows = api.get(f"/api/assessment/rulesets/{rules.pk}/entries/", {**Q1, "unit": net.dh.pk}).json()
    assert sum(D(r["points"]) for r in rows["results"]) == total


def test_a_repriced_row_shows_its_history(net, priced, client):
    rules, _item = priced
    Rule.objects.filter(ruleset=rules, label="市委办单条采用").update(points=D("12"))
    run(rules, 1, 3, kind=Pricing.Kind.REPRICE, reason="市委办单条采用调整为12分")
    entry = rules.entries.get(superseded_by__isnull=True, fact=Fact.ADOPTED, unit=net.dh, rule__label="市委办单条采用")
    client.force_login(net.editor)
    html = client.get(reverse("assessment:entry", args=[entry.pk])).content.decode()
    assert "市委办单条采用调整为12分" in html and ">10</td>" in html and ">12</td>" in html


def test_per_person_figures_name_the_author(net, priced, client):
    rules, _item = priced
    client.force_login(net.editor)
    html = client.get(reverse("assessment:people", args=[rules.pk]), {**Q1, "unit": net.dh.pk}).content.decode()
    assert net.clerk.display_name in html
    api = APIClient()
    api.force_authenticate(net.editor)
    rows = api.get(f"/api/assessment/rulesets/{rules.pk}/people/", {**Q1, "unit": net.dh.pk}).json()["rows"]
    clerk = next(r for r in rows if r["person_id"] == net.clerk.pk)
    assert (clerk["filed"], clerk["adopted_city"], clerk["adopted_province"]) == (1, 1, 1)
    assert D(clerk["points"]) == points(rules, net.dh, person=net.clerk)


def test_the_countys_clerk_sees_only_its_own_figures(net, priced, client):
    rules, _item = priced
    client.force_login(net.clerk)
    html = client.get(reverse("assessment:overview", args=[rules.pk]), Q1).content.decode()
    assert "东湖区委办公室" in html and "西岭县委办公室" not in html and "临江市应急管理局" not in html
    assert client.get(reverse("assessment:unit", args=[rules.pk, net.xl.pk])).status_code == 404
