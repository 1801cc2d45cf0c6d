"""Scoring rules are data an administrator keeps (SPEC §9, §10): a rule set per office and year with its rules, put
in force, and a period re-priced after a rule change (recorded with who and why; the old rows stay, superseded). The
pricing runs and the ledger are shown, never edited; adjustments and rewrites are made through their services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.models import Lapse
from infohub.admin import SafeAutocomplete

from . import bulletin_figures, pricing, selectors, services
from .models import Adjustment, Entry, Letterhead, Pricing, Rewrite, Rule, RuleSet

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d", "%Y/%m", "%Y年%m月"]


class MonthField(forms.DateField):
    """A month typed as 2026-03 (a browser's month picker sends that), or 2026年3月."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def __init__(self, **kwargs):
        super().__init__(input_formats=MONTH_FORMATS, **kwargs)


RULE_FIELDS = ["position", "label", "fact", "level", "ptype", "combined", "forwarded", "kind", "group", "points",
               "multiplier", "monthly_cap", "quota", "voids_award"]


class RuleForm(forms.ModelForm):
    # A lapse's kind, chosen from the kinds alerts records (the model keeps the value).
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=[("", "---------"), *Lapse.Kind.choices],
                             help_text=_("The lapse's kind (late, missed, false, concealed)."))

    class Meta:
        model = Rule
        fields = RULE_FIELDS


class RuleInline(admin.TabularInline):
    model = Rule
    form = RuleForm
    extra = 1
    fields = RULE_FIELDS
    raw_id_fields = ["ptype"]


class RepriceForm(forms.Form):
    first_month = MonthField(label=_("from the month of"))
    last_month = MonthField(label=_("to the month of"))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text=_("Why the period is re-priced (a rule changed, a record corrected): kept with "
                                         "the run."))


