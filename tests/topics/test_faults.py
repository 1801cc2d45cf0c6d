"""Fault tests of the topic requests' records with real Celery processes (issue 15: "a sweep killed mid-batch and beat
stopped across a due date — each reminder and overdue record exactly once"), on the shared follow-up sweep
(followup.sweep) that moves topic request targets.

Real worker and beat from the venv against the test database, as tests/alerts/test_faults.py starts them (its
`celery_processes` fixture: broker database 15, a lock between test sessions, logs printed on failure).
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Sum
from django.utils import timezone

from followup import services as followup
from followup.models import Notice, Shortfall
from infohub.models import AuditLog, Level, Notification, Role, Unit
from tests.alerts.test_faults import celery_processes, open_sweep_transactions  # noqa: F401  (the fixture)
from tests.factories import UnitFactory, person
from topics import services
from topics.models import Target, TopicRequest

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def make_targets(topics, due_times: list, *, units: int = 40) -> list[int]:
    """One request per due time, each to `units` counties of the city (bulk: thousands in a second), planned by the
    follow-up mechanism exactly as request_issue plans them."""
    city = topics.city
    counties = list(Unit.objects.filter(parent=city, level=Level.COUNTY)[:units])
    counties += [UnitFactory(name=f"故障测试县{n}", code=f"fault-{n}", level=Level.COUNTY, parent=city)
                 for n in range(units - len(counties))]
    requests = TopicRequest.objects.bulk_create([
        TopicRequest(office=city, subject=f"故障测试约稿{n}", due_at=due, created_by=topics.editor)
        for n, due in enumerate(due_times)])
    now = timezone.now() - timedelta(days=1)
    targets = []
    for request in requests:
        plan = followup.schedule(Target(request=request, unit=city, office=city), due_at=request.due_at, now=now,
                                 save=False)
        targets += [Target(request=request, unit=unit, office=city, due_at=request.due_at, created_at=now,
                           plan=plan.plan, round=plan.round, next_at=plan.next_at, next_step=plan.next_step)
                    for unit in counties]
    return [t.pk for t in Target.objects.bulk_create(targets)]


def ignored(ids) -> int:
    return Target.objects.filter(pk__in=ids, overdue_recorded_at__isnull=False).count()


def assert_ignored_exactly_once(ids) -> None:
    ids = list(ids)
    kind = ContentType.objects.get_for_model(Target)
    records = Shortfall.objects.filter(content_type=kind, object_id__in=ids)
    per_target = records.values("object_id").annotate(n=Count("id"))
    assert len(per_target) == len(ids) and {row["n"] for row in per_target} == {1}, "one record each, none lost"
    assert set(records.values_list("kind", flat=True)) == {"ignored"} and not records.filter(withdrawn_at__isnull=False)
    notices = Notice.objects.filter(content_type=kind, object_id__in=ids)
    assert notices.count() == len(ids) and set(notices.values_list("key", flat=True)) == {"1:overdue"}
    # nobody was told twice: exactly the people each step counted
    told = notices.aggregate(n=Sum("recipients"))["n"]
    assert told and Notification.objects.filter(verb="followup.overdue").count() == told
    assert AuditLog.objects.filter(action="followup.overdue", object_id__in=[str(pk) for pk in ids]).count() == len(ids)
    assert not Target.objects.filter(pk__in=ids, next_at__isnull=False).exists()


def _start(celery_processes, *, sweep_seconds: float, batch: int):  # noqa: F811
    celery = celery_processes(sweep_seconds=sweep_seconds, batch=batch)
    celery.env.update({"INFOHUB_FOLLOWUP_SWEEP_SECONDS": str(sweep_seconds), "INFOHUB_FOLLOWUP_SWEEP_BATCH": str(batch),
                       # the emergency sweep runs beside it, rarely: nothing of its own to do here
                       "INFOHUB_SWEEP_SECONDS": "30"})
    return celery


def test_sigkill_of_the_worker_mid_sweep_records_each_ignored_exactly_once(topics, celery_processes):  # noqa: F811
    """1,200 targets whose due time passed with nothing (30 requests × 40 counties), recorded 10 at a time by a real
    worker: its pool children are SIGKILLed in the middle of a sweep, then the whole worker; a new worker finishes."""
    now = timezone.now()
    ids = make_targets(topics, [now - timedelta(seconds=20 * n) for n in range(30)])
    total = len(ids)
    celery = _start(celery_processes, sweep_seconds=1, batch=10)
    celery.beat()
    first = celery.worker()

    celery.wait(lambda: ignored(ids) >= total // 10 and open_sweep_transactions(), 90, "a sweep under way")
    children = first.children()
    assert children, "a prefork worker has pool children"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    celery.wait(lambda: "exited with 'signal 9 (SIGKILL)'" in first.text(), 10, "the worker noticing its lost children")
    at_first_kill = ignored(ids)

    celery.wait(lambda: ignored(ids) >= at_first_kill + total // 10 and open_sweep_transactions(), 90,
                "the respawned pool sweeping")
    first.kill()
    celery.wait(lambda: open_sweep_transactions() == 0, 10, "Postgres to roll back the killed transactions")
    at_second_kill = ignored(ids)
    assert at_second_kill < total, "the kill must land in the middle of the sweep"
    # what is committed is whole: a target marked ignored has its record, one without has none
    kind = ContentType.objects.get_for_model(Target)
    assert Shortfall.objects.filter(content_type=kind).count() == at_second_kill

    celery.worker()
    celery.wait_for_progress(lambda: ignored(ids), total, "the restarted worker to finish")
    time.sleep(2 * celery.sweep_seconds)  # later sweeps find nothing more to do
    assert_ignored_exactly_once(ids)
    print(f"ignored before the first kill: {at_first_kill}, before the second: {at_second_kill}, of {total}")


def test_beat_stopped_across_the_due_time_records_each_once_when_it_returns(topics, celery_processes):  # noqa: F811
    """Beat is down while 400 targets fall due (10 requests × 40 counties, due over a few seconds of a real outage) —
    and one of them answers late during it. Beat comes back: every other target is recorded ignored exactly once,
    the late one late and never ignored; reminders whose time passed with the due time are not sent stale."""
    celery = _start(celery_processes, sweep_seconds=1, batch=50)
    celery.worker()
    beat = celery.beat()
    celery.wait(lambda: "Sending due task" in beat.text(), 60, "beat's first sweep")
    beat.stop()

    now = timezone.now()
    outage = 4.0
    ids = make_targets(topics, [now + timedelta(seconds=outage * n / 10) for n in range(10)])
    late = Target.objects.get(pk=ids[0])
    time.sleep(max(0.0, (now + timedelta(seconds=outage + 0.5) - timezone.now()).total_seconds()))
    assert ignored(ids) == 0, "nothing is recorded while beat is down"
    director = person(late.unit, Role.DIRECTOR)
    services.decline(actor=director, target=late, note="无此类情况")  # after its due time: late

    celery.beat()
    rest = ids[1:]
    celery.wait_for_progress(lambda: ignored(rest), len(rest), "catching up")
    time.sleep(2 * celery.sweep_seconds)
    assert_ignored_exactly_once(rest)
    kind = ContentType.objects.get_for_model(Target)
    assert list(Shortfall.objects.filter(content_type=kind, object_id=late.pk).values_list("kind", flat=True)) == [
        "late"]
    assert not Notice.objects.filter(content_type=kind, key__contains="remind").exists()
