"""Writes of the shared core: the audit log and notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import models, transaction

from .models import AuditLog, Notification, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditLog:
    """Append one row to the audit log. Call it inside the transaction that makes the change."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def notify(*, recipients: list[User], verb: str, text: str, url: str = "", email: bool = False) -> None:
    """In-app notifications now; e-mail after the surrounding transaction commits."""
    Notification.objects.bulk_create(
        [Notification(recipient=user, verb=verb, text=text[:300], url=url) for user in recipients]
    )
    if email:
        link = f"{settings.INFOHUB_SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url
        # One message per person: colleagues in other units do not see each other's addresses.
        messages = [(text[:120], f"{text}\n\n{link}", None, [user.email]) for user in recipients if user.email]
        if messages:
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
