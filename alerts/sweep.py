"""The periodic sweep: move every due clock exactly once, and never let one bad clock hold up the others.

Each pass takes a batch of due rows with SELECT … FOR UPDATE SKIP LOCKED, so two workers (or two overlapping
sweeps) split the work instead of doing it twice, and a worker killed mid-batch rolls back and leaves its
rows to the next pass. Each step re-checks the row's state under the lock; the unique key on Escalation
is the last guard.

A batch that raises is rolled back and run again at once with each clock's step in a savepoint of its own
(infohub.periodic, the guard every periodic job uses): a step that raises there is rolled back alone, with the e-mail
and SMS it had queued, and its clock is quarantined — marked with the error, reported to the administrators, left
out of the due queries until released in the admin — while every other clock of the batch is moved and committed on
time. The sweep's health (its last successful pass, the clocks quarantined) shows in /healthz/ and on the clocks'
admin page.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from infohub import periodic

from . import services
from .models import Clock

SWEEP = periodic.register(periodic.Job(
    name="alerts.sweep", label=_("deadline sweep"), model=Clock,
    interval=lambda: settings.INFOHUB_SWEEP_SECONDS,
))

# (name, due rows, step): one question per partial index (each leaves quarantined clocks out, as its index does).
PASSES = (
    ("breached", lambda now: Clock.objects.filter(state=Clock.State.RUNNING, quarantined_at=None, due_at__lte=now)
     .order_by("due_at"), services.breach_due),
    ("reminded", lambda now: Clock.objects.filter(state=Clock.State.RUNNING, quarantined_at=None, remind_at__lte=now)
     .order_by("remind_at"), services.remind_due),
    ("escalated", lambda now: Clock.objects.filter(acknowledged_at=None, quarantined_at=None,
                                                   acknowledge_due_at__lte=now)
     .order_by("acknowledge_due_at"), services.escalate_unacknowledged),
)


def sweep_all(*, batch_size: int | None = None, time_budget: float | None = None) -> dict:
    """Run every pass until nothing is due or the time budget is spent; returns counts per pass."""
    batch_size = batch_size or settings.INFOHUB_SWEEP_BATCH
    deadline = time.monotonic() + (time_budget or settings.INFOHUB_SWEEP_BUDGET_SECONDS)
    counts = {}
    try:
        for name, due, step in PASSES:
            counts[name] = 0
            while time.monotonic() < deadline:
                moved, taken = _one_batch(due, step, batch_size)
                counts[name] += moved
                SWEEP.progress()
                if taken < batch_size:
                    break
    except Exception as error:
        SWEEP.failed(error)
        raise
    SWEEP.passed(counts)
    return counts


def _one_batch(due, step, batch_size: int) -> tuple[int, int]:
    """One transaction: up to `batch_size` due clocks locked and moved (SWEEP.batch isolates a clock that raises).
    Returns how many were moved and how many were taken (quarantined ones included: the pass goes on while batches
    are full)."""

    def work() -> tuple[int, int]:
        with services.one_delivery_per_transaction() as outbox:
            now = timezone.now()
            rows, skipped = SWEEP.take(
                due(now).select_for_update(skip_locked=True, of=("self",))
                .select_related("office", "unit", "item", "item__source_unit", "item__created_by", "chase"),
                batch_size,
            )
            moved = 0
            for clock in rows:
                queued = len(outbox.messages)

                def forget(queued=queued):  # the e-mail and SMS of a step rolled back are not sent
                    del outbox.messages[queued:]

                if SWEEP.run(clock, lambda clock=clock: step(clock, at=now), undo=forget):
                    moved += 1
            return moved, len(rows) + skipped

    return SWEEP.batch(work)
