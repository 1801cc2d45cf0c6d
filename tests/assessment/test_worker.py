"""The routine pricing with real Celery processes (SPEC §9): beat asks for it, a worker prices, the figures appear;
the next passes find nothing to change. Real worker and beat from the venv against the test database, as
tests/alerts/test_faults.py starts them (its `celery_processes` fixture: broker database 15, a lock between test
sessions, logs printed on failure)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assessment import examples
from assessment.models import Fact, Pricing, Tally
from tests.alerts.test_faults import celery_processes  # noqa: F401  (the fixture)

from .conftest import current, filed

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_beat_and_a_worker_price_the_month_and_then_change_nothing(net, celery_processes):  # noqa: F811
    # given a rule set in force this year and an item 东湖区 filed this month
    now = timezone.now()
    rules = examples.city_committee_rules(office=net.city, year=timezone.localdate().year)
    item = filed(net.dh, now)
    celery = celery_processes(sweep_seconds=30, batch=50)
    celery.env["INFOHUB_PRICING_SECONDS"] = "1"
    celery.beat()
    celery.worker()

    # when beat asks for the routine pricing and the worker runs it
    def done():
        return Pricing.objects.filter(ruleset=rules, state=Pricing.State.DONE).order_by("finished_at")

    celery.wait(lambda: done().count() >= 3, 120, "three routine pricings done")
    # then the month is priced once: the item's filing point, its tally; later passes added and superseded nothing
    month = timezone.localdate().replace(day=1)
    row = current(rules, fact=Fact.FILED).get()
    assert (row.cause_id, row.points, row.month) == (item.pk, 0.5, month)
    assert Tally.objects.get(ruleset=rules, unit=net.dh, month=month).filed == 1
    runs = list(done())
    assert runs[0].added >= 1 and all((r.added, r.superseded) == (0, 0) for r in runs[1:])
    assert {r.kind for r in runs} == {Pricing.Kind.ROUTINE}
    assert not Pricing.objects.filter(state=Pricing.State.FAILED).exists()
