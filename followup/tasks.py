"""Celery tasks of the follow-up mechanism: the sweep (on beat, queue "sweeps", each message expiring after one
interval) and the delivery of notices."""

from celery import shared_task

from .delivery import deliver  # noqa: F401  (registered here too, where Celery looks for tasks)
from .sweep import sweep_all


@shared_task(name="followup.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    return sweep_all()
