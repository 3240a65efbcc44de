from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from economics.models import Contract, PlantEconomics, RecPrice, SmpPrice
from economics.revenue import station_rec_weight


@admin.register(SmpPrice)
class SmpPriceAdmin(admin.ModelAdmin):
    list_display = ["date", "market", "period", "won_per_kwh", "updated_at"]
    list_filter = ["market", "period"]
    date_hierarchy = "date"


@admin.register(RecPrice)
class RecPriceAdmin(admin.ModelAdmin):
    list_display = ["week_start", "won_per_rec", "updated_at"]
    date_hierarchy = "week_start"


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["station", "kind", "starts_on", "ends_on", "fixed_won_per_kwh", "note"]
    list_filter = ["kind"]
    search_fields = ["station__code", "station__name", "note"]
    autocomplete_fields = ["station"]


@admin.register(PlantEconomics)
class PlantEconomicsAdmin(admin.ModelAdmin):
    list_display = ["station", "installation_type", "rec_weight", "weight_in_use"]
    list_filter = ["installation_type"]
    search_fields = ["station__code", "station__name"]
    autocomplete_fields = ["station"]

    @admin.display(description=_("REC weight in use"))
    def weight_in_use(self, obj: PlantEconomics):
        return station_rec_weight(station=obj.station, settings=obj)
