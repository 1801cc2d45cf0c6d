"""Periodic jobs that move rows one at a time (the deadline sweep, and any added later): one bad row never stops
the others, and each job's health is on record.

A job takes its due rows in batches (SELECT … FOR UPDATE SKIP LOCKED), through its `Job`:

* `job.batch(work)` runs one batch in a transaction of its own;
* inside it, `job.take(queryset, limit)` loads the batch's rows and `job.run(row, step)` runs each row's step.

A batch first runs plainly: one transaction, no savepoint. Should it raise, it is rolled back whole and run again at
once, carefully: each row's step in a savepoint of its own (and the rows loaded one at a time if the batch does not
even load — a value the driver cannot read, a date before year 1). There a step that raises is rolled back alone —
what it wrote, and the after-commit work it planned, undone — and its row is quarantined: marked on the row itself
(the model's `quarantined_at` and `quarantine_error`) in the batch's transaction, logged with its traceback, audited
(`<model>.quarantine`) and reported to the administrators (superusers, staff and holders of the administrator
role): in the app in the same transaction, by e-mail by a task after it commits. The job's due queries leave marked
rows out, so a quarantined row is neither retried nor reported again; every other row of the batch and of later
batches is moved on time. After repairing it an administrator releases it (`job.release`, an admin action) and the
next pass takes it.

Why not a savepoint per row always: it costs two statements a row, and a transaction with more than 64
subtransactions that wrote overflows Postgres's per-backend cache of them, which makes every other session's
snapshot checks slower while it runs. A poisoned row is rare; the batch it spoils is done twice, once.

Errors that say nothing about the row are not its fault and quarantine nothing (`TRANSIENT`): a lost connection,
a deadlock, a lock or statement timeout, a serialization failure, the task's time limit. They propagate, the batch
rolls back, and the next pass tries again.

Health. A job calls `passed(counts)` after each complete pass, `progress()` after each batch (a long pass through a
backlog is alive, not stale) and `failed(error)` when a pass raises; `health()` answers, for /healthz/ and the admin,
"ok", "stale" (nothing for a few intervals), "failing" (the last pass raised) or "never", with the time of the last
successful pass and the number of rows quarantined. It is kept in the cache: a job never fails for want of it.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mass_mail
from django.db import InterfaceError, OperationalError, models, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Role, RoleAssignment, User
from .services import audit_record, notify

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Not the row's fault: the batch rolls back and the next pass tries again.
TRANSIENT = (OperationalError, InterfaceError, SoftTimeLimitExceeded, TimeLimitExceeded)
ERROR_CHARS = 4000  # kept of an error and its traceback on the row


class _Quarantined:
    """What `Job.run` answers for a row it quarantined: false, like a step that had nothing to do."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "QUARANTINED"


QUARANTINED = _Quarantined()

# Set while a batch runs again after it raised: each row in a savepoint of its own.
_careful: ContextVar[bool] = ContextVar("periodic_careful", default=False)


def careful() -> bool:
    """Whether this batch runs again after it raised, each row's step in a savepoint of its own: a step that defers its
    writes to the batch's end must then write them within its own step (its savepoint), so that a row whose writes
    fail is rolled back and quarantined alone."""
    return _careful.get()


