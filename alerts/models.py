"""Emergency deadlines (SPEC §5): policies, the clocks they start, what happens when a clock runs out,
the duty officers' chasing (催报), and the record of late, missed, false and concealed reports.

The database is the source of truth. A clock is a row with `due_at` and a state; the periodic sweep
(alerts.tasks.sweep) moves due rows, and unique constraints make every escalation happen at most once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from infohub.models import Level, Unit, User
from submissions.models import EventGrade, EventType, Item


def default_reminder_minutes() -> list[int]:
    return [30]


# Every time a clock or a chase stores lies in this range, checked at input (forms, serializers), by the fields'
# validators (the admin) and by the database. Outside it a value is a typing error — and a date before year 1 in
# UTC (year 1 in Beijing time) or after 9999 cannot even be read back: one such row failed every sweep (issue 17).
SANE_FROM, SANE_UNTIL = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def in_sane_range(name: str) -> models.Q:
    return models.Q(**{f"{name}__gte": SANE_FROM, f"{name}__lt": SANE_UNTIL})


def validate_sane_time(value) -> None:
    if value is None:
        return
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not SANE_FROM <= value < SANE_UNTIL:
        raise ValidationError(_("Give a time between the years %(first)d and %(last)d."), code="time_out_of_range",
                              params={"first": SANE_FROM.year, "last": SANE_UNTIL.year - 1})


class DeadlinePolicy(models.Model):
    """How long after the event a report must have reached an office of a level.

    A row keyed by level with blank grade and type is the default for that level; a row naming the grade
    and/or the type of event is more specific and wins.
    """

    level = models.CharField(_("receiving level"), max_length=10, choices=Level.choices)
    event_grade = models.CharField(
        _("event grade"), max_length=20, choices=EventGrade.choices, blank=True, help_text=_("Blank: any grade.")
    )
    event_type = models.CharField(
        _("type of event"), max_length=20, choices=EventType.choices, blank=True, help_text=_("Blank: any type.")
    )
    deadline_minutes = models.PositiveIntegerField(_("deadline (minutes after the event)"))
    written_after_phone_minutes = models.PositiveIntegerField(
        _("written report due (minutes after a phone report)"), default=60
    )
    remind_at_half_time = models.BooleanField(_("remind at half time"), default=True)
    remind_minutes_before = ArrayField(
        models.PositiveIntegerField(),
        verbose_name=_("remind minutes before the deadline"),
        default=default_reminder_minutes,
        blank=True,
        help_text=_("Comma-separated, e.g. 30,10."),
    )
    acknowledge_within_minutes = models.PositiveIntegerField(
        _("acknowledge within (minutes)"),
        default=15,
        help_text=_("An emergency nobody on duty acknowledges within this time escalates to the next person."),
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["level", "event_grade", "event_type"]
        constraints = [
            models.UniqueConstraint(fields=["level", "event_grade", "event_type"], name="one_policy_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_event_grade_display() or '*'} {self.get_event_type_display() or '*'}"

    @property
    def deadline(self) -> timedelta:
        return timedelta(minutes=self.deadline_minutes)


class Clock(models.Model):
    """A deadline for one emergency at one office: it runs until met, or breaches once at `due_at`."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Report due")
        WRITTEN = "written", _("Written report after phone report")
        FOLLOW_UP = "follow_up", _("Follow-up due")
        CHASE = "chase", _("Chased report due")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        MET = "met", _("Met")
        BREACHED = "breached", _("Late")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The emergency's first report (absent for a chase until the unit reports).
    item = models.ForeignKey(Item, verbose_name=_("emergency"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="clocks")
    chase = models.OneToOneField("Chase", verbose_name=_("chase"), null=True, blank=True, on_delete=models.CASCADE, related_name="clock")
    # The office waiting for the report, and the unit that owes it (the source unit, or the chased one).
    office = models.ForeignKey(Unit, verbose_name=_("waiting office"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("reporting unit"), on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("counted from"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    # The policy terms the clock started under (the row's id, its deadline in minutes after started_at, its reminder
    # offsets): a policy edit applies to clocks that start after it, and a correction of the event time moves a clock
    # under the terms it started with (alerts.services.on_item_revised).
    terms = models.JSONField(_("policy terms"), default=dict, blank=True)
    # Reminders planned when the clock started: [[key, ISO time], …]; remind_at/remind_key is the next one.
    reminder_plan = models.JSONField(_("reminder plan"), default=list, blank=True)
    remind_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    remind_key = models.CharField(_("next reminder kind"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)  # e.g. what the phone report said
    # Stopped: met in time, or (after a breach) the late report finally arrived. Open rows show in the queue.
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    stopped_by = models.CharField(_("stopped by"), max_length=20, blank=True)
    breached_at = models.DateTimeField(_("marked late"), null=True, blank=True)
    # 签收: the duty officer of the waiting office has seen it; until then it escalates step by step.
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, verbose_name=_("acknowledged by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    acknowledge_step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    acknowledge_every_minutes = models.PositiveSmallIntegerField(_("escalate every (minutes)"), default=15)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set aside by the sweep after its step for this clock raised (infohub.periodic): the administrators were told,
    # the sweep leaves it out until one of them releases it (admin). It stays open, in the queue.
    quarantined_at = models.DateTimeField(_("set aside"), null=True, blank=True)
    quarantine_error = models.TextField(_("error"), blank=True, default="", db_default="")  # rows inserted by SQL too

    class Meta:
        verbose_name = _("deadline clock")
        verbose_name_plural = _("deadline clocks")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "office", "kind"],
                condition=models.Q(state="running") & ~models.Q(kind="follow_up"),
                name="one_running_clock_per_item_office_kind",
            ),
            models.UniqueConstraint(
                fields=["item", "kind"], condition=models.Q(state="running", kind="follow_up"),
                name="one_running_follow_up_clock_per_item",
            ),
            models.CheckConstraint(condition=models.Q(item__isnull=False) | models.Q(chase__isnull=False),
                                   name="clock_has_item_or_chase"),
            # "Open" is one column: a cancelled clock is stopped too, so the queue reads one partial index.
            models.CheckConstraint(condition=~models.Q(state="cancelled") | models.Q(stopped_at__isnull=False),
                                   name="cancelled_clock_is_stopped"),
            models.CheckConstraint(condition=in_sane_range("started_at") & in_sane_range("due_at"),
                                   name="clock_times_in_range"),
        ]
        indexes = [
            # The sweep's three questions, each answered from a small partial index; quarantined clocks are not in
            # them (the sweep leaves them out).
            models.Index(fields=["due_at"], condition=models.Q(state="running", quarantined_at__isnull=True),
                         name="clock_due"),
            models.Index(fields=["remind_at"], condition=models.Q(state="running", remind_at__isnull=False,
                                                                  quarantined_at__isnull=True),
                         name="clock_remind"),
            models.Index(fields=["acknowledge_due_at"], condition=models.Q(acknowledged_at__isnull=True,
                                                                           quarantined_at__isnull=True),
                         name="clock_acknowledge"),
            # The quarantined ones, counted by /healthz/ and listed in the admin.
            models.Index(fields=["quarantined_at"], condition=models.Q(quarantined_at__isnull=False),
                         name="clock_quarantined"),
            # The urgent queue: an office's open clocks by time left.
            models.Index(fields=["office", "due_at", "id"], condition=models.Q(stopped_at__isnull=True),
                         name="clock_queue"),
            # A unit's clocks that fell due in a period: the on-time rate of its reports (assessment's figures and
            # 通报, assessment.selectors.on_time_by_month), read by unit and a range of due times.
            models.Index(fields=["unit", "due_at"], name="clock_unit_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.office} · {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None

    @property
    def state_label(self) -> str:
        """The state as people read it: a chase whose deadline passed is a missed report (漏报), as in the lapse
        list; any other clock past its deadline is late (迟报)."""
        if self.state == self.State.BREACHED and self.kind == self.Kind.CHASE:
            return str(Lapse.Kind.MISSED.label)
        return self.get_state_display()

    @property
    def is_quarantined(self) -> bool:
        return self.quarantined_at is not None

    # Why a clock stopped (stopped_by), as people read it.
    STOPPED_BY = {
        "received": _("The report arrived"),
        "phone": _("Phone report"),
        "follow_up": _("The follow-up arrived"),
        "reported": _("The unit reported"),
        "corrected": _("Cancelled after a correction"),
        "merged": _("Merged into a composite item: its deadline runs on the composite"),
        "composite": _("The composite item it was merged into arrived"),
    }

    @property
    def stopped_label(self) -> str:
        return str(self.STOPPED_BY.get(self.stopped_by, self.stopped_by))


class Escalation(models.Model):
    """One reminder, breach escalation or acknowledgement escalation of a clock. The unique key makes each
    happen exactly once, however many sweeps run and whichever worker dies."""

    clock = models.ForeignKey(Clock, verbose_name=_("deadline clock"), on_delete=models.CASCADE, related_name="escalations")
    key = models.CharField(_("step"), max_length=20)  # "half", "before-30", "breach", "ack-1", …
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("people told"), default=0)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["clock", "key"], name="escalation_once_per_clock_and_key")]

    def __str__(self) -> str:
        return f"{self.clock_id}:{self.key}"

    @property
    def label(self) -> str:
        """What the key means to a reader: "Reminder at half time", "Reminder 30 minutes before the deadline",
        "Deadline passed: escalated" (a second breach of a moved clock counted), "Not acknowledged: escalation 2"."""
        kind, _dash, number = self.key.partition("-")
        number = number if number.isascii() and number.isdigit() else ""  # "²".isdigit() is True: ASCII digits only
        if kind == "half":
            return str(_("Reminder at half time"))
        if kind == "before" and number:
            return str(_("Reminder %(minutes)s minutes before the deadline") % {"minutes": number})
        if kind == "breach":
            return str(_("Deadline passed: escalated") if not number else
                       _("Deadline passed again: escalation %(n)s") % {"n": number})
        if kind == "ack" and number:
            return str(_("Not acknowledged: escalation %(n)s") % {"n": number})
        return self.key


class Chase(models.Model):
    """催报: a duty officer learned of an event from another channel and expects a unit to report it."""

    class Channel(models.TextChoices):
        MEDIA = "media", _("Media or internet")
        POLICE = "police", _("Police (110)")
        DEPARTMENT = "department", _("Another department")
        PUBLIC = "public", _("A member of the public")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for the report")
        REPORTED = "reported", _("Reported")
        MISSED = "missed", _("Missed report")

    office = models.ForeignKey(Unit, verbose_name=_("chasing office"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit chased"), on_delete=models.PROTECT, related_name="chases")
    channel = models.CharField(_("learned from"), max_length=12, choices=Channel.choices)
    summary = models.TextField(_("what is known"))
    event_time = models.DateTimeField(_("event time"), null=True, blank=True, validators=[validate_sane_time])
    due_at = models.DateTimeField(_("report due"), validators=[validate_sane_time])
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    item = models.ForeignKey(Item, verbose_name=_("report"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="chases")
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("chase (催报)")
        verbose_name_plural = _("chases (催报)")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=in_sane_range("due_at") & (models.Q(event_time__isnull=True) | in_sane_range("event_time")),
                name="chase_times_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.summary[:30]}"


class Lapse(models.Model):
    """A reporting failure on record against a unit and the person answerable: late (迟报), missed (漏报),
    false (误报) or concealed (瞒报). They feed notifications (通报) and the units' scores."""

    class Kind(models.TextChoices):
        LATE = "late", _("Late report")
        MISSED = "missed", _("Missed report")
        FALSE = "false", _("False report")
        CONCEALED = "concealed", _("Concealed report")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="lapses")
    person = models.ForeignKey(User, verbose_name=_("person answerable"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="lapses")
    item = models.ForeignKey(Item, verbose_name=_("item"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="lapses")
    clock = models.ForeignKey(Clock, verbose_name=_("deadline clock"), null=True, blank=True, on_delete=models.PROTECT, related_name="lapses")
    chase = models.ForeignKey(Chase, verbose_name=_("chase"), null=True, blank=True, on_delete=models.PROTECT, related_name="lapses")
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True, db_index=True)
    # A 迟报 that a correction of the event time, grade or type makes untrue is withdrawn, never deleted: it stays on
    # record with when, why and by whose correction, and no longer counts in lists and totals.
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawn_by = models.ForeignKey(User, verbose_name=_("withdrawn by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("reporting lapse")
        verbose_name_plural = _("reporting lapses")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "kind", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["item", "kind"], condition=models.Q(kind__in=["false", "concealed"]),
                                    name="one_false_or_concealed_record_per_item"),
            # One breach per clock on record; a withdrawn one stays beside the breach of the corrected deadline.
            models.UniqueConstraint(fields=["clock"], condition=models.Q(withdrawn_at__isnull=True),
                                    name="one_standing_lapse_per_clock"),
            models.CheckConstraint(condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawn_reason=""),
                                   name="withdrawn_lapse_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.unit}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
