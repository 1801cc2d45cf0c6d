"""Hand-made scenarios priced under example rule set A (a city committee office's 计分办法, SPEC §9): every publication
counts, filing points with a monthly cap, adoptions by level and standalone vs combined, instruction bonuses by the
leader's level with no repeat for one level, topic requests, lapses (a false report voids award eligibility), monthly
quotas, the office's share of an item it rewrote, joint items credited in full to each unit. The totals are worked
out by hand in each test."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine

from assessment import examples
from assessment.models import Fact, Group, Rewrite, Rule
from infohub.models import Level
from reviews.models import Hop

from .conftest import (
    answered,
    at,
    composite,
    current,
    filed,
    ignored,
    instruct,
    lapse,
    m,
    points,
    request_to,
    run,
    tally,
    use,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(net):
    """Rule set A for the city office, with the central publications named (中办 50/30, 国办 30/15)."""
    return examples.city_committee_rules(office=net.city, year=2026, effective_from=m(1), central_types={
        "中办": net.types["中办信息"], "国办": net.types["国办信息"]})


@pytest.fixture(autouse=True)
def _late_march():
    """Priced months up to March; "now" is late March, so March is not finished and has no quota rows."""
    with time_machine.travel(at(3, 28), tick=False):
        yield


def test_every_publication_counts_by_level_and_kind_of_use(net, rules):
    # given an item of 东湖区 used by the city (单条), the province (单条) and 国办; and one used at the county in a
    # combined adoption
    item = filed(net.dh, at(3, 2))
    use(item, net.types["临江信息"], at(3, 5))
    use(item, net.types["江南信息"], at(3, 10))
    use(item, net.types["国办信息"], at(3, 20))
    other = filed(net.dh, at(3, 3))
    use(other, net.types["东湖信息"], at(3, 4), adoption=Hop.Adoption.SUMMARY)
    # when
    run(rules, 3)
    # then: filing 0.5 × 2; adoptions 10 (市单条) + 20 (省单条) + 30 (国办单条) + 2 (县级, any kind) = 62
    assert points(rules, net.dh, 3, fact=Fact.FILED) == D("1.0")
    assert points(rules, net.dh, 3, fact=Fact.ADOPTED) == 10 + 20 + 30 + 2
    row = current(rules, fact=Fact.ADOPTED, unit=net.dh, points=30).get()
    assert (row.rule.label, row.basis, row.item_id) == ("国办单条采用", "国办单条采用 30", item.pk)
    t = tally(rules, net.dh, 3)
    assert (t.filed, t.signed_off, t.adopted, t.adopted_county, t.adopted_city, t.adopted_province,
            t.adopted_central, t.adopted_combined) == (2, 2, 2, 1, 1, 1, 1, 1)
    assert (t.points_filing, t.points_adoption, t.points) == (D("1.0"), 62, D("63.0"))
    assert t.group == Group.DISTRICT
    # the city office itself is not priced; the other city's units are not in its jurisdiction
    assert not current(rules, unit=net.city).exists() and not current(rules, unit=net.nc).exists()


def test_a_combined_item_credits_each_source_with_its_share(net, rules):
    # given two counties' items merged by the city into a composite, used by the city (综合 5) and the province (综合 10)
    a, b = filed(net.dh, at(3, 2)), filed(net.xl, at(3, 2))
    combined = composite(net.city, [a, b], at(3, 4))
    use(combined, net.types["临江信息"], at(3, 5))
    use(combined, net.types["江南信息"], at(3, 6))
    run(rules, 3)
    # then each source unit gets half: 5 × 1/2 + 10 × 1/2 = 7.5 (and 0.5 for filing its own item)
    assert points(rules, net.dh, 3, fact=Fact.ADOPTED) == points(rules, net.xl, 3, fact=Fact.ADOPTED) == D("7.5")
    assert {r.basis for r in current(rules, fact=Fact.ADOPTED, unit=net.dh)} == {"市委办综合采用 5 × 1/2",
                                                                                  "省级综合采用 10 × 1/2"}
    assert tally(rules, net.dh, 3).adopted_combined == 1
    # the composite, written by the office, is no filing of anybody's
    assert not current(rules, fact=Fact.FILED, cause_id=combined.pk).exists()


def test_joint_items_credit_each_unit_in_full_under_a(net, rules):
    # given an item of 东湖区 filed jointly with 西岭县 and 石桥镇, used by the city (单条 10)
    item = filed(net.dh, at(3, 2), joint=[net.xl, net.sq])
    use(item, net.types["临江信息"], at(3, 5))
    run(rules, 3)
    # then A does not split: each of the three gets 10 and 0.5
    for unit in (net.dh, net.xl, net.sq):
        assert points(rules, unit, 3) == D("10.5"), unit
        assert tally(rules, unit, 3).filed == 1
    # the author is named on his own unit's rows only
    assert set(current(rules, cause_id=item.pk, fact=Fact.FILED).values_list("unit_id", "person_id")) == {
        (net.dh.pk, item.created_by_id), (net.xl.pk, None), (net.sq.pk, None)}


def test_instructions_by_level_with_no_repeat_bonus_for_one_level(net, rules):
    item = filed(net.dh, at(3, 2))
    # given two city leaders' instructions on it (the second one no bonus), a province leader's and a county leader's
    instruct(item, Level.CITY, at(3, 3), net.leaders[Level.CITY])
    instruct(item, Level.CITY, at(3, 10), net.leaders[Level.CITY])
    instruct(item, Level.PROVINCE, at(3, 12), net.leaders[Level.PROVINCE])
    instruct(item, Level.COUNTY, at(3, 13), net.leaders[Level.COUNTY])
    # and an instruction on an issue holding one item of 西岭县 only (it names that item), and one on an issue of two
    single = filed(net.xl, at(3, 2))
    issue = use(single, net.types["临江信息"], at(3, 4))[0].issue
    instruct(single, Level.CITY, at(3, 6), net.leaders[Level.CITY], issue=issue)
    run(rules, 3)
    # then 东湖区: 20 + 30 + 10 = 60 for four instructions; 西岭县: 20 for the one on its single-item issue
    assert points(rules, net.dh, 3, fact=Fact.INSTRUCTION) == 60
    assert tally(rules, net.dh, 3).instructions == 4 and tally(rules, net.dh, 3).points_instruction == 60
    assert points(rules, net.xl, 3, fact=Fact.INSTRUCTION) == 20
    # a later city instruction on the same item in April is still no bonus; A places it in the item's month (March:
    # no 通报 issued for it yet)
    with time_machine.travel(at(4, 20), tick=False):
        instruct(item, Level.CITY, at(4, 2), net.leaders[Level.CITY])
        run(rules, 3, 4)
    assert points(rules, net.dh, fact=Fact.INSTRUCTION) == 60
    assert (tally(rules, net.dh, 3).instructions, tally(rules, net.dh, 4).instructions) == (5, 0)


def test_an_instruction_on_a_composite_goes_to_its_sources(net, rules):
    a, b = filed(net.dh, at(3, 2)), filed(net.xl, at(3, 2))
    combined = composite(net.city, [a, b], at(3, 4))
    instruct(combined, Level.PROVINCE, at(3, 8), net.leaders[Level.PROVINCE])
    run(rules, 3)
    # 30 × 1/2 each
    assert points(rules, net.dh, 3, fact=Fact.INSTRUCTION) == points(rules, net.xl, 3, fact=Fact.INSTRUCTION) == 15


def test_topic_requests_answered_and_ignored(net, rules):
    due = at(3, 15)
    city_request, province_request = request_to(net.city, due), request_to(net.province, due)
    other_city_request = request_to(net.other_city, due)
    answered(city_request, net.dh, at(3, 14))
    ignored(city_request, net.xl)
    ignored(province_request, net.xl)       # asked by an office above the city: counts too
    ignored(other_city_request, net.nc)     # another city's: not this rule set's unit anyway
    withdrawn = ignored(request_to(net.city, due), net.dh)
    withdrawn.withdrawn_at, withdrawn.withdrawn_reason = at(3, 20), "延期已批准"
    withdrawn.save()
    run(rules, 3)
    # 东湖区 +5 (the withdrawn record does not count); 西岭县 −10 × 2
    assert points(rules, net.dh, 3) == 5 and points(rules, net.xl, 3) == -20
    assert (tally(rules, net.dh, 3).topics_answered, tally(rules, net.xl, 3).topics_ignored) == (1, 2)
    assert tally(rules, net.xl, 3).points_topic == -20


def test_a_false_report_costs_30_and_voids_award_eligibility(net, rules):
    item = filed(net.dh, at(3, 2))
    clerk = item.created_by
    lapse(net.dh, "false", at(3, 5), item=item, who=clerk)
    lapse(net.xl, "late", at(3, 6))
    gone = lapse(net.xl, "missed", at(3, 7))
    gone.withdrawn_at, gone.withdrawn_reason = at(3, 8), "事发时间更正"
    gone.save()
    run(rules, 3)
    row = current(rules, fact=Fact.LAPSE, unit=net.dh).get()
    assert (row.points, row.voids_award, row.person_id, row.basis) == (-30, True, clerk.pk, "误报 -30")
    # 东湖区: 0.5 − 30; eligibility lost for the month (the selectors read it over any period)
    t = tally(rules, net.dh, 3)
    assert (t.points, t.voids_award, t.lapses, t.points_lapse) == (D("-29.5"), True, 1, -30)
    # 西岭县: only the late report (−5); its eligibility stands
    t = tally(rules, net.xl, 3)
    assert (t.points, t.voids_award, t.lapses) == (-5, False, 1)


def test_filing_points_are_capped_per_month_in_time_order(net, rules):
    # given 23 items of 东湖区 in March: 0.5 each, capped at 10 a month
    items = [filed(net.dh, at(3, 1) + timedelta(hours=n)) for n in range(23)]
    run(rules, 3)
    # then the first 20 count 0.5, the rest 0: 10
    assert points(rules, net.dh, 3, fact=Fact.FILED) == 10
    rows = {r.cause_id: r for r in current(rules, fact=Fact.FILED, unit=net.dh)}
    assert [rows[i.pk].points for i in items] == [D("0.5")] * 20 + [0] * 3
    assert rows[items[20].pk].basis == "报送信息 0.5，已达月度上限 10，计 0"
    assert tally(rules, net.dh, 3).filed == 23
    # when the cap is 10.2: the 21st gets what is left (0.2)
    Rule.objects.filter(ruleset=rules, fact=Fact.FILED).update(monthly_cap=D("10.2"))
    run(rules, 3)
    rows = {r.cause_id: r for r in current(rules, fact=Fact.FILED, unit=net.dh)}
    assert [rows[i.pk].points for i in items[19:]] == [D("0.5"), D("0.2"), 0, 0]
    assert rows[items[20].pk].basis == "报送信息 0.5，月度上限 10.2，计 0.2"


def test_quota_below_the_monthly_minimum_is_deducted_per_missing_item(net, rules):
    # given February: 东湖区 files 12 items (one jointly with 西岭县), the city's department files 3, 石桥镇 none
    for n in range(12):
        filed(net.dh, at(2, 3) + timedelta(hours=n), joint=[net.xl] if n == 0 else ())
    for n in range(3):
        filed(net.yj, at(2, 4) + timedelta(hours=n))
    run(rules, 2, 3)
    # then February (finished): 东湖区 −1 × (20 − 12) = −8; 西岭县 −1 × (20 − 1) = −19; the department met its 3; the
    # township and the direct point have no quota rule
    row = current(rules, fact=Fact.QUOTA, unit=net.dh).get()
    assert (row.points, row.month, row.basis) == (-8, m(2), "区县月度报送定额：报送 12 条，定额 20 条，-1 × 8")
    assert points(rules, net.xl, 2, fact=Fact.QUOTA) == -19
    assert not current(rules, fact=Fact.QUOTA).exclude(unit__in=[net.dh, net.xl]).exists()
    # March is not over: no quota row yet
    assert not current(rules, fact=Fact.QUOTA, month=m(3)).exists()
    assert tally(rules, net.dh, 2).points_other == -8 and tally(rules, net.dh, 2).points == 6 - 8


def test_the_office_that_rewrote_an_item_takes_its_share(net, rules):
    # given a township item the county office rewrote and used (县级 2), and a county item the city rewrote and the
    # province used (省单条 20)
    township_item = filed(net.sq, at(3, 2))
    Rewrite.objects.create(item=township_item, office=net.xl, marked_by=net.admin)
    use(township_item, net.types["西岭信息"], at(3, 5))
    county_item = filed(net.dh, at(3, 2))
    Rewrite.objects.create(item=county_item, office=net.city, marked_by=net.admin)
    use(county_item, net.types["江南信息"], at(3, 6))
    run(rules, 3)
    # then 石桥镇 2 × 0.7 = 1.4 and 西岭县 (REWRITE) 2 × 0.3 = 0.6; 东湖区 20 × 0.7 = 14, the city office's 6 not priced
    assert points(rules, net.sq, 3, fact=Fact.ADOPTED) == D("1.4")
    assert points(rules, net.xl, 3, fact=Fact.REWRITE) == D("0.6")
    assert points(rules, net.dh, 3, fact=Fact.ADOPTED) == 14
    assert current(rules, unit=net.dh, fact=Fact.ADOPTED).get().basis == "省级单条采用 20 × (1 − 0.3，上级改写)"
    assert tally(rules, net.xl, 3).points_adoption == D("0.6")


def test_units_are_ranked_in_groups(net, rules):
    for unit in (net.dh, net.yj, net.park, net.sq):
        filed(unit, at(3, 2))
    run(rules, 3)
    groups = {u: tally(rules, u, 3).group for u in (net.dh, net.yj, net.park, net.sq)}
    # the city's counties rank as the offices one level below, its departments as its own; a township (two levels
    # below) is priced but not ranked by the city
    assert groups == {net.dh: Group.DISTRICT, net.yj: Group.DEPARTMENT, net.park: Group.DIRECT,
                      net.sq: Group.OTHER}
    # every active unit of the jurisdiction has its month, whether or not it did anything
    assert tally(rules, net.xl, 3).points == 0
