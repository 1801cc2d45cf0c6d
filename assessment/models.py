"""Assessment (考核 与 通报, SPEC §9): rule sets that price the facts the other apps record, the append-only ledger of
priced facts, the monthly tallies its writes keep, and the 通报 documents issued from them.

How the pieces fit:
* A `RuleSet` belongs to an assessing office and a year; its `Rule` rows price each kind of fact (an adoption by
  publication type and level, a leader's instruction by level, a topic request answered or ignored, a lapse …).
* A pricing run (`Pricing`) computes, in Postgres, the rows a period's facts are worth and applies the difference to
  the ledger: rows whose value changed are marked superseded by the run (never deleted or edited otherwise) and the
  new rows are appended. The current figures are the rows not superseded; the history is every row.
* `Tally` holds one row per rule set, month and unit: the counts and points of that month, rebuilt by the run from the
  ledger and the facts, so a sheet or a ranking reads a few thousand rows, never the ledger's millions.
* A `Bulletin` is a monthly or quarterly 通报 or the year-end ranking, generated as .docx and .xlsx by a Celery task
  and kept, with the files' checksums, as the issued record.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from infohub.models import Level, Unit
from infohub.text import clean_text
from publications.models import PublicationType
from submissions.models import Item

SHARE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class Fact(models.TextChoices):
    """What a ledger row prices. Each names its cause: the row of another app it comes from."""

    FILED = "filed", _("Filed")                           # cause: submissions.Item (signed off and sent)
    ADOPTED = "adopted", _("Adopted")                     # cause: publications.Credit (used in a signed issue)
    INSTRUCTION = "instruction", _("Leader's instruction")  # cause: instructions.Instruction on the item
    TOPIC_ANSWERED = "topic_answered", _("Topic request answered")  # cause: topics.Target
    TOPIC_IGNORED = "topic_ignored", _("Topic request ignored")     # cause: followup.Shortfall (kind ignored)
    TOPIC_LATE = "topic_late", _("Topic request answered late")     # cause: followup.Shortfall (kind late)
    OVERDUE = "overdue", _("Instruction follow-up overdue")          # cause: followup.Shortfall (kind overdue)
    LAPSE = "lapse", _("Emergency report lapse")          # cause: alerts.Lapse (迟报/漏报/误报/瞒报)
    QUOTA = "quota", _("Below the monthly quota")         # cause: the unit (the month's count is in `basis`)
    LINKED = "linked", _("Direct-reporting point's share (挂钩分)")  # cause: the point's row's cause
    REWRITE = "rewrite", _("Office's share for rewriting")  # cause: assessment.Rewrite
    ADJUSTMENT = "adjustment", _("Adjustment by the office")  # cause: assessment.Adjustment
    ZEROED = "zeroed", _("Year's score set to zero")      # cause: the Shortfall that crossed the limit


class Group(models.TextChoices):
    """The groups a rule set ranks units in (SPEC §9), relative to its assessing office — which unit falls in which is
    decided in one place, `assessment.pricing.group_sql` (the engine writes it on every Tally row):
    the party and government offices one level below the office, the departments of the office's own level, and the
    direct-reporting points and special information officers at any level. The other units of its jurisdiction (a
    county office or a city's departments under a province's rules, a township under a city's) are priced — their
    ledger rows, their own figures, the drill-down — but not ranked: OTHER. What a group is called under an office of
    a given level (市直部门, 省直部门; 县（市、区）, 市（州）) is `group_label`. The stored value "district" of the offices
    below is kept from before: rules and issued 通报 hold it."""

    DISTRICT = "district", _("Party and government offices one level below")
    DEPARTMENT = "department", _("Departments of the office's own level")
    DIRECT = "direct", _("Direct-reporting points and special information officers")
    OTHER = "other", _("Not ranked at this level")


# Groups ranked (and shown) in this order; OTHER is not ranked.
RANKED_GROUPS = (Group.DISTRICT, Group.DEPARTMENT, Group.DIRECT)


def group_order(field: str = "group") -> Case:
    """An ORDER BY expression for rows with a group in `field`: the groups as they are ranked and shown
    (RANKED_GROUPS, then OTHER) — the stored values' alphabetical order put 市直部门 before 县（市、区）."""
    shown = (*RANKED_GROUPS, Group.OTHER)
    return Case(*(When(**{field: group}, then=Value(i)) for i, group in enumerate(shown)), default=Value(len(shown)))

# What the offices one level below and the departments of its own level are called under an office of each level.
_LOWER_OFFICES = {
    Level.CENTRAL: _("Provinces, autonomous regions and municipalities"),
    Level.PROVINCE: _("Cities and prefectures"),
    Level.CITY: _("Counties, county-level cities and districts"),
    Level.COUNTY: _("Townships and subdistricts"),
}
_OWN_DEPARTMENTS = {
    Level.CENTRAL: _("Central Party and state departments"),
    Level.PROVINCE: _("Provincial departments"),
    Level.CITY: _("City departments"),
    Level.COUNTY: _("County departments"),
    Level.TOWNSHIP: _("Township stations and offices"),
}


def group_label(group: str, office_level: str) -> str:
    """What `group` (a Group value) is called under an assessing office of `office_level` (a Level value): the one
    name the pages, the API, the 通报's .docx and .xlsx print (under a city office: 县（市、区）, 市直部门, 直报点和特约信息员,
    不参加本级排名). An unknown group is returned as it is."""
    if group == Group.DISTRICT and office_level in _LOWER_OFFICES:
        return str(_LOWER_OFFICES[office_level])
    if group == Group.DEPARTMENT and office_level in _OWN_DEPARTMENTS:
        return str(_OWN_DEPARTMENTS[office_level])
    try:
        return str(Group(group).label)
    except ValueError:
        return group or ""


def group_labels(office_level: str) -> dict[str, str]:
    """{group: label} of every group under an office of `office_level` (see `group_label`)."""
    return {group: group_label(group, office_level) for group in Group.values}


class RuleSet(models.Model):
    """One assessing office's scoring rules for one year (SPEC §9). Only one rule set is in force per office and year."""

    class Counting(models.TextChoices):
        EVERY = "every", _("Every publication counts")
        HIGHEST = "highest", _("Only the highest publication counts")

    class Placing(models.TextChoices):
        FACT = "fact", _("In the month the fact happened")
        FILED = "filed", _("In the month the item was filed")
        OPEN = "open", _("In the month the fact happened, or the first month not yet issued")

    office = models.ForeignKey(Unit, verbose_name=_("assessing office"), on_delete=models.PROTECT,
                               related_name="rule_sets")
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in force"), default=True)
    counting = models.CharField(_("adoptions counted"), max_length=10, choices=Counting.choices,
                                default=Counting.EVERY)
    placing = models.CharField(_("late facts land"), max_length=10, choices=Placing.choices, default=Placing.FACT)
    joint_split = models.BooleanField(_("jointly filed items split evenly (合报均分)"), default=True)
    direct_share = models.DecimalField(
        _("direct-reporting point's share counted for its county (挂钩分)"), max_digits=5, decimal_places=4,
        default=Decimal("0"), validators=SHARE)
    rewrite_share = models.DecimalField(
        _("office's share of an item it rewrote"), max_digits=5, decimal_places=4, default=Decimal("0"),
        validators=SHARE)
    zero_after_ignored = models.PositiveSmallIntegerField(
        _("ignored topic requests that zero the year"), default=0, help_text=_("0: never."))
    year_cap = models.DecimalField(_("cap on a unit's year total"), max_digits=9, decimal_places=2,
                                   null=True, blank=True)
    # When the rules took effect (施行日期): the monthly quotas are owed for the months of its year from this day's
    # month on, never for the months before (the network was not assessed under them, nor perhaps using InfoHub).
    effective_from = models.DateField(
        _("in force from (施行日期)"), blank=True,
        help_text=_("The rules are in force from this date: monthly quotas are charged from its month on, once each "
                    "month has ended, and a 通报 of a period that ended before it is refused. Empty: today for a rule "
                    "set of this year (its earlier months are then not assessed), the first day of its year "
                    "otherwise. Moved earlier, the months it brings in are priced by a re-pricing of them."))
    source = models.TextField(_("where these rules come from"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["-year", "office_id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], condition=Q(is_active=True),
                                    name="one_rule_set_in_force_per_office_and_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def save(self, *args, **kwargs) -> None:
        if self.effective_from is None:
            self.effective_from = default_effective_from(self.year)
        super().save(*args, **kwargs)

    @property
    def quota_from(self):
        """The first month whose quota is owed: the month it took effect, within its year."""
        first = date(self.year, 1, 1)
        effective = self.effective_from or default_effective_from(self.year)
        return max(first, effective.replace(day=1)) if effective.year <= self.year else date(self.year + 1, 1, 1)


def default_effective_from(year: int):
    """A rule set made without its date of effect: in force from today when it is for this year (Asia/Shanghai), from
    the first day of its year when it is for a year to come or one gone (loaded afterwards, for the whole year)."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    return today if year == today.year else date(year, 1, 1)


class Rule(models.Model):
    """One price: what a fact matching its conditions is worth. A blank condition matches anything; where several
    rules match a fact, the one with the most conditions set wins (then the lower `position`)."""

    ruleset = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    label = models.CharField(_("printed as"), max_length=60, help_text=_("e.g. 省委办单条采用."))
    fact = models.CharField(_("fact"), max_length=16, choices=Fact.choices)
    # Conditions (blank: any)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True,
                             help_text=_("The adopting office's level, or the leader's."))
    ptype = models.ForeignKey(PublicationType, verbose_name=_("publication"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    combined = models.BooleanField(_("combined adoption (综合)"), null=True, blank=True,
                                   help_text=_("Yes: combined or summary use; no: standalone (单条); blank: either."))
    forwarded = models.BooleanField(_("reported upward through the assessing office"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, blank=True,
                            help_text=_("The lapse's kind (late, missed, false, concealed)."))
    group = models.CharField(_("group"), max_length=12, choices=Group.choices, blank=True,
                             help_text=_("The unit's group under the rule set's office (the offices one level below, "
                                         "the office's own departments, the direct-reporting points, or the units "
                                         "not ranked at its level)."))
    # The price
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=Decimal("1"))
    monthly_cap = models.DecimalField(_("cap per unit and month"), max_digits=7, decimal_places=2,
                                      null=True, blank=True)
    quota = models.PositiveSmallIntegerField(_("monthly quota"), null=True, blank=True,
                                             help_text=_("For the quota fact: items a unit must file a month."))
    voids_award = models.BooleanField(_("loses award eligibility"), default=False)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["ruleset", "position", "id"]

    def __str__(self) -> str:
        return self.label


class Pricing(models.Model):
    """One run that priced a rule set's months and applied the difference to the ledger (who, why, what changed)."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine pricing of new facts")
        REPRICE = "reprice", _("Re-pricing after a rule change")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ruleset = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT,
                                related_name="pricings")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    first_month = models.DateField(_("from the month of"))
    last_month = models.DateField(_("to the month of"))
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    added = models.PositiveIntegerField(_("rows added"), default=0)
    superseded = models.PositiveIntegerField(_("rows superseded"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("pricing run")
        verbose_name_plural = _("pricing runs")
        ordering = ["-requested_at"]
        constraints = [models.CheckConstraint(condition=Q(first_month__lte=models.F("last_month")),
                                              name="pricing_months_in_order")]

    def __str__(self) -> str:
        return f"{self.ruleset_id} {self.first_month:%Y-%m}–{self.last_month:%Y-%m} {self.state}"


class PricedMonth(models.Model):
    """A month of a rule set as its ledger holds it: the rules (their digest, assessment.pricing.rules_digest) under
    which a full pricing last priced every fact of it, and that run. When the rules change afterwards, the month keeps
    its figures until a re-pricing with a reason applies the change (the routine runs then price only facts new to the
    ledger, under the rules as they are): its figures are "办法已修改，尚未重新计分" until then (selectors.unrepriced_months)."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    rules_digest = models.CharField(max_length=64)
    pricing = models.ForeignKey(Pricing, on_delete=models.PROTECT, related_name="+")
    priced_at = models.DateTimeField()

    class Meta:
        verbose_name = _("month priced")
        verbose_name_plural = _("months priced")
        constraints = [models.UniqueConstraint(fields=["ruleset", "month"], name="priced_month_once")]

    def __str__(self) -> str:
        return f"{self.ruleset_id} {self.month:%Y-%m} {self.rules_digest[:8]}"


class Entry(models.Model):
    """One priced fact for one unit (SPEC §9): the ledger row. Never edited or deleted: a run that prices it
    differently marks it superseded and appends its successor. Current rows: `superseded_by IS NULL`."""

    ruleset = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT, related_name="entries")
    pricing = models.ForeignKey(Pricing, verbose_name=_("pricing run"), on_delete=models.PROTECT,
                                related_name="entries")
    month = models.DateField(_("month"))  # the first day of the month the rule set places the fact in
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    fact = models.CharField(_("fact"), max_length=16, choices=Fact.choices)
    cause_type = models.ForeignKey(ContentType, verbose_name=_("kind of cause"), on_delete=models.PROTECT,
                                   related_name="+")
    cause_id = models.BigIntegerField(_("cause"))
    item = models.ForeignKey(Item, verbose_name=_("item"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    rule = models.ForeignKey(Rule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    share = models.DecimalField(_("share"), max_digits=5, decimal_places=4, default=Decimal("1"))
    points = models.DecimalField(_("points"), max_digits=9, decimal_places=2)
    basis = models.CharField(_("worked out as"), max_length=200, blank=True)  # "20 × 2 × 1/3", "filed 12 of 20"
    occurred_at = models.DateTimeField(_("when"))
    voids_award = models.BooleanField(_("loses award eligibility"), default=False)
    superseded_by = models.ForeignKey(Pricing, verbose_name=_("superseded by run"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ledger row")
        verbose_name_plural = _("ledger rows")
        indexes = [
            models.Index(fields=["ruleset", "month", "unit"], condition=Q(superseded_by__isnull=True),
                         name="ledger_current_month_unit"),
            models.Index(fields=["ruleset", "unit", "month"], condition=Q(superseded_by__isnull=True),
                         name="ledger_current_unit_month"),
            models.Index(fields=["ruleset", "fact", "cause_id"], name="ledger_cause"),
            models.Index(fields=["item"], name="ledger_item"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.fact} {self.points}"


class Tally(models.Model):
    """One unit's month under one rule set: counts from the facts and points from the current ledger rows, rebuilt by
    each pricing run for the months it priced (the ledger's writes keep it; nothing else writes it)."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=12, choices=Group.choices)
    filed = models.PositiveIntegerField(default=0)
    signed_off = models.PositiveIntegerField(default=0)
    adopted = models.PositiveIntegerField(default=0)            # distinct items used in a publication
    adopted_combined = models.PositiveIntegerField(default=0)   # of which combined or summary use
    adopted_county = models.PositiveIntegerField(default=0)
    adopted_city = models.PositiveIntegerField(default=0)
    adopted_province = models.PositiveIntegerField(default=0)
    adopted_central = models.PositiveIntegerField(default=0)
    instructions = models.PositiveIntegerField(default=0)
    topics_answered = models.PositiveIntegerField(default=0)
    topics_ignored = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    points_filing = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    points_adoption = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    points_instruction = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    points_topic = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    points_lapse = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    points_other = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))  # quota, 挂钩, …
    points = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    voids_award = models.BooleanField(default=False)
    zeroed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("monthly tally")
        verbose_name_plural = _("monthly tallies")
        constraints = [models.UniqueConstraint(fields=["ruleset", "month", "unit"], name="tally_once_per_month")]
        indexes = [models.Index(fields=["ruleset", "unit", "month"], name="tally_unit_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.points}"


class Adjustment(models.Model):
    """Points an office adds or takes off by hand, with its reason (e.g. an award for a report the leaders praised)."""

    ruleset = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT,
                                related_name="adjustments")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    reason = models.TextField(_("reason"))
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT,
                                related_name="+")
    made_at = models.DateTimeField(_("made"), auto_now_add=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.points}"


class Rewrite(models.Model):
    """An office rewrote most of an item before using it: it earns the rule set's `rewrite_share` of the item's
    adoption points, and the item's units the rest (SPEC §9)."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey(Unit, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked by"), on_delete=models.PROTECT,
                                  related_name="+")
    marked_at = models.DateTimeField(_("marked"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rewritten item")
        verbose_name_plural = _("rewritten items")
        constraints = [models.UniqueConstraint(fields=["item", "office"], name="rewrite_once_per_office")]

    def __str__(self) -> str:
        return f"{self.office_id} ← {self.item_id}"


class Bulletin(models.Model):
    """A 通报: monthly, quarterly, or the year-end ranking (SPEC §9), as .docx and .xlsx. Generated by a task with its
    progress shown (assessment.bulletins); once issued it is the signed record: its number (文号, per office and year,
    from `BulletinCounter`), the files, their SHA-256 and the figures are kept as they were (a database trigger refuses
    any change), and a later re-pricing shows in the next 通报, not in this one. An unissued one may be generated again;
    an issued one never: a new one is made instead."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly bulletin")
        QUARTERLY = "quarterly", _("Quarterly bulletin")
        YEARLY = "yearly", _("Year-end ranking")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being generated")
        READY = "ready", _("Ready for issue")
        FAILED = "failed", _("Failed")
        # The director asked for its issue: a worker numbers it, makes its files again and sends it (bulletin_making).
        ISSUING = "issuing", _("Being issued")
        ISSUED = "issued", pgettext_lazy("bulletin state", "Issued")  # 已印发; "Issued" alone is the time (发布时间)

    ruleset = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT,
                                related_name="bulletins")
    # The rule set's office, kept on the bulletin: the access rule and the numbering read it.
    office = models.ForeignKey(Unit, verbose_name=_("assessing office"), on_delete=models.PROTECT,
                               related_name="bulletins")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    first_month = models.DateField(_("from the month of"))
    last_month = models.DateField(_("to the month of"))
    title = models.CharField(_("title"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year of issue"), null=True, blank=True)  # given at issue
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)  # given at issue, per office and year
    number_label = models.CharField(_("document number (文号)"), max_length=40, blank=True)  # 临办通〔2026〕3号
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    stage = models.CharField(_("stage"), max_length=60, blank=True)
    docx = models.FileField(_("Word file"), upload_to="bulletins/", blank=True)
    xlsx = models.FileField(_("Excel file"), upload_to="bulletins/", blank=True)
    docx_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    figures = models.JSONField(_("figures as issued"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)  # last sent to the workers
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    # A correction (更正) of the bulletin of the same period issued before it: a period is issued once, and a second
    # 通报 of it only as a correction declared with its reason (assessment.bulletins.bulletin_request).
    corrects = models.ForeignKey("self", verbose_name=_("corrects"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    correction_reason = models.TextField(_("reason for the correction"), blank=True)

    class Meta:
        verbose_name = _("bulletin (通报)")
        verbose_name_plural = _("bulletins (通报)")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "number"], condition=Q(number__isnull=False),
                                    name="bulletin_number_once_per_office_and_year"),
            # A double click, or two editors at once, ask for one bulletin: while one of a period is queued,
            # being generated, ready or being issued, asking again gives it.
            models.UniqueConstraint(fields=["ruleset", "kind", "first_month", "last_month"],
                                    condition=Q(state__in=["queued", "running", "ready", "issuing"]),
                                    name="one_open_bulletin_per_period"),
            models.CheckConstraint(condition=Q(first_month__lte=models.F("last_month")),
                                   name="bulletin_months_in_order"),
            models.CheckConstraint(
                condition=~Q(state="issued") | Q(number__isnull=False, year__isnull=False, issued_at__isnull=False,
                                                 issued_by__isnull=False) & ~Q(docx_sha256="") & ~Q(xlsx_sha256=""),
                name="issued_bulletin_is_numbered_and_sealed"),
            models.CheckConstraint(condition=Q(number__isnull=True) | Q(state="issued"),
                                   name="only_an_issued_bulletin_has_a_number"),
            models.CheckConstraint(condition=Q(corrects__isnull=True) | ~Q(correction_reason=""),
                                   name="bulletin_correction_has_a_reason"),
        ]
        indexes = [models.Index(fields=["office", "-requested_at"], name="bulletin_office_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def superseded_by(self) -> Bulletin | None:
        """The latest issued correction (更正) of this issued bulletin, which voids it (原通报作废), or None. From
        `issued_corrections`, prefetched by assessment.bulletins (bulletins_visible_to, bulletin_for); None without."""
        corrections = getattr(self, "issued_corrections", None)
        return corrections[0] if corrections and self.state == self.State.ISSUED else None

    @property
    def is_issued(self) -> bool:
        return self.state == self.State.ISSUED

    @property
    def is_busy(self) -> bool:
        """A worker has it to do: generate it, or issue it."""
        return self.state in (self.State.QUEUED, self.State.RUNNING, self.State.ISSUING)


class BulletinRecipient(models.Model):
    """An issued bulletin reached a unit it names (every unit ranked in it): the access rule's relation through
    which the unit's people read it (SPEC §9: the 通报 is sent to the units of the jurisdiction). Written once, at
    issue; append-only."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="recipients")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    delivered_at = models.DateTimeField(_("delivered"))

    class Meta:
        verbose_name = _("bulletin recipient")
        verbose_name_plural = _("bulletin recipients")
        constraints = [models.UniqueConstraint(fields=["bulletin", "unit"], name="bulletin_delivered_once_per_unit")]
        indexes = [models.Index(fields=["unit", "-delivered_at"], name="bulletin_recipient_unit")]

    def __str__(self) -> str:
        return f"{self.bulletin_id} → {self.unit_id}"


class BulletinCounter(models.Model):
    """The last bulletin number given per office and year, taken with SELECT … FOR UPDATE in the issuing
    transaction: a failed or concurrent issue leaves no gap and no double (as publications.IssueCounter)."""

    office = models.ForeignKey(Unit, verbose_name=_("office"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("bulletin counter")
        verbose_name_plural = _("bulletin counters")
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="one_bulletin_counter_per_office_year")]

    def __str__(self) -> str:
        return f"{self.office_id} · {self.year} · {self.last}"


class Letterhead(models.Model):
    """How an office's 通报 are headed: the red masthead, the 发文机关代字 of the number (临办通 → 临办通〔2026〕3号) and
    the name that issues them. Without a row, the masthead is 信息工作通报, the prefix the office's first character
    with 办通, and the issuer the office's name."""

    office = models.OneToOneField(Unit, verbose_name=_("office"), on_delete=models.CASCADE, related_name="letterhead")
    masthead = models.CharField(_("masthead"), max_length=30, default="信息工作通报")
    prefix = models.CharField(_("number prefix (发文机关代字)"), max_length=12,
                              help_text=_("E.g. 临办通, printed as 临办通〔2026〕3号."))
    issuer = models.CharField(_("issued in the name of"), max_length=60, blank=True,
                              help_text=_("E.g. 中共临江市委办公室; the office's name when empty."))

    class Meta:
        verbose_name = _("bulletin letterhead")
        verbose_name_plural = _("bulletin letterheads")

    def __str__(self) -> str:
        return f"{self.office} · {self.prefix}"

    def clean(self) -> None:
        """What was typed, normalised (full-width letters and digits half-width, invisible characters gone, spaces at
        the ends trimmed), then checked: a masthead, a prefix of Chinese characters only — no year, bracket, number or
        space, which the 文号 adds itself (临办通 → 临办通〔2026〕3号) —, a one-line issuer; given to an office."""
        errors = {}
        self.masthead, self.prefix, self.issuer = (clean_text(value or "").strip() for value in (
            self.masthead, self.prefix, self.issuer))
        if not self.masthead:
            errors["masthead"] = _("Give the masthead printed in red at the top (e.g. 信息工作通报).")
        elif "\n" in self.masthead:
            errors["masthead"] = _("The masthead is one line.")
        if not self.prefix:
            errors["prefix"] = _("Give the prefix of the document number (e.g. 临办通).")
        elif not PREFIX_CHARACTERS.fullmatch(self.prefix):
            errors["prefix"] = _("The prefix is Chinese characters only, without the year, brackets, number or "
                                 "spaces, which the number adds itself: 临办通 is printed as 临办通〔2026〕3号.")
        elif len(self.prefix) < 2:
            errors["prefix"] = _("The prefix has at least two characters (e.g. 临办通).")
        if "\n" in self.issuer:
            errors["issuer"] = _("The issuing name is one line.")
        if self.office_id and not self.office.is_office:
            errors["office"] = _("%(unit)s is no office: only a committee or government office issues 通报.") % {
                "unit": self.office}
        if errors:
            raise ValidationError(errors)


# A 发文机关代字: CJK ideographs (the unified block, extension A and the compatibility ideographs), nothing else.
PREFIX_CHARACTERS = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
