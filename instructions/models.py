"""Leader instructions and their follow-up (批示 与 督办, SPEC §6).

* `Instruction` — a leader's 批示 on an item or a publication issue (or a paper 批示件 the office registers on the
  leader's behalf), and the office's handling of it: registered (登记) → assigned (交办) → reported to the leader →
  closed (办结); a later check (回访) reopens it. Kinds 参阅性 / 阅 need no feedback: noted, nothing to assign.
* `Assignment` — the 交办单's row for one unit (lead 牵头 or supporting 配合): an Obligation of the follow-up
  mechanism (followup), so it is reminded, chased, coloured and put on record like every obligation.
* `Feedback` — one progress or final report of a unit (text and attachments), signed off by the unit's director
  before it goes up; the office accepts a final report or returns it to redo.
* `Extension` — a unit's request for more time, made before the due time; the office grants or refuses it.
"""

from __future__ import annotations

from pathlib import PurePath

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from followup.models import Obligation
from infohub.models import Classification, Level, Unit, User
from publications.models import Issue
from submissions.models import Item, validate_attachment

MAX_WORKING_DAYS = 60


class Kind(models.TextChoices):
    HANDLE = "handle", _("To act on (批办性)")
    GUIDE = "guide", _("Guidance (指导性)")
    REFER = "refer", _("For reference (参阅性)")
    READ = "read", _("Read (阅)")

    @classmethod
    def needs_feedback(cls, kind: str) -> bool:
        return kind in (cls.HANDLE, cls.GUIDE)


