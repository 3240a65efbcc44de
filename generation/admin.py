"""Read-only admin of the statistics: the jobs write them, nobody edits them by hand.

The rollup tables have composite primary keys, which Django's admin cannot show (5.2); their
figures are read through generation/selectors.py and the exports.
"""

from __future__ import annotations

from django.contrib import admin

from generation.models import GenerationStatistics


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GenerationStatistics)
class GenerationStatisticsAdmin(ReadOnlyAdmin):
    list_display = [
        "date", "scope", "inverters", "inverter_kwh_avg", "inverter_kwh_median", "stations",
        "yield_avg", "yield_median",
    ]  # fmt: skip
    list_filter = ["scope"]
    date_hierarchy = "date"
