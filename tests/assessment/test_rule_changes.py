"""A rule edited in the admin reaches the months already priced only through a re-pricing with a reason (issue 16):
the routine run every 15 minutes used to apply it to last month and this one — and to any month a late fact reached —
with no reason recorded. Now the admin's save is recorded and tells the office that those months keep their figures
until re-priced; the figures' pages and the API say "办法已修改，尚未重新计分" on them; the routine runs price the facts
new to the ledger under the rules as they are and leave the rows already priced alone; a re-pricing (who, why) applies
the change and the months read as priced again; a 通报 of such a month is not issued until then."""

from decimal import Decimal as D

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from assessment import examples, selectors, services
from assessment.models import Entry, Fact, PricedMonth, Pricing, Rule
from infohub.models import AuditLog, Role
from tests.factories import person

from .conftest import at, current, filed, m, use

pytestmark = pytest.mark.django_db


def _price(rules, month: int, capture, *, kind=Pricing.Kind.ROUTINE, reason="", actor=None) -> Pricing:
    """A run asked for through the service and run by the task's body after the commit, as beat and the admin do."""
    with capture(execute=True):
        run = services.pricing_request(ruleset=rules, first_month=m(month), last_month=m(month), actor=actor,
                                       reason=reason, kind=kind)
    run.refresh_from_db()
    assert run.state == Pricing.State.DONE
    return run


def _change_form_data(page) -> dict:
    """What the admin's change form posts as it stands: the rule set's fields and every inline rule's."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        forms += list(formset.forms)
    for form in forms:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            widget = bound.field.widget
            if widget.__class__.__name__ == "CheckboxInput":
                if value:
                    data[bound.html_name] = "on"
                continue
            value = widget.format_value(value) if hasattr(widget, "format_value") else value
            data[bound.html_name] = "" if value is None else value
    return data


def test_a_rule_change_waits_for_a_re_pricing_with_its_reason(net, client, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    rules = examples.city_committee_rules(office=net.city, year=2026)
    with time_machine.travel(at(3, 28), tick=False):
        # given: March priced by the routine run: 东湖's item used by the city, 市委办单条采用 10
        first = filed(net.dh, at(3, 2))
        use(first, net.types["临江信息"], at(3, 5))
        _price(rules, 3, capture)
        assert current(rules, fact=Fact.ADOPTED).get().points == 10
        assert selectors.unrepriced_months(rules) == []

        # when: the administrator raises 市委办单条采用 to 12 in the admin
        client.force_login(net.admin)
        url = reverse("admin:assessment_ruleset_change", args=[rules.pk])
        data = _change_form_data(client.get(url))
        [key] = [k for k, v in data.items() if v == "市委办单条采用"]
        data[key.replace("-label", "-points")] = "12"
        saved = client.post(url, data, follow=True)
        assert saved.status_code == 200 and Rule.objects.get(ruleset=rules, label="市委办单条采用").points == 12
        told = " ".join(str(message) for message in saved.context["messages"])
        assert "3月" in told and "办法已修改，尚未重新计分" in told and "重新计算一段时间的得分" in told
        change = AuditLog.objects.get(action="ruleset.rules_change")
        assert change.actor == net.admin and change.data["months"] == ["2026-03-01"]
        assert selectors.unrepriced_months(rules) == [m(3)]

        # the pages and the API say so on March
        editor = person(net.city, Role.EDITOR, username="rc-editor")
        client.force_login(editor)
        page = client.get(reverse("assessment:overview", args=[rules.pk]), {"period": "month", "month": "2026-03"})
        assert 'data-testid="unrepriced"' in page.content.decode() and "办法已修改，尚未重新计分" in page.content.decode()
        api = APIClient()
        api.force_authenticate(editor)
        body = api.get(f"/api/assessment/rulesets/{rules.pk}/ranking/", {"period": "month", "month": "2026-03"}).json()
        assert body["period"]["unrepriced_months"] == ["2026-03-01"]

        # a new fact, then the routine run: the new use is priced at 12, the one priced before stays at 10
        second = filed(net.dh, at(3, 20))
        use(second, net.types["临江信息"], at(3, 21))
        routine = _price(rules, 3, capture)
        adoptions = {entry.item_id: entry.points for entry in current(rules, fact=Fact.ADOPTED)}
        assert adoptions == {first.pk: 10, second.pk: 12}
        done = AuditLog.objects.filter(action="pricing.done", object_id=str(routine.pk)).get()
        assert done.data["kept_as_priced"] == ["2026-03-01"]
        assert selectors.unrepriced_months(rules) == [m(3)]  # still: the old use is as the old rules priced it

    # then: the office re-prices March with its reason — the change applies, who and why recorded
    with time_machine.travel(at(3, 29), tick=False):
        reprice = _price(rules, 3, capture, kind=Pricing.Kind.REPRICE, reason="市委办单条采用调整为12分",
                         actor=net.admin)
    assert {entry.item_id: entry.points for entry in current(rules, fact=Fact.ADOPTED)} == {
        first.pk: 12, second.pk: 12}
    old = Entry.objects.get(fact=Fact.ADOPTED, item=first, superseded_by=reprice)
    assert (old.points, reprice.requested_by, reprice.reason) == (D("10"), net.admin, "市委办单条采用调整为12分")
    assert selectors.unrepriced_months(rules) == [] and PricedMonth.objects.get(ruleset=rules).pricing == reprice
    page = client.get(reverse("assessment:overview", args=[rules.pk]), {"period": "month", "month": "2026-03"})
    assert 'data-testid="unrepriced"' not in page.content.decode()


def test_a_month_priced_for_the_first_time_is_priced_under_the_rules_as_they_are(net, django_capture_on_commit_callbacks):
    rules = examples.city_committee_rules(office=net.city, year=2026)
    with time_machine.travel(at(4, 28), tick=False):
        _price(rules, 3, django_capture_on_commit_callbacks)  # March priced (nothing in it)
        Rule.objects.filter(ruleset=rules, label="市委办单条采用").update(points=D("12"))
        item = filed(net.dh, at(4, 2))
        use(item, net.types["临江信息"], at(4, 5))
        _price(rules, 4, django_capture_on_commit_callbacks)  # April, never priced: in full, under the rules now
    assert current(rules, fact=Fact.ADOPTED).get().points == 12
    assert selectors.unrepriced_months(rules) == [m(3)]  # March was priced under the old rules (nothing to change)


def test_saving_the_rule_set_unchanged_records_no_change(net, client, django_capture_on_commit_callbacks):
    rules = examples.city_committee_rules(office=net.city, year=2026)
    with time_machine.travel(at(3, 28), tick=False):
        _price(rules, 3, django_capture_on_commit_callbacks)
        client.force_login(net.admin)
        url = reverse("admin:assessment_ruleset_change", args=[rules.pk])
        saved = client.post(url, _change_form_data(client.get(url)), follow=True)
    assert saved.status_code == 200
    assert not AuditLog.objects.filter(action="ruleset.rules_change").exists()
    assert selectors.unrepriced_months(rules) == []
