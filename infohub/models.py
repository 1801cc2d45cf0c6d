"""The shared core: the unit tree (信息网络), people and the roles they hold in units, the audit log,
and in-app notifications."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .text import normalize_phone


class Level(models.TextChoices):
    """Administrative levels, top-down. The integer rank orders them (central = 0)."""

    CENTRAL = "central", _("Central")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / subdistrict")

    @classmethod
    def rank(cls, level: str) -> int:
        return list(cls.values).index(level)


class Classification(models.TextChoices):
    """Classification marks (密级), lowest first."""

    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    SECRET = "secret", _("Secret")
    CONFIDENTIAL = "confidential", _("Confidential")

    @classmethod
    def rank(cls, mark: str) -> int:
        return list(cls.values).index(mark)

    @classmethod
    def accredited_maximum(cls) -> str:
        return settings.INFOHUB_MAX_CLASSIFICATION

    @classmethod
    def allowed(cls) -> list[str]:
        """The marks this deployment's network may store."""
        top = cls.rank(cls.accredited_maximum())
        return [value for value in cls.values if cls.rank(value) <= top]


# A unit's step in a materialised path (Unit.path): its id zero-padded to this many digits, so that paths sort as
# the tree does — a parent before its children, siblings in id order (the order they were made or loaded from the
# roster). Unpadded, "/1/7/100/" sorted before "/1/7/42/", and every list ordered by path went wrong past 99
# siblings.
PATH_DIGITS = 10


def path_below(parent_path: str | None, pk: int) -> str:
    """The path of unit `pk` under a parent with `parent_path` (None or "" at the top): "/0000000001/0000000007/"."""
    return f"{parent_path or '/'}{pk:0{PATH_DIGITS}d}/"


class Unit(models.Model):
    class Kind(models.TextChoices):
        COMMITTEE_OFFICE = "committee_office", _("Party committee office")
        GOVERNMENT_OFFICE = "government_office", _("Government office")
        DEPARTMENT = "department", _("Department")
        DIRECT_POINT = "direct_point", _("Direct-reporting point")
        SPECIAL_OFFICER = "special_officer", _("Special information officer")

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DEPARTMENT)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    upstream = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="downstream",
        help_text=_(
            "The office this unit's items go to. Normally the parent's office; a direct-reporting point or a "
            "special information officer names a higher office here, skipping levels."
        ),
    )
    # Materialised path of ids ("/1/7/42/"): a jurisdiction is a prefix, answered by one indexed query.
    path = models.CharField(_("place in the tree"), max_length=255, editable=False, db_index=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(upstream=models.F("id")), name="unit_not_own_upstream"),
        ]
        indexes = [models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        new_path = path_below(self.parent.path if self.parent else None, self.pk)
        if new_path != self.path:
            old_path, self.path = self.path, new_path
            Unit.objects.filter(pk=self.pk).update(path=new_path)
            if old_path:  # moved: rewrite the whole subtree's paths in one statement
                Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=models.functions.Concat(
                        models.Value(new_path), models.functions.Substr("path", len(old_path) + 1)
                    )
                )

    @property
    def is_office(self) -> bool:
        return self.kind in (self.Kind.COMMITTEE_OFFICE, self.Kind.GOVERNMENT_OFFICE)

    @property
    def skips_levels(self) -> bool:
        return self.kind in (self.Kind.DIRECT_POINT, self.Kind.SPECIAL_OFFICER)

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A unit cannot be its own parent.")})
        if self.parent and self.pk and path_below("/", self.pk) in self.parent.path:
            raise ValidationError({"parent": _("A unit cannot sit below one of its own sub-units.")})
        if self.upstream and Level.rank(self.upstream.level) > Level.rank(self.level):
            raise ValidationError({"upstream": _("A unit cannot report to a unit of a lower level.")})


