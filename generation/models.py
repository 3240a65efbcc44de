"""Rollups of the readings (hour, day, plant day), statistics and learned reading intervals.

They live in the telemetry database beside the readings (telemetry/models.py). No foreign key
crosses to the default database: device and station ids are plain integers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# --- Rollups (generation/rollups.py writes them; generation/selectors.py reads them) ----------
# Keyed like the readings: (device, period), so a device's range is one clustered range scan.
# `hour_start` is the UTC instant a plant-local clock hour starts; `local_date` / `date` are the
# plant's local day. Only generation/rollups.py writes these rows.


class HourlyGeneration(models.Model):
    """Energy of one inverter in one local clock hour."""

    pk = models.CompositePrimaryKey("inverter_id", "hour_start")
    inverter_id = models.BigIntegerField()
    station_id = models.BigIntegerField()
    hour_start = models.DateTimeField(_("hour starts"))
    local_date = models.DateField(_("local date"))
    local_hour = models.PositiveSmallIntegerField(_("local hour"))
    kwh = models.FloatField(_("kWh"))
    readings = models.PositiveIntegerField(_("readings seen"))
    expected = models.PositiveIntegerField(_("readings expected"))
    complete = models.BooleanField(_("complete"))
    estimated = models.BooleanField(
        _("estimated"), help_text=_("Part of the energy was spread over a gap in the data.")
    )
    counter_reset = models.BooleanField(_("counter reset"), default=False)
    excluded_kwh = models.FloatField(
        _("excluded kWh"),
        default=0,
        help_text=_("Counter jumps larger than the inverter could produce, left out."),
    )
    peak_kw = models.FloatField(_("peak kW"), null=True)
    peak_at = models.DateTimeField(_("peak at"), null=True)
    run_minutes = models.FloatField(_("minutes generating"), default=0)
    daylight_minutes = models.FloatField(
        _("daylight minutes"), default=0, help_text=_("Minutes of the hour with the sun up.")
    )
    covered_minutes = models.FloatField(
        _("daylight minutes with data"),
        default=0,
        help_text=_("Daylight minutes a reading stands for (each until the next, at most the "
                    "expected interval)."),
    )  # fmt: skip
    daylight_run_minutes = models.FloatField(_("daylight minutes generating"), default=0)
    interval_seconds = models.PositiveIntegerField(
        _("expected interval (s)"), null=True, help_text=_("The reading interval assumed.")
    )
    total_kwh_end = models.FloatField(_("lifetime counter at end"), null=True)
    day_kwh_end = models.FloatField(_("day counter at end"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("hourly generation")
        verbose_name_plural = _("hourly generation")
        indexes = [
            models.Index(fields=["station_id", "hour_start"], name="hourlygen_station_hour"),
            models.Index(fields=["local_date"], name="hourlygen_date"),
        ]


class DailyGeneration(models.Model):
    """Energy of one inverter in one local day, from its hourly rows (or a zero fill)."""

    pk = models.CompositePrimaryKey("inverter_id", "date")
    inverter_id = models.BigIntegerField()
    station_id = models.BigIntegerField()
    date = models.DateField(_("date"))
    kwh = models.FloatField(_("kWh"))
    total_kwh_end = models.FloatField(_("lifetime counter at end of day"), null=True)
    counter_kwh = models.FloatField(
        _("kWh by the counter"),
        null=True,
        help_text=_("The day's energy by the inverter's own counter, to check the hourly sum."),
    )
    counter_agrees = models.BooleanField(_("hourly sum agrees with counter"), null=True)
    peak_kw = models.FloatField(_("peak kW"), null=True)
    peak_at = models.DateTimeField(_("peak at"), null=True)
    run_minutes = models.FloatField(_("minutes generating"), default=0)
    daylight_minutes = models.FloatField(_("daylight minutes"), default=0)
    covered_minutes = models.FloatField(_("daylight minutes with data"), default=0)
    daylight_run_minutes = models.FloatField(_("daylight minutes generating"), default=0)
    interval_seconds = models.PositiveIntegerField(_("expected interval (s)"), null=True)
    readings = models.PositiveIntegerField(_("readings seen"), default=0)
    expected = models.PositiveIntegerField(_("readings expected"), default=0)
    completeness = models.FloatField(
        _("completeness"), default=0, help_text=_("Daylight minutes with data over daylight.")
    )
    estimated = models.BooleanField(_("estimated"), default=False)
    counter_reset = models.BooleanField(_("counter reset"), default=False)
    excluded_kwh = models.FloatField(_("excluded kWh"), default=0)
    zero_filled = models.BooleanField(_("zero-filled"), default=False)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("daily generation")
        verbose_name_plural = _("daily generation")
        indexes = [
            models.Index(fields=["station_id", "date"], name="dailygen_station_date"),
            models.Index(fields=["date"], name="dailygen_date"),
        ]


class StationDailyGeneration(models.Model):
    """One plant's day: energy and the KPIs operators judge it by."""

    pk = models.CompositePrimaryKey("station_id", "date")
    station_id = models.BigIntegerField()
    date = models.DateField(_("date"))
    region = models.CharField(_("region"), max_length=12)
    capacity_kwp = models.FloatField(_("DC capacity (kWp)"))
    capacity_kw = models.FloatField(_("AC capacity (kW)"), null=True)
    inverters = models.PositiveIntegerField(pgettext_lazy("count", "inverters"))
    kwh = models.FloatField(_("kWh"))
    specific_yield = models.FloatField(_("specific yield (kWh/kWp)"))
    peak_kw = models.FloatField(_("peak kW"), null=True)
    peak_at = models.DateTimeField(_("peak at"), null=True)
    run_minutes = models.FloatField(_("minutes generating"), default=0)
    daylight_minutes = models.FloatField(_("daylight minutes"), default=0)
    availability = models.FloatField(_("availability"), null=True)
    poa_kwh_m2 = models.FloatField(_("plane-of-array insolation (kWh/m²)"), null=True)
    performance_ratio = models.FloatField(_("performance ratio"), null=True)
    completeness = models.FloatField(_("completeness"), default=0)
    zero_filled = models.BooleanField(_("zero-filled"), default=False)
    underperforming = models.BooleanField(_("under-performing"), default=False)
    flags = models.JSONField(
        _("plausibility flags"),
        default=list,
        help_text=_("Codes of the figures that cannot be right (generation/plausibility.py)."),
    )
    plausible = models.BooleanField(
        _("plausible"), default=True, help_text=_("No flag: counts in the fleet's statistics.")
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("daily plant generation")
        verbose_name_plural = _("daily plant generation")
        indexes = [models.Index(fields=["date", "region"], name="stationdaily_date_region")]


class GenerationStatistics(models.Model):
    """Average and median of one day, over the fleet (scope "fleet") or one region."""

    FLEET = "fleet"

    date = models.DateField(_("date"))
    scope = models.CharField(_("scope"), max_length=12)
    inverters = models.PositiveIntegerField(pgettext_lazy("count", "inverters"))
    inverter_kwh_avg = models.FloatField(_("average kWh per inverter"), null=True)
    inverter_kwh_median = models.FloatField(_("median kWh per inverter"), null=True)
    stations = models.PositiveIntegerField(pgettext_lazy("count", "plants"))
    yield_avg = models.FloatField(_("average specific yield"), null=True)
    yield_median = models.FloatField(_("median specific yield"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("generation statistics")
        verbose_name_plural = _("generation statistics")
        constraints = [
            models.UniqueConstraint(fields=["date", "scope"], name="genstats_date_scope_unique")
        ]


class ReadingCadence(models.Model):
    """How often one inverter sends, learned from its own readings (generation/cadence.py)."""

    inverter_id = models.BigIntegerField(primary_key=True)
    seconds = models.PositiveIntegerField(_("interval (s)"))
    spacings = models.PositiveIntegerField(_("spacings seen"))
    learned_at = models.DateTimeField(_("learned at"))

    class Meta:
        verbose_name = _("reading interval")
        verbose_name_plural = _("reading intervals")
