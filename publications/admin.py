"""Publication types are data an administrator keeps (SPEC §8): masthead, office, rhythm, numbering, default
distribution and copies, the default mark, and who compiles, reviews and signs. Issues, credits and counters are
shown; issues change only through their services (a signed one never)."""

from django.contrib import admin

from .models import Credit, Issue, IssueCounter, PublicationType, TypeRecipient


class TypeRecipientInline(admin.TabularInline):
    model = TypeRecipient
    extra = 1
    raw_id_fields = ["unit"]


@admin.register(PublicationType)
class PublicationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "rhythm", "numbered_total", "default_copies", "classification", "edit_role",
                    "review_role", "sign_role", "is_active"]
    list_filter = ["rhythm", "is_active", "office__level"]
    search_fields = ["name", "masthead", "office__name"]
    raw_id_fields = ["office"]
    inlines = [TypeRecipientInline]


@admin.register(IssueCounter)
class IssueCounterAdmin(admin.ModelAdmin):
    """Where a year's numbering stands; set `last` to start a year where the paper numbering left off."""

    list_display = ["ptype", "year", "kind", "last"]
    list_filter = ["kind", "year"]


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["id", "ptype", "kind", "year", "number", "total_number", "status", "classification", "signed_at"]
    list_filter = ["status", "kind", "ptype"]
    readonly_fields = [f.name for f in Issue._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Credit)
class CreditAdmin(admin.ModelAdmin):
    list_display = ["id", "issue", "unit", "share", "office_level", "adoption", "combined", "year"]
    list_filter = ["office_level", "adoption", "combined", "year"]
    raw_id_fields = ["issue", "entry", "item", "source_item", "unit", "ptype", "office"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
