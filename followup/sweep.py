"""The follow-up sweep: one periodic job (infohub.periodic.Job) per concrete obligation model, run by one Celery
task on beat (followup.tasks.sweep, every INFOHUB_FOLLOWUP_SWEEP_SECONDS).

Exactly once: each pass takes due rows (`next_at` ≤ now) with SELECT … FOR UPDATE SKIP LOCKED in batches, re-checks
each under its lock (followup.services.advance), writes the Notice under its unique key and moves `next_at` in the
same transaction. A worker killed mid-batch rolls back; the next pass takes the rows again. Beat down across due
times: the next pass finds every row whose time came meanwhile (the due query has no lower bound) and does what
is owed — a 催办 and a record both due are both done, once; stale reminders are skipped.

A row whose step raises is quarantined (infohub.periodic), the rest of its batch moved on time.

An app registers its model from its `ready()`:

    from followup import sweep
    sweep.register(Assignment, label=_("instruction follow-up sweep"))
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from infohub import periodic
from infohub.models import register_audit_actions

from . import services
from .delivery import one_delivery_per_transaction

REGISTERED: dict[type[models.Model], periodic.Job] = {}


def register(model: type[models.Model], *, label) -> periodic.Job:
    """Put a concrete Obligation model under the sweep (its health in /healthz/, its quarantine and release audited).
    Call once, from the owning app's `ready()`. Returns its Job (the admin's release action uses it)."""
    if model in REGISTERED:
        return REGISTERED[model]
    job = periodic.register(periodic.Job(
        name=f"followup.{model._meta.label_lower}", label=label, model=model,
        interval=lambda: settings.INFOHUB_FOLLOWUP_SWEEP_SECONDS,
    ))
    name = model._meta.model_name
    register_audit_actions({f"{name}.quarantine": _("set aside by the follow-up sweep after an error"),
                            f"{name}.release": _("released to the follow-up sweep after repair")})
    REGISTERED[model] = job
    return job


def due_rows(model: type[models.Model], now):
    return model.objects.filter(next_at__lte=now, quarantined_at=None).order_by("next_at")


def sweep_all(*, batch_size: int | None = None, time_budget: float | None = None) -> dict:
    """Every registered model's due rows, batch after batch, until none is due or the time budget is spent.
    Returns {model label: rows moved}."""
    batch_size = batch_size or settings.INFOHUB_FOLLOWUP_SWEEP_BATCH
    deadline = time.monotonic() + (time_budget or settings.INFOHUB_SWEEP_BUDGET_SECONDS)
    counts = {}
    for model, job in list(REGISTERED.items()):
        label = model._meta.label_lower
        counts[label] = 0
        try:
            while time.monotonic() < deadline:
                moved, taken = _one_batch(model, job, batch_size)
                counts[label] += moved
                job.progress()
                if taken < batch_size:
                    break
        except Exception as error:
            job.failed(error)
            raise
        job.passed({"moved": counts[label]})
    return counts


def _one_batch(model, job: periodic.Job, batch_size: int) -> tuple[int, int]:
    """One transaction: up to `batch_size` due rows locked and advanced, what their steps write written together at
    the end (followup.delivery.Outbox.flush: a few statements for the batch, not ~11 per record). Returns (moved,
    taken)."""

    def work() -> tuple[int, int]:
        with one_delivery_per_transaction(defer=True) as outbox:
            now = timezone.now()
            related = ("unit", "office", *model.followup_select_related)
            rows, skipped = job.take(
                due_rows(model, now).select_for_update(skip_locked=True, of=("self",)).select_related(*related),
                batch_size,
            )
            services.prepare_batch(model, rows)
            careful = periodic.careful()  # run again row by row: each row's writes inside its own savepoint

            def step(row):
                moved = services.advance(row, at=now)
                if careful:
                    outbox.flush()
                return moved

            moved = 0
            for row in rows:
                mark = outbox.mark()
                if job.run(row, lambda row=row: step(row), undo=lambda mark=mark: outbox.forget(mark)):
                    moved += 1
            outbox.flush()  # the batch's writes, one statement per kind
            return moved, len(rows) + skipped

    return job.batch(work)
