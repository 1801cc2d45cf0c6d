"""Hand-made scenarios priced under example rule set B (a provincial government office's 考核办法, SPEC §9): only the
highest publication counts (a later higher one is topped up), items reported upward through the office multiplied,
合报均分, a direct-reporting point's share for its county, two ignored topic requests zero the year, no filing points.
The totals are worked out by hand in each test."""

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
import time_machine

from assessment import examples
from assessment.models import Fact, Group, Pricing, RuleSet
from infohub.models import Level

from .conftest import (
    answered,
    at,
    current,
    filed,
    forward,
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
CENT = D("0.01")


@pytest.fixture
def rules(net):
    """Rule set B for the province office, its own publication 《江南信息》 named (10 单条, 5 综合)."""
    return examples.provincial_government_rules(office=net.province, year=2026, province_type=net.types["江南信息"])


@pytest.fixture(autouse=True)
def _late_march():
    with time_machine.travel(at(3, 28), tick=False):
        yield


def test_joint_item_split_evenly_between_three_units(net, rules):
    # given an item of 东湖区 filed jointly with 西岭县 and 南城区 (another city's county), used in 《江南信息》 (单条 10)
    # and instructed on by a province leader (+20)
    item = filed(net.dh, at(3, 2), joint=[net.xl, net.nc])
    use(item, net.types["江南信息"], at(3, 5))
    instruct(item, Level.PROVINCE, at(3, 6), net.leaders[Level.PROVINCE])
    run(rules, 3)
    # then each unit has a third: shares 0.3333, 0.3333 and 0.3334 (the last, by id, the remainder), each row rounded
    # to the cent: 10 × 0.3333 = 3.33, 10 × 0.3334 = 3.33; 20 × 0.3333 = 6.67, 20 × 0.3334 = 6.67
    for unit, share in ((net.dh, D("0.3333")), (net.xl, D("0.3333")), (net.nc, D("0.3334"))):
        adopted = current(rules, unit=unit, fact=Fact.ADOPTED).get()
        assert (adopted.share, adopted.points) == (share, (10 * share).quantize(CENT, ROUND_HALF_UP)), unit
        assert adopted.basis == "《江南信息》单条采用 10 × 1/3"
        assert points(rules, unit, 3) == D("3.33") + D("6.67"), unit
    # no points for filing under B, but the filing is counted for each
    assert not current(rules, fact=Fact.FILED).exists()
    assert [tally(rules, u, 3).filed for u in (net.dh, net.xl, net.nc)] == [1, 1, 1]


def test_a_direct_points_points_also_count_half_for_its_county(net, rules):
    # given the chemical park (a direct-reporting point in 西岭县) used in 《江南信息》 (10) and late once (−5)
    item = filed(net.park, at(3, 2))
    use(item, net.types["江南信息"], at(3, 5))
    lapse(net.park, "late", at(3, 9))
    run(rules, 3)
    # then the park: 10 − 5 = 5; 西岭县 (its county): 10 × 0.5 − 5 × 0.5 = 2.5 (LINKED, same causes)
    assert points(rules, net.park, 3) == 5
    linked = current(rules, unit=net.xl, fact=Fact.LINKED)
    assert sorted(linked.values_list("points", flat=True)) == [D("-2.5"), D("5")]
    assert {r.cause_id for r in linked} == set(current(rules, unit=net.park).values_list("cause_id", flat=True))
    assert linked.get(points=5).basis == "挂钩分（江南化工园区（直报点））10 × 0.5"
    t = tally(rules, net.xl, 3)
    # (西岭县 is a county office under a province's rules: priced, not ranked at the province's level)
    assert (t.points_other, t.points, t.group) == (D("2.5"), D("2.5"), Group.OTHER)
    assert tally(rules, net.park, 3).group == Group.DIRECT


def test_an_item_forwarded_and_adopted_at_three_levels(net, rules):
    # given an item of 东湖区 used by the city (市级 2), then by the province in 《江南信息》 and reported upward by the
    # province office (单条 经本厅上报: 10 × 2 = 20), then used by 国办 (经本厅上报: 10 × 5 = 50)
    item = filed(net.dh, at(3, 2))
    use(item, net.types["临江信息"], at(3, 4))
    forward(item, net.province, at(3, 8))
    use(item, net.types["江南信息"], at(3, 9))
    use(item, net.types["国办信息"], at(3, 20))
    # and one of 西岭县 that went up without the office reporting it (省 单条 《江南信息》 10, 国家级 30), the centre
    # first, then the province
    other = filed(net.xl, at(3, 2))
    use(other, net.types["国办信息"], at(3, 6))
    use(other, net.types["江南信息"], at(3, 7))
    run(rules, 3)
    # then only the highest counts, each later higher use topped up: 2, 20 − 2 = 18, 50 − 20 = 30: 50 in all
    rows = list(current(rules, unit=net.dh, fact=Fact.ADOPTED).order_by("occurred_at"))
    assert [r.points for r in rows] == [2, 18, 30]
    assert [r.basis for r in rows] == [
        "市级刊物采用 2",
        "省级单条采用（经本厅上报） 10 × 2，已计 2，补计 18",
        "国家级采用（经本厅上报） 10 × 5，已计 20，补计 30",
    ]
    assert points(rules, net.dh, 3) == 50
    # 西岭县: the centre's 30 first; the province's 10 later adds nothing
    rows = list(current(rules, unit=net.xl, fact=Fact.ADOPTED).order_by("occurred_at"))
    assert [(r.points, r.basis) for r in rows] == [(30, "国家级采用 30"),
                                                    (0, "《江南信息》单条采用 10，已按更高采用计 30，不再计分")]
    t = tally(rules, net.dh, 3)
    assert (t.adopted, t.adopted_city, t.adopted_province, t.adopted_central, t.points_adoption) == (1, 1, 1, 1, 50)

    # when the rule set counted every publication instead: 2 + 20 + 50 = 72 and 30 + 10 = 40
    RuleSet.objects.filter(pk=rules.pk).update(counting=RuleSet.Counting.EVERY)
    run(rules, 3, kind=Pricing.Kind.REPRICE, reason="改为每次采用均计分")
    assert points(rules, net.dh, 3) == 72 and points(rules, net.xl, 3) == 40


def test_a_later_higher_adoption_in_another_month_is_topped_up_there(net, rules):
    # given B places facts in the month the item was filed: both uses land in February, whenever they come
    with time_machine.travel(at(4, 20), tick=False):
        item = filed(net.dh, at(2, 20))
        use(item, net.types["江南信息"], at(2, 25))         # 10
        run(rules, 2)
        use(item, net.types["国办信息"], at(4, 2))           # 30: tops up 20, in February
        run(rules, 2, 4)
    assert [r.points for r in current(rules, unit=net.dh).order_by("occurred_at")] == [10, 20]
    assert set(current(rules, unit=net.dh).values_list("month", flat=True)) == {m(2)}


def test_two_ignored_topic_requests_zero_the_year(net, rules):
    # given a request of the province ignored by 东湖区 in February, one answered in March, one of the centre (above
    # the province) ignored in April; and one of the city (below the province office: not its request) ignored
    with time_machine.travel(at(5, 20), tick=False):
        ignored(request_to(net.province, at(2, 10)), net.dh)
        answered(request_to(net.province, at(3, 10)), net.dh, at(3, 9))
        second = ignored(request_to(net.central, at(4, 10)), net.dh)
        ignored(request_to(net.city, at(3, 20)), net.dh)
        run(rules, 1, 5)
    # then −10 (Feb), +2 (Mar), −10 (Apr); the second ignored one zeroes the year from April
    assert [points(rules, net.dh, month) for month in (2, 3, 4)] == [-10, 2, -10]
    zero = current(rules, unit=net.dh, fact=Fact.ZEROED).get()
    assert (zero.month, zero.points, zero.cause_id, zero.basis) == (m(4), 0, second.pk,
                                                                     "本年第 2 次约稿未报送，全年得分计零")
    assert [tally(rules, net.dh, month).zeroed for month in range(1, 6)] == [False, False, False, True, True]
    assert [tally(rules, net.dh, month).topics_ignored for month in (2, 3, 4)] == [1, 0, 1]
    # re-pricing May alone keeps the year zeroed (the mark lives in the ledger of April)
    with time_machine.travel(at(5, 20), tick=False):
        run(rules, 5)
    assert tally(rules, net.dh, 5).zeroed


def test_a_false_report_voids_eligibility_under_b_too(net, rules):
    lapse(net.dh, "false", at(3, 5))
    run(rules, 3)
    t = tally(rules, net.dh, 3)
    assert (t.points, t.points_lapse, t.voids_award) == (-20, -20, True)
