from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import Chase, Clock, DeadlinePolicy, Escalation, Lapse
from .sweep import SWEEP

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


class QuarantinedFilter(admin.SimpleListFilter):
    title = _("set aside by the sweep")
    parameter_name = "quarantined"

    def lookups(self, request, model_admin):
        return [("yes", _("Set aside after an error")), ("no", _("Taken by the sweep"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(quarantined_at__isnull=self.value() == "no")
        return queryset


def sweep_health() -> str:
    """One line on the clocks' admin page: how the sweep is, when it last passed, how many clocks it set aside."""
    try:
        health = SWEEP.health()
    except Exception as error:  # the cache or the database is down: say so, show the page
        return gettext("Deadline sweep: health unknown (%(error)s).") % {"error": type(error).__name__}
    status = {"ok": gettext("running"), "stale": gettext("STALE: no pass for %(seconds)s s"),
              "failing": gettext("FAILING: %(error)s"), "never": gettext("no pass on record")}[health["status"]] % {
        "seconds": health["seconds_since"], "error": health.get("error", "")}
    last = (timezone.localtime(datetime.fromisoformat(health["last_pass"])).strftime("%Y-%m-%d %H:%M:%S")
            if health["last_pass"] else "—")
    return gettext("Deadline sweep: %(status)s; last successful pass %(last)s; clocks set aside after an error: "
                   "%(quarantined)d (filter “set aside by the sweep”, repair, then release them).") % {
        "status": status, "last": last, "quarantined": health["quarantined"]}


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "office", "unit", "due_at", "state", "stopped_at", "acknowledged_at",
                    "quarantined_at"]
    list_filter = [QuarantinedFilter, "kind", "state", "level"]
    raw_id_fields = ["item", "chase", "office", "unit", "acknowledged_by"]
    # Clocks are moved by the rules only; the admin shows them, and releases those the sweep set aside.
    readonly_fields = [f.name for f in Clock._meta.fields]
    actions = ["release"]

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": sweep_health()}
        return super().changelist_view(request, extra_context)

    @admin.action(permissions=["change"], description=_("Release: the sweep takes the clocks again (after repair)"))
    def release(self, request, queryset):
        released = SWEEP.release(queryset, actor=request.user)
        if released:
            self.message_user(request, ngettext(
                "%(count)d clock released: the next sweep takes it.",
                "%(count)d clocks released: the next sweep takes them.", released) % {"count": released},
                messages.SUCCESS)
        else:
            self.message_user(request, gettext("None of these clocks was set aside."), messages.WARNING)


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
    list_display = ["id", "clock", "step", "recipients", "created_at"]
    raw_id_fields = ["clock"]

    @admin.display(description=_("step"), ordering="key")
    def step(self, escalation):
        return escalation.label
