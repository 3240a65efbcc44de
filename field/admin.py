from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from events.models import Alarm, EventType
from field.duplicates import duplicates_find
from field.models import DuplicateInverterReport, ImportedKey, ImportMark


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


@admin.register(DuplicateInverterReport)
class DuplicateInverterReportAdmin(admin.ModelAdmin):
    """What the duplicate-inverter check finds now: serials registered twice, and inverters
    with identical readings over the check hour. The daily job raises alarm 402 for them."""

    def changelist_view(self, request, extra_context=None):
        result = duplicates_find()
        open_alarms = Alarm.objects.filter(
            event_type_id=EventType.DUPLICATE_INVERTER, open_key__isnull=False
        ).select_related("station", "inverter")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Duplicate inverters"),
            "result": result,
            "open_alarms": open_alarms,
        }
        return TemplateResponse(request, "admin/field/duplicate_report.html", context)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser
