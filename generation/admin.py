"""Read-only admin of the statistics (the jobs write them, nobody edits them by hand), and the
reading interval on the registry's inverter page.

The rollup tables have composite primary keys, which Django's admin cannot show (5.2); their
figures are read through generation/selectors.py and the exports.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from generation.cadence import interval_explained
from generation.models import GenerationStatistics
from monitoring import admin as registry_admin
from monitoring.models import Inverter


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


# The registry's inverter page, with what generation knows of it: the interval its figures
# assume. Registered here, since the registry cannot know about rollups.
admin.site.unregister(Inverter)


@admin.register(Inverter)
class InverterAdmin(registry_admin.InverterAdmin):
    readonly_fields = [*registry_admin.InverterAdmin.readonly_fields, "reading_interval"]

    @admin.display(description=_("reading interval"))
    def reading_interval(self, inverter: Inverter) -> str:
        """The interval its figures assume, and where it comes from."""
        return interval_explained(inverter) if inverter.pk else "–"
