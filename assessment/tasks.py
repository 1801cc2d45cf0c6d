"""Celery tasks of assessment (SPEC §9): a pricing run, the routine pricing that beat starts every 15 minutes, and
the generation and the issue of a 通报.

Tasks take ids and call one service; the database is the source of truth: a run is a Pricing row, taken once
(select_for_update skip_locked), so a message delivered twice prices once."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="assessment.tasks.run_pricing", acks_late=True, soft_time_limit=1500, time_limit=1800,
             ignore_result=True)
def run_pricing(pricing_id: int) -> dict | None:
    """Run the queued pricing `pricing_id` (assessment.services.pricing_run); quiet when it is gone or taken."""
    run = services.pricing_run(pricing_id)
    return None if run is None else {"added": run.added, "superseded": run.superseded}


@shared_task(name="assessment.tasks.routine_pricing", ignore_result=True)
def routine_pricing() -> list[int]:
    """Ask for the routine pricing of every rule set in force (assessment.services.routine_pricing)."""
    return [run.pk for run in services.routine_pricing()]


# --- 通报 (bulletins) -----------------------------------------------------------------------------------------------


@shared_task(soft_time_limit=270, time_limit=300, acks_late=True)
def make_bulletin(bulletin_id: int) -> None:
    """Generate a queued 通报's figures, .docx and .xlsx (assessment.bulletin_making.bulletin_generate). A soft time limit
    is recorded as the bulletin's failure ("生成超时"); the hard one ends the process, as a killed or lost worker does: the
    bulletin, left "being generated" with nobody holding its generation lock, is taken up by the message delivered
    again (acks_late), or when it is asked for or generated again (its page says it stopped)."""
    from .bulletin_making import bulletin_generate

    bulletin_generate(bulletin_id)


@shared_task(soft_time_limit=270, time_limit=300, acks_late=True)
def issue_bulletin(bulletin_id: int) -> None:
    """Issue a 通报 its director asked to issue: number, files made again and sealed, recipients, notices
    (assessment.bulletin_making.bulletin_issue_finish), in one transaction. A soft time limit puts it back to "ready"
    with the reason ("印发超时"); a killed or lost worker leaves it "being issued" with its lock free, and the message
    delivered again (acks_late) takes it up — or the director's asking again, once its page says it stopped."""
    from .bulletin_making import bulletin_issue_finish

    bulletin_issue_finish(bulletin_id)
