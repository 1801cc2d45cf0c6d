"""Information items (信息): drafts, filed items, their versions and attachments."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Cast
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from infohub.models import Classification, Level, Unit, User
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


def report_label(kind: str, number: int | None) -> str:
    """首报, 续报二 (a follow-up numbered when filed; 续报 before), 终报; "" for an item that is no emergency report."""
    if kind == ReportKind.FOLLOW_UP and number:
        chinese = (get_language() or "").startswith("zh")
        return _("Follow-up %(number)s") % {"number": chinese_number(number) if chinese else number}
    return str(ReportKind(kind).label) if kind in ReportKind.values else ""


class Outcome(models.TextChoices):
    """Where a signed-off item stands along the review chain (SPEC §4): the state of the furthest hop it made."""

    IN_REVIEW = "in_review", _("In review")
    ADOPTED = "adopted", _("Adopted")
    NOT_ADOPTED = "not_adopted", _("Not adopted")
    RETURNED = "returned", _("Returned for revision")
    MERGED = "merged", _("Merged")


# A step of Item.outcome_trail: an Outcome value, or "forwarding" (adopted, awaiting the office's signature to go up).
STEP_LABELS = {
    "in_review": _("in review"),
    "adopted": _("adopted"),
    "forwarding": _("adopted, being reported upward"),
    "not_adopted": _("not adopted"),
    "returned": _("returned for revision"),
    "merged": _("merged"),
}


def outcome_steps(trail: str) -> list[tuple[str, str]]:
    """[(step, label), …] of an outcome trail ("city:adopted province:in_review" → 市采用, 省审核中)."""
    steps = []
    for part in trail.split():
        level, _sep, step = part.partition(":")
        level_label = Level(level).label if level in Level.values else level
        steps.append((step, _("%(level)s: %(step)s") % {"level": level_label, "step": STEP_LABELS.get(step, step)}))
    return steps


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

    # A draft saves with whatever it has (blank everywhere); filing asks for the rest (NEEDED_FOR_FILING).
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("body"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
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
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    keywords = models.CharField(_("keywords"), max_length=100, blank=True)
    related_items = models.ManyToManyField("self", verbose_name=_("related items"), blank=True)
    # Jointly filed (合报): the units that filed the item together with its source unit. Scoring credits them with the
    # source unit (split evenly where the rule set says 合报均分, SPEC §9); the source unit is never one of them.
    joint_units = models.ManyToManyField(Unit, verbose_name=_("jointly filed with (合报单位)"), blank=True,
                                         related_name="joint_items")
    # A composite item (综合) written by an editor from several items on one event; the sources stay credited.
    merged_from = models.ManyToManyField(
        "self", verbose_name=_("merged from"), blank=True, symmetrical=False, related_name="merged_into"
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Bumped by every write; a form or API call that read an older revision is refused as stale.
    revision = models.PositiveIntegerField(_("revision"), default=1)
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
    # Where the item stands along the review chain (SPEC §4), kept by reviews.services in the transaction of every
    # change to its hops (never by hand): the furthest hop's state (Outcome), the highest level that adopted it, each
    # level's step of the lineage that ends there ("city:adopted province:in_review"; a step is an Outcome value or
    # "forwarding", adopted and awaiting the office's signature to go up), the reason given at the furthest step
    # (not adopted, returned) and the composite the item was merged into. Lists show them without reading a hop.
    outcome = models.CharField(_("where it stands"), max_length=12, choices=Outcome.choices, blank=True, default="",
                               db_default="", editable=False)
    adopted_level = models.CharField(_("highest level adopting"), max_length=10, choices=Level.choices, blank=True,
                                     default="", db_default="", editable=False)
    outcome_trail = models.CharField(max_length=120, blank=True, default="", db_default="", editable=False)
    outcome_reason = models.TextField(blank=True, default="", db_default="", editable=False)
    outcome_composite = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                          editable=False)
    # Chinese full-text search: character bigrams and trigrams (any substring is found) and jieba's words (for
    # ranking); search_document_text below. Kept current by save().
    search_document = SearchVectorField(null=True, editable=False)
    # Who sees the item (infohub.access, `keys`): minus its source unit's id, and the id of each office it reached
    # (its hops, the deadline clocks waiting for it, the request it answers). Kept by the access rule on every write
    # of those rows and by save() for the unit, never written otherwise; indexed with the search words, so that one
    # GIN index answers a search and the access rule together.
    access_keys = ArrayField(models.BigIntegerField(), default=list, db_default=models.Value([], ArrayField(
        models.BigIntegerField())), blank=True, editable=False)

    class Meta:
        verbose_name = _("information item")
        verbose_name_plural = _("information items")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["source_unit", "status", "-updated_at"]),
            models.Index(fields=["status", "urgency", "submitted_at"]),
            models.Index(fields=["source_unit", "-updated_at"], name="item_unit_recent"),
            models.Index(fields=["source_unit", "outcome", "-updated_at"], name="item_unit_outcome"),
            # The search words and the access keys in one GIN index: a search among what a person may see is
            # answered by the index alone (both conditions), as is their list without a search.
            GinIndex(fields=["search_document", "access_keys"], name="item_search_access"),
            # The item list's default order (most recently changed first), walked until a page is full.
            models.Index(fields=["-updated_at", "-id"], name="item_recent"),
            # Likely duplicates: items of a category filed, or emergencies that happened, within a window.
            models.Index(fields=["category", "submitted_at"], name="item_category_filed"),
            models.Index(fields=["event_time"], condition=models.Q(category="emergency"), name="item_emergency_event"),
        ]
        constraints = [
            # A filed emergency has its event time and report kind; a draft may still lack them.
            models.CheckConstraint(
                condition=~models.Q(category="emergency")
                | models.Q(submitted_at__isnull=True)
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
        return self.heading

    def save(self, *args, **kwargs) -> None:
        from infohub import access

        self.search_document = search_vector_for(self)
        adding = self._state.adding
        if adding:  # nothing has reached an office yet: its unit's key alone
            self.access_keys = access.keys_of(units=[self.source_unit_id])
        elif kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # Every field but the access keys, which this instance may have read before a hop was written.
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields
                                       if not f.primary_key and f.name != "access_keys"]
        super().save(*args, **kwargs)
        own = self._own_facts()
        if not adding and getattr(self, "_stored_facts", None) != own:  # its unit, or whether it is filed, changed
            access.keep_keys(Item, [self.pk], using=kwargs.get("using"))
        self._stored_facts = own

    @classmethod
    def from_db(cls, db, field_names, values):
        item = super().from_db(db, field_names, values)
        item._stored_facts = item._own_facts()
        return item

    def _own_facts(self) -> tuple:
        """What of this row its access keys read (infohub.access.own_fields: the unit; filed or not, for the joint
        units); None for a field not loaded."""
        from infohub import access

        return tuple(self.__dict__.get(f"{name}_id", self.__dict__.get(name)) for name in access.own_fields(Item))

    @property
    def heading(self) -> str:
        """The title, or "untitled draft" for a draft that has none yet (a draft saves without one)."""
        return self.title or str(_("Untitled draft"))

    @property
    def is_emergency(self) -> bool:
        return self.category == Category.EMERGENCY

    @property
    def report_label(self) -> str:
        """首报 / 续报二 / 终报, as the chain of an emergency names its reports ("" for an item that is none)."""
        return report_label(self.report_kind, self.follow_up_number)

    @property
    def outcome_steps(self) -> list[tuple[str, str]]:
        """[(step, "市采用"), …] of `outcome_trail`, lowest level first."""
        return outcome_steps(self.outcome_trail)

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

    def missing_for_filing(self) -> dict[str, str]:
        """{field: why filing needs it} for each field a filed item must have and this one lacks (empty when it
        may be filed). A draft saves without them (SPEC §3: nothing typed is lost); filing and every later edit
        ask for them (`clean` on a filed item, `full_clean_for_filing`)."""
        needs = {
            "title": _("A title is needed to file the item: it carries the point."),
            "body": _("The body is needed to file the item."),
            "category": _("Choose a category to file the item."),
            "contact_phone": _("A contact phone is needed to file the item: the office calls it with questions."),
        }
        if self.is_emergency:
            needs.update({
                "event_time": _("An emergency report needs the event time: deadlines count from it."),
                "event_place": _("An emergency report needs the place."),
                "event_grade": _("An emergency report needs the event grade."),
            })
        return {name: message for name, message in needs.items() if getattr(self, name) in (None, "")}

    def full_clean_for_filing(self, exclude=None) -> None:
        """`full_clean` and the fields filing needs (`missing_for_filing`): one ValidationError naming every
        field at fault."""
        errors: dict = {}
        try:
            self.full_clean(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name, message in self.missing_for_filing().items():
            errors.setdefault(name, [message])
        if errors:
            raise ValidationError(errors)

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
            if not self.report_kind:
                self.report_kind = ReportKind.FIRST
        elif self.first_report_id:
            errors["category"] = _("A follow-up or final report belongs to its emergency and stays one.")
        elif self.category:
            # Event fields belong to emergencies only; clear them so a category change leaves nothing stale (a
            # draft with no category yet keeps what was typed in them).
            self.event_time, self.event_place, self.event_grade, self.event_type = None, "", "", ""
            self.deaths = self.injuries = self.missing = None
            self.losses = self.measures = self.report_kind = ""
        if self.is_filed:  # a filed item stays complete, whoever edits it
            for name, message in self.missing_for_filing().items():
                errors.setdefault(name, message)
        if errors:
            raise ValidationError(errors)

    def content_snapshot(self) -> dict:
        snapshot = {}
        for name in self.CONTENT_FIELDS:
            value = getattr(self, name)
            snapshot[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return snapshot


# --- search ----------------------------------------------------------------------------------------
#
# Recall must not depend on how jieba cuts a sentence (it cuts 东湖区委 as 东湖/区委, so a search of words never
# found 东湖区 there). Every run of CJK characters is indexed as its character bigrams and trigrams (and its last
# character), a run of Latin letters or digits (g60, 1200, 5g) as one token, and two runs that touch (5G基站,
# 临江市G60) also as their junction (5g基, 市g60). A query is the AND of the same pieces of what was typed: its
# bigram if two characters long, its overlapping trigrams if longer (three characters: exact; longer: each
# three-character window must occur), a prefix search if one character. Every piece is a lexeme of Postgres's GIN
# index and no positions are asked, so the index answers exactly and no row is read to check a match; only ranking
# reads the vectors of the rows found. jieba's words are kept beside them as '~word', only to rank whole words
# above matches across words. Both sides are folded the same way (NFKC width folding, case, invisible characters).
# The vector and the query are written out here and cast; Postgres's text parser is involved on neither side.

_CJK_CHARS = (
    "\u3005-\u3007\u3021-\u3029\u3038-\u303c\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_ALNUM_RUN = re.compile(r"[^\W_]+")
_CJK_SPLIT = re.compile(f"([{_CJK_CHARS}]+)")
_CJK_CHAR = re.compile(f"[{_CJK_CHARS}]")
_LATIN_MAX = 60  # a longer run of letters and digits is cut to this, on both sides
_MAX_QUERY = 200  # characters of a query


def search_fold(text: str) -> str:
    """What search compares: NFKC (full-width letters and digits as half-width, circled digits and ligatures as
    plain), lower case, and no invisible characters (zero-width spaces, BOM, soft hyphens: format characters)."""
    text = unicodedata.normalize("NFKC", text or "")
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.casefold()


def _runs(text: str) -> list[tuple[str, bool, bool]]:
    """(run, is_cjk, touches_previous) for the runs of letters and digits of a folded text, in order: a CJK run
    and a Latin run that touch (5g基站) are two runs, the second touching the first."""
    runs = []
    for match in _ALNUM_RUN.finditer(text):
        for k, piece in enumerate(_CJK_SPLIT.split(match.group())):
            if piece:
                touches = bool(runs) and runs[-1][3] == match.start()
                runs.append((piece if k % 2 else piece[:_LATIN_MAX], k % 2 == 1, touches, match.start()))
    return [(run, is_cjk, touches) for run, is_cjk, touches, _ in runs]


def _junction(previous: tuple[str, bool], run: str) -> str:
    """The lexeme of two runs that touch: a Latin run with the CJK character beside it (5g基, 市g60)."""
    return previous[0][-1] + run if previous[1] else previous[0] + run[0]


def _lexemes(text: str) -> set[str]:
    lexemes = set()
    previous = None
    for run, is_cjk, touches in _runs(text):
        if is_cjk:
            lexemes.update(run[i : i + 2] for i in range(len(run) - 1))
            lexemes.update(run[i : i + 3] for i in range(len(run) - 2))
            lexemes.add(run[-1])  # so that every character starts some lexeme: one-character queries are prefixes
        else:
            lexemes.add(run)
        if touches:
            lexemes.add(_junction(previous, run))
        previous = (run, is_cjk)
    return lexemes


def lexemes_of(text: str) -> set[str]:
    """The search vector's own lexemes of a folded text (search_fold) without jieba's words: CJK bigrams, trigrams
    and last characters, Latin runs and their junctions. Likely duplicates compare items on them."""
    return _lexemes(text)


def _jieba_words(words) -> set[str]:
    """The words that hold a CJK character and more than one character."""
    return {w for w in words if len(w) > 1 and _CJK_CHAR.search(w) and _ALNUM_RUN.fullmatch(w)}


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def search_document_text(title: str, keywords: str, body: str) -> str:
    """The tsvector of an item in Postgres's text form: each lexeme at position 1 with weight A if it is in the
    title or keywords, at position 2 with weight B if it is in the body (where it occurs is not needed: queries ask
    for lexemes only); jieba's search-mode words (also the shorter words inside long ones) as '~word'."""
    import jieba

    weights: dict[str, str] = {}
    for weight, text in (("B", search_fold(body)), ("A", search_fold(f"{title} {keywords}"))):
        for lexeme in _lexemes(text) | {"~" + w for w in _jieba_words(jieba.cut_for_search(text))}:
            weights[lexeme] = "1A,2B" if weights.get(lexeme) == "2B" else "1A" if weight == "A" else "2B"
    return " ".join(f"{_quote(lexeme)}:{at}" for lexeme, at in weights.items())


