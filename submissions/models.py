"""Information items (信息): drafts, filed items, their versions and attachments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from infohub.models import Classification, Unit, User
from infohub.text import normalize_phone


class Category(models.TextChoices):
    WORK_PROGRESS = "work_progress", _("Work progress")
    EXPERIENCE = "experience", _("Experience and practice")
    PROBLEM = "problem", _("Problems and suggestions")
    PUBLIC_OPINION = "public_opinion", _("Public opinion")
    EARLY_WARNING = "early_warning", _("Early warnings and trends")
    POLICY = "policy", _("Policy implementation")
    EMERGENCY = "emergency", _("Emergency")


# Writing guidance per category (政策性准、突发性快、苗头性早、倾向性锐、普遍性精), shown beside the editor.
CATEGORY_GUIDANCE = {
    Category.WORK_PROGRESS: _("General items must be concise: one event per item, the point in the title, 200–300 characters."),
    Category.EXPERIENCE: _("Say what was done, how, and with what result, so that others can copy it. Numbers beat adjectives."),
    Category.PROBLEM: _("State the problem, its cause and scale, and a concrete suggestion. Do not hide bad news."),
    Category.PUBLIC_OPINION: _("Report what people say and feel, faithfully, with where and how many; no editorialising."),
    Category.EARLY_WARNING: _("Early warnings must be early and trends sharp: report the first signs before they spread."),
    Category.POLICY: _("Policy items must be accurate: name the policy, what was done to implement it, and the effect."),
    Category.EMERGENCY: _(
        "Emergencies must be fast: event time, place, what happened, casualties, losses and measures taken. "
        "File a first report at once and follow-ups as facts come in; if writing takes too long, phone first."
    ),
}


class Urgency(models.TextChoices):
    EXTRA_URGENT = "extra_urgent", _("Extra urgent")
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for the most urgent: sorts inboxes most urgent first."""
        return list(cls.values).index(value)


class EventGrade(models.TextChoices):
    ESPECIALLY_MAJOR = "especially_major", _("Especially major")
    MAJOR = "major", _("Major")
    LARGE = "large", _("Large")
    GENERAL = "general", _("General")


    @classmethod
    def needs_twice_daily_follow_ups(cls, grade: str) -> bool:
        """Events of grade 较大 and above owe follow-ups twice a day until the final report."""
        return grade in (cls.ESPECIALLY_MAJOR, cls.MAJOR, cls.LARGE)


class EventType(models.TextChoices):
    """The four classes of public emergencies (突发事件); deadline policies may differ by class."""

    NATURAL_DISASTER = "natural_disaster", _("Natural disaster")
    ACCIDENT = "accident", _("Accident or disaster")
    PUBLIC_HEALTH = "public_health", _("Public health incident")
    SOCIAL_SECURITY = "social_security", _("Social security incident")


CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三: follow-ups are numbered 续报一、续报二… in Chinese."""
    if n < 10:
        return CHINESE_DIGITS[n]
    tens, units = divmod(n, 10)
    return f"{CHINESE_DIGITS[tens] if tens > 1 else ''}十{CHINESE_DIGITS[units] if units else ''}"


class ReportKind(models.TextChoices):
    FIRST = "first", _("First report")
    FOLLOW_UP = "follow_up", _("Follow-up report")
    FINAL = "final", _("Final report")


def validate_classification_allowed(value: str) -> None:
    if value not in Classification.allowed():
        raise ValidationError(
            _(
                "This network is accredited up to “%(maximum)s” only. Content marked “%(mark)s” must never be "
                "stored here: send it through %(channel)s."
            ),
            code="classification_above_accreditation",
            params={
                "maximum": Classification(Classification.accredited_maximum()).label,
                "mark": Classification(value).label if value in Classification.values else value,
                "channel": settings.INFOHUB_CONFIDENTIAL_CHANNEL
                or _("the classified network or the confidential paper channel"),
            },
        )


def validate_event_time(value) -> None:
    now = timezone.now()
    if value > now + timedelta(minutes=5):
        raise ValidationError(_("The event time lies in the future."), code="event_time_future")
    if value < now - timedelta(days=settings.INFOHUB_EVENT_TIME_MAX_AGE_DAYS):
        raise ValidationError(
            _("The event time is more than %(days)d days ago."),
            code="event_time_too_old",
            params={"days": settings.INFOHUB_EVENT_TIME_MAX_AGE_DAYS},
        )


def validate_attachment(file) -> None:
    extension = PurePath(file.name).suffix.lower().lstrip(".")
    allowed = settings.INFOHUB_ATTACHMENT_EXTENSIONS
    if extension not in allowed:
        raise ValidationError(
            _("“%(name)s”: files of type .%(ext)s are not accepted. Accepted: %(allowed)s."),
            code="attachment_type",
            params={"name": file.name, "ext": extension or "?", "allowed": ", ".join(allowed)},
        )
    if file.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="attachment_empty", params={"name": file.name})
    if file.size > settings.INFOHUB_ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; the limit is %(limit)s."),
            code="attachment_size",
            params={
                "name": file.name,
                "size": filesizeformat(file.size),
                "limit": filesizeformat(settings.INFOHUB_ATTACHMENT_MAX_BYTES),
            },
        )


class Item(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_SIGNOFF = "pending_signoff", _("Awaiting sign-off")
        RETURNED = "returned", _("Returned for revision")
        SIGNED_OFF = "signed_off", _("Signed off and sent")

    # Fields whose change is an edit of the content, kept in every version.
    CONTENT_FIELDS = (
        "title", "body", "category", "urgency", "classification", "authors", "contact_phone", "keywords",
        "event_time", "event_place", "event_grade", "event_type", "deaths", "injuries", "missing", "losses", "measures",
    )  # fmt: skip

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    urgency = models.CharField(_("urgency"), max_length=15, choices=Urgency.choices, default=Urgency.NORMAL)
    classification = models.CharField(
        _("classification"),
        max_length=12,
        choices=Classification.choices,
        default=Classification.INTERNAL,
        validators=[validate_classification_allowed],
    )
    source_unit = models.ForeignKey(Unit, verbose_name=_("source unit"), on_delete=models.PROTECT, related_name="items")
    created_by = models.ForeignKey(User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    authors = models.CharField(_("authors"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    keywords = models.CharField(_("keywords"), max_length=100, blank=True)
    related_items = models.ManyToManyField("self", verbose_name=_("related items"), blank=True)
    # A composite item (综合) written by an editor from several items on one event; the sources stay credited.
    merged_from = models.ManyToManyField(
        "self", verbose_name=_("merged from"), blank=True, symmetrical=False, related_name="merged_into"
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every write; a form or API call that read an older revision is refused as stale.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("filed"), null=True, blank=True)
    return_reason = models.TextField(_("return reason"), blank=True)

    # Emergency reports (紧急信息)
    event_time = models.DateTimeField(_("event time"), null=True, blank=True, validators=[validate_event_time])
    event_place = models.CharField(_("place"), max_length=200, blank=True)
    event_grade = models.CharField(_("event grade"), max_length=20, choices=EventGrade.choices, blank=True)
    event_type = models.CharField(_("type of event"), max_length=20, choices=EventType.choices, blank=True)
    deaths = models.PositiveIntegerField(_("deaths"), null=True, blank=True)
    injuries = models.PositiveIntegerField(_("injuries"), null=True, blank=True)
    missing = models.PositiveIntegerField(_("missing"), null=True, blank=True)
    losses = models.TextField(_("losses"), blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    report_kind = models.CharField(_("report kind"), max_length=10, choices=ReportKind.choices, blank=True)
    first_report = models.ForeignKey(
        "self",
        verbose_name=_("first report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    follow_up_number = models.PositiveSmallIntegerField(_("follow-up number"), null=True, blank=True)
    # Chinese full-text search: jieba splits the words (Chinese has no spaces), Postgres indexes them.
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("information item")
        verbose_name_plural = _("information items")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["source_unit", "status", "-updated_at"]),
            models.Index(fields=["status", "urgency", "submitted_at"]),
            models.Index(fields=["source_unit", "-updated_at"], name="item_unit_recent"),
            GinIndex(fields=["search_document"], name="item_search_document"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(category="emergency")
                | (models.Q(event_time__isnull=False) & ~models.Q(report_kind="")),
                name="emergency_has_event_time_and_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(report_kind__in=["", "first"]) | models.Q(first_report__isnull=False),
                name="follow_up_links_first_report",
            ),
            models.UniqueConstraint(
                fields=["first_report", "follow_up_number"],
                condition=models.Q(first_report__isnull=False),
                name="follow_up_number_once_per_chain",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.search_document = search_vector_for(self)
        super().save(*args, **kwargs)

    @property
    def is_emergency(self) -> bool:
        return self.category == Category.EMERGENCY

    @property
    def report_label(self) -> str:
        """首报 / 续报二 / 终报, as the chain of an emergency names its reports."""
        if self.report_kind == ReportKind.FOLLOW_UP and self.follow_up_number:
            chinese = (get_language() or "").startswith("zh")
            number = chinese_number(self.follow_up_number) if chinese else self.follow_up_number
            return _("Follow-up %(number)s") % {"number": number}
        return self.get_report_kind_display()

    @property
    def chain_id(self) -> int | None:
        """The first report of this item's emergency chain (itself, for a first report)."""
        return self.first_report_id or (self.pk if self.report_kind == ReportKind.FIRST else None)

    @property
    def is_filed(self) -> bool:
        return self.submitted_at is not None

    @property
    def guidance(self) -> str:
        return CATEGORY_GUIDANCE.get(self.category, "")

    @property
    def body_length(self) -> int:
        return len(self.body)

    def clean(self) -> None:
        errors = {}
        try:
            self.contact_phone = normalize_phone(self.contact_phone)
        except ValidationError as error:
            errors["contact_phone"] = error.messages
        if len(self.body) > settings.INFOHUB_BODY_MAX_LENGTH:
            errors["body"] = _("The body is longer than %(max)d characters; file it as an attachment.") % {
                "max": settings.INFOHUB_BODY_MAX_LENGTH
            }
        if self.is_emergency:
            if not self.event_time:
                errors["event_time"] = _("An emergency report needs the event time: deadlines count from it.")
            if not self.event_place:
                errors["event_place"] = _("An emergency report needs the place.")
            if not self.event_grade:
                errors["event_grade"] = _("An emergency report needs the event grade.")
            if not self.report_kind:
                self.report_kind = ReportKind.FIRST
        elif self.first_report_id:
            errors["category"] = _("A follow-up or final report belongs to its emergency and stays one.")
        else:
            # Event fields belong to emergencies only; clear them so a category change leaves nothing stale.
            self.event_time, self.event_place, self.event_grade, self.event_type = None, "", "", ""
            self.deaths = self.injuries = self.missing = None
            self.losses = self.measures = self.report_kind = ""
        if errors:
            raise ValidationError(errors)

    def content_snapshot(self) -> dict:
        snapshot = {}
        for name in self.CONTENT_FIELDS:
            value = getattr(self, name)
            snapshot[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return snapshot


def segment(text: str) -> str:
    """Chinese text as space-separated words (jieba's search mode also emits the shorter words inside
    long ones), so Postgres's 'simple' configuration can index and match them."""
    import jieba

    return " ".join(word for word in jieba.cut_for_search(text or "") if word.strip())


def search_vector_for(item: Item) -> SearchVector:
    return SearchVector(models.Value(segment(f"{item.title} {item.keywords}")), weight="A", config="simple") + (
        SearchVector(models.Value(segment(item.body)), weight="B", config="simple")
    )


def attachment_path(instance: Attachment, filename: str) -> str:
    # Files live under the item's id, never under the user's chosen name, which may collide or lie.
    return f"attachments/{instance.item_id}/{timezone.now():%Y%m%d%H%M%S%f}{PurePath(filename).suffix.lower()}"


class Attachment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, validators=[validate_attachment])
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ItemVersion(models.Model):
    """The content of an item as it stood after filing and after every later edit."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    edited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="version_number_once_per_item")]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.number}"
