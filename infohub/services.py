"""Writes of the shared core: the audit log and notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import models, transaction

from .models import AuditLog, Notification, User


def audit_row(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditLog:
    """One audit row, not yet saved (`audit_record` saves it; a batch saves many with one bulk_create)."""
    return AuditLog(actor=actor, action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
                    from_state=from_state, to_state=to_state, reason=reason, data=data or {})


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
    row = audit_row(actor=actor, action=action, obj=obj, from_state=from_state, to_state=to_state, reason=reason,
                    data=data)
    row.save()
    return row


def notifications(*, recipients, verb: str, text: str, url: str = "") -> list[Notification]:
    """The in-app notifications of one notice, not yet saved (`notify` saves them; a batch saves many at once)."""
    return [Notification(recipient=user, verb=verb, text=text[:300], url=url) for user in recipients]


def notify(*, recipients: list[User], verb: str, text: str, url: str = "", email: bool = False) -> None:
    """In-app notifications now; e-mail after the surrounding transaction commits."""
    Notification.objects.bulk_create(notifications(recipients=recipients, verb=verb, text=text, url=url))
    if email:
        link = f"{settings.INFOHUB_SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url
        # One message per person: colleagues in other units do not see each other's addresses.
        messages = [(text[:120], f"{text}\n\n{link}", None, [user.email]) for user in recipients if user.email]
        if messages:
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
