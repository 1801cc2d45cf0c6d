"""Celery tasks of the emergency rules: thin wrappers around the sweep and the delivery of messages.

Beat sends `sweep` every INFOHUB_SWEEP_SECONDS; each message expires after one interval, so a backlog
never piles up, and sweeps may overlap safely: they lock rows with SKIP LOCKED and re-check each one.
A clock whose step raises is quarantined, not retried (infohub.periodic: every periodic job over rows uses that
guard); a sweep fails only for what is nobody's row — the database gone, a time limit — and the next one retries.
`deliver` lives in alerts.delivery (the services queue it; this module imports the sweep, which imports them).
"""

from celery import shared_task

from .delivery import deliver  # noqa: F401  (registered here too, where Celery looks for tasks)
from .sweep import sweep_all


@shared_task(ignore_result=True)
def sweep() -> dict:
    return sweep_all()
