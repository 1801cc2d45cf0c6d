"""The figures' reads (assessment.selectors) over hand-made tallies and ledger rows: ranks within groups, the
zeroed year and the year cap, the monthly sheet's month and year columns, the drill-down's subtree sums, and the
ledger rows behind a figure summing to it."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from assessment import selectors
from assessment.models import Entry, Fact, Group, Pricing, RuleSet, Tally
from infohub.models import Level, Unit
from tests.factories import UnitFactory

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


@pytest.fixture
def ruleset(network):
    return RuleSet.objects.create(office=network.city, year=2026, name="临江市2026年信息工作考核办法")


def tally(ruleset, unit, month, group=Group.DISTRICT, **figures):
    return Tally.objects.create(ruleset=ruleset, unit=unit, month=month, group=group, **figures)


def test_ranking_ranks_within_each_group_and_sums_the_months(ruleset, network):
    # given: two counties and a department, over two months
    dept = UnitFactory(name="临江市应急管理局", code="t-lj-yj", level=Level.CITY, parent=network.city,
                       kind=Unit.Kind.DEPARTMENT)
    tally(ruleset, network.county, JAN, filed=10, adopted=2, points=Decimal("25"))
    tally(ruleset, network.county, FEB, filed=10, adopted=3, points=Decimal("30"))
    tally(ruleset, network.other_county, JAN, filed=8, adopted=1, points=Decimal("60"))
    tally(ruleset, dept, JAN, group=Group.DEPARTMENT, filed=4, points=Decimal("5"))
    # when
    rows = selectors.ranking(selectors.Period(ruleset, JAN, FEB))
    # then: 25 + 30 = 55 ranks second behind 60; the department is first of its own group
    by_unit = {row["unit_id"]: row for row in rows}
    assert by_unit[network.county.pk]["score"] == Decimal("55")
    assert by_unit[network.county.pk]["filed"] == 20
    assert by_unit[network.county.pk]["rate"] == Decimal("0.2500")  # 5 adopted of 20 filed
    assert by_unit[network.county.pk]["rank"] == 2
    assert by_unit[network.other_county.pk]["rank"] == 1
    assert by_unit[dept.pk]["rank"] == 1
    # a person who sees one unit gets its row, with the rank it holds among all
    mine = selectors.ranking(selectors.Period(ruleset, JAN, FEB), unit_ids=[network.county.pk])
    assert [(row["unit_id"], row["rank"]) for row in mine] == [(network.county.pk, 2)]


def test_a_zeroed_year_scores_nothing_and_the_cap_limits_the_total(ruleset, network):
    ruleset.year_cap = Decimal("50")
    ruleset.save()
    tally(ruleset, network.county, JAN, points=Decimal("80"))
    tally(ruleset, network.other_county, JAN, points=Decimal("40"))
    tally(ruleset, network.other_county, FEB, points=Decimal("5"), zeroed=True)
    rows = {row["unit_id"]: row for row in selectors.ranking(selectors.Period(ruleset, JAN, MAR))}
    assert rows[network.county.pk]["score"] == Decimal("50")       # 80, capped at 50
    assert rows[network.other_county.pk]["score"] == Decimal("0")  # 45, but the year was zeroed
    assert rows[network.other_county.pk]["zeroed"] is True


def test_monthly_sheet_gives_the_month_and_the_year_so_far(ruleset, network):
    tally(ruleset, network.county, JAN, filed=7, points=Decimal("12.5"))
    tally(ruleset, network.county, FEB, filed=5, adopted=2, adopted_combined=1, adopted_city=2,
          points_filing=Decimal("2.5"), points_adoption=Decimal("15"), points=Decimal("17.5"))
    tally(ruleset, network.county, MAR, filed=99, points=Decimal("99"))  # after the sheet's month: not counted
    [row] = selectors.monthly_sheet(ruleset, FEB)
    assert (row["filed"], row["filed_year"]) == (5, 12)
    assert (row["adopted"], row["adopted_standalone"], row["adopted_combined"]) == (2, 1, 1)
    assert (row["points_month"], row["points_year"]) == (Decimal("17.5"), Decimal("30.0"))


def test_drill_down_sums_each_branch_of_the_tree(ruleset, network):
    township = UnitFactory(name="湖滨街道", code="t-hb", level=Level.TOWNSHIP, parent=network.county)
    tally(ruleset, network.county, JAN, filed=3, points=Decimal("3"))
    tally(ruleset, township, JAN, filed=2, points=Decimal("2"))
    tally(ruleset, network.other_county, JAN, filed=1, points=Decimal("1"))
    rows = selectors.drill_down(selectors.Period(ruleset, JAN, JAN), network.city)
    assert rows[0]["unit_id"] == network.city.pk and rows[0]["filed"] == 0
    branches = {row["unit_id"]: row for row in rows[1:]}
    assert (branches[network.county.pk]["filed"], branches[network.county.pk]["units"]) == (5, 2)
    assert branches[network.county.pk]["children"] is True
    assert branches[network.other_county.pk]["points"] == Decimal("1")


def test_the_rows_behind_a_figure_are_the_current_ones(ruleset, network):
    old = Pricing.objects.create(ruleset=ruleset, first_month=JAN, last_month=JAN)
    new = Pricing.objects.create(ruleset=ruleset, first_month=JAN, last_month=JAN, kind=Pricing.Kind.REPRICE)
    unit_type = ContentType.objects.get_for_model(Unit)
    common = {"ruleset": ruleset, "month": JAN, "unit": network.county, "cause_type": unit_type, "cause_id": 1,
                  "occurred_at": dt.datetime(2026, 1, 5, tzinfo=dt.UTC)}
    Entry.objects.create(pricing=old, fact=Fact.ADOPTED, points=Decimal("10"), superseded_by=new, **common)
    Entry.objects.create(pricing=new, fact=Fact.ADOPTED, points=Decimal("20"), **common)
    Entry.objects.create(pricing=old, fact=Fact.FILED, points=Decimal("0.5"), **common)
    period = selectors.Period(ruleset, JAN, JAN)
    adoption = selectors.entries_behind(period, unit_ids=[network.county.pk], column="points_adoption")
    assert [row.points for row in adoption] == [Decimal("20")]
    assert sum(row.points for row in selectors.entries_behind(period, unit_ids=[network.county.pk])) == Decimal("20.5")
    history = selectors.history_of(adoption[0])
    assert [(row.points, row.superseded_by_id) for row in history] == [(Decimal("10"), new.pk), (Decimal("20"), None)]


def test_group_medians(ruleset, network):
    third = UnitFactory(name="南山县", code="t-ns", level=Level.COUNTY, parent=network.city)
    for unit, points in ((network.county, "10"), (network.other_county, "20"), (third, "60")):
        tally(ruleset, unit, JAN, points=Decimal(points))
    assert selectors.group_medians(selectors.Period(ruleset, JAN, JAN)) == {Group.DISTRICT: Decimal("20")}
