"""Celery tasks of the emergency rules: thin wrappers around the sweep and the delivery of messages.

Beat sends `sweep` every INFOHUB_SWEEP_SECONDS; each message expires after one interval, so a backlog
never piles up, and sweeps may overlap safely: they lock rows with SKIP LOCKED and re-check each one.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail

from infohub.models import User

from .sms import sms_backend
from .sweep import sweep_all


@shared_task(ignore_result=True)
def sweep() -> dict:
    return sweep_all()


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver(user_ids: list[int], text: str, url: str) -> None:
    """E-mail and SMS for an escalation, sent outside the sweep's transaction."""
    link = f"{settings.INFOHUB_SITE_URL.rstrip('/')}{url}"
    people = list(User.objects.filter(pk__in=user_ids, is_active=True))
    send_mass_mail([(text[:120], f"{text}\n\n{link}", None, [p.email]) for p in people if p.email], fail_silently=True)
    backend = sms_backend()
    for person in people:
        if person.phone:
            backend.send(person.phone, text)
