"""Fault tests of the follow-up sweep with a real Redis and real Celery processes (issue 15): the sweep killed in the
middle of a batch, and beat stopped across the due times — each reminder, 催办 and overdue record exactly once.

The processes are started as in tests/alerts/test_faults.py (same broker database, same lock, the test database);
the follow-up sweep's interval and batch are set through INFOHUB_FOLLOWUP_SWEEP_SECONDS / _BATCH."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from followup.models import Notice, Shortfall
from infohub.models import AuditLog, Notification
from instructions.models import Assignment, Instruction, Kind
from tests.alerts.test_faults import celery_processes, open_sweep_transactions  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def follow_up(celery, seconds: float, batch: int):
    celery.env["INFOHUB_FOLLOWUP_SWEEP_SECONDS"] = str(seconds)
    celery.env["INFOHUB_FOLLOWUP_SWEEP_BATCH"] = str(batch)
    celery.env["INFOHUB_SWEEP_SECONDS"] = "30"  # the deadline sweep stays out of the way
    return celery


def make_assignments(chain, leader, steps: list[list[tuple[str, object]]]) -> list[int]:
    """One instruction and one open assignment of the county per plan: [(step, aware time), …], bulk-created."""
    net = chain.net
    now = timezone.now()
    instructions = Instruction.objects.bulk_create([
        Instruction(leader=leader, office=net.city, level="city", title=f"故障测试批示{n}", kind=Kind.HANDLE,
                    text="请抓好落实。", written_at=now, source="paper", state=Instruction.State.ASSIGNED,
                    asked="请反馈。", working_days=5, due_at=now, assigned_at=now)
        for n in range(len(steps))
    ])
    rows = []
    for instruction, plan in zip(instructions, steps, strict=True):
        due = next(at for key, at in plan if key == "chase")
        rows.append(Assignment(instruction=instruction, unit=net.county, office=net.city, role="lead", due_at=due,
                               plan=[[key, at.isoformat()] for key, at in plan], next_step=plan[0][0],
                               next_at=plan[0][1], created_at=now))
    return [a.pk for a in Assignment.objects.bulk_create(rows)]


def per_assignment(ids, key: str) -> dict[int, int]:
    rows = Notice.objects.filter(object_id__in=ids, key=key).values("object_id").annotate(n=Count("id"))
    return {row["object_id"]: row["n"] for row in rows}


@pytest.fixture
def people(chain):
    from infohub.models import Role
    from tests.factories import person

    return {"leader": person(chain.net.city, Role.LEADER, username="lj_leader_f")}


def test_sigkill_mid_batch_loses_nothing_and_chases_nothing_twice(chain, people, celery_processes):  # noqa: F811
    """1,000 assignments past their due time, chased 10 a batch: the pool children are SIGKILLed during a batch,
    then the whole worker; a new worker finishes. Each is chased once; the county's clerk and director told once."""
    total = 1000
    now = timezone.now()
    ids = make_assignments(chain, people["leader"], [
        [("chase", now - timedelta(seconds=600 * n / total)), ("overdue", now + timedelta(days=30))]
        for n in range(total)])
    celery = follow_up(celery_processes(sweep_seconds=30, batch=50), seconds=1, batch=10)
    celery.beat()
    first = celery.worker()
    chased = lambda: Notice.objects.filter(object_id__in=ids, key="1:chase").count()  # noqa: E731

    celery.wait(lambda: chased() >= total // 10 and open_sweep_transactions(), 60, "a sweep under way")
    children = first.children()
    assert children
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    celery.wait(lambda: "exited with 'signal 9 (SIGKILL)'" in first.text(), 10, "the worker noticing")
    at_first = chased()
    celery.wait(lambda: chased() >= at_first + total // 10 and open_sweep_transactions(), 60, "sweeping again")
    first.kill()
    celery.wait(lambda: open_sweep_transactions() == 0, 10, "Postgres rolling back")
    at_second = chased()
    assert at_second < total, "the kill must land in the middle of the sweep"
    done = set(Assignment.objects.filter(pk__in=ids, chased_at__isnull=False).values_list("pk", flat=True))
    assert done == set(per_assignment(ids, "1:chase")), "a killed batch leaves nothing half-done"

    celery.worker()
    celery.wait_for_progress(chased, total, "the restarted worker")
    time.sleep(2)
    counts = per_assignment(ids, "1:chase")
    assert len(counts) == total and set(counts.values()) == {1}
    assert Notification.objects.filter(verb="followup.chase").count() == 2 * total  # clerk and director, once each
    assert AuditLog.objects.filter(action="followup.chase").count() == total
    assert not Assignment.objects.filter(pk__in=ids, next_step="chase").exists()
    print(f"chased before the first kill: {at_first}, before the second: {at_second}, of {total}")


def test_beat_stopped_across_the_due_times_catches_up_each_step_once(chain, people, celery_processes):  # noqa: F811
    """While beat is down: group A's reminder, 催办 and record all come due (the reminder is stale: skipped; the 催办
    and the record once each); group B's reminder comes due and its 催办 a few seconds after beat is back (each once,
    in order)."""
    celery = follow_up(celery_processes(sweep_seconds=30, batch=50), seconds=1, batch=20)
    celery.worker()
    beat = celery.beat()
    celery.wait(lambda: "Sending due task" in beat.text(), 60, "beat's first sweep")
    beat.stop()

    now = timezone.now()
    a = make_assignments(chain, people["leader"], [
        [("remind-0", now + timedelta(seconds=1)), ("chase", now + timedelta(seconds=2)),
         ("overdue", now + timedelta(seconds=3))] for _ in range(60)])
    b = make_assignments(chain, people["leader"], [
        [("remind-0", now + timedelta(seconds=2)), ("chase", now + timedelta(seconds=12)),
         ("overdue", now + timedelta(days=30))] for _ in range(60)])
    time.sleep(4)
    assert not Notice.objects.exists(), "nothing is swept while beat is down"

    celery.beat()
    celery.wait_for_progress(lambda: Notice.objects.filter(object_id__in=a, key="1:overdue").count(), len(a),
                             "group A's records")
    celery.wait_for_progress(lambda: Notice.objects.filter(object_id__in=b, key="1:chase").count(), len(b),
                             "group B's 催办")
    time.sleep(3)
    assert per_assignment(a, "1:remind-0") == {}
    assert set(per_assignment(a, "1:chase").values()) == {1} and len(per_assignment(a, "1:chase")) == len(a)
    assert Shortfall.objects.filter(object_id__in=a, kind="overdue").count() == len(a)
    assert set(per_assignment(b, "1:remind-0").values()) == {1} and len(per_assignment(b, "1:remind-0")) == len(b)
    assert set(per_assignment(b, "1:chase").values()) == {1} and len(per_assignment(b, "1:chase")) == len(b)
    reminded = Notice.objects.filter(object_id__in=b, key="1:remind-0").order_by("created_at").last().created_at
    first_chase = Notice.objects.filter(object_id__in=b, key="1:chase").order_by("created_at").first().created_at
    assert reminded < first_chase
    assert not Shortfall.objects.filter(object_id__in=b).exists()


def test_follow_up_sweeps_that_no_worker_takes_expire_after_one_interval(celery_processes):  # noqa: F811
    """Beat with no worker: each queued follow-up sweep expires after one interval, so a worker back from an outage
    runs one catching-up pass, not one per interval missed."""
    import json
    from datetime import datetime

    import redis

    from tests.alerts.test_faults import broker_url

    celery = follow_up(celery_processes(sweep_seconds=30, batch=50), seconds=2, batch=20)
    beat = celery.beat()
    broker = redis.Redis.from_url(broker_url())
    queued = celery.wait(lambda: [m for m in map(json.loads, broker.lrange("sweeps", 0, -1))
                                  if m["headers"]["task"] == "followup.tasks.sweep"], 60, "a follow-up sweep queued")
    expires = datetime.fromisoformat(queued[0]["headers"]["expires"])
    assert expires - timezone.now() <= timedelta(seconds=2)
    beat.stop()
