"""The shared mechanism of what an office sends *down* and must see answered (SPEC §6 批示督办, §7 约稿): a unit owes
an answer by a due time; it is reminded before, chased (催办) at the due time, and, overdue beyond a number of working
days, put on record for the 通报 and scoring.

* `Obligation` (abstract): one unit's obligation to one office. A feature app subclasses it (instructions'
  `Assignment`, topics' target row) and registers it with the sweep (followup.sweep.register).
* `Notice`: each reminder, 催办 and record step of an obligation, once: its unique key is the sweep's last guard.
* `Shortfall`: the one record of an obligation not met — overdue, answered late, ignored — that the 通报 and scoring
  read, whatever app the obligation belongs to.
* `CalendarDay`: the administrator's working days and days off (followup.calendar).

Read /work/notes/followup.md (and the README) for how an app uses it.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from infohub.models import Unit, User


class CalendarDay(models.Model):
    """A day the administrator declares a working day or a day off, overriding chinese-calendar (a year it does not
    know yet, a local holiday, a correction)."""

    day = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"), help_text=_(
        "Ticked: a working day (e.g. a 调休 Saturday). Unticked: a day off (e.g. a public holiday)."))
    name = models.CharField(_("name"), max_length=40, blank=True, help_text=_("e.g. 春节, 国庆节调休上班."))

    class Meta:
        verbose_name = _("working-day calendar entry")
        verbose_name_plural = _("working-day calendar")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name or ''}".strip()


class Colour(models.TextChoices):
    """Where an open obligation stands against its due time (SPEC §6 colour warnings), by urgency."""

    ON_TIME = "on_time", pgettext_lazy("follow-up colour", "On time")
    APPROACHING = "approaching", pgettext_lazy("follow-up colour", "Due soon")
    DUE_TODAY = "due_today", pgettext_lazy("follow-up colour", "Due today")
    OVERDUE = "overdue", pgettext_lazy("follow-up colour", "Overdue")
    DONE = "done", pgettext_lazy("follow-up colour", "Answered")


class Obligation(models.Model):
    """A unit (`unit`) owes the office (`office`) an answer by `due_at`.

    Open while it has neither an answer (`answered_at`) nor was closed (`closed_at`). The feature app's services
    change it only through followup.services (schedule, sign_for, answered, returned, close), inside their own
    transaction with the row locked; the sweep moves `next_at`/`next_step` through `plan`.

    Subclass hooks (override in the concrete model):
    * `followup_subject()` → str: what is owed, for notices ("批示《…》的反馈");
    * `followup_url()` → str: the page where the unit answers;
    * `followup_person()` → User | None: who answers for it (the one who signed for it);
    * `followup_urgent()` → bool: reminders go by SMS too (default False; the 催办 always does);
    * class attributes below: whether the due time sends a 催办, how many working days after it a record is made
      and of what kind, whether an answer after the due time is put on record.
    """

    # --- policy of the concrete model -----------------------------------------------------------------------------
    followup_chase = True  # at the due time: a 催办 to the unit, copied to its director (SMS too)
    followup_overdue_after: int | None = None  # working days after due → Shortfall; None: settings' default
    followup_overdue_kind = "overdue"  # Shortfall.Kind of that record
    followup_record_late = False  # an answer after the due time is a Shortfall "late"
    followup_select_related: tuple[str, ...] = ()  # what the sweep loads with each row (for the texts)

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey(Unit, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("assigned"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    signed_by = models.ForeignKey(User, verbose_name=_("signed for by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The sweep's plan: [[key, ISO time], …] in time order; `next_step`/`next_at` the first not yet done.
    # Keys: "remind-<n>" (n working days before the due day, at opening time), "chase" (at due), "overdue".
    # `round` counts re-plans (an extension, a reopening): a Notice's key carries it, so each round's steps
    # happen once.
    plan = models.JSONField(_("plan"), default=list, blank=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    next_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=20, blank=True)
    chased_at = models.DateTimeField(_("chased (催办)"), null=True, blank=True)
    overdue_recorded_at = models.DateTimeField(_("put on record"), null=True, blank=True)
    # Set aside by the sweep after its step raised (infohub.periodic); released in the admin after repair.
    quarantined_at = models.DateTimeField(_("set aside"), null=True, blank=True)
    quarantine_error = models.TextField(_("error"), blank=True, default="", db_default="")

    class Meta:
        abstract = True
        indexes = [
            # The sweep's one question: what is due next, quarantined rows left out.
            models.Index(fields=["next_at"], condition=models.Q(next_at__isnull=False, quarantined_at__isnull=True),
                         name="%(app_label)s_%(class)s_next"),
            models.Index(fields=["quarantined_at"], condition=models.Q(quarantined_at__isnull=False),
                         name="%(app_label)s_%(class)s_quar"),
            # A unit's open obligations by due time (what it owes), an office's (what it waits for).
            models.Index(fields=["unit", "due_at"], condition=models.Q(answered_at__isnull=True, closed_at__isnull=True),
                         name="%(app_label)s_%(class)s_owed"),
            models.Index(fields=["office", "due_at"],
                         condition=models.Q(answered_at__isnull=True, closed_at__isnull=True),
                         name="%(app_label)s_%(class)s_wait"),
        ]

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.closed_at is None

    @property
    def is_quarantined(self) -> bool:
        return self.quarantined_at is not None

    @property
    def answered_late(self) -> bool:
        return self.answered_at is not None and self.answered_at > self.due_at

    # --- hooks ------------------------------------------------------------------------------------------------------

    def followup_subject(self) -> str:
        raise NotImplementedError

    def followup_url(self) -> str:
        return ""

    def followup_person(self) -> User | None:
        return self.signed_by

    def followup_urgent(self) -> bool:
        """Whether reminders go by SMS too (the 催办 always does): an urgent request, say."""
        return False


class Notice(models.Model):
    """One step of one obligation's plan, done: a reminder, a 催办, a record. Unique per (obligation, key): however
    many sweeps run and whichever worker dies, each step happens once."""

    content_type = models.ForeignKey(ContentType, verbose_name=_("kind of obligation"), on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField(_("obligation"), )
    key = models.CharField(_("step"), max_length=30)  # "<round>:<step>", e.g. "1:remind-1", "1:chase", "2:overdue"
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("people told"), default=0)

    class Meta:
        verbose_name = _("follow-up notice")
        verbose_name_plural = _("follow-up notices")
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id", "key"],
                                               name="followup_notice_once")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}:{self.key}"


class Shortfall(models.Model):
    """A unit did not meet what an office asked of it in time (SPEC §6, §7, §9): on record for the 通报 and for
    scoring, which prices each by its kind and its cause (`content_type`/`object_id`: the obligation).

    Kinds: `overdue` — still unanswered N working days after the due day (督办 overdue); `late` — answered after
    the due time (约稿 answered late); `ignored` — the due time passed with nothing (约稿 ignored).
    A record made untrue later (e.g. an extension granted for a day already past) is withdrawn with its reason,
    never deleted."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("Overdue")
        LATE = "late", _("Answered late")
        IGNORED = "ignored", _("Ignored")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="shortfalls")
    office = models.ForeignKey(Unit, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(User, verbose_name=_("person answerable"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    subject = models.CharField(_("what was owed"), max_length=300)
    due_at = models.DateTimeField(_("due"))
    occurred_at = models.DateTimeField(_("when"))
    working_days_late = models.PositiveSmallIntegerField(_("working days late"), default=0)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True, db_index=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawn_by = models.ForeignKey(User, verbose_name=_("withdrawn by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("follow-up shortfall")
        verbose_name_plural = _("follow-up shortfalls")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "kind", "-created_at"]),
                   models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "kind"],
                                    condition=models.Q(withdrawn_at__isnull=True), name="one_standing_shortfall"),
            models.CheckConstraint(condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawn_reason=""),
                                   name="withdrawn_shortfall_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.unit} · {self.subject[:30]}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
