from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Chase, Clock, DeadlinePolicy, Escalation, Lapse

POLICY_EDITS_APPLY_LATER = _(
    "A change applies to deadline clocks that start after it: clocks already running keep the deadline and "
    "reminders they started with. A correction of an event's time moves its clocks under those same terms; a "
    "correction of its grade or type counts them under the row that then applies."
)

POLICY_FIELDS = ["level", "event_grade", "event_type", "deadline_minutes", "written_after_phone_minutes",
                 "remind_at_half_time", "remind_minutes_before", "acknowledge_within_minutes"]


class DeadlinePolicyForm(forms.ModelForm):
    class Meta:
        model = DeadlinePolicy
        fields = POLICY_FIELDS
        help_texts = {
            "deadline_minutes": _("Counted from the event time. Applies to clocks started after this change."),
            "written_after_phone_minutes": _(
                "Counted from the phone report, and never earlier than the deadline the phone report met. Applies "
                "to clocks started after this change."),
        }


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    form = DeadlinePolicyForm
    list_display = ["level", "event_grade", "event_type", "deadline_minutes", "written_after_phone_minutes",
                    "remind_at_half_time", "remind_minutes_before", "acknowledge_within_minutes"]
    list_filter = ["level", "event_grade", "event_type"]
    fieldsets = [(None, {
        "description": POLICY_EDITS_APPLY_LATER,
        "fields": POLICY_FIELDS,
    })]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": POLICY_EDITS_APPLY_LATER}
        return super().changelist_view(request, extra_context)


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "office", "unit", "due_at", "state", "stopped_at", "acknowledged_at"]
    list_filter = ["kind", "state", "level"]
    raw_id_fields = ["item", "chase", "office", "unit", "acknowledged_by"]
    # Clocks are moved by the rules only; the admin shows them.
    readonly_fields = [f.name for f in Clock._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Chase)
class ChaseAdmin(admin.ModelAdmin):
    list_display = ["id", "office", "unit", "channel", "due_at", "state"]
    list_filter = ["state", "channel"]
    raw_id_fields = ["office", "unit", "item", "recorded_by"]


class WithdrawnFilter(admin.SimpleListFilter):
    title = _("standing or withdrawn")
    parameter_name = "withdrawn"

    def lookups(self, request, model_admin):
        return [("no", _("Standing")), ("yes", _("Withdrawn after a correction"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(withdrawn_at__isnull=self.value() == "no")
        return queryset


@admin.register(Lapse)
class LapseAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "unit", "person", "item", "created_at", "withdrawn_at"]
    list_filter = ["kind", WithdrawnFilter]
    raw_id_fields = ["unit", "person", "item", "clock", "chase", "recorded_by", "withdrawn_by"]
    # A withdrawal is made by a correction, with its reason in the audit log, never by hand here.
    readonly_fields = ["withdrawn_at", "withdrawn_reason", "withdrawn_by"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["id", "clock", "key", "recipients", "created_at"]
    raw_id_fields = ["clock"]