@dataclass(eq=False)
class Job:
    """A periodic job over the rows of `model` (which has `quarantined_at` and `quarantine_error`)."""

    name: str  # "alerts.sweep": its health's key and its word in the log
    label: str  # what administrators read: "deadline sweep"
    model: type[models.Model]
    interval: Callable[[], float]  # seconds between passes, read when asked
    stale_after_intervals: int = 5
    min_stale_seconds: float = 10.0
    _progress_written: float = 0.0

    # --- moving rows -------------------------------------------------------------------------------------------

    def batch(self, work: Callable[[], T]) -> T:
        """`work()` (which takes rows and runs their steps) in a transaction; if it raises an error that is not
        TRANSIENT, rolled back and run again in a new transaction with each row isolated."""
        try:
            with transaction.atomic():
                return work()
        except TRANSIENT:
            raise
        except Exception as error:
            logger.warning("%s: a batch failed (%s: %s); running it again one row at a time", self.name,
                           type(error).__name__, _first_line(error))
        token = _careful.set(True)
        try:
            with transaction.atomic():
                return work()
        finally:
            _careful.reset(token)

    def take(self, queryset: QuerySet, limit: int) -> tuple[list, int]:
        """The first `limit` rows of `queryset` (its select_for_update locks them), and how many rows were
        quarantined because they could not be loaded. Call inside `batch`."""
        if not _careful.get():
            return list(queryset[:limit]), 0
        try:
            with transaction.atomic():
                return list(queryset[:limit]), 0
        except TRANSIENT:
            raise
        except Exception as error:
            logger.warning("%s: a batch of %s failed to load (%s: %s); loading its rows one by one", self.name,
                           self.model._meta.label, type(error).__name__, _first_line(error))
        rows, skipped = [], 0
        for pk in list(queryset.values_list("pk", flat=True)[:limit]):
            try:
                with transaction.atomic():
                    rows.append(queryset.filter(pk=pk).get())
            except TRANSIENT:
                raise
            except Exception as error:
                self.quarantine(pk, error)
                skipped += 1
        return rows, skipped

    def run(self, row: models.Model, step: Callable[[], T], *, undo: Callable[[], Any] | None = None) -> T | _Quarantined:
        """`step()`'s result. In a batch run again after it raised: `step()` in a savepoint, and QUARANTINED when it
        raised (the savepoint rolled back, `undo()` called to forget what the step planned outside the database, the
        row quarantined). Call inside `batch`, the row locked."""
        if not _careful.get():
            return step()
        try:
            with transaction.atomic():
                return step()
        except TRANSIENT:
            raise
        except Exception as error:
            if undo is not None:
                undo()
            self.quarantine(row.pk, error)
            return QUARANTINED

    def quarantine(self, pk, error: BaseException) -> None:
        """Mark the row, audit it and tell the administrators, all in the current transaction (the e-mail after it
        commits). The row's own values are not read: it may be the one that cannot be loaded."""
        text = describe(error)
        logger.error("%s: %s #%s quarantined after %s", self.name, self.model._meta.label, pk, text.split("\n")[0],
                     exc_info=error)
        marked = self.model._base_manager.filter(pk=pk, quarantined_at__isnull=True).update(
            quarantined_at=timezone.now(), quarantine_error=text)
        if not marked:
            return
        row = self.model(pk=pk)
        audit_record(actor=None, action=f"{self.model._meta.model_name}.quarantine", obj=row,
                     reason=text.split("\n")[0], data={"job": self.name})
        try:
            with transaction.atomic():
                self._report(row, error)
        except TRANSIENT:
            raise
        except Exception:  # the row stays quarantined (and counted in the health) even if telling fails
            logger.exception("%s: the administrators could not be told of %s #%s", self.name,
                             self.model._meta.label, pk)

    def _report(self, row: models.Model, error: BaseException) -> None:
        """Once per quarantined row, to every administrator. The text names the job, the row and the kind of error,
        never the row's contents (the error's message may quote them: it is kept on the row, seen in the admin)."""
        admins = list(administrators())
        if not admins:
            logger.error("%s: nobody to tell of %s #%s: there is no administrator", self.name,
                         self.model._meta.label, row.pk)
            return
        what = f"{self.model._meta.verbose_name} #{row.pk}"
        text = _("The %(job)s set %(row)s aside after an error (%(error)s) and moves every other row on time. "
                 "Repair it, then release it in the admin.") % {
            "job": self.label, "row": what, "error": type(error).__name__}
        url = admin_url(row)
        notify(recipients=admins, verb="periodic.quarantined", text=text, url=url)
        addresses = sorted({person.email for person in admins if person.email})
        if addresses:
            subject = _("%(job)s: %(row)s set aside") % {"job": self.label, "row": what}
            body = f"{text}\n\n{settings.INFOHUB_SITE_URL.rstrip('/')}{url}" if url else text
            # robust: a broker outage is logged and must not undo the quarantine
            transaction.on_commit(lambda: mail.delay(str(subject)[:120], body, addresses), robust=True)

    def release(self, queryset: QuerySet, *, actor: User) -> int:
        """An administrator repaired the rows: clear their mark, so the next pass takes them. Audited; returns how
        many were quarantined."""
        with transaction.atomic():
            rows = list(queryset.filter(quarantined_at__isnull=False).select_for_update()
                        .values_list("pk", "quarantine_error"))
            self.model._base_manager.filter(pk__in=[pk for pk, _error in rows]).update(
                quarantined_at=None, quarantine_error="")
            for pk, error in rows:
                audit_record(actor=actor, action=f"{self.model._meta.model_name}.release", obj=self.model(pk=pk),
                             reason=error.split("\n")[0], data={"job": self.name})
        return len(rows)

    # --- health ------------------------------------------------------------------------------------------------

    def _key(self, what: str) -> str:
        return f"periodic:{self.name}:{what}"

    def passed(self, counts: dict | None = None) -> None:
        """A pass ended without an error (rows quarantined on the way included)."""
        self._write({self._key("passed"): {"at": time.time(), "counts": counts or {}}})

    def progress(self) -> None:
        """A batch committed. Written at most once a second per process."""
        now = time.time()
        if now - self._progress_written >= 1:
            self._progress_written = now
            self._write({self._key("progress"): now})

    def failed(self, error: BaseException) -> None:
        self._write({self._key("failed"): {"at": time.time(), "error": describe(error).split("\n")[0][:300]}})

    def _write(self, values: dict) -> None:
        try:
            cache.set_many(values, timeout=None)
        except Exception as error:  # the job goes on; its health is only unknown for a while
            logger.warning("%s: health not recorded (%s: %s)", self.name, type(error).__name__, error)

    def stale_after(self) -> float:
        return max(self.stale_after_intervals * float(self.interval()), self.min_stale_seconds)

    def quarantined(self) -> int:
        return self.model._base_manager.filter(quarantined_at__isnull=False).count()

    def health(self) -> dict:
        """{"status": "ok" | "stale" | "failing" | "never", "last_pass": ISO time or None, "seconds_since": …,
        "quarantined": n, "error": the last failure's first line (only when failing)}."""
        found = cache.get_many([self._key("passed"), self._key("progress"), self._key("failed")])
        passed, failed = found.get(self._key("passed")), found.get(self._key("failed"))
        alive = max(passed["at"] if passed else 0.0, found.get(self._key("progress")) or 0.0)
        now = time.time()
        if failed and failed["at"] > alive:
            status = "failing"
        elif not alive:
            status = "never"
        elif now - alive > self.stale_after():
            status = "stale"
        else:
            status = "ok"
        answer = {
            "status": status,
            "last_pass": datetime.fromtimestamp(passed["at"], UTC).isoformat() if passed else None,
            "seconds_since": round(now - alive, 1) if alive else None,
            "quarantined": self.quarantined(),
        }
        if status == "failing":
            answer["error"] = failed["error"]
        return answer


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Make a job's health known to /healthz/ and the admin (call where the job is defined)."""
    JOBS[job.name] = job
    return job


