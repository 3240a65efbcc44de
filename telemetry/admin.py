"""Refused readings in the admin: read-only, filtered by collector, plant, code and day.

The rows live in the telemetry database and name their collector and plant by id (no foreign
key crosses the databases), so the two filters list the registry's names and the change list
puts the names beside each page of rows in two queries.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils.translation import gettext_lazy as _

from monitoring.models import Collector, PowerStation
from telemetry.models import RefusedReading


class _IdFilter(admin.SimpleListFilter):
    model = Collector

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in self.names()]

    def names(self):
        return self.model.objects.values_list("pk", "name")

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.parameter_name: int(value)})
        return queryset


class CollectorFilter(_IdFilter):
    title = _("collector")
    parameter_name = "collector_id"


class StationFilter(_IdFilter):
    title = _("plant")
    parameter_name = "station_id"
    model = PowerStation

    def names(self):
        return [(pk, f"{code} {name}") for pk, code, name in
                PowerStation.objects.values_list("pk", "code", "name")]  # fmt: skip


class RefusedReadingChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)
        collectors = dict(
            Collector.objects.filter(pk__in={r.collector_id for r in rows}).values_list(
                "pk", "name"
            )
        )
        stations = dict(
            PowerStation.objects.filter(
                pk__in={r.station_id for r in rows if r.station_id}
            ).values_list("pk", "code")
        )
        for row in rows:
            row.collector_name = collectors.get(row.collector_id, f"#{row.collector_id}")
            row.station_code = stations.get(row.station_id, "") if row.station_id else ""


@admin.register(RefusedReading)
class RefusedReadingAdmin(admin.ModelAdmin):
    list_display = ["received_at", "collector", "plant", "section", "index", "code", "message"]
    list_filter = [CollectorFilter, StationFilter, "code"]
    date_hierarchy = "received_at"
    search_fields = ["item"]
    ordering = ["-received_at", "-id"]
    readonly_fields = [f.name for f in RefusedReading._meta.fields]

    def get_changelist(self, request, **kwargs):
        return RefusedReadingChangeList

    @admin.display(description=_("collector"))
    def collector(self, row: RefusedReading) -> str:
        return getattr(row, "collector_name", str(row.collector_id))

    @admin.display(description=_("plant"))
    def plant(self, row: RefusedReading) -> str:
        return getattr(row, "station_code", "") or "–"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
