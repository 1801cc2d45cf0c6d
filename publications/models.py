"""Publications (信息刊物, SPEC §8): types as data, issues compiled from items adopted at the office, numbered when
signed, distributed to their recipients, credited to the units whose items they used, and exported."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from infohub.models import Classification, Level, Role, Unit, User
from reviews.models import Hop
from submissions.models import Item, Urgency

# The roles an office may give the editing, reviewing and signing of a publication: each sees, through the access
# rule, both the office's own issues and the items adopted there (a leader or a duty officer of the office reads only
# what is sent to it; an information officer of the office does not see what it received).
ACTING_ROLES = [(Role.EDITOR, Role.EDITOR.label), (Role.DIRECTOR, Role.DIRECTOR.label)]


class Rhythm(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    AS_NEEDED = "as_needed", _("As events happen")


class DistributionKind(models.TextChoices):
    """报: offices above; 送: bodies and leaders of the same level; 发: units below."""

    REPORT = "report", _("Report to (报)")
    SEND = "send", _("Send to (送)")
    ISSUE = "issue", _("Issue to (发)")

    @property
    def prefix(self) -> str:
        return {"report": "报", "send": "送", "issue": "发"}[self.value]

    @classmethod
    def in_order(cls) -> models.Case:
        """An ordering expression: 报, then 送, then 发 (the end block's order), not the values' alphabet."""
        return models.Case(*[models.When(kind=kind, then=models.Value(rank)) for rank, kind in enumerate(cls.values)],
                           output_field=models.IntegerField())


class PublicationType(models.Model):
    """A publication an office puts out (《临江信息》, 《每日要情》…): an administrator's data, not code."""

    name = models.CharField(_("name"), max_length=40, help_text=_("Without the book-title marks, e.g. 临江信息."))
    masthead = models.CharField(_("masthead text"), max_length=40, blank=True,
                                help_text=_("The red masthead; the name when empty."))
    office = models.ForeignKey(Unit, verbose_name=_("publishing office"), on_delete=models.PROTECT,
                               related_name="publication_types")
    rhythm = models.CharField(_("rhythm"), max_length=10, choices=Rhythm.choices, default=Rhythm.WEEKLY)
    numbered_total = models.BooleanField(_("cumulative number"), default=True,
                                         help_text=_("Print 总第M期, counted since the first issue."))
    total_offset = models.PositiveIntegerField(
        _("issues before InfoHub"), default=0,
        help_text=_("Main issues published before this system: the first one signed here is 总第(this + 1)期."))
    default_copies = models.PositiveIntegerField(_("default copies"), default=50)
    classification = models.CharField(_("default classification"), max_length=12, choices=Classification.choices,
                                      default=Classification.INTERNAL,
                                      help_text=_("The lowest mark an issue carries; its items may raise it."))
    edit_role = models.CharField(_("compiled by"), max_length=20, choices=ACTING_ROLES, default=Role.EDITOR)
    review_role = models.CharField(_("reviewed by"), max_length=20, choices=ACTING_ROLES, default=Role.DIRECTOR)
    sign_role = models.CharField(_("signed by"), max_length=20, choices=ACTING_ROLES, default=Role.DIRECTOR)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("publication type")
        verbose_name_plural = _("publication types")
        ordering = ["office_id", "name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="publication_name_once_per_office")]

    def __str__(self) -> str:
        return f"《{self.name}》"

    @property
    def masthead_text(self) -> str:
        return self.masthead or self.name

    def clean(self) -> None:
        if self.classification not in Classification.allowed():
            raise ValidationError({"classification": _("This network may not store content with this mark.")})


class TypeRecipient(models.Model):
    """One line of a publication type's default distribution; every new issue starts with a copy."""

    ptype = models.ForeignKey(PublicationType, verbose_name=_("publication"), on_delete=models.CASCADE, related_name="default_recipients")
    kind = models.CharField(_("distribution"), max_length=10, choices=DistributionKind.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("printed as"), max_length=60, blank=True,
                             help_text=_("E.g. 市委领导同志; the unit's name when empty."))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("default recipient")
        verbose_name_plural = _("default distribution")
        ordering = ["ptype", "kind", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["ptype", "kind", "unit"], name="type_recipient_once")]

    def __str__(self) -> str:
        return self.label or self.unit.name


class IssueKind(models.TextChoices):
    REGULAR = "regular", _("Regular issue")
    SUPPLEMENT = "supplement", _("Supplement (增刊)")


class Issue(models.Model):
    """One issue of a publication: compiled, reviewed (审核), signed (签发). Its number is given at signing, from
    a counter row in the same transaction (IssueCounter); a signed issue never changes (a trigger refuses it)."""

    class Status(models.TextChoices):
        COMPILING = "compiling", _("Being compiled")
        SUBMITTED = "submitted", _("Awaiting review")
        REVIEWED = "reviewed", _("Reviewed, awaiting signature")
        SIGNED = "signed", _("Signed and distributed")

    ptype = models.ForeignKey(PublicationType, verbose_name=_("publication"), on_delete=models.PROTECT,
                              related_name="issues")
    # The type's office, kept on the issue: the access rule reads it.
    office = models.ForeignKey(Unit, verbose_name=_("publishing office"), on_delete=models.PROTECT,
                               related_name="issues")
    kind = models.CharField(_("kind"), max_length=12, choices=IssueKind.choices, default=IssueKind.REGULAR)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.COMPILING)
    editor_note = models.TextField(_("editor's note (编者按)"), blank=True)
    # The highest of its items' marks (and the type's default), kept as items come and go.
    classification = models.CharField(_("classification"), max_length=12, choices=Classification.choices,
                                      default=Classification.INTERNAL)
    urgency = models.CharField(_("urgency"), max_length=15, choices=Urgency.choices, default=Urgency.NORMAL)
    copies = models.PositiveIntegerField(_("copies printed"), default=50)
    # Bumped by every change: forms carry it (a stale one is refused), exports are made per revision.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    return_reason = models.TextField(_("return reason"), blank=True)

    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    total_number = models.PositiveIntegerField(_("cumulative number"), null=True, blank=True)
    issue_date = models.DateField(_("date"), null=True, blank=True)

    created_by = models.ForeignKey(User, verbose_name=_("editor"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_by = models.ForeignKey(User, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_by = models.ForeignKey(User, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    signed_by = models.ForeignKey(User, verbose_name=_("signed by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-signed_at", "-created_at", "-id"]
        constraints = [
            # One number per type, year and kind (main issues and supplements are numbered apart).
            models.UniqueConstraint(fields=["ptype", "year", "kind", "number"], condition=models.Q(number__isnull=False),
                                    name="issue_number_once_per_type_year_kind"),
            models.UniqueConstraint(fields=["ptype", "total_number"], condition=models.Q(total_number__isnull=False),
                                    name="issue_total_number_once_per_type"),
            models.CheckConstraint(
                condition=~models.Q(status="signed") | models.Q(number__isnull=False, year__isnull=False,
                                                                  issue_date__isnull=False, signed_by__isnull=False),
                name="signed_issue_is_numbered"),
            models.CheckConstraint(condition=models.Q(number__isnull=True) | models.Q(status="signed"),
                                   name="only_a_signed_issue_has_a_number"),
            models.CheckConstraint(condition=models.Q(kind="regular") | models.Q(total_number__isnull=True),
                                   name="supplement_has_no_cumulative_number"),
        ]
        indexes = [
            models.Index(fields=["office", "status", "-created_at"], name="issue_office_status"),
            models.Index(fields=["ptype", "-signed_at"], name="issue_type_signed"),
        ]

    def __str__(self) -> str:
        return f"{self.ptype}{self.number_label}"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def number_label(self) -> str:
        """第12期（总第345期）, 增刊第3期, or a placeholder before signing."""
        if self.number is None:
            return "（签发时编号）"
        if self.kind == IssueKind.SUPPLEMENT:
            return f"增刊第{self.number}期"
        total = f"（总第{self.total_number}期）" if self.total_number else ""
        return f"第{self.number}期{total}"

    @property
    def title_label(self) -> str:
        """《临江信息》2026年第12期"""
        if self.number is None:
            return f"{self.ptype}（{self.get_status_display()}）"
        year = f"{self.year}年"
        return f"{self.ptype}{year}{'增刊' if self.kind == IssueKind.SUPPLEMENT else ''}第{self.number}期"

    @property
    def is_classified(self) -> bool:
        return self.classification in (Classification.SECRET, Classification.CONFIDENTIAL)


class IssueCounter(models.Model):
    """The last number given per (type, year, kind); `year` 0 and kind "total" hold the cumulative number. Taken
    with SELECT … FOR UPDATE in the signing transaction: a failed or concurrent signature leaves no gap and no
    double. An administrator may set where a year starts (e.g. InfoHub taken up in mid-year)."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular issue")
        SUPPLEMENT = "supplement", _("Supplement (增刊)")
        TOTAL = "total", _("Cumulative number")

    ptype = models.ForeignKey(PublicationType, verbose_name=_("publication"), on_delete=models.CASCADE, related_name="counters")
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("issue counter")
        verbose_name_plural = _("issue counters")
        constraints = [models.UniqueConstraint(fields=["ptype", "year", "kind"], name="one_counter_per_type_year_kind")]

    def __str__(self) -> str:
        year = self.year or _("since the first issue")
        return f"{self.ptype} · {year} · {self.get_kind_display()} · {self.last}"


class Entry(models.Model):
    """An item in an issue, in its place. What was printed is frozen at signing (the item may change later)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="publication_entries")
    # The adoption at the publishing office that made the item eligible.
    hop = models.ForeignKey(Hop, on_delete=models.PROTECT, related_name="publication_entries")
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title in this issue"), max_length=120, blank=True,
                             help_text=_("Empty: the item's own title."))
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    # Frozen at signing.
    printed_title = models.CharField(max_length=120, blank=True)
    printed_body = models.TextField(blank=True)
    printed_sources = models.CharField(max_length=300, blank=True)
    printed_revision = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("item in an issue")
        verbose_name_plural = _("items in issues")
        ordering = ["issue", "position"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "item"], name="item_once_per_issue"),
            # Deferred: a reorder swaps positions within one transaction.
            models.UniqueConstraint(fields=["issue", "position"], name="one_entry_per_position",
                                    deferrable=models.Deferrable.DEFERRED),
        ]
        indexes = [models.Index(fields=["item"], name="entry_item")]

    def __str__(self) -> str:
        return self.shown_title

    @property
    def shown_title(self) -> str:
        return self.printed_title or self.title or self.item.title


class Recipient(models.Model):
    """One line of an issue's distribution (报 / 送 / 发), edited while it is compiled."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="recipients")
    kind = models.CharField(_("distribution"), max_length=10, choices=DistributionKind.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("printed as"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("distribution")
        ordering = ["issue", "kind", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["issue", "kind", "unit"], name="issue_recipient_once")]

    def __str__(self) -> str:
        return self.label or self.unit.name


class Delivery(models.Model):
    """A signed issue reached a unit: the access rule's reach relation for recipients (infohub.access)."""

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="deliveries")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="publication_deliveries")
    delivered_at = models.DateTimeField()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["issue", "unit"], name="delivered_once_per_unit")]
        indexes = [models.Index(fields=["unit", "-delivered_at"], name="delivery_unit_recent")]

    def __str__(self) -> str:
        return f"{self.issue_id} → {self.unit_id}"


class Credit(models.Model):
    """One use of an item in a signed issue, credited to one source unit (SPEC §8, §9): the facts scoring prices.
    A composite item credits the unit of each of its sources, each with its share. Append-only."""

    issue = models.ForeignKey(Issue, verbose_name=_("issue"), on_delete=models.PROTECT, related_name="credits")
    entry = models.ForeignKey(Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="credits")
    item = models.ForeignKey(Item, verbose_name=_("information item"), on_delete=models.PROTECT, related_name="publication_credits")
    source_item = models.ForeignKey(Item, verbose_name=_("source item"), on_delete=models.PROTECT, related_name="publication_source_credits")
    unit = models.ForeignKey(Unit, verbose_name=_("credited unit"), on_delete=models.PROTECT,
                             related_name="publication_credits")
    share = models.DecimalField(_("share"), max_digits=5, decimal_places=4)
    ptype = models.ForeignKey(PublicationType, verbose_name=_("publication"), on_delete=models.PROTECT,
                              related_name="+")
    office = models.ForeignKey(Unit, verbose_name=_("publishing office"), on_delete=models.PROTECT, related_name="+")
    office_level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    adoption = models.CharField(_("adoption"), max_length=10, choices=Hop.Adoption.choices)
    combined = models.BooleanField(_("from a composite item"), default=False)
    issue_kind = models.CharField(_("issue kind"), max_length=12, choices=IssueKind.choices)
    year = models.PositiveSmallIntegerField(_("year"), )
    signed_at = models.DateTimeField(_("signed"), )

    class Meta:
        verbose_name = _("publication credit")
        verbose_name_plural = _("publication credits")
        ordering = ["-signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "source_item"], name="credit_once_per_entry_and_source"),
            models.CheckConstraint(condition=models.Q(share__gt=0, share__lte=1), name="credit_share_in_range"),
        ]
        indexes = [
            models.Index(fields=["unit", "-signed_at"], name="credit_unit_recent"),
            models.Index(fields=["source_item"], name="credit_source_item"),
            models.Index(fields=["item"], name="credit_item"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.issue} · {self.share}"


def export_path(instance: IssueExport, filename: str) -> str:
    return f"publications/{instance.issue_id}/{instance.revision}-{instance.pk or 'new'}.{instance.format}"


class IssueExport(models.Model):
    """A .docx or PDF of one revision of an issue, made by a Celery task (never in a web request)."""

    class Format(models.TextChoices):
        DOCX = "docx", "Word (.docx)"
        PDF = "pdf", "PDF"

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=4, choices=Format.choices)
    revision = models.PositiveIntegerField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=60, blank=True)
    file = models.FileField(upload_to=export_path, blank=True)
    filename = models.CharField(max_length=120, blank=True)  # what the download is called
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        constraints = [models.UniqueConstraint(fields=["issue", "format", "revision"], name="one_export_per_revision")]

    def __str__(self) -> str:
        return f"{self.issue_id} r{self.revision} {self.format} {self.state}"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
