from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from monitoring.models import (
    Collector,
    CombinerBox,
    Command,
    CommandEvent,
    Inverter,
    InverterStatus,
    KeyValue,
    PostalArea,
    PowerStation,
    Sensor,
    SensorType,
    StationStatus,
    sensor_kinds,
)


class InverterInline(admin.TabularInline):
    model = Inverter
    extra = 0
    fields = [
        "number",
        "maker",
        "model",
        "serial",
        "capacity_kw",
        "capacity_kwp",
        "phases",
        "collector",
        "is_active",
    ]


class CombinerBoxInline(admin.TabularInline):
    model = CombinerBox
    extra = 0


class SensorForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=sensor_kinds)

    class Meta:
        model = Sensor
        fields = ["station", "kind", "name"]


class SensorInline(admin.TabularInline):
    model = Sensor
    form = SensorForm
    extra = 0


@admin.register(SensorType)
class SensorTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(PostalArea)
class PostalAreaAdmin(admin.ModelAdmin):
    list_display = ["postal_code", "province", "city", "district"]
    list_filter = ["province"]
    search_fields = ["postal_code", "city", "district"]


@admin.register(PowerStation)
class PowerStationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "customer",
        "region",
        "capacity_kwp",
        "capacity_kw",
        "dc_ac_ratio",
        "inverter_count",
        "status",
        "manager",
    ]
    list_filter = ["region", "status", "manager"]
    list_select_related = ["customer", "manager"]
    search_fields = ["code", "name", "customer__name", "address"]
    autocomplete_fields = ["customer", "manager"]
    inlines = [InverterInline, CombinerBoxInline, SensorInline]

    class Media:
        css = {"all": ["admin-forms.css"]}  # the inlines' widths: the form fits 1,440 px
    fieldsets = [
        (None, {"fields": ["code", "name", "status", "customer", "manager", "sms_phone"]}),
        (
            _("Place"),
            {"fields": ["region", "address", "postal_code", "province", "city", "latitude",
                        "longitude", "time_zone"]},
        ),  # fmt: skip
        (_("Plant"), {"fields": ["capacity_kwp", "capacity_kw", "dc_ac_ratio", "installed_on"]}),
        (_("Alarm thresholds"), {"fields": ["comm_loss_minutes", "stop_minutes"]}),
    ]
    readonly_fields = ["dc_ac_ratio"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(inverter_total=Count("inverters"))
            .prefetch_related("inverters")
        )

    @admin.display(description=_("inverters"), ordering="inverter_total")
    def inverter_count(self, station: PowerStation) -> int:
        return station.inverter_total

    @admin.display(description=_("DC/AC ratio"))
    def dc_ac_ratio(self, station: PowerStation) -> str:
        ratio = station.dc_ac_ratio() if station.pk else None
        return "–" if ratio is None else f"{ratio:.2f}"


@admin.register(Collector)
class CollectorAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "station_codes",
        "token_prefix",
        "is_active",
        "last_seen",
        "remote_address",
        "software_version",
    ]
    list_filter = ["is_active", "stations__region"]
    search_fields = ["name", "stations__code", "stations__name", "stations__customer__name"]
    filter_horizontal = ["stations"]
    readonly_fields = [
        "token_prefix",
        "last_seen",
        "remote_address",
        "software_version",
        "uptime_seconds",
        "clock_offset_seconds",
    ]
    actions = ["issue_tokens"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stations")

    @admin.display(description=_("stations"))
    def station_codes(self, collector: Collector) -> str:
        return ", ".join(station.code for station in collector.stations.all())

    @admin.action(description=_("Issue a new token"), permissions=["change"])
    def issue_tokens(self, request, queryset):
        """Shows the new tokens on a page of their own, once; only their hashes are kept."""
        issued = [(collector, collector.issue_token()) for collector in queryset]
        return TemplateResponse(
            request,
            "admin/monitoring/collector/issued_tokens.html",
            {
                **self.admin_site.each_context(request),
                "title": _("New collector tokens"),
                "opts": self.model._meta,
                "issued": issued,
            },
        )


@admin.register(Inverter)
class InverterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "station", "number", "maker", "model", "capacity_kw",
                    "dc_kwp", "dc_ac_ratio", "collector"]  # fmt: skip
    list_filter = ["station__region", "station__status", "is_active", "maker"]
    list_select_related = ["station", "collector"]
    search_fields = ["station__code", "station__name", "station__customer__name", "serial"]
    autocomplete_fields = ["station", "collector"]
    readonly_fields = ["dc_ac_ratio"]  # generation/admin.py adds the reading interval

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("station__inverters")

    @admin.display(description=_("DC capacity (kWp)"))
    def dc_kwp(self, inverter: Inverter) -> str:
        return f"{inverter.dc_kwp():.2f}"

    @admin.display(description=_("DC/AC ratio"))
    def dc_ac_ratio(self, inverter: Inverter) -> str:
        return f"{inverter.dc_ac_ratio():.2f}" if inverter.pk else "–"


@admin.register(CombinerBox)
class CombinerBoxAdmin(admin.ModelAdmin):
    list_display = ["__str__", "station", "number", "channels"]
    list_filter = ["station__region"]
    list_select_related = ["station"]
    search_fields = ["station__code", "station__name", "station__customer__name"]
    autocomplete_fields = ["station"]


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    form = SensorForm
    list_display = ["name", "station", "kind"]
    list_filter = ["kind", "station__region"]
    list_select_related = ["station"]
    search_fields = ["name", "station__code", "station__name", "station__customer__name"]
    autocomplete_fields = ["station"]


@admin.register(KeyValue)
class KeyValueAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "updated_at"]
    search_fields = ["key"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Latest state written by the ingest and detection: looked at here, never edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InverterStatus)
class InverterStatusAdmin(ReadOnlyAdmin):
    list_display = ["inverter", "state", "state_since", "last_ts", "ac_kw", "day_kwh"]
    list_filter = ["state", "station__region"]
    list_select_related = ["inverter__station"]
    search_fields = ["station__code", "station__name"]


@admin.register(StationStatus)
class StationStatusAdmin(ReadOnlyAdmin):
    list_display = ["station", "grid_outage", "grid_ts", "last_ts"]
    list_filter = ["grid_outage", "station__region"]
    list_select_related = ["station"]
    search_fields = ["station__code", "station__name"]


class CommandEventInline(admin.TabularInline):
    model = CommandEvent
    extra = 0
    can_delete = False
    fields = ["state", "at", "user", "collector", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    """Read-only: commands are given and cancelled through the API and the plant page, where
    the rules (who may, one open command per target) apply."""

    list_display = ["id", "station", "inverter", "kind", "state", "attempts", "requested_by",
                    "created_at", "finished_at"]  # fmt: skip
    list_filter = ["state", "kind"]
    search_fields = ["station__code", "station__name"]
    date_hierarchy = "created_at"
    inlines = [CommandEventInline]
    readonly_fields = [f.name for f in Command._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CommandEvent)
class CommandEventAdmin(admin.ModelAdmin):
    list_display = ["command", "state", "at", "user", "collector"]
    list_filter = ["state"]
    date_hierarchy = "at"
    readonly_fields = ["command", "state", "at", "user", "collector", "message"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


