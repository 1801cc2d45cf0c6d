"""Notices of the follow-up mechanism: in the app at once (infohub.services.notify, in the step's transaction),
by e-mail — and by SMS for a 催办 (urgent) — through one Celery task after the transaction commits.

Within a sweep batch (`one_delivery_per_transaction`) every notice of the batch goes out as one task, and the
holders of a role in a unit are looked up once per batch; a step rolled back forgets what it queued (`Outbox.forget`).

A sweep batch also defers its writes (`one_delivery_per_transaction(defer=True)`): the steps of its rows hand their
notices, records (Shortfall), audit rows, Notices and row changes to the outbox, and `Outbox.flush` writes them all
in the batch's transaction with one statement each (bulk_create, bulk_update), after asking the access rule who may
see each notice's row in one statement for the batch (`infohub.access.who_may_see_each`). Before, each record cost
about eleven statements of its own. A batch run again carefully (infohub.periodic) flushes within each row's step
instead, so that a row whose writes fail is rolled back and quarantined alone.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import models, transaction

from alerts.sms import sms_backend
from infohub import access
from infohub.models import AuditLog, Notification, User
from infohub.selectors import people_with, people_with_each
from infohub.services import audit_row, notifications, notify

from .models import Notice, Shortfall

# (user ids, text, link, also by SMS)
Message = tuple[list[int], str, str, bool]


@dataclass(eq=False)
class Told:
    """A notice deferred to the batch's flush: whom it would tell about what. `count`: how many were told (those who
    may see `obj`), known once flushed."""

    recipients: list[User]
    obj: models.Model
    verb: str
    text: str
    url: str
    sms: bool
    key: tuple | None
    count: int = 0


@dataclass
class Outbox:
    messages: list[Message] = field(default_factory=list)
    people: dict[tuple[str, int], list[User]] = field(default_factory=dict)
    # Who of these people may see an object with these facts (infohub.access.who_may_see), asked once per batch:
    # a batch meets the same few units and offices in every row.
    allowed: dict[tuple, list[User]] = field(default_factory=dict)
    # --- deferred writes (a sweep batch: `defer`), written by `flush` ------------------------------------------------
    defer: bool = False
    told: list[Told] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    audits: list[tuple[dict, models.Model]] = field(default_factory=list)  # audit_row's arguments, and its object
    notices: list[tuple[Notice, Told | int]] = field(default_factory=list)
    rows: dict[type, tuple[dict, set]] = field(default_factory=dict)  # model: ({pk: row}, fields changed)
    # Read once for the batch's rows (followup.services.prepare_batch): (content type id, object id) prepared, the
    # Notice keys done for each, the kinds of standing Shortfall of each.
    prepared: set[tuple[int, int]] = field(default_factory=set)
    done: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    standing: set[tuple[int, int, str]] = field(default_factory=set)

    def holders(self, role: str, unit_id: int) -> list[User]:
        if (role, unit_id) not in self.people:
            self.people[role, unit_id] = list(people_with(role, unit_id))
        return self.people[role, unit_id]

    def know_holders(self, pairs) -> None:
        """Read the holders of every (role, unit id) of `pairs` not read yet, in one statement."""
        missing = {pair for pair in pairs if pair not in self.people and pair[1] is not None}
        self.people.update(people_with_each(missing))

    def mark(self) -> int:
        return len(self.messages)

    def forget(self, mark: int) -> None:
        """A step rolled back: the messages it queued and the writes it deferred are forgotten."""
        del self.messages[mark:]
        self._take_pending()

    # --- deferred writes ------------------------------------------------------------------------------------------

    def audit(self, obj: models.Model, **fields) -> None:
        """An audit row about `obj`, written at the flush (its id read then: a record has none before)."""
        self.audits.append((fields, obj))

    def save(self, row: models.Model, fields) -> None:
        """`row.save(update_fields=fields)`, at the flush (one bulk_update per model)."""
        by_pk, changed = self.rows.setdefault(type(row), ({}, set()))
        by_pk[row.pk] = row
        changed.update(fields)

    def _take_pending(self) -> tuple:
        pending = (self.told, self.shortfalls, self.audits, self.notices, self.rows)
        self.told, self.shortfalls, self.audits, self.notices, self.rows = [], [], [], [], {}
        return pending

    def flush(self) -> None:
        """Write what the batch's steps deferred, in the current transaction: who may see each notice's row (one
        statement), the records, the audit rows, the Notices (each with how many it told), the notifications — one
        bulk_create each — and the rows' changes (one bulk_update per model). The e-mail and SMS are queued with the
        batch's messages."""
        told, shortfalls, audits, notices, rows = self._take_pending()
        asked: dict[tuple | int, int] = {}  # a key (or a notice without one) → its question's index
        questions = []
        for i, one in enumerate(told):
            if one.key is not None and one.key in self.allowed:
                continue
            name = one.key if one.key is not None else ("notice", i)
            if name not in asked:
                asked[name] = len(questions)
                questions.append((one.recipients, one.obj))
        answers = access.who_may_see_each(questions)
        for name, index in asked.items():
            if not (isinstance(name, tuple) and name[:1] == ("notice",)):
                self.allowed[name] = answers[index]
        made = []
        for i, one in enumerate(told):
            allowed = (self.allowed[one.key] if one.key is not None and one.key in self.allowed
                       else answers[asked[("notice", i)]])
            one.count = len(allowed)
            if allowed:
                made.extend(notifications(recipients=allowed, verb=one.verb, text=one.text, url=one.url))
                self.messages.append(([p.pk for p in allowed], one.text, one.url, one.sms))
        Shortfall.objects.bulk_create(shortfalls)
        AuditLog.objects.bulk_create([
            audit_row(obj=obj, **{**fields, "data": {key: value.pk if isinstance(value, models.Model) else value
                                                     for key, value in (fields.get("data") or {}).items()}})
            for fields, obj in audits])
        for notice, recipients in notices:
            notice.recipients = recipients.count if isinstance(recipients, Told) else recipients
        Notice.objects.bulk_create([notice for notice, _recipients in notices])
        Notification.objects.bulk_create(made, batch_size=2000)
        for model, (by_pk, fields) in rows.items():
            model.objects.bulk_update(list(by_pk.values()), sorted(fields))


_outbox: ContextVar[Outbox | None] = ContextVar("followup_outbox", default=None)


def current() -> Outbox | None:
    """The batch's outbox when its writes are deferred (a sweep batch), else None."""
    outbox = _outbox.get()
    return outbox if outbox is not None and outbox.defer else None


@contextmanager
def one_delivery_per_transaction(*, defer: bool = False):
    """Within a transaction (a sweep batch): the e-mail and SMS of every notice go out as one task after commit.
    `defer`: the notices and the follow-up's writes wait for `Outbox.flush` (which the caller calls before the
    transaction ends)."""
    outbox = Outbox(defer=defer)
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
    (infohub.access) —: in the app now, by e-mail (and SMS when `sms`) after commit. Returns how many people; in a
    batch that defers its writes, a `Told` whose `count` says it once the batch is flushed."""
    batch = _outbox.get()
    outbox = batch or Outbox()
    recipients = {person.pk: person for person in people if person is not None and person.is_active}
    for role, unit_id in groups:
        if unit_id is not None:
            for person in outbox.holders(role, unit_id):
                recipients[person.pk] = person
    key = _facts_key(obj, recipients) if batch is not None else None
    if batch is not None and batch.defer:
        if not recipients:
            return 0
        told = Told(list(recipients.values()), obj, verb, text, url, sms, key)
        batch.told.append(told)
        return told
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
