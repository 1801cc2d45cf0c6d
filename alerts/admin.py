from django.contrib import admin

from .models import Chase, Clock, DeadlinePolicy, Escalation, Lapse


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["level", "event_grade", "event_type", "deadline_minutes", "written_after_phone_minutes",
                    "remind_at_half_time", "remind_minutes_before", "acknowledge_within_minutes"]
    list_filter = ["level", "event_grade", "event_type"]


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


@admin.register(Lapse)
class LapseAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "unit", "person", "item", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["unit", "person", "item", "clock", "chase", "recorded_by"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["id", "clock", "key", "recipients", "created_at"]
    raw_id_fields = ["clock"]
