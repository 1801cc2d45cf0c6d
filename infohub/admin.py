import json

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import params
from .models import AUDIT_ACTION_LABELS, AuditLog, Notification, RoleAssignment, Unit, User
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


PERMISSION_ACTIONS = {"add": _("add"), "change": _("change"), "delete": _("delete"), "view": _("view")}


def permission_label(permission) -> str:
    """A permission as the reader's language names it: "信息报送 | 信息 | 可新增信息". Django stores permission
    names in English when it creates them ("Can add information item"); the app and model names come translated."""
    app_label, model = permission.content_type.app_label, permission.content_type.model_class()
    what = model._meta.verbose_name if model else permission.content_type.name
    try:
        app = apps.get_app_config(app_label).verbose_name
    except LookupError:
        app = app_label
    action = permission.codename.split("_", 1)[0]
    name = (_("Can %(action)s %(what)s") % {"action": PERMISSION_ACTIONS[action], "what": what}
            if action in PERMISSION_ACTIONS else permission.name)
    return f"{app} | {what} | {name}"


class PermissionLabels:
    """For admins with a permissions field: each permission named by `permission_label`."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and field is not None:
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = permission_label
        return field


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
class UserAdmin(RosterLinks, SafeAutocomplete, PermissionLabels, DjangoUserAdmin):
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


class AuditActionFilter(admin.SimpleListFilter):
    """The audit log's actions by their readers' labels (each app registers its own), not their codes."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(((code, label) for code, label in AUDIT_ACTION_LABELS.items()), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditObjectFilter(admin.SimpleListFilter):
    """What an audit row is about, by the model's name ("information item"), not its label ("submissions.item")."""

    title = _("object")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        models = [m for m in apps.get_models() if "site-packages" not in m._meta.app_config.path]  # the project's
        return sorted(((m._meta.label_lower, m._meta.verbose_name) for m in models), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only. Actions and states by their readers' labels (infohub.models: a state by
    what the app of the row's object calls it)."""

    list_display = ["when", "who", "what", "about", "change", "why"]
    list_filter = [AuditActionFilter, AuditObjectFilter]
    search_fields = ["object_id", "actor__username", "actor__display_name", "reason"]
    list_select_related = ["actor"]
    fields = readonly_fields = ["when", "who", "what", "about", "change", "why", "details"]

    @admin.display(description=_("time"), ordering="created_at")
    def when(self, row):
        return timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description=_("person"), ordering="actor")
    def who(self, row):
        return row.actor or "—"

    @admin.display(description=_("reason"))
    def why(self, row):
        return row.reason

    @admin.display(description=_("action"), ordering="action")
    def what(self, row):
        return row.action_label

    @admin.display(description=_("object"))
    def about(self, row):
        try:
            name = apps.get_model(row.object_type)._meta.verbose_name
        except (LookupError, ValueError):  # no model (the roster's import or export): the action says what it was
            return "—"
        return f"{name} #{row.object_id}"

    @admin.display(description=_("state change"))
    def change(self, row):
        if row.from_state == row.to_state:
            return row.to_label or "—"
        return f"{row.from_label or '∅'} → {row.to_label or '∅'}"

    @admin.display(description=_("details"))
    def details(self, row):
        return format_html('<pre data-raw>{}</pre>', json.dumps(row.data, ensure_ascii=False, indent=2))

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


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabels, DjangoGroupAdmin):
    """Django's, with the permissions named in the reader's language."""
