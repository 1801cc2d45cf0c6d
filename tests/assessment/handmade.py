"""Figures to look at for the pages and the API, made by hand (the pricing engine is not needed to show them): the city office's rule set with
this month's tallies of its two counties (东湖, 西岭) and of a department, ledger rows behind 东湖's figures — a
filing (cause: the item), an adoption (cause: its credit in a signed 《临江信息》, re-priced once, so it has a history),
an instruction's bonus and a lapse (西岭: voids award eligibility) — and a foreign city (青山) with a rule set and a
county of its own."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from assessment.models import Entry, Fact, Group, Pricing, Rule, RuleSet, Tally
from infohub.models import Level, Role, Unit, User
from publications.models import Credit, DistributionKind, PublicationType, TypeRecipient
from submissions.models import Item
from tests.factories import UnitFactory, person
from tests.publications.conftest import Pubs, adopted_item, compiled, signed

THIS = timezone.localdate().replace(day=1)


@dataclass
class Figures:
    chain: object
    ruleset: RuleSet
    foreign_ruleset: RuleSet
    department: Unit
    foreign_county: Unit
    foreign_clerk: User
    item: Item
    credit: Credit
    filed: Entry
    adopted: Entry
    old_adopted: Entry
    lapse: Entry
    reprice: Pricing

    @property
    def net(self):
        return self.chain.net


def tally(ruleset, unit, month=THIS, group=Group.DISTRICT, **figures) -> Tally:
    return Tally.objects.create(ruleset=ruleset, unit=unit, month=month, group=group, **figures)


@pytest.fixture
def figures(chain, settings) -> Figures:
    settings.INFOHUB_PUBLICATION_PREPARE_EXPORTS = False
    net = chain.net
    # given: an item of 东湖 adopted at the city and used in a signed 《临江信息》: a real credit row
    weekly = PublicationType.objects.create(name="临江信息", office=net.city, rhythm="weekly")
    TypeRecipient.objects.create(ptype=weekly, kind=DistributionKind.ISSUE, unit=net.county)
    pubs = Pubs(chain=chain, weekly=weekly, daily=weekly, city_leader=None, province_leader=None)
    item = adopted_item(chain, "东湖区推行网格化服务机制")
    signed(pubs, compiled(pubs, [item]))
    credit = Credit.objects.get(item=item)
    # the city's rule set, a department of the city, and this month's tallies
    ruleset = RuleSet.objects.create(office=net.city, year=THIS.year, name="临江市信息工作考核办法")
    rule_filed = Rule.objects.create(ruleset=ruleset, label="报送信息", fact=Fact.FILED, points=Decimal("1"))
    rule_city = Rule.objects.create(ruleset=ruleset, label="市委办单条采用", fact=Fact.ADOPTED, level=Level.CITY,
                                    points=Decimal("10"))
    rule_lapse = Rule.objects.create(ruleset=ruleset, label="迟报", fact=Fact.LAPSE, points=Decimal("-30"),
                                     voids_award=True)
    net.city.refresh_from_db()  # the chain moved the province under the centre: the city's path changed
    department = UnitFactory(name="临江市应急管理局", code="t-lj-yj", level=Level.CITY, parent=net.city,
                             kind=Unit.Kind.DEPARTMENT)
    tally(ruleset, net.county, filed=1, signed_off=1, adopted=1, adopted_city=1, points_filing=Decimal("1"),
          points_adoption=Decimal("10"), points=Decimal("11"))
    tally(ruleset, net.other_county, filed=4, signed_off=3, lapses=1, points_filing=Decimal("4"),
          points_lapse=Decimal("-30"), points=Decimal("-26"), voids_award=True)
    tally(ruleset, department, group=Group.DEPARTMENT, filed=2, points_filing=Decimal("2"), points=Decimal("2"))
    # the ledger behind 东湖's figures: the adoption priced at 5, then re-priced at 10 (its history)
    routine = Pricing.objects.create(ruleset=ruleset, first_month=THIS, last_month=THIS, state=Pricing.State.DONE)
    reprice = Pricing.objects.create(ruleset=ruleset, first_month=THIS, last_month=THIS, kind=Pricing.Kind.REPRICE,
                                     reason="市委办采用分值调整为10分", requested_by=chain.city_director,
                                     state=Pricing.State.DONE)
    at = timezone.now()
    common = {"ruleset": ruleset, "month": THIS, "unit": net.county, "occurred_at": at}
    item_type, credit_type = ContentType.objects.get_for_model(Item), ContentType.objects.get_for_model(Credit)
    filed = Entry.objects.create(pricing=routine, fact=Fact.FILED, cause_type=item_type, cause_id=item.pk, item=item,
                                 person=net.clerk, rule=rule_filed, points=Decimal("1"), basis="1 × 1", **common)
    old = Entry.objects.create(pricing=routine, fact=Fact.ADOPTED, cause_type=credit_type, cause_id=credit.pk,
                               item=item, person=net.clerk, rule=rule_city, points=Decimal("5"), basis="5 × 1",
                               superseded_by=reprice, **common)
    adopted = Entry.objects.create(pricing=reprice, fact=Fact.ADOPTED, cause_type=credit_type, cause_id=credit.pk,
                                   item=item, person=net.clerk, rule=rule_city, points=Decimal("10"), basis="10 × 1",
                                   **common)
    lapse = Entry.objects.create(pricing=routine, fact=Fact.LAPSE, cause_type=ContentType.objects.get_for_model(Unit),
                                 cause_id=net.other_county.pk, rule=rule_lapse, points=Decimal("-30"),
                                 basis="迟报 −30", voids_award=True,
                                 **{**common, "unit": net.other_county})
    # a foreign city with its own rule set and county
    foreign_county = UnitFactory(name="青山县委办公室", code="t-qs-x", level=Level.COUNTY, parent=chain.foreign_city)
    foreign_ruleset = RuleSet.objects.create(office=chain.foreign_city, year=THIS.year, name="青山市信息工作考核办法")
    tally(foreign_ruleset, foreign_county, filed=9, points=Decimal("9"))
    return Figures(chain=chain, ruleset=ruleset, foreign_ruleset=foreign_ruleset, department=department,
                   foreign_county=foreign_county, foreign_clerk=person(foreign_county, Role.CLERK, username="qsx_clerk"),
                   item=item, credit=credit, filed=filed, adopted=adopted, old_adopted=old, lapse=lapse,
                   reprice=reprice)


@pytest.fixture
def month_query() -> dict:
    return {"period": "month", "month": f"{THIS:%Y-%m}"}


def first_day(month: dt.date) -> dt.date:
    return month.replace(day=1)
