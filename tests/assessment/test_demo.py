"""The demo (`make run`) shows priced figures under both example rule sets (SPEC §9)."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from assessment.models import Fact, Pricing, RuleSet, Tally
from infohub.models import Unit
from project.demo import load_demo, price_demo

from .conftest import current

pytestmark = pytest.mark.django_db


def test_the_demo_prices_this_month_under_both_example_rule_sets():
    assert load_demo() is True
    runs = price_demo()
    assert {run.state for run in runs} == {Pricing.State.DONE} and len(runs) == 2
    month = timezone.localdate().replace(day=1)
    units = {u.code: u for u in Unit.objects.all()}
    a = RuleSet.objects.get(office__code="lj", is_active=True)
    b = RuleSet.objects.get(office__code="jn", is_active=True)
    assert "参照某市委办公室" in a.source and "参照某省人民政府办公厅" in b.source
    # each named for the office it is attached to: B sits on the province's committee office, not a government one
    assert (a.name, b.name) == ("临江市委办公室信息工作考核计分办法（示例 A）", "江南省委办公厅信息工作考核办法（示例 B）")

    def tally(ruleset, code):
        return Tally.objects.get(ruleset=ruleset, unit=units[code], month=month)

    # A — 东湖区: five items filed (0.5 each), two used by 《临江信息》 (10 each), a city leader's instruction (+20),
    # a topic request answered (+5): 2.5 + 20 + 20 + 5
    assert tally(a, "lj-dh").points == D("47.5")
    # 西岭县: two items and the joint one (1.5), one used (10), an instruction (+20), a false report (−30, no award)
    xl = tally(a, "lj-xl")
    assert (xl.points, xl.voids_award, xl.lapses) == (D("1.5"), True, 1)
    # the park (in 西岭县): its item (0.5) and the province leader's instruction (+30)
    assert tally(a, "jn-park").points == D("30.5")
    # B — only publications and the province's own rules: 东湖区's two city uses (2 each); the park's instruction (+20)
    # counts half for 西岭县 (+10), beside its city use (2) and the false report (−20)
    assert tally(b, "lj-dh").points == 4
    assert tally(b, "jn-park").points == 20
    assert tally(b, "lj-xl").points == 2 + 10 - 20
    assert current(b, unit=units["lj-xl"], fact=Fact.LINKED).get().points == 10


def test_an_example_rule_set_is_named_for_the_office_it_is_given_to():
    # given: the province's government office and a city's committee office
    from assessment import examples
    from tests.factories import UnitFactory

    province = UnitFactory(name="江南省人民政府办公厅", code="n-gov", level="province",
                           kind=Unit.Kind.GOVERNMENT_OFFICE, parent=None)
    city = UnitFactory(name="临江市委办公室", code="n-lj", level="city", kind=Unit.Kind.COMMITTEE_OFFICE, parent=None)
    # when: each is given each example
    names = {(office.code, shape.__name__): shape(office=office, year=2026, active=False).name
             for office in (province, city)
             for shape in (examples.city_committee_rules, examples.provincial_government_rules)}
    # then: the name is the office's, 政务信息 only for the government office, and no other office's in it
    assert names == {
        ("n-gov", "city_committee_rules"): "江南省人民政府办公厅政务信息工作考核计分办法（示例 A）",
        ("n-gov", "provincial_government_rules"): "江南省人民政府办公厅政务信息工作考核办法（示例 B）",
        ("n-lj", "city_committee_rules"): "临江市委办公室信息工作考核计分办法（示例 A）",
        ("n-lj", "provincial_government_rules"): "临江市委办公室信息工作考核办法（示例 B）",
    }
    assert examples.name_for(UnitFactory(name="长" * 100, code="n-long", parent=None), "考核办法", "B").endswith(
        "信息工作考核办法（示例 B）")
