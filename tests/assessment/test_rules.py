"""Which rule prices a fact, which facts there are, and a unit's group: each decided in one place (SPEC §9)."""

from decimal import Decimal as D

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from assessment import pricing
from assessment.models import Fact, Group, Rule, RuleSet
from followup.models import Shortfall
from infohub.models import Level, Unit
from instructions.models import Assignment
from submissions.models import Item

from .conftest import at, current, filed, request_to, run, tally, use

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(net):
    return RuleSet.objects.create(office=net.city, year=2026, name="测试办法")


@pytest.fixture(autouse=True)
def _late_march():
    with time_machine.travel(at(3, 28), tick=False):
        yield


def test_the_most_specific_matching_rule_wins_then_the_lower_position(net, rules):
    # given three rules for a city adoption: any adoption (1 condition… none), city (1), city standalone (2), and a
    # second city standalone rule further down (the same conditions: the lower position wins)
    Rule.objects.create(ruleset=rules, position=1, label="任何采用", fact=Fact.ADOPTED, points=1)
    Rule.objects.create(ruleset=rules, position=2, label="市级采用", fact=Fact.ADOPTED, level=Level.CITY, points=3)
    Rule.objects.create(ruleset=rules, position=4, label="市级单条（后）", fact=Fact.ADOPTED, level=Level.CITY,
                        combined=False, points=7)
    Rule.objects.create(ruleset=rules, position=3, label="市级单条", fact=Fact.ADOPTED, level=Level.CITY,
                        combined=False, points=5)
    Rule.objects.create(ruleset=rules, position=5, label="部门市级单条", fact=Fact.ADOPTED, level=Level.CITY,
                        combined=False, group=Group.DEPARTMENT, points=9)
    county_item, department_item, summary = filed(net.dh, at(3, 2)), filed(net.yj, at(3, 2)), filed(net.xl, at(3, 2))
    for item in (county_item, department_item):
        use(item, net.types["临江信息"], at(3, 5))
    use(summary, net.types["临江信息"], at(3, 5), adoption="summary")
    use(county_item, net.types["东湖信息"], at(3, 6))
    run(rules, 3)
    labels = {(r.unit_id, r.points): r.rule.label for r in current(rules)}
    assert labels == {(net.dh.pk, 5): "市级单条", (net.yj.pk, 9): "部门市级单条", (net.xl.pk, 3): "市级采用",
                      (net.dh.pk, 1): "任何采用"}


def test_only_items_signed_off_and_sent_are_filings(net, rules):
    Rule.objects.create(ruleset=rules, label="报送", fact=Fact.FILED, points=1)
    sent = filed(net.dh, at(3, 2))
    for status in (Item.Status.DRAFT, Item.Status.PENDING_SIGNOFF, Item.Status.RETURNED):
        Item.objects.filter(pk=filed(net.dh, at(3, 3)).pk).update(status=status)
    run(rules, 3)
    assert list(current(rules).values_list("cause_id", flat=True)) == [sent.pk]
    assert tally(rules, net.dh, 3).filed == 1


def test_overdue_follow_ups_and_late_answers_are_priced_by_their_kind(net, rules):
    Rule.objects.create(ruleset=rules, label="督办逾期", fact=Fact.OVERDUE, points=D("-5"))
    Rule.objects.create(ruleset=rules, label="约稿迟报", fact=Fact.TOPIC_LATE, points=D("-2"))
    kind = ContentType.objects.get_for_model(Assignment)
    Shortfall.objects.create(kind=Shortfall.Kind.OVERDUE, unit=net.dh, office=net.city, content_type=kind, object_id=1,
                             subject="批示反馈", due_at=at(3, 5), occurred_at=at(3, 12))
    request = request_to(net.city, at(3, 10))
    Shortfall.objects.create(kind=Shortfall.Kind.LATE, unit=net.dh, office=net.city,
                             content_type=ContentType.objects.get_for_model(request), object_id=request.pk,
                             subject=request.subject, due_at=at(3, 10), occurred_at=at(3, 11))
    run(rules, 3)
    assert sorted(current(rules, unit=net.dh).values_list("fact", "points")) == [
        (Fact.OVERDUE, D("-5")), (Fact.TOPIC_LATE, D("-2"))]
    t = tally(rules, net.dh, 3)
    assert (t.points_other, t.points_topic) == (-5, -2)


def test_a_units_group_is_one_mapping_in_python_sql_and_the_orm(net):
    # every kind of unit at every level, under an office of every level
    kinds, levels = list(Unit.Kind.values), list(Level.values)
    units = {(kind, level): Unit(name=f"{kind}-{level}", code=f"g-{kind}-{level}", kind=kind, level=level)
             for kind in kinds for level in levels}
    for unit in units.values():
        unit.save()
    for office_level in levels:
        with connection.cursor() as cursor:
            cursor.execute("SELECT u.kind, u.level, " + pricing.group_sql("u", office_level)
                           + " FROM unnest(%s::text[], %s::text[]) AS u(kind, level)",
                           [[k for k, _l in units], [lv for _k, lv in units]])
            in_sql = {(kind, level): group for kind, level, group in cursor.fetchall()}
        in_orm = {(u.kind, u.level): u.g for u in Unit.objects.filter(code__startswith="g-")
                  .annotate(g=pricing.group_case(office_level))}
        in_python = {key: pricing.group_of(*key, office_level) for key in units}
        assert in_sql == in_python == in_orm, office_level
    # under a city office: its counties' offices, the city's own departments, direct points at any level
    city = {key: pricing.group_of(*key, Level.CITY) for key in units}
    assert {key for key, group in city.items() if group == Group.DISTRICT} == {
        ("committee_office", "county"), ("government_office", "county")}
    assert {key for key, group in city.items() if group == Group.DEPARTMENT} == {("department", "city")}
    assert {key for key, group in city.items() if group == Group.DIRECT} == {
        (kind, level) for kind in ("direct_point", "special_officer") for level in levels}
    # a township office has nobody one level below; a county department under a province is not ranked there
    assert pricing.group_of("committee_office", "township", Level.TOWNSHIP) == Group.OTHER
    assert pricing.group_of("department", "county", Level.PROVINCE) == Group.OTHER
    with pytest.raises(ValueError):
        pricing.group_sql("u", "nation")


def test_a_direct_points_county_is_the_nearest_county_above_it(net):
    from infohub.tree import nearest_above_at

    assert nearest_above_at(net.park, Level.COUNTY) == net.xl
    assert nearest_above_at(net.dh, Level.COUNTY) is None
    with pytest.raises(ValueError):
        from infohub.tree import nearest_above_at_sql

        nearest_above_at_sql("u", "nation")
