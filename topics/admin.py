from django.contrib import admin

from followup.admin import ObligationAdmin

from .models import Answer, Target, TopicRequest


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["unit", "reply", "due_at", "answered_at", "closed_at", "next_step", "next_at", "quarantined_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TopicRequest)
class TopicRequestAdmin(admin.ModelAdmin):
    """Requests are issued and withdrawn on their pages (their services tell the units and plan the follow-up);
    here they are read."""

    list_display = ["subject", "office", "kind", "due_at", "status", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["subject"]
    inlines = [TargetInline]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Target)
class TargetAdmin(ObligationAdmin):
    """Read-only (the services and the follow-up sweep move targets); a row the sweep set aside after an error is
    released here once repaired."""

    list_display = ["request", "unit", "reply", "due_at", "answered_at", "next_step", "next_at", "quarantined_at"]
    list_filter = ["reply"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["item", "target", "unit", "linked_at", "sent_at"]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
