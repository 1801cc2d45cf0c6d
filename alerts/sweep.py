"""The periodic sweep: move every due clock exactly once.

Each pass takes a batch of due rows with SELECT … FOR UPDATE SKIP LOCKED, so two workers (or two overlapping
sweeps) split the work instead of doing it twice, and a worker killed mid-batch rolls back and leaves its
rows to the next pass. Each step re-checks the row's state under the lock; the unique key on Escalation
is the last guard.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import services
from .models import Clock

# (name, due rows, step): one question per partial index.
PASSES = (
    ("breached", lambda now: Clock.objects.filter(state=Clock.State.RUNNING, due_at__lte=now).order_by("due_at"),
     services.breach_due),
    ("reminded", lambda now: Clock.objects.filter(state=Clock.State.RUNNING, remind_at__lte=now).order_by("remind_at"),
     services.remind_due),
    ("escalated", lambda now: Clock.objects.filter(acknowledged_at=None, acknowledge_due_at__lte=now)
     .order_by("acknowledge_due_at"), services.escalate_unacknowledged),
)


def sweep_all(*, batch_size: int | None = None, time_budget: float | None = None) -> dict:
    """Run every pass until nothing is due or the time budget is spent; returns counts per pass."""
    batch_size = batch_size or settings.INFOHUB_SWEEP_BATCH
    deadline = time.monotonic() + (time_budget or settings.INFOHUB_SWEEP_BUDGET_SECONDS)
    counts = {}
    for name, due, step in PASSES:
        counts[name] = 0
        while time.monotonic() < deadline:
            done = _one_batch(due, step, batch_size)
            counts[name] += done
            if done < batch_size:
                break
    return counts


def _one_batch(due, step, batch_size: int) -> int:
    with transaction.atomic(), services.one_delivery_per_transaction():
        now = timezone.now()
        rows = list(
            due(now).select_for_update(skip_locked=True, of=("self",))
            .select_related("office", "unit", "item", "item__source_unit", "item__created_by", "chase")[:batch_size]
        )
        return sum(1 for clock in rows if step(clock, at=now)) if rows else 0
