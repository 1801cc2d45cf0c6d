"""The administrator keeps the rules (SPEC §9, §10): a rule set with its rules inline, a period re-priced after a
rule change with the months and a reason asked for, adjustments and rewrites made through their services."""

from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse

from assessment import examples
from assessment.models import Adjustment, Entry, Fact, Pricing, Rewrite, Rule, RuleSet
from infohub.models import AuditLog

from .conftest import at, current, filed, m, run, use

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(net):
    return examples.city_committee_rules(office=net.city, year=2026)


@pytest.fixture
def admin_client(client, net):
    client.force_login(net.admin)
    return client


def test_the_rule_set_page_lists_its_rules_inline(admin_client, rules):
    page = admin_client.get(reverse("admin:assessment_ruleset_change", args=[rules.pk]))
    assert page.status_code == 200
    assert "市委办单条采用" in page.content.decode() and "参照某市委办公室" in page.content.decode()


def test_a_period_is_repriced_with_the_months_and_reason_asked_for(
        admin_client, net, rules, django_capture_on_commit_callbacks):
    with time_machine.travel(at(3, 28), tick=False):
        item = filed(net.dh, at(3, 2))
        use(item, net.types["临江信息"], at(3, 5))
        first = run(rules, 3)
        Rule.objects.filter(ruleset=rules, label="市委办单条采用").update(points=D("12"))
        url = reverse("admin:assessment_ruleset_changelist")
        chosen = {"action": "reprice", "_selected_action": [rules.pk]}
        # the action asks for the months and the reason
        page = admin_client.post(url, chosen)
        assert page.status_code == 200 and "first_month" in page.content.decode()
        # without a reason, or with months out of order: the form again, with what was typed and the error
        page = admin_client.post(url, {**chosen, "apply": "1", "first_month": "2026-03", "last_month": "2026-03",
                                       "reason": ""})
        assert page.status_code == 200 and page.context["form"].errors["reason"]
        page = admin_client.post(url, {**chosen, "apply": "1", "first_month": "2026-04", "last_month": "2026-03",
                                       "reason": "调整"})
        assert page.status_code == 200 and page.context["form"].errors["first_month"]
        assert "调整" in page.content.decode()
        # with both: a run recorded, the rows re-priced
        with django_capture_on_commit_callbacks(execute=True):
            done = admin_client.post(url, {**chosen, "apply": "1", "first_month": "2026-03",
                                           "last_month": "2026-03", "reason": "市委办单条采用调整为 12 分"})
    assert done.status_code == 302
    reprice = Pricing.objects.get(kind=Pricing.Kind.REPRICE)
    assert (reprice.requested_by, reprice.reason, reprice.state, reprice.first_month) == (
        net.admin, "市委办单条采用调整为 12 分", Pricing.State.DONE, m(3))
    assert Entry.objects.get(fact=Fact.ADOPTED, superseded_by=reprice).pricing == first
    assert current(rules, fact=Fact.ADOPTED).get().points == 12


def test_put_in_force_from_the_admin(admin_client, net, rules, django_capture_on_commit_callbacks):
    other = examples.provincial_government_rules(office=net.city, year=2026, active=False)
    with time_machine.travel(at(3, 28), tick=False), django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:assessment_ruleset_changelist"),
                          {"action": "activate", "_selected_action": [other.pk]})
    assert list(RuleSet.objects.filter(is_active=True, office=net.city)) == [other]
    assert AuditLog.objects.filter(action="ruleset.activate", object_id=str(other.pk)).exists()


def test_an_adjustment_made_in_the_admin_goes_through_its_service(
        admin_client, net, rules, django_capture_on_commit_callbacks):
    url = reverse("admin:assessment_adjustment_add")
    data = {"ruleset": rules.pk, "unit": net.nc.pk, "month": "2026-03", "points": "5", "reason": "表扬"}
    page = admin_client.post(url, data)
    assert page.status_code == 200 and page.context["adminform"].form.errors["unit"]
    with time_machine.travel(at(3, 28), tick=False), django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(url, {**data, "unit": net.dh.pk})
    assert done.status_code == 302
    adjustment = Adjustment.objects.get()
    assert (adjustment.made_by, adjustment.month) == (net.admin, m(3))
    assert current(rules, fact=Fact.ADJUSTMENT).get().points == 5
    assert AuditLog.objects.filter(action="assessment.adjust").exists()


def test_a_rewrite_marked_in_the_admin_goes_through_its_service(admin_client, net, rules):
    item = filed(net.sq, at(3, 2))
    url = reverse("admin:assessment_rewrite_add")
    page = admin_client.post(url, {"item": item.pk, "office": net.sq.pk, "note": ""})
    assert page.status_code == 200 and page.context["adminform"].form.errors["item"]
    page = admin_client.post(url, {"item": item.pk, "office": net.yj.pk, "note": ""})
    assert page.status_code == 200 and page.context["adminform"].form.errors["office"]
    with time_machine.travel(at(3, 28), tick=False):
        assert admin_client.post(url, {"item": item.pk, "office": net.xl.pk, "note": "改写导语"}).status_code == 302
    assert Rewrite.objects.get().marked_by == net.admin
    assert AuditLog.objects.filter(action="assessment.rewrite").exists()


def test_the_ledger_and_runs_are_shown_never_edited(admin_client, net, rules):
    with time_machine.travel(at(3, 28), tick=False):
        filed(net.dh, at(3, 2))
        run(rules, 3)
    entry = Entry.objects.first()
    assert admin_client.get(reverse("admin:assessment_entry_changelist")).status_code == 200
    page = admin_client.post(reverse("admin:assessment_entry_change", args=[entry.pk]), {"points": "100"})
    assert page.status_code == 403
    entry.refresh_from_db()
    assert entry.points == D("0.5")
    assert admin_client.get(reverse("admin:assessment_pricing_changelist")).status_code == 200