def _month_list(months) -> str:
    """1月、2月、3月 (2026)."""
    return gettext("%(months)s (%(year)s)") % {"months": "、".join(f"{m.month}月" for m in months),
                                               "year": months[0].year}


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "year", "is_active", "effective_from", "counting", "placing", "joint_split",
                    "direct_share", "zero_after_ignored", "year_cap"]
    list_filter = ["year", "is_active", "counting", "placing"]
    search_fields = ["name", "office__name", "source"]
    raw_id_fields = ["office"]
    exclude = ["created_by"]  # set to whoever adds it
    readonly_fields = ["created_at", "unrepriced"]
    inlines = [RuleInline]
    actions = ["reprice", "activate"]

    @admin.display(description=_("months priced under rules changed since"))
    def unrepriced(self, ruleset):
        months = selectors.unrepriced_months(ruleset) if ruleset.pk else []
        if not months:
            return "—"
        return gettext("%(months)s: their figures stay as priced until re-priced (action “Re-price a period”, with the "
                       "reason).") % {"months": _month_list(months)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        else:  # the rules as they were, before this save and its inlines
            request._rules_before = pricing.rules_digest(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the rules are saved: a change to them is recorded (who, when), and the office is told that the months
        already priced keep their figures until it re-prices them with a reason (the routine runs price only the
        facts new to the ledger there, under the rules as they are now)."""
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_rules_before", None)
        if not change or before is None:
            return
        months = services.ruleset_rules_changed(ruleset=form.instance, actor=request.user, before=before)
        if months:
            self.message_user(request, gettext(
                "The rules changed. %(months)s were priced under the rules as they were and keep those figures — "
                "the pages say “办法已修改，尚未重新计分” — until you re-price them (action “Re-price a period”, with the "
                "reason, which is recorded). Facts recorded from now on are priced under the rules as they are.")
                % {"months": _month_list(months)}, messages.WARNING)

    @admin.action(permissions=["change"], description=_("Re-price a period (after a rule change)"))
    def reprice(self, request, queryset):
        """Asks for the months and the reason, then records a re-pricing run of each chosen rule set (the run's task
        supersedes the rows whose value changed and appends their successors)."""
        form = RepriceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for ruleset in queryset.select_related("office"):
                try:
                    services.pricing_request(
                        ruleset=ruleset, first_month=form.cleaned_data["first_month"],
                        last_month=form.cleaned_data["last_month"], actor=request.user,
                        reason=form.cleaned_data["reason"], kind=Pricing.Kind.REPRICE)
                except ValidationError as error:
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                    break
                done += 1
            else:
                self.message_user(request, gettext("Re-pricing asked for %(count)d rule set(s); the runs are listed "
                                                   "under pricing runs.") % {"count": done}, messages.SUCCESS)
                return None
        context = {**self.admin_site.each_context(request), "title": gettext("Re-price a period"),
                   "form": form, "rulesets": queryset, "opts": self.model._meta,
                   "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/assessment/ruleset/reprice.html", context)

    @admin.action(permissions=["change"], description=_("Put in force (and re-price its year so far)"))
    def activate(self, request, queryset):
        for ruleset in queryset:
            services.ruleset_activate(ruleset=ruleset, actor=request.user,
                                      reason=gettext("Put in force in the admin"))
        self.message_user(request, gettext("Done."), messages.SUCCESS)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Pricing)
class PricingAdmin(_ReadOnly):
    list_display = ["id", "ruleset", "kind", "first_month", "last_month", "state", "added", "superseded",
                    "requested_by", "requested_at", "finished_at"]
    list_filter = ["state", "kind", "ruleset"]
    search_fields = ["reason"]


class RuleSetFilter(admin.RelatedFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("rule set")


class CurrentFilter(admin.SimpleListFilter):
    title = _("current or superseded")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("current rows")), ("no", _("superseded rows"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(superseded_by__isnull=True)
        if self.value() == "no":
            return queryset.filter(superseded_by__isnull=False)
        return queryset


@admin.register(Entry)
class EntryAdmin(_ReadOnly):
    list_display = ["id", "rule_set", "month", "unit", "fact", "points", "basis", "run", "superseded"]
    list_filter = ["fact", ("ruleset", RuleSetFilter), CurrentFilter]
    raw_id_fields = ["unit", "person", "item", "rule", "pricing", "superseded_by"]
    list_select_related = ["ruleset", "unit"]
    show_full_result_count = False  # the ledger has millions of rows
    fields = ["rule_set", "month", "unit", "person", "fact", "item", "rule", "share", "points", "basis", "occurred_at",
              "voids", "run", "superseded"]
    readonly_fields = fields

    @admin.display(description=_("loses award eligibility"), boolean=True)
    def voids(self, entry):
        return entry.voids_award

    @admin.display(description=_("rule set"), ordering="ruleset")
    def rule_set(self, entry):
        return entry.ruleset

    @admin.display(description=_("pricing run"), ordering="pricing")
    def run(self, entry):
        return entry.pricing_id

    @admin.display(description=_("superseded by run"))
    def superseded(self, entry):
        return entry.superseded_by_id or "—"


class AdjustmentForm(forms.ModelForm):
    month = MonthField(label=_("month"))

    class Meta:
        model = Adjustment
        fields = ["ruleset", "unit", "month", "points", "reason"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("ruleset") and cleaned.get("unit"):
            try:
                cleaned["month"], cleaned["points"], cleaned["reason"] = services.adjustment_check(
                    ruleset=cleaned["ruleset"], unit=cleaned["unit"], month=cleaned.get("month"),
                    points=cleaned.get("points"), reason=cleaned.get("reason", ""))
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    """Made here through assessment.services.adjustment_make (audited, the month re-priced); never edited after."""

    form = AdjustmentForm
    list_display = ["ruleset", "unit", "month", "points", "reason", "made_by", "made_at"]
    list_filter = ["ruleset"]
    raw_id_fields = ["unit"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        made = services.adjustment_make(ruleset=obj.ruleset, unit=obj.unit, month=obj.month, points=obj.points,
                                        reason=obj.reason, actor=request.user)
        obj.pk, obj.made_by, obj.made_at = made.pk, made.made_by, made.made_at


class RewriteForm(forms.ModelForm):
    class Meta:
        model = Rewrite
        fields = ["item", "office", "note"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("item") and cleaned.get("office"):
            try:
                services.rewrite_check(item=cleaned["item"], office=cleaned["office"])
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned

    def validate_unique(self):
        """Marking again is no error: the service returns the first mark."""


@admin.register(Rewrite)
class RewriteAdmin(admin.ModelAdmin):
    """Marked here through assessment.services.rewrite_mark (audited, the rule sets re-priced); never edited after."""

    form = RewriteForm
    list_display = ["item", "office", "marked_by", "marked_at", "note"]
    raw_id_fields = ["item", "office"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        made = services.rewrite_mark(item=obj.item, office=obj.office, actor=request.user, note=obj.note)
        obj.pk, obj.marked_by, obj.marked_at = made.pk, made.marked_by, made.marked_at


@admin.register(Letterhead)
class LetterheadAdmin(SafeAutocomplete, admin.ModelAdmin):
    """How an office's 通报 are headed (版头, 发文机关代字, 印发机关): the next bulletin generated reads it
    (bulletin_figures.letterhead_of); an issued one keeps what it was issued with. What is typed is normalised and
    checked by Letterhead.clean. Not scoped to the offices an administrator holds, as the rule sets are not: whoever
    may change letterheads here may change any office's."""

    list_display = ["office", "masthead", "prefix", "number_example", "issuer"]
    search_fields = ["office__name", "masthead", "prefix", "issuer"]
    autocomplete_fields = ["office"]
    list_select_related = ["office"]
    fields = ["office", "masthead", "prefix", "number_example", "issuer"]
    readonly_fields = ["number_example"]

    @admin.display(description=_("number as printed"))
    def number_example(self, letterhead):
        if not letterhead.prefix:
            return "—"
        return bulletin_figures.number_label(letterhead.prefix, timezone.localdate().year, 1)
