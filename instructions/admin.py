"""Instructions in the admin: shown, never edited there — every step is a service, audited (SPEC §6, §11)."""

from django.contrib import admin

from followup.admin import ObligationAdmin

from .models import Assignment, Extension, Feedback, Instruction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Instruction)
class InstructionAdmin(ReadOnlyAdmin):
    list_display = ["id", "leader", "office", "kind", "title", "state", "due_at", "written_at"]
    list_filter = ["state", "kind", "level", "source"]


@admin.register(Assignment)
class AssignmentAdmin(ObligationAdmin):
    list_display = ["id", "instruction", "unit", "role", "state", "due_at", "answered_at", "chased_at",
                    "overdue_recorded_at", "quarantined_at"]
    list_filter = ["state", "role"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["id", "assignment", "kind", "state", "written_at", "signed_at"]
    list_filter = ["kind", "state"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["id", "assignment", "working_days", "state", "requested_at", "decided_at"]
    list_filter = ["state"]
