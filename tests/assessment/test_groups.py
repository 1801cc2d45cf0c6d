"""Ranking groups relative to the assessing office (issue 16, "ranking groups"; SPEC §9 "rank within its group"): a
rule set ranks the party and government offices one level below its office, the departments of the office's own level
and the direct-reporting points; the other units of its jurisdiction are priced but not ranked. One grouping, written
by the engine on the tallies, read by the ranking, the medians, the rules with a group condition, the pages, the API
and the 通报, under one set of names."""

import io
from datetime import date
from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from rest_framework.test import APIClient

from assessment import bulletin_docx, bulletin_figures, bulletin_xlsx, examples, pricing, selectors, services
from assessment.models import Bulletin, Fact, Group, Rule, RuleSet, Tally, group_labels
from infohub.models import Level, Role, Unit
from tests.factories import UnitFactory, person

from .conftest import at, current, filed, m, points, run, tally, use

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _late_march():
    with time_machine.travel(at(3, 28), tick=False):
        yield


@pytest.fixture
def province_department(net) -> Unit:
    return UnitFactory(name="江南省应急管理厅", code="g-jn-yj", level=Level.PROVINCE, kind=Unit.Kind.DEPARTMENT,
                       parent=net.province)


@pytest.fixture
def rules_b(net) -> RuleSet:
    """Example rule set B at the province office, in force from the year's start."""
    return examples.provincial_government_rules(office=net.province, year=2026, province_type=net.types["江南信息"],
                                                effective_from=date(2026, 1, 1))


def _ranked(period) -> dict:
    return {row["unit_name"]: (row["group"], row["rank"]) for row in selectors.ranking(period)}


def test_under_a_province_cities_departments_and_direct_points_rank_and_the_rest_do_not(net, rules_b,
                                                                                         province_department):
    # given, in March, an item of every unit of the province's jurisdiction but 西岭县 and 南城区; 临江市's used in
    # 《江南信息》 (单条 10)
    county_department = UnitFactory(name="西岭县应急管理局", code="g-xl-yj", level=Level.COUNTY,
                                    kind=Unit.Kind.DEPARTMENT, parent=net.xl)
    for unit in (net.dh, net.sq, net.yj, net.park, province_department, county_department):
        filed(unit, at(3, 2))
    use(filed(net.city, at(3, 2)), net.types["江南信息"], at(3, 5))
    # when the province's rule set prices March
    run(rules_b, 3)
    # then its cities rank as the offices one level below, its own departments as departments, the direct point as a
    # direct point; a county office, a city's department, a township and a county's department are priced (their
    # tallies, their ledger) but in the group of the units it does not rank
    assert {u.name: tally(rules_b, u, 3).group for u in (
        net.city, net.other_city, province_department, net.park, net.dh, net.xl, net.nc, net.yj, net.sq,
        county_department)} == {
        "临江市委办公室": Group.DISTRICT, "青山市委办公室": Group.DISTRICT, "江南省应急管理厅": Group.DEPARTMENT,
        "江南化工园区（直报点）": Group.DIRECT, "东湖区委办公室": Group.OTHER, "西岭县委办公室": Group.OTHER,
        "南城区委办公室": Group.OTHER, "临江市应急管理局": Group.OTHER, "石桥镇党委办公室": Group.OTHER,
        "西岭县应急管理局": Group.OTHER}
    assert tally(rules_b, net.dh, 3).filed == 1 and tally(rules_b, net.sq, 3).filed == 1
    period = selectors.Period(rules_b, m(3), m(3))
    ranked = _ranked(period)
    assert ranked["临江市委办公室"] == (Group.DISTRICT, 1) and ranked["青山市委办公室"] == (Group.DISTRICT, 2)
    assert ranked["江南省应急管理厅"] == (Group.DEPARTMENT, 1) and ranked["江南化工园区（直报点）"] == (Group.DIRECT, 1)
    for name in ("东湖区委办公室", "临江市应急管理局", "石桥镇党委办公室", "西岭县应急管理局"):
        assert ranked[name] == (Group.OTHER, None), name
    labels = {row["group"]: row["group_label"] for row in selectors.ranking(period)}
    assert labels == {Group.DISTRICT: "市（州）", Group.DEPARTMENT: "省直部门", Group.DIRECT: "直报点和特约信息员",
                      Group.OTHER: "不参加本级排名"}
    # the medians are of the ranked groups only: the cities' 10 and 0, the department's 0, the point's 0
    assert selectors.group_medians(period) == {Group.DISTRICT: D("5"), Group.DEPARTMENT: D("0"),
                                               Group.DIRECT: D("0")}
    # the ranking and the monthly sheet show the groups in one order: offices, departments, points, then the rest
    shown = [Group.DISTRICT, Group.DEPARTMENT, Group.DIRECT, Group.OTHER]
    for rows in (selectors.ranking(period), selectors.monthly_sheet(rules_b, m(3))):
        groups = [row["group"] for row in rows]
        assert sorted(groups, key=shown.index) == groups and set(groups) == set(shown)
    assert all(row["median"] is None for row in selectors.against_median(period, net.dh))