class Instruction(models.Model):
    class State(models.TextChoices):
        REGISTERED = "registered", _("Awaiting assignment")
        ASSIGNED = "assigned", _("Being handled")
        REPORTED = "reported", _("Reported to the leader")
        CLOSED = "closed", _("Closed")
        NOTED = "noted", _("For reference")

    class Source(models.TextChoices):
        ONLINE = "online", _("Written in InfoHub")
        PAPER = "paper", _("Paper instruction registered by the office")

    leader = models.ForeignKey(User, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="instructions")
    # The office where the leader holds the role: it registers, assigns and follows the instruction up.
    office = models.ForeignKey(Unit, verbose_name=_("leader's office"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    item = models.ForeignKey(Item, verbose_name=_("item"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="instructions")
    issue = models.ForeignKey(Issue, verbose_name=_("publication issue"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="instructions")
    title = models.CharField(_("on"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("instruction"))
    written_at = models.DateTimeField(_("written"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ONLINE)
    registered_by = models.ForeignKey(User, verbose_name=_("registered by"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    classification = models.CharField(_("classification"), max_length=12, choices=Classification.choices,
                                      default=Classification.INTERNAL)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REGISTERED)
    # The 交办单
    asked = models.TextField(_("what is asked"), blank=True)
    working_days = models.PositiveSmallIntegerField(_("working days"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    assigned_by = models.ForeignKey(User, verbose_name=_("assigned by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    # Reported back to the leader, closed, reopened
    report = models.TextField(_("report to the leader"), blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    reported_by = models.ForeignKey(User, verbose_name=_("reported by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(User, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("leader instruction")
        verbose_name_plural = _("leader instructions")
        ordering = ["-written_at", "-id"]
        indexes = [models.Index(fields=["office", "state", "-written_at"]),
                   models.Index(fields=["leader", "-written_at"])]
        constraints = [
            # Online: on exactly one item or issue. A paper 批示件 may be on a document InfoHub never held.
            models.CheckConstraint(
                condition=models.Q(source="paper") | models.Q(item__isnull=False, issue__isnull=True)
                | models.Q(item__isnull=True, issue__isnull=False),
                name="instruction_on_item_or_issue"),
            models.CheckConstraint(condition=~models.Q(item__isnull=False, issue__isnull=False),
                                   name="instruction_not_on_both"),
            models.CheckConstraint(condition=~models.Q(state="closed") | models.Q(reported_at__isnull=False),
                                   name="instruction_closed_after_report"),
        ]

    def __str__(self) -> str:
        return f"{self.leader}：{self.text[:30]}"

    def get_absolute_url(self) -> str:
        return reverse("instructions:detail", args=[self.pk])

    @property
    def needs_feedback(self) -> bool:
        return Kind.needs_feedback(self.kind)


class Assignment(Obligation):
    """One unit's part of a 交办单 (lead or supporting): an obligation to the leader's office (followup)."""

    followup_select_related = ("instruction", "instruction__leader", "signed_by")

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit (牵头)")
        SUPPORT = "support", _("Supporting unit (配合)")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Awaiting sign-for")
        SIGNED = "signed", _("Being handled")
        RETURNED = "returned", _("Returned to redo")
        ANSWERED = "answered", _("Feedback awaiting review")
        ACCEPTED = "accepted", _("Feedback accepted")
        CLOSED = "closed", _("Closed")

    OPEN_STATES = (State.ASSIGNED, State.SIGNED, State.RETURNED)

    instruction = models.ForeignKey(Instruction, verbose_name=_("instruction"), on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ASSIGNED)

    class Meta(Obligation.Meta):
        verbose_name = _("assignment (交办)")
        verbose_name_plural = _("assignments (交办)")
        ordering = ["instruction", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["instruction", "unit"], name="assignment_once_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_role_display()}"

    def followup_subject(self) -> str:
        return _("the feedback on %(leader)s's instruction on “%(title)s”") % {
            "leader": self.instruction.leader, "title": self.instruction.title[:60]}

    def followup_url(self) -> str:
        return reverse("instructions:assignment", args=[self.pk])

    def get_absolute_url(self) -> str:
        return self.followup_url()


class Feedback(models.Model):
    """A unit's report on an assignment: progress, or the final feedback (one matter per report)."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress")
        FINAL = "final", _("Final feedback")

    class State(models.TextChoices):
        DRAFT = "draft", _("Returned by the director")
        PENDING = "pending", _("Awaiting the director's sign-off")
        SENT = "sent", _("Sent to the office")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned to redo")

    assignment = models.ForeignKey(Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("feedback"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    written_by = models.ForeignKey(User, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("written"), default=timezone.now)
    signed_by = models.ForeignKey(User, verbose_name=_("signed off by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    director_note = models.TextField(_("director's note"), blank=True)
    reviewed_by = models.ForeignKey(User, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("office's note"), blank=True)

    class Meta:
        verbose_name = _("feedback (反馈)")
        verbose_name_plural = _("feedback (反馈)")
        ordering = ["written_at", "id"]
        constraints = [
            # One final report in the works or awaiting review at a time.
            models.UniqueConstraint(fields=["assignment"], condition=models.Q(kind="final", state__in=["draft", "pending", "sent"]),
                                    name="one_live_final_feedback"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.text[:30]}"


def feedback_file_path(instance: FeedbackAttachment, filename: str) -> str:
    return f"instructions/{instance.feedback_id}/{timezone.now():%Y%m%d%H%M%S%f}{PurePath(filename).suffix.lower()}"


class FeedbackAttachment(models.Model):
    feedback = models.ForeignKey(Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=feedback_file_path, validators=[validate_attachment])
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("file type"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback attachment")
        verbose_name_plural = _("feedback attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class Extension(models.Model):
    """A unit asks for more time (before the due time); the office grants or refuses."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting the office")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    assignment = models.ForeignKey(Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="extensions")
    working_days = models.PositiveSmallIntegerField(_("more working days"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    due_before = models.DateTimeField(_("due before"))
    due_after = models.DateTimeField(_("due after"), null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("office's note"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment"], condition=models.Q(state="pending"),
                                    name="one_pending_extension"),
            models.CheckConstraint(condition=models.Q(working_days__gte=1, working_days__lte=MAX_WORKING_DAYS),
                                   name="extension_days_in_range"),
        ]

    def __str__(self) -> str:
        return f"+{self.working_days} · {self.get_state_display()}"
