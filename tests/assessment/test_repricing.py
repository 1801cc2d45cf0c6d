"""A rule change re-prices a chosen period, recorded with who and why, without losing the old figures' history; late
facts land in the month the rule set's placing says; pricing runs are asked for once (SPEC §9)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from assessment import examples, pricing, services
from assessment.models import Adjustment, Bulletin, Entry, Fact, Pricing, Rewrite, Rule, RuleSet, Tally
from infohub.models import AuditLog
from tests.factories import UserFactory

from .conftest import at, current, filed, m, points, run, tally, use

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(net):
    return examples.city_committee_rules(office=net.city, year=2026, central_types={
        "中办": net.types["中办信息"], "国办": net.types["国办信息"]})


def test_a_rule_change_repriced_with_a_reason_keeps_the_old_rows_superseded(
        net, rules, django_capture_on_commit_callbacks):
    with time_machine.travel(at(3, 28), tick=False):
        # given March priced: two items filed (0.5 each), one used by the city (单条 10)
        first, second = filed(net.dh, at(3, 2)), filed(net.dh, at(3, 3))
        use(first, net.types["临江信息"], at(3, 5))
        with django_capture_on_commit_callbacks(execute=True):
            routine = services.pricing_request(ruleset=rules, first_month=m(3), last_month=m(3), actor=None)
        routine.refresh_from_db()
        assert (routine.state, routine.added, routine.superseded) == (Pricing.State.DONE, 3, 0)
        before = set(current(rules).values_list("id", flat=True))
        assert points(rules, net.dh, 3) == 11

        # when the office raises the city's 单条 price to 12 and re-prices March with its reason
        Rule.objects.filter(ruleset=rules, label="市委办单条采用").update(points=D("12"))
        with pytest.raises(ValidationError) as refused:
            services.pricing_request(ruleset=rules, first_month=m(3), last_month=m(3), actor=net.admin,
                                     kind=Pricing.Kind.REPRICE, reason="  ")
        assert "reason" in refused.value.message_dict
        with django_capture_on_commit_callbacks(execute=True):
            reprice = services.pricing_request(ruleset=rules, first_month=m(3), last_month=m(3), actor=net.admin,
                                               kind=Pricing.Kind.REPRICE, reason="市委办单条采用调整为 12 分")

    # then: one row superseded by the re-pricing, one appended; the filing rows are the same rows as before
    reprice.refresh_from_db()
    assert (reprice.state, reprice.added, reprice.superseded) == (Pricing.State.DONE, 1, 1)
    old = Entry.objects.get(ruleset=rules, fact=Fact.ADOPTED, superseded_by=reprice)
    assert (old.points, old.pricing_id) == (10, routine.pk)
    new = current(rules, fact=Fact.ADOPTED).get()
    assert (new.points, new.pricing_id, new.basis) == (12, reprice.pk, "市委办单条采用 12")
    assert set(current(rules, fact=Fact.FILED).values_list("id", flat=True)) < before
    assert points(rules, net.dh, 3) == 13 and tally(rules, net.dh, 3).points == 13
    audit = AuditLog.objects.get(action="pricing.request", object_id=str(reprice.pk))
    assert (audit.actor, audit.reason, audit.data["kind"]) == (net.admin, "市委办单条采用调整为 12 分", "reprice")
    assert AuditLog.objects.filter(action="pricing.done", object_id=str(reprice.pk)).exists()
    # the whole history is kept: every row ever written is still there
    assert Entry.objects.filter(ruleset=rules).count() == 4

    # and running the same pricing again adds and supersedes nothing
    with time_machine.travel(at(3, 28), tick=False):
        again = run(rules, 3)
    assert (again.added, again.superseded) == (0, 0)
    assert second.pk in set(current(rules, fact=Fact.FILED).values_list("cause_id", flat=True))


def test_a_double_click_asks_for_one_run(net, rules):
    with time_machine.travel(at(3, 28), tick=False):
        # the task is scheduled after commit: in this test the transaction never commits, so the run stays queued
        one = services.pricing_request(ruleset=rules, first_month=m(2), last_month=m(3), actor=net.admin,
                                       kind=Pricing.Kind.REPRICE, reason="规则调整")
        two = services.pricing_request(ruleset=rules, first_month=at(2, 15).date(), last_month=at(3, 2).date(),
                                       actor=net.admin, kind=Pricing.Kind.REPRICE, reason="规则调整")
    assert one == two and Pricing.objects.count() == 1
    assert AuditLog.objects.filter(action="pricing.request").count() == 1


def test_months_outside_the_year_or_out_of_order_are_refused(net, rules):
    for first, last in ((m(3), m(2)), (m(12) + timedelta(days=31), m(12) + timedelta(days=31)),
                        (m(1) - timedelta(days=1), m(1))):
        with pytest.raises(ValidationError) as refused:
            services.pricing_request(ruleset=rules, first_month=first, last_month=last, actor=net.admin)
        assert "first_month" in refused.value.message_dict
    with pytest.raises(ValueError):
        pricing.price(ruleset=rules, first_month=m(3), last_month=m(2), pricing=Pricing(pk=1))


def issued(rules, month: int, when) -> Bulletin:
    """The monthly 通报 of `month` as assessment.bulletins.bulletin_issue leaves it: numbered, sealed, issued `when`."""
    number = Bulletin.objects.filter(office=rules.office, year=when.year).count() + 1
    return Bulletin.objects.create(
        ruleset=rules, office=rules.office, kind=Bulletin.Kind.MONTHLY, first_month=m(month), last_month=m(month),
        title=f"{month}月通报", state=Bulletin.State.ISSUED, issued_at=when, issued_by=UserFactory(), year=when.year,
        number=number, number_label=f"临办通〔{when.year}〕{number}号", docx_sha256="0" * 64, xlsx_sha256="0" * 64)


def test_a_late_centre_adoption_lands_where_the_placing_says(net, rules):
    """An item filed and used by the city in January; 中办 uses it on 15 February, after the January 通报 was issued
    (5 February)."""
    Rule.objects.filter(ruleset=rules, fact=Fact.QUOTA).delete()  # quotas are another test's business
    with time_machine.travel(at(3, 28), tick=False):
        item = filed(net.dh, at(1, 20))
        use(item, net.types["临江信息"], at(1, 25))
        use(item, net.types["中办信息"], at(2, 15))

        def month_of_central_use():
            return current(rules, fact=Fact.ADOPTED, points=50).get().month

        # An issued 通报 never changes (a trigger refuses it): each "what if" issues its own, in a savepoint rolled
        # back after it.
        with transaction.atomic():
            # OPEN (A's placing): the item's month, January, is issued (5 February): the first month after it, February
            issued(rules, 1, at(2, 5))
            run(rules, 1, 3)
            assert month_of_central_use() == m(2)
            assert tally(rules, net.dh, 2).adopted_central == 1 and tally(rules, net.dh, 1).adopted_central == 0
            transaction.set_rollback(True)
        with transaction.atomic():
            # … had the January 通报 been issued only after the adoption, the adoption would be January's
            issued(rules, 1, at(2, 20))
            run(rules, 1, 3)
            assert month_of_central_use() == m(1)
            transaction.set_rollback(True)
        # … and with January and February issued before it came, March
        issued(rules, 1, at(2, 5))
        issued(rules, 2, at(2, 14))
        run(rules, 1, 3)
        assert month_of_central_use() == m(3)
        # FILED: the month the item was filed, January, issued or not
        RuleSet.objects.filter(pk=rules.pk).update(placing=RuleSet.Placing.FILED)
        run(rules, 1, 3, kind=Pricing.Kind.REPRICE, reason="按报送月份计分")
        assert month_of_central_use() == m(1)
        # FACT: the month it happened, February
        RuleSet.objects.filter(pk=rules.pk).update(placing=RuleSet.Placing.FACT)
        run(rules, 1, 3, kind=Pricing.Kind.REPRICE, reason="按采用月份计分")
        assert month_of_central_use() == m(2)
    # one current row for the use; each move left the row before it superseded (March, January, February: the two
    # "what if" runs were rolled back with their bulletins)
    assert Entry.objects.filter(ruleset=rules, fact=Fact.ADOPTED, points=50).count() == 3
    assert tally(rules, net.dh, 1).points == D("10.5") and tally(rules, net.dh, 2).points == 50


def test_routine_months_reach_back_to_where_a_late_fact_lands(net, rules):
    with time_machine.travel(at(3, 28), tick=False):
        item = filed(net.dh, at(1, 20))
        done = run(rules, 2, 3)
        Pricing.objects.filter(pk=done.pk).update(state=Pricing.State.DONE, started_at=at(3, 27))
        # nothing new since: the previous and the current month
        assert services.routine_months(rules) == (m(2), m(3))
        # a use of a January item recorded since lands in January (OPEN, nothing issued): January is priced too
        use(item, net.types["临江信息"], at(3, 28))
        assert services.routine_months(rules) == (m(1), m(3))
    # in January of the next year: December (and back to January, for that late use), nothing of the next year
    assert services.routine_months(rules, today=at(1, 5).date().replace(year=2027)) == (m(1), m(12))


def test_routine_pricing_asks_for_each_rule_set_in_force(net, rules, django_capture_on_commit_callbacks):
    other = examples.provincial_government_rules(office=net.province, year=2026)
    examples.provincial_government_rules(office=net.other_city, year=2026, active=False)
    with time_machine.travel(at(3, 28), tick=False), django_capture_on_commit_callbacks(execute=True):
        runs = services.routine_pricing()
    assert {(r.ruleset_id, r.first_month, r.last_month, r.kind) for r in runs} == {
        (rules.pk, m(2), m(3), Pricing.Kind.ROUTINE), (other.pk, m(2), m(3), Pricing.Kind.ROUTINE)}
    assert {r.state for r in Pricing.objects.all()} == {Pricing.State.DONE}
    assert Tally.objects.filter(ruleset=rules, month=m(3)).exists()


def test_an_adjustment_is_a_ledger_row_with_its_reason(net, rules, django_capture_on_commit_callbacks):
    with time_machine.travel(at(3, 28), tick=False):
        with pytest.raises(ValidationError) as refused:
            services.adjustment_make(ruleset=rules, unit=net.nc, month=m(3), points="5", reason="表扬",
                                     actor=net.admin)
        assert "unit" in refused.value.message_dict
        for bad in ("abc", "0", "1.234", "99999"):
            with pytest.raises(ValidationError) as refused:
                services.adjustment_make(ruleset=rules, unit=net.dh, month=m(3), points=bad, reason="表扬",
                                         actor=net.admin)
            assert "points" in refused.value.message_dict, bad
        with django_capture_on_commit_callbacks(execute=True):
            adjustment = services.adjustment_make(ruleset=rules, unit=net.dh, month=at(3, 9).date(),
                                                  points="５", reason="“网格+警格”信息获市委主要领导肯定",
                                                  actor=net.admin)
    assert (adjustment.points, adjustment.month) == (5, m(3))
    row = current(rules, fact=Fact.ADJUSTMENT).get()
    assert (row.unit, row.points, row.cause_id, row.basis) == (
        net.dh, 5, adjustment.pk, "调整：“网格+警格”信息获市委主要领导肯定")
    assert tally(rules, net.dh, 3).points_other == 5
    assert Adjustment.objects.count() == 1 and AuditLog.objects.filter(action="assessment.adjust").count() == 1


def test_marking_a_rewrite_reprices_the_items_months(net, rules, django_capture_on_commit_callbacks):
    with time_machine.travel(at(3, 28), tick=False):
        item = filed(net.sq, at(3, 2))
        use(item, net.types["西岭信息"], at(3, 5))
        run(rules, 3)
        assert points(rules, net.sq, 3, fact=Fact.ADOPTED) == 2
        with django_capture_on_commit_callbacks(execute=True):
            rewrite = services.rewrite_mark(item=item, office=net.xl, actor=net.admin, note="改写了标题和导语")
        assert services.rewrite_mark(item=item, office=net.xl, actor=net.admin) == rewrite
        with pytest.raises(ValidationError):
            services.rewrite_mark(item=item, office=net.sq, actor=net.admin)
    assert Rewrite.objects.count() == 1
    assert points(rules, net.sq, 3, fact=Fact.ADOPTED) == D("1.4")
    assert points(rules, net.xl, 3, fact=Fact.REWRITE) == D("0.6")


def test_putting_a_rule_set_in_force_replaces_the_one_before_and_reprices(
        net, rules, django_capture_on_commit_callbacks):
    with time_machine.travel(at(3, 28), tick=False):
        filed(net.dh, at(2, 2))
        draft = examples.provincial_government_rules(office=net.city, year=2026, active=False)
        with django_capture_on_commit_callbacks(execute=True):
            services.ruleset_activate(ruleset=draft, actor=net.admin, reason="新办法自 2026 年起施行")
    rules.refresh_from_db()
    draft.refresh_from_db()
    assert (rules.is_active, draft.is_active) == (False, True)
    run_ = Pricing.objects.get(ruleset=draft)
    assert (run_.kind, run_.first_month, run_.last_month, run_.state) == (
        Pricing.Kind.REPRICE, m(1), m(3), Pricing.State.DONE)
    assert tally(draft, net.dh, 2).filed == 1
    assert AuditLog.objects.get(action="ruleset.activate").reason == "新办法自 2026 年起施行"
