from __future__ import annotations

from django.contrib import admin

from field.models import ImportedKey, ImportMark


@admin.register(ImportMark)
class ImportMarkAdmin(admin.ModelAdmin):
    """Where each old table's import stands; deleting a mark makes the next run start over."""

    list_display = ["table", "value", "updated_at"]
    readonly_fields = ["table", "value", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportedKey)
class ImportedKeyAdmin(admin.ModelAdmin):
    list_display = ["table", "old_key", "object_id"]
    list_filter = ["table"]
    search_fields = ["old_key"]
    readonly_fields = ["table", "old_key", "object_id"]

    def has_add_permission(self, request) -> bool:
        return False
