"""A city office's assessed network with hand-made figures for the 通报 tests: tallies of two months of the first
quarter, and the ledger rows behind the lists a bulletin names — a quota shortfall, a 迟报 and a 误报 (alerts.Lapse), an
adoption in a signed issue of 《临江信息》 (publications.Credit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from alerts.models import Lapse
from assessment.models import Entry, Fact, Group, Pricing, Rule, RuleSet, Tally
from infohub.models import Level, Role, Unit, User
from publications.models import Credit
from tests.factories import UnitFactory, person
from tests.publications.conftest import adopted_item, compiled, signed

YEAR = timezone.localdate().year  # the first quarter of this year has begun: a bulletin of it may be asked for
# The tests issue bulletins of the year's first six months, which may be issued once they are over: before July, the
# world's tests run on July 1st of YEAR (the clock moving on from there).
SIX_MONTHS_OVER = dt.datetime(YEAR, 7, 1, 9, 0)
JAN, FEB, MAR = dt.date(YEAR, 1, 1), dt.date(YEAR, 2, 1), dt.date(YEAR, 3, 1)
ADOPTED_TITLE = "东湖区“网格+警格”联动化解矛盾纠纷四百余起"


@dataclass
class World:
    ruleset: RuleSet
    city: Unit
    county: Unit         # 东湖区委办公室: first of the districts, a 迟报
    other_county: Unit   # 西岭县委办公室: below quota, a 误报 (award eligibility void)
    third_county: Unit   # 南山县委办公室: filed nothing
    department: Unit     # 临江市应急管理局
    editor: User
    director: User
    clerk: User          # the county's
    third_clerk: User    # 南山县's
    unnamed_clerk: User  # 北湖区委办公室's: under the city, but in no tally (a bulletin never names it)
    foreign_director: User


def _tally(ruleset, unit, month, group=Group.DISTRICT, **figures):
    points = sum((Decimal(str(figures.get(name, 0))) for name in (
        "points_filing", "points_adoption", "points_instruction", "points_topic", "points_lapse", "points_other")),
        Decimal(0))
    return Tally.objects.create(ruleset=ruleset, unit=unit, month=month, group=group, points=points, **figures)


def _entry(pricing, unit, month, fact, *, points, cause, **fields):
    return Entry.objects.create(ruleset=pricing.ruleset, pricing=pricing, month=month, unit=unit, fact=fact,
                                cause_type=ContentType.objects.get_for_model(cause), cause_id=cause.pk,
                                points=Decimal(points), occurred_at=timezone.now(), **fields)


@pytest.fixture
def world(pubs) -> Iterator[World]:
    if timezone.localtime() < timezone.make_aware(SIX_MONTHS_OVER):
        import time_machine

        with time_machine.travel(timezone.make_aware(SIX_MONTHS_OVER), tick=True):
            yield _world(pubs)
    else:
        yield _world(pubs)


def _world(pubs) -> World:
    chain = pubs.chain
    net = chain.net
    third = UnitFactory(name="南山县委办公室", code="t-ns", level=Level.COUNTY, parent=net.city)
    dept = UnitFactory(name="临江市应急管理局", code="t-lj-yj", level=Level.CITY, parent=net.city,
                       kind=Unit.Kind.DEPARTMENT)
    ruleset = RuleSet.objects.create(office=net.city, year=YEAR, name=f"临江市{YEAR}年度党委信息工作考核办法",
                                     effective_from=JAN)  # in force for the whole year
    pricing = Pricing.objects.create(ruleset=ruleset, first_month=JAN, last_month=MAR, state=Pricing.State.DONE,
                                     finished_at=timezone.now())
    # 东湖区: 30 filed, 6 adopted (city 5, province 1), 2 instructions: 12 + 40 + 10 − 3 = 59
    _tally(ruleset, net.county, JAN, filed=14, adopted=3, adopted_city=3, points_filing="7", points_adoption="15")
    _tally(ruleset, net.county, FEB, filed=16, adopted=3, adopted_city=2, adopted_province=1, instructions=2,
           topics_answered=1, lapses=1, points_filing="5", points_adoption="25", points_instruction="10",
           points_lapse="-3")
    # 西岭县: 8 filed, 1 adopted, below quota, a false report: 4 + 5 − 30 − 2 = −23, award void
    _tally(ruleset, net.other_county, JAN, filed=8, adopted=1, adopted_city=1, lapses=1, points_filing="4",
           points_adoption="5", points_lapse="-30", points_other="-2", voids_award=True)
    # 南山县: nothing at all
    _tally(ruleset, third, JAN)
    # 应急管理局: 5 filed, 2 adopted: 2.5 + 10 = 12.5
    _tally(ruleset, dept, FEB, group=Group.DEPARTMENT, filed=5, adopted=2, adopted_city=2, points_filing="2.5",
           points_adoption="10")

    # as the engine writes it (pricing: "<rule>：报送 n 条，定额 m 条，…")
    quota = Rule.objects.create(ruleset=ruleset, label="区县月度报送定额", fact=Fact.QUOTA, quota=20, points=Decimal("-1"))
    _entry(pricing, net.other_county, JAN, Fact.QUOTA, points="-2", cause=net.other_county, rule=quota,
           basis="区县月度报送定额：报送 18 条，定额 20 条，-1 × 2")
    late = Lapse.objects.create(kind=Lapse.Kind.LATE, unit=net.county, reason="超过2小时时限报送",
                                item=adopted_item(chain, "东湖区化工园区一仓库起火"))
    false = Lapse.objects.create(kind=Lapse.Kind.FALSE, unit=net.other_county, reason="报送的伤亡人数与事实不符",
                                 item=adopted_item(chain, "西岭县一货车侧翻致二人受伤", unit=net.other_county,
                                                   clerk=net.other_clerk,
                                                   director=person(net.other_county, Role.DIRECTOR)))
    _entry(pricing, net.county, FEB, Fact.LAPSE, points="-3", cause=late, item=late.item)
    _entry(pricing, net.other_county, JAN, Fact.LAPSE, points="-30", cause=false, item=false.item, voids_award=True)
    issue = signed(pubs, compiled(pubs, [adopted_item(chain, ADOPTED_TITLE)]))
    credit = Credit.objects.get(issue=issue)
    _entry(pricing, net.county, JAN, Fact.ADOPTED, points="5", cause=credit, item=credit.item)
    return World(ruleset=ruleset, city=net.city, county=net.county, other_county=net.other_county,
                 third_county=third, department=dept, editor=net.city_editor, director=chain.city_director,
                 clerk=net.clerk, third_clerk=person(third, Role.CLERK, username="ns_clerk"),
                 unnamed_clerk=person(UnitFactory(name="北湖区委办公室", code="t-bh", level=Level.COUNTY,
                                                  parent=net.city), Role.CLERK, username="bh_clerk"),
                 foreign_director=chain.foreign_director)