def test_under_a_city_counties_rank_as_offices_and_city_departments_as_departments(net):
    # given example rule set A at the city office, and a department of 西岭县
    rules = examples.city_committee_rules(office=net.city, year=2026)
    county_department = UnitFactory(name="西岭县应急管理局", code="g-xl-yj", level=Level.COUNTY,
                                    kind=Unit.Kind.DEPARTMENT, parent=net.xl)
    for unit in (net.dh, net.yj, net.park, net.sq, county_department):
        filed(unit, at(3, 2))
    run(rules, 3)
    period = selectors.Period(rules, m(3), m(3))
    rows = {row["unit_name"]: (row["group"], row["group_label"], row["rank"]) for row in selectors.ranking(period)}
    assert rows["东湖区委办公室"] == (Group.DISTRICT, "县（市、区）", 1)
    assert rows["西岭县委办公室"] == (Group.DISTRICT, "县（市、区）", 2)  # 东湖 filed an item (0.5), 西岭 none
    assert rows["临江市应急管理局"] == (Group.DEPARTMENT, "市直部门", 1)
    assert rows["江南化工园区（直报点）"] == (Group.DIRECT, "直报点和特约信息员", 1)
    assert rows["石桥镇党委办公室"] == (Group.OTHER, "不参加本级排名", None)
    assert rows["西岭县应急管理局"] == (Group.OTHER, "不参加本级排名", None)
    assert points(rules, net.sq, 3) == D("0.5")  # still priced under the city's rules


def test_a_rule_with_a_group_condition_prices_per_the_groups_under_the_office(net, rules_b, province_department):
    # given filing rules by group under the province: offices below 2, its departments 3, units it does not rank 0.5,
    # any other filing (a direct point's) 1
    for position, (group, label, value) in enumerate((
            (Group.DISTRICT, "市委办报送", "2"), (Group.DEPARTMENT, "省直部门报送", "3"),
            (Group.OTHER, "其他单位报送", "0.5"), ("", "报送", "1")), start=100):
        Rule.objects.create(ruleset=rules_b, position=position, label=label, fact=Fact.FILED, group=group,
                            points=D(value))
    for unit in (net.city, province_department, net.dh, net.yj, net.sq, net.park):
        filed(unit, at(3, 2))
    run(rules_b, 3)
    # then a county office and a city's department are no longer priced as "districts" and "departments"
    priced = {row.unit.name: (row.rule.label, row.points) for row in current(rules_b, fact=Fact.FILED)}
    assert priced == {"临江市委办公室": ("市委办报送", 2), "江南省应急管理厅": ("省直部门报送", 3),
                      "东湖区委办公室": ("其他单位报送", D("0.5")), "临江市应急管理局": ("其他单位报送", D("0.5")),
                      "石桥镇党委办公室": ("其他单位报送", D("0.5")), "江南化工园区（直报点）": ("报送", 1)}


def test_the_bulletin_uses_the_same_groups_and_names_and_names_only_ranked_units(net, rules_b,
                                                                               province_department):
    # given a quota of one item a month for every unit (no group condition), nobody filing in February, and in March
    # an item of 临江市 used in 《江南信息》 and one of 东湖区
    Rule.objects.create(ruleset=rules_b, position=100, label="月度报送定额", fact=Fact.QUOTA, quota=1, points=D("-1"))
    use(filed(net.city, at(3, 2)), net.types["江南信息"], at(3, 5))
    filed(net.dh, at(3, 3))
    run(rules_b, 2, 3)
    assert current(rules_b, fact=Fact.QUOTA, unit=net.dh, month=m(2)).exists()  # priced, whether ranked or not
    # when the province's first-quarter 通报 is collected
    figures = bulletin_figures.collect(rules_b, Bulletin.Kind.QUARTERLY, m(1), m(3))
    # then its tables are the ranked groups, named as the pages and the API name them
    labels = group_labels(Level.PROVINCE)
    assert [(g["group"], g["label"]) for g in figures["groups"]] == [
        (Group.DISTRICT, "市（州）"), (Group.DEPARTMENT, "省直部门"), (Group.DIRECT, "直报点和特约信息员")]
    assert all(g["label"] == labels[g["group"]] for g in figures["groups"])
    assert {row["group_label"] for row in selectors.ranking(selectors.Period(rules_b, m(1), m(3)))} == {
        *(g["label"] for g in figures["groups"]), "不参加本级排名"}
    named = {row["unit"] for g in figures["groups"] for row in g["rows"]}
    assert named == {"临江市委办公室", "青山市委办公室", "江南省应急管理厅", "江南化工园区（直报点）"}
    # the lists name ranked units only: 东湖区, 西岭县, 石桥镇, the city's department … are in none
    assert [r["unit"] for r in figures["praised"]] == ["临江市委办公室"]
    assert sorted(r["unit"] for r in figures["filed_nothing"]) == sorted(named - {"临江市委办公室"})
    assert {r["group_label"] for r in figures["filed_nothing"]} == {"市（州）", "省直部门", "直报点和特约信息员"}
    assert sorted(r["unit"] for r in figures["below_quota"]) == sorted(named)
    assert {r["unit"] for r in figures["criticised"]} <= named
    # the .docx addresses and heads its tables with those names; the .xlsx names its sheets with them
    document = Document(io.BytesIO(bulletin_docx.build(figures, charts=False)))
    lines = [p.text for p in document.paragraphs]
    assert "各市（州）委办公室，省直各部门，各直报点和特约信息员：" in lines
    assert "（一）市（州）" in lines and "（二）省直部门" in lines and "（三）直报点和特约信息员" in lines
    assert not any("不参加本级排名" in line or "东湖区委办公室" in line for line in lines)
    book = load_workbook(io.BytesIO(bulletin_xlsx.build(figures)))
    assert [name for name in book.sheetnames if name.startswith("排名-")] == [
        "排名-市（州）", "排名-省直部门", "排名-直报点和特约信息员"]


