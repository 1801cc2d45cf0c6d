from django.contrib import admin

from .models import Attachment, Item, ItemVersion


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["original_name", "size", "uploaded_by", "uploaded_at"]


class ItemVersionInline(admin.TabularInline):
    model = ItemVersion
    extra = 0
    readonly_fields = ["number", "edited_by", "created_at", "note"]
    exclude = ["content"]
    can_delete = False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    """For administrators' repairs; people file and review items in the application itself."""

    list_display = ["title", "source_unit", "category", "urgency", "classification", "status", "updated_at"]
    list_filter = ["status", "category", "urgency", "classification"]
    search_fields = ["title", "keywords"]
    raw_id_fields = ["source_unit", "created_by", "first_report", "related_items"]
    list_select_related = ["source_unit"]
    inlines = [AttachmentInline, ItemVersionInline]
