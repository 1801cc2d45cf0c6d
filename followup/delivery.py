"""Notices of the follow-up mechanism: in the app at once (infohub.services.notify, in the step's transaction),
by e-mail — and by SMS for a 催办 (urgent) — through one Celery task after the transaction commits.

Within a sweep batch (`one_delivery_per_transaction`) every notice of the batch goes out as one task, and the
holders of a role in a unit are looked up once per batch; a step rolled back forgets what it queued (`Outbox.forget`).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from alerts.sms import sms_backend
from infohub import access
from infohub.models import User
from infohub.selectors import people_with
from infohub.services import notify

# (user ids, text, link, also by SMS)
Message = tuple[list[int], str, str, bool]


@dataclass
class Outbox:
    messages: list[Message] = field(default_factory=list)
    people: dict[tuple[str, int], list[User]] = field(default_factory=dict)
    # Who of these people may see an object with these facts (infohub.access.who_may_see), asked once per batch:
    # a batch meets the same few units and offices in every row.
    allowed: dict[tuple, list[User]] = field(default_factory=dict)

    def holders(self, role: str, unit_id: int) -> list[User]:
        if (role, unit_id) not in self.people:
            self.people[role, unit_id] = list(people_with(role, unit_id))
        return self.people[role, unit_id]

    def mark(self) -> int:
        return len(self.messages)

    def forget(self, mark: int) -> None:
        del self.messages[mark:]


_outbox: ContextVar[Outbox | None] = ContextVar("followup_outbox", default=None)


@contextmanager
def one_delivery_per_transaction():
    """Within a transaction (a sweep batch): the e-mail and SMS of every notice go out as one task after commit."""
    outbox = Outbox()
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)
    if outbox.messages:
        _send_after_commit(outbox.messages)


def _send_after_commit(messages: list[Message]) -> None:
    # robust: a broker outage is logged and must not undo what was committed
    transaction.on_commit(lambda: deliver.delay(messages), robust=True)


def tell(*, groups: list[tuple[str, int | None]], people: list[User] = (), obj, verb: str, text: str, url: str,
         sms: bool = False) -> int:
    """Tell the holders of each (role, unit id) of `groups`, and `people`, about `obj` — only those who may see it
    (infohub.access) —: in the app now, by e-mail (and SMS when `sms`) after commit. Returns how many people."""
    batch = _outbox.get()
    outbox = batch or Outbox()
    recipients = {person.pk: person for person in people if person is not None and person.is_active}
    for role, unit_id in groups:
        if unit_id is not None:
            for person in outbox.holders(role, unit_id):
                recipients[person.pk] = person
    key = _facts_key(obj, recipients) if batch is not None else None
    if key is not None and key in outbox.allowed:
        allowed = outbox.allowed[key]
    else:
        allowed = access.who_may_see(recipients.values(), obj)
        if key is not None:
            outbox.allowed[key] = allowed
    if not allowed:
        return 0
    notify(recipients=allowed, verb=verb, text=text, url=url)
    message = ([p.pk for p in allowed], text, url, sms)
    if batch is not None:
        batch.messages.append(message)
    else:
        _send_after_commit([message])
    return len(allowed)


def _facts_key(obj, recipients: dict) -> tuple | None:
    """What the access rule reads of `obj` — its unit, the offices it reached, its mark, its jurisdiction — when all
    of it is on the row or on rows loaded with it (select_related); None when a fact would need a query (then the
    rule is asked as usual)."""
    facts = access.facts_of(type(obj))
    values = []
    for lookup in (facts.unit, facts.mark, facts.jurisdiction, *facts.reached):
        known, value = _loaded(obj, lookup) if lookup else (True, None)
        if not known:
            return None
        values.append(value)
    return (type(obj), *values, tuple(sorted(recipients)))


def _loaded(obj, lookup: str) -> tuple[bool, object]:
    """(True, the value of `lookup` on `obj`) when reading it costs no query, else (False, None)."""
    value = obj
    for name in lookup.split("__"):
        if value is None:
            return True, None
        try:
            field = value._meta.get_field(name)
        except Exception:
            return False, None
        if field.is_relation and name == field.name:  # the related row itself, not its id
            if not (field.many_to_one or field.one_to_one) or name not in value._state.fields_cache:
                return False, None
        value = getattr(value, name)
    return True, value


@shared_task(name="followup.deliver", ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
             soft_time_limit=120, time_limit=180)
def deliver(messages: list[Message]) -> None:
    """E-mail (and SMS where asked) of follow-up notices, sent outside the transaction that made them."""
    people = User.objects.filter(is_active=True).in_bulk({pk for ids, *_rest in messages for pk in ids})
    site, mails, texts = settings.INFOHUB_SITE_URL.rstrip("/"), [], []
    for user_ids, text, url, sms in messages:
        for person in filter(None, map(people.get, user_ids)):
            if person.email:
                mails.append((text[:120], f"{text}\n\n{site}{url}" if url else text, None, [person.email]))
            if sms and person.phone:
                texts.append((person.phone, text))
    send_mass_mail(mails, fail_silently=True)
    backend = sms_backend()
    for phone, text in texts:
        backend.send(phone, text)
