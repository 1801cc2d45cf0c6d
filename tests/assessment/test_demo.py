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