class User(AbstractUser):
    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    clearance = models.CharField(
        _("clearance"),
        max_length=12,
        choices=Classification.choices,
        default=Classification.INTERNAL,
        help_text=_("The highest classification mark this person may open."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        try:
            self.phone = normalize_phone(self.phone)  # the SMS hook dials what is stored
        except ValidationError as error:
            raise ValidationError({"phone": error.messages}) from None

    def may_open(self, classification: str) -> bool:
        return Classification.rank(classification) <= Classification.rank(self.clearance)


class Role(models.TextChoices):
    CLERK = "clerk", _("Information officer")
    DIRECTOR = "director", _("Unit director")
    EDITOR = "editor", _("Editor")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class RoleAssignment(models.Model):
    """A role held by a person in a unit. One person may hold several, in several units."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="role_once_per_unit")]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


# What each audit action means to a reader ({action: label}); each app registers its own actions from its
# `ready()` (`register_audit_actions`), so the core names none of theirs.
AUDIT_ACTION_LABELS: dict[str, str] = {}


def register_audit_actions(labels: dict[str, str]) -> None:
    """Add an app's audit actions and their readers' labels (lazy translations) to the one vocabulary.
    Raises ValueError when an action is already registered with another label (two apps, one name)."""
    for action, label in labels.items():
        if AUDIT_ACTION_LABELS.get(action, label) != label:
            raise ValueError(f"audit action {action!r} is already registered")
        AUDIT_ACTION_LABELS[action] = label


# What the states an audit row moves between mean to a reader, per kind of object the row is about:
# {(object_type, state): label}, object_type being the audit row's ("publications.issue"). Each app registers the states
# of its own rows (`register_audit_states`), so one code means what its own app says: an issue "signed" is 已签发, an
# instruction assignment "signed" 办理中.
AUDIT_STATE_LABELS: dict[tuple[str, str], str] = {}


def _object_type(model) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def register_audit_states(model, choices) -> None:
    """Add the labels of the states that audit rows about `model` (a model class, or its label "app.model" as the
    rows' object_type) move between: `choices`, (value, label) pairs such as `Issue.Status.choices` (labels lazy
    translations). An app registers the states its own services write into rows about that model — reviews the hop
    states it records on an item's rows. Raises ValueError when a state of that object type is already registered with
    another label (two apps, one code, two meanings, on the same rows)."""
    object_type = _object_type(model)
    with translation.override("en"):  # compare what was written (the msgids), not a translation of it
        for value, label in choices:
            if not value:
                continue
            known = AUDIT_STATE_LABELS.get((object_type, value))
            if known is not None and str(known) != str(label):
                raise ValueError(f"audit state {value!r} of {object_type} is already registered as {str(known)!r}")
            AUDIT_STATE_LABELS.setdefault((object_type, value), label)


def audit_state_label(object_type: str, state: str) -> str:
    """What `state` means on an audit row about `object_type` ("publications.issue"); the code itself when no app
    registered it, "" for no state."""
    return AUDIT_STATE_LABELS.get((object_type, state), state)


class AuditLog(models.Model):
    """Append-only record of every state change and every view of a classified item.

    Rows are never updated or deleted: the model refuses it, and a database trigger (migration 0002)
    refuses it for anyone who goes around the ORM.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("The audit log is append-only.")
        super().save(*args, **kwargs)

    @property
    def action_label(self) -> str:
        return AUDIT_ACTION_LABELS.get(self.action, self.action)

    @property
    def from_label(self) -> str:
        return audit_state_label(self.object_type, self.from_state)

    @property
    def to_label(self) -> str:
        return audit_state_label(self.object_type, self.to_state)

    def delete(self, *args, **kwargs):
        raise ValueError("The audit log is append-only.")


class Notification(models.Model):
    recipient = models.ForeignKey(User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    verb = models.CharField(_("kind of notice"), max_length=40)
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.text


class IdempotencyKey(models.Model):
    """One create or action request, remembered under the key its sender gave (a form's once-only token, the
    API's Idempotency-Key header), so that the same request sent again — a double click, a retry after a
    timeout — gets the first answer instead of doing it twice (infohub.idempotency)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request = models.CharField(max_length=300)  # method and path: a key names one request
    created_at = models.DateTimeField(auto_now_add=True)
    # Empty while the first request runs; then its answer.
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    body = models.BinaryField(default=b"")

    class Meta:
        verbose_name = _("once-only key")
        verbose_name_plural = _("once-only keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
