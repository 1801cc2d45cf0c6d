"""Topic requests (约稿 / 出题目, SPEC §7): an office asks units of its jurisdiction for items on a subject by a due
time; each target unit answers with items (which travel the normal sign-off and review chain), or with a "nothing to
report" reply (无此类情况) signed by its director, or not at all.

* `TopicRequest`: the request (约稿通知) — subject, guidance, length limit, due time, the publication it is for.
  Periodic reporting priorities (信息报送要点) are requests of kind "priorities" with a long due date.
* `Target`: one target unit's obligation to answer it — a `followup.models.Obligation`, so the shared sweep reminds
  it before the due time and records it "ignored" when the due time passes with nothing, and an answer after the due
  time is recorded "late" (followup.models.Shortfall, which scoring prices).
* `Answer`: an item that answers the request for its unit (an item answers one request). The item reaches the
  requesting office once its unit's director has signed it off (`sent_to`), whatever office the chain takes it to.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from followup.models import Obligation
from infohub.models import Unit, User
from submissions.models import Item

# Due times are stored between these years (a typo of 0202 or 20266 is refused, never stored).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MAX_LENGTH_LIMIT = 20000


class TopicRequest(models.Model):
    class Kind(models.TextChoices):
        REQUEST = "request", _("Topic request")
        PRIORITIES = "priorities", _("Reporting priorities")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    office = models.ForeignKey(Unit, verbose_name=_("requesting office"), on_delete=models.PROTECT,
                               related_name="topic_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REQUEST)
    subject = models.CharField(_("subject"), max_length=120)
    guidance = models.TextField(_("what is wanted"), blank=True)
    length_limit = models.PositiveIntegerField(
        _("length limit (characters)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LENGTH_LIMIT)])
    due_at = models.DateTimeField(_("due"))
    urgent = models.BooleanField(_("urgent"), default=False,
                                 help_text=_("Targets are told by SMS too, on issue and in every reminder."))
    publication = models.ForeignKey("publications.PublicationType", verbose_name=_("for the publication"),
                                    null=True, blank=True, on_delete=models.PROTECT, related_name="topic_requests")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(User, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(User, verbose_name=_("withdrawn by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("topic request")
        verbose_name_plural = _("topic requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["office", "-created_at"], name="topic_request_office_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_at__year__gte=EARLIEST_YEAR, due_at__year__lte=LATEST_YEAR),
                name="topic_request_due_in_range"),
            models.CheckConstraint(condition=models.Q(status="open") | models.Q(withdrawn_at__isnull=False),
                                   name="withdrawn_topic_request_has_time"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("topics:request_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Target(Obligation):
    """One target unit's obligation to answer a request (an Obligation of the shared follow-up mechanism: `unit`
    owes `office` — the requesting office — an answer by `due_at`, the request's due time).

    `reply` is what the unit did: nothing yet, a "nothing to report" awaiting its director's signature, answered
    (an answer item signed off and sent), or declined (the director signed "nothing to report"). The board's
    "ignored" is a target with no reply whose due time passed; "late" is a reply after the due time."""

    # The shared sweep's policy for topic requests (followup.models.Obligation): reminders before the due time; at
    # the due time no 催办 but a record — "ignored" — at once; an answer after the due time is recorded "late".
    followup_chase = False
    followup_overdue_after = 0
    followup_overdue_kind = "ignored"
    followup_record_late = True
    followup_select_related = ("request", "unit", "office")

    class Reply(models.TextChoices):
        WAITING = "waiting", _("No answer yet")
        DECLINE_PENDING = "decline_pending", _("Nothing to report, awaiting the director's signature")
        ANSWERED = "answered", _("Answered with items")
        DECLINED = "declined", _("Nothing to report")

    request = models.ForeignKey(TopicRequest, verbose_name=_("topic request"), on_delete=models.CASCADE,
                                related_name="targets")
    reply = models.CharField(_("reply"), max_length=16, choices=Reply.choices, default=Reply.WAITING)
    # "Nothing to report" (无此类情况): written by a clerk (or the director), signed by the unit's director.
    decline_note = models.TextField(_("note"), blank=True)
    decline_by = models.ForeignKey(User, verbose_name=_("declined by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decline_at = models.DateTimeField(_("declined"), null=True, blank=True)
    decline_signed_by = models.ForeignKey(User, verbose_name=_("decline signed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decline_return_reason = models.TextField(_("reason returned"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)

    class Meta(Obligation.Meta):
        verbose_name = _("target unit")
        verbose_name_plural = _("target units")
        ordering = ["request", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["request", "unit"], name="topic_target_once_per_unit"),
            models.CheckConstraint(
                condition=~models.Q(reply__in=["answered", "declined"]) | models.Q(answered_at__isnull=False),
                name="topic_target_reply_has_time"),
        ]
        indexes = [
            *Obligation.Meta.indexes,
            models.Index(fields=["request", "reply"], name="topic_target_board"),
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.unit}"

    # --- the shared mechanism's hooks ------------------------------------------------------------------------------

    def followup_subject(self) -> str:
        return _("the topic request “%(subject)s”") % {"subject": self.request.subject}

    def followup_url(self) -> str:
        return reverse("topics:request_detail", args=[self.request_id])

    def followup_person(self) -> User | None:
        return self.decline_by

    def followup_urgent(self) -> bool:
        return self.request.urgent

    # --- where it stands (SPEC §7's board) -------------------------------------------------------------------------

    @property
    def replied(self) -> bool:
        return self.reply in (self.Reply.ANSWERED, self.Reply.DECLINED)


class Answer(models.Model):
    """An item that answers a request for its unit. Linked while the item is written; `sent_at` when the unit's
    director signs it off (the answer's time), and from then the requesting office (`sent_to`) sees the item."""

    item = models.OneToOneField(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="topic_answer")
    target = models.ForeignKey(Target, verbose_name=_("target unit"), on_delete=models.CASCADE,
                               related_name="answers")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(User, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_to = models.ForeignKey(Unit, verbose_name=_("sent to"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["linked_at", "id"]
        indexes = [models.Index(fields=["sent_to"], condition=models.Q(sent_to__isnull=False),
                                name="topic_answer_sent_to")]
        constraints = [models.CheckConstraint(
            condition=models.Q(sent_at__isnull=True, sent_to__isnull=True)
            | models.Q(sent_at__isnull=False, sent_to__isnull=False),
            name="topic_answer_sent_together")]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.target_id}"
