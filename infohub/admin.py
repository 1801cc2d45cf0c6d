from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from . import params
from .models import AuditLog, Notification, RoleAssignment, Unit, User
from .roster.admin import RosterImportMixin, RosterLinks


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, drawing a form sent back with a value that is no id ("abc", "²", thirty
    digits) as nothing chosen, instead of failing on it (Django looks the sent value up as an id)."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if params.object_id(v) is not None], attr)


class SafeAutocomplete:
    """For admins with `autocomplete_fields`: the safe widget above (a garbage id is a form error, never a 500)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoleAssignmentInline(SafeAutocomplete, admin.TabularInline):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(RosterImportMixin, SafeAutocomplete, admin.ModelAdmin):
    """Units one at a time, and the whole roster (units, people, roles) from a workbook: 导入名册 / 导出名册."""

    list_display = ["name", "code", "level", "kind", "parent", "upstream", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent", "upstream"]
    list_select_related = ["parent", "upstream"]


@admin.register(User)
class UserAdmin(RosterLinks, SafeAutocomplete, DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("InfoHub"), {"fields": ("display_name", "phone", "clearance")}))
    list_display = ["username", "display_name", "email", "clearance", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "email"]
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(RosterLinks, SafeAutocomplete, admin.ModelAdmin):
    list_display = ["user", "role", "unit"]
    list_filter = ["role", "unit__level"]
    search_fields = ["user__username", "user__display_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id", "from_state", "to_state"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username", "reason"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "verb", "text", "read_at"]
    list_select_related = ["recipient"]