def test_a_routine_run_prices_again_the_months_whose_tallies_hold_a_stale_group(net, rules_b):
    # given January and March priced, then January's and March's tallies of 东湖区 as the old grouping wrote them
    # (by kind alone: a county office a "district" under the province)
    for month in (1, 3):
        filed(net.dh, at(month, 2))
        run(rules_b, month)
    assert pricing.months_regrouped(ruleset=rules_b) is None
    Tally.objects.filter(ruleset=rules_b, unit=net.dh).update(group=Group.DISTRICT)
    # then the routine pricing reaches back to January (not only February and March)
    assert pricing.months_regrouped(ruleset=rules_b) == m(1)
    assert services.routine_months(rules_b, today=date(2026, 3, 28)) == (m(1), m(3))
    # and, run, it writes the groups as they are: nothing stale is left and the next run covers the usual months
    run(rules_b, 1, 3)
    assert set(Tally.objects.filter(ruleset=rules_b, unit=net.dh).values_list("group", flat=True)) == {Group.OTHER}
    assert pricing.months_regrouped(ruleset=rules_b) is None
    assert services.routine_months(rules_b, today=date(2026, 3, 28)) == (m(2), m(3))


def test_the_pages_and_the_api_show_the_groups_under_the_office(net, rules_b, province_department, client):
    # given the province's rule set priced for March and its editor
    use(filed(net.city, at(3, 2)), net.types["江南信息"], at(3, 5))
    for unit in (net.dh, province_department):
        filed(unit, at(3, 2))
    run(rules_b, 3)
    editor = person(net.province, Role.EDITOR, username="g-jn-editor")
    month = {"period": "month", "month": "2026-03"}
    client.force_login(editor)
    # the overview: a table per group under its name, the units not ranked apart, without ranks or bars
    html = client.get(reverse("assessment:overview", args=[rules_b.pk]), month).content.decode()
    for name in ("市（州）", "省直部门", "直报点和特约信息员", "不参加本级排名"):
        assert f"<h3>{name}</h3>" in html, name
    assert "部门单位" not in html
    district = html.split('data-testid="ranking-district"')[1].split("</table>")[0]
    other = html.split('data-testid="ranking-other"')[1].split("</table>")[0]
    assert "临江市委办公室" in district and "东湖区委办公室" not in district
    assert "东湖区委办公室" in other and "临江市应急管理局" in other and 'data-testid="not-ranked"' in html
    assert "<td class=\"num\">—</td>" in other and "不参加本级排名得分排名" not in html
    assert "市（州）得分排名" in html  # the ranked groups' bars
    # a unit not ranked: its page names its group and draws no group median
    unit_page = client.get(reverse("assessment:unit", args=[rules_b.pk, net.dh.pk]), month).content.decode()
    assert '<span data-testid="unit-group">不参加本级排名</span>' in unit_page
    assert 'data-testid="chart-median"' not in unit_page
    city_page = client.get(reverse("assessment:unit", args=[rules_b.pk, net.city.pk]), month).content.decode()
    assert '<span data-testid="unit-group">市（州）</span>' in city_page and 'data-testid="chart-median"' in city_page
    # the monthly sheet names each row's group the same way
    sheet = client.get(reverse("assessment:sheet", args=[rules_b.pk]), {"month": "2026-03"}).content.decode()
    assert "省直部门" in sheet and "不参加本级排名" in sheet and "部门单位" not in sheet
    # the API: the group, its name, no rank for a unit not ranked
    api = APIClient()
    api.force_authenticate(editor)
    body = api.get(f"/api/assessment/rulesets/{rules_b.pk}/ranking/", month).json()
    rows = {row["unit_name"]: row for row in body["rows"]}
    assert (rows["东湖区委办公室"]["group"], rows["东湖区委办公室"]["group_label"], rows["东湖区委办公室"]["rank"]) == (
        "other", "不参加本级排名", None)
    assert (rows["临江市委办公室"]["group_label"], rows["临江市委办公室"]["rank"]) == ("市（州）", 1)
    sheet_rows = {row["unit_name"]: row for row in api.get(f"/api/assessment/rulesets/{rules_b.pk}/sheet/",
                                                           {"month": "2026-03"}).json()["rows"]}
    assert sheet_rows["江南省应急管理厅"]["group_label"] == "省直部门"
