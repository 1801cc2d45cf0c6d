"""E-mail and SMS of escalations, sent by a Celery task after the transaction that made them commits."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail

from infohub.models import User

from .sms import sms_backend


@shared_task(name="alerts.tasks.deliver", ignore_result=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def deliver(messages: list[tuple[list[int], str, str]]) -> None:
    """E-mail and SMS for escalations (each: user ids, text, link), sent outside the transaction that made
    them: one task per sweep batch, over one mail connection."""
    people = User.objects.filter(is_active=True).in_bulk({pk for user_ids, _text, _url in messages for pk in user_ids})
    site, mails, texts = settings.INFOHUB_SITE_URL.rstrip("/"), [], []
    for user_ids, text, url in messages:
        for person in filter(None, map(people.get, user_ids)):
            if person.email:
                mails.append((text[:120], f"{text}\n\n{site}{url}", None, [person.email]))
            if person.phone:
                texts.append((person.phone, text))
    send_mass_mail(mails, fail_silently=True)
    backend = sms_backend()
    for phone, text in texts:
        backend.send(phone, text)