def health() -> dict[str, dict]:
    """Every registered job's health; a job whose health cannot be read (the cache or the database down) answers
    {"status": "unknown"}."""
    answers = {}
    for name, job in sorted(JOBS.items()):
        try:
            answers[name] = job.health()
        except Exception as error:
            answers[name] = {"status": "unknown", "error": type(error).__name__}
    return answers


# --- the administrators and what they are told -------------------------------------------------------------------


def administrators() -> QuerySet[User]:
    """Active superusers, staff and holders of the administrator role."""
    admin_role = RoleAssignment.objects.filter(role=Role.ADMIN).values("user_id")
    return User.objects.filter(Q(is_superuser=True) | Q(is_staff=True) | Q(pk__in=admin_role), is_active=True)


def admin_url(row: models.Model) -> str:
    try:
        return reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])
    except NoReverseMatch:
        return ""


def describe(error: BaseException) -> str:
    """"ValueError: …" and the traceback, as stored on a quarantined row: without NUL (Postgres text refuses it),
    at most ERROR_CHARS characters (the end of the traceback kept)."""
    head = f"{type(error).__name__}: {_first_line(error)}"
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = f"{head}\n\n{trace}".replace("\x00", "\\x00")
    return text if len(text) <= ERROR_CHARS else f"{head[:300]}\n\n…{text[-(ERROR_CHARS - 310):]}"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else "").replace("\x00", "\\x00")[:300]


@shared_task(name="infohub.periodic.mail", ignore_result=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5, soft_time_limit=60, time_limit=90)
def mail(subject: str, body: str, addresses: list[str]) -> None:
    """The administrators' e-mail of a quarantine, one message each, sent outside the job's transaction."""
    send_mass_mail([(subject, body, None, [address]) for address in addresses])
