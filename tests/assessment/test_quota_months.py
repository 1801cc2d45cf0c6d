"""Monthly quotas (SPEC §9: counties ≥ 20 a month, deductions below quota) are owed only for months that have ended in
Beijing time, and only from the month the rule set took effect (RuleSet.effective_from, 施行日期) — never for the
months before the rules were in force (the demo's rule sets, made today, charged every county −20 for each month of the
year before the demo's data began), never for a month still running or to come."""

import datetime as dt
from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import timezone

from assessment import examples
from assessment.models import Fact, Pricing, RuleSet
from project.demo import load_demo

from .conftest import at, current, filed, m, run

pytestmark = pytest.mark.django_db


def quota_months(ruleset, **filters) -> list[dt.date]:
    return sorted(set(current(ruleset, fact=Fact.QUOTA, **filters).values_list("month", flat=True)))


def test_quotas_are_charged_from_the_month_the_rules_took_effect_to_the_last_month_over(net):
    # given rule set A, in force from 15 May, and "now" 10 August
    with time_machine.travel(at(8, 10), tick=False):
        rules = examples.city_committee_rules(office=net.city, year=2026, effective_from=dt.date(2026, 5, 15))
        for n in range(5):
            filed(net.dh, at(6, 3) + timedelta(hours=n))
        # when the whole year is priced (a re-pricing after a rule change)
        run(rules, 1, 12, kind=Pricing.Kind.REPRICE, reason="规则调整")
    # then: May, June and July only — not the months before it took effect, not August (running), not the autumn
    assert quota_months(rules, unit=net.dh) == [m(5), m(6), m(7)]
    june = current(rules, fact=Fact.QUOTA, unit=net.dh, month=m(6)).get()
    assert (june.points, june.basis) == (D("-15"), "区县月度报送定额：报送 5 条，定额 20 条，-1 × 15")
    assert quota_months(rules, unit=net.xl) == [m(5), m(6), m(7)]


def test_a_month_is_over_when_it_is_over_in_beijing(net):
    rules = examples.city_committee_rules(office=net.city, year=2026, effective_from=dt.date(2026, 1, 1))
    # 31 July 23:30 in Beijing (15:30 UTC): July is still running, whatever zone the process reads times in
    with time_machine.travel(dt.datetime(2026, 7, 31, 15, 30, tzinfo=dt.UTC), tick=False), timezone.override("UTC"):
        run(rules, 7)
    assert quota_months(rules) == []
    # 1 August 00:30 in Beijing (31 July 16:30 UTC): July is over, though it is still July in UTC
    with time_machine.travel(dt.datetime(2026, 7, 31, 16, 30, tzinfo=dt.UTC), tick=False), timezone.override("UTC"):
        run(rules, 7)
    assert quota_months(rules) == [m(7)]


def test_a_rule_set_made_without_its_date_takes_effect_today_in_this_year_else_at_its_year_start(net):
    with time_machine.travel(at(9, 20), tick=False):
        this_year = RuleSet.objects.create(office=net.city, year=2026, name="本年度")
        next_year = RuleSet.objects.create(office=net.city, year=2027, name="下年度")
        last_year = RuleSet.objects.create(office=net.province, year=2025, name="上年度（补录）")
    assert this_year.effective_from == dt.date(2026, 9, 20) and this_year.quota_from == m(9)
    assert next_year.effective_from == dt.date(2027, 1, 1) and next_year.quota_from == dt.date(2027, 1, 1)
    assert last_year.effective_from == dt.date(2025, 1, 1) and last_year.quota_from == dt.date(2025, 1, 1)


def test_the_demo_charges_no_quota_for_the_months_before_its_data_begins():
    # given the demo loaded on 15 June (its rule sets made that day), priced for the year so far on 20 July
    with time_machine.travel(at(6, 15), tick=True):
        assert load_demo() is True
    city = RuleSet.objects.get(office__code="lj", is_active=True)
    assert city.effective_from == dt.date(2026, 6, 15)
    with time_machine.travel(at(7, 20), tick=False):
        run(city, 1, 7, kind=Pricing.Kind.REPRICE, reason="全年重算")
    # then: June, the month the demo began and that has ended, is the only month a quota is owed for
    assert quota_months(city) == [m(6)]