def search_vector_for(item: Item) -> models.Func:
    return Cast(models.Value(search_document_text(item.title, item.keywords, item.body)), SearchVectorField())


@dataclass(frozen=True)
class SearchTerms:
    """A query as two tsquery texts: `match`, the AND of the pieces of every whitespace-separated part; `rank`
    (when asked for), the same pieces or'ed with the query's jieba words ('~word'), for ts_rank, which then scores
    each by where it is found (title or keywords A above body B) and averages: a query in the title ranks above one
    in the body, and one that is a whole word of the text above one found across words."""

    match: str
    rank: str | None


def search_terms(text: str, *, rank: bool = False) -> SearchTerms | None:
    """The query's terms (with `rank`, also those to rank by), or None when it has no letter or digit (no search
    then)."""
    operands, words = {}, set()
    for part in search_fold(text)[:_MAX_QUERY].split():
        runs = _runs(part)
        previous = None
        for k, (run, is_cjk, touches) in enumerate(runs):
            if not is_cjk:
                operands[_quote(run)] = None
            elif len(run) >= 3:
                operands.update(dict.fromkeys(_quote(run[i : i + 3]) for i in range(len(run) - 2)))
            elif len(run) == 2:
                operands[_quote(run)] = None
            elif not touches and not (k + 1 < len(runs) and runs[k + 1][2]):
                operands[_quote(run) + ":*"] = None  # one character alone: any lexeme it starts
            if touches:
                operands[_quote(_junction(previous, run))] = None
            previous = (run, is_cjk)
        if rank:
            import jieba

            words |= _jieba_words(jieba.cut(part))
    if not operands:
        return None
    ranked = [*operands, *(_quote("~" + w) for w in sorted(words))]
    return SearchTerms(match=" & ".join(operands), rank=" | ".join(ranked) if rank else None)


class TsQuery(SearchQuery):
    """A tsquery given in Postgres's text form and cast as it is: no parser, no dictionary."""

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql})::tsquery", params


def attachment_path(instance: Attachment, filename: str) -> str:
    # Files live under the item's id, never under the user's chosen name, which may collide or lie.
    return f"attachments/{instance.item_id}/{timezone.now():%Y%m%d%H%M%S%f}{PurePath(filename).suffix.lower()}"


class Attachment(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("information item"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, validators=[validate_attachment])
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("file type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ItemVersion(models.Model):
    """The content of an item as it stood after filing and after every later edit."""

    item = models.ForeignKey(Item, verbose_name=_("information item"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version number"), )
    content = models.JSONField(_("content"), )
    edited_by = models.ForeignKey(User, verbose_name=_("edited by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="version_number_once_per_item")]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.number}"
