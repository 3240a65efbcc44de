"""The raw readings of the fleet, and the marks of hours that received late ones.

They live in the telemetry database. No foreign key crosses to the default database: device
and station ids are plain integers. Each reading table's primary key is (device, ts), so on
InnoDB it is the clustered index and a device's time range is one index range scan. Read and
write them only through `telemetry/store.py`, so another store (MongoDB) can stand behind the
same functions. The tables keep the names they had when these models lived in `generation`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InverterReading(models.Model):
    pk = models.CompositePrimaryKey("inverter_id", "ts")
    inverter_id = models.BigIntegerField()
    station_id = models.BigIntegerField()
    ts = models.DateTimeField()
    ac_kw = models.FloatField(null=True)
    dc_kw = models.FloatField(null=True)
    dc_v = models.FloatField(null=True)
    dc_a = models.FloatField(null=True)
    ac_v1 = models.FloatField(null=True)
    ac_v2 = models.FloatField(null=True)
    ac_v3 = models.FloatField(null=True)
    ac_a1 = models.FloatField(null=True)
    ac_a2 = models.FloatField(null=True)
    ac_a3 = models.FloatField(null=True)
    freq_hz = models.FloatField(null=True)
    pf = models.FloatField(null=True)
    temp_c = models.FloatField(null=True)
    day_kwh = models.FloatField(null=True)
    total_kwh = models.FloatField(null=True)
    state = models.IntegerField(null=True)
    fault_bits = models.BigIntegerField(null=True)

    class Meta:
        db_table = "generation_inverterreading"
        indexes = [models.Index(fields=["station_id", "ts"], name="invreading_station_ts")]


class CombinerReading(models.Model):
    pk = models.CompositePrimaryKey("box_id", "ts")
    box_id = models.BigIntegerField()
    station_id = models.BigIntegerField()
    ts = models.DateTimeField()
    voltage = models.FloatField(null=True)
    currents = models.JSONField(default=list)

    class Meta:
        db_table = "generation_combinerreading"
        indexes = [models.Index(fields=["station_id", "ts"], name="cbreading_station_ts")]


class SensorReading(models.Model):
    pk = models.CompositePrimaryKey("sensor_id", "ts")
    sensor_id = models.BigIntegerField()
    station_id = models.BigIntegerField()
    ts = models.DateTimeField()
    value = models.FloatField(null=True)

    class Meta:
        db_table = "generation_sensorreading"
        indexes = [models.Index(fields=["station_id", "ts"], name="sensorreading_station_ts")]


class GridReport(models.Model):
    pk = models.CompositePrimaryKey("station_id", "ts")
    station_id = models.BigIntegerField()
    ts = models.DateTimeField()
    outage = models.BooleanField()

    class Meta:
        db_table = "generation_gridreport"


class DirtyHour(models.Model):
    """An inverter hour that received readings after it was rolled up: the rollups recompute it
    (telemetry/store.py marks, lists and clears them for generation/rollups.py)."""

    pk = models.CompositePrimaryKey("inverter_id", "hour_start")
    inverter_id = models.BigIntegerField()
    hour_start = models.DateTimeField()
    marked_at = models.DateTimeField()

    class Meta:
        db_table = "generation_dirtyhour"


class RefusedReading(models.Model):
    """One item of an ingest batch that the ingest refused, kept REFUSED_READINGS_DAYS for the
    operators to see what a collector sends wrong (telemetry/refusals.py writes and purges them).
    The collector and the plant are plain ids, as everywhere in this database."""

    collector_id = models.BigIntegerField(_("collector"))
    station_id = models.BigIntegerField(_("plant"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    section = models.CharField(_("section"), max_length=20)
    index = models.PositiveIntegerField(_("index in the section"))
    field = models.CharField(_("field"), max_length=50, blank=True)
    code = models.CharField(_("error code"), max_length=40)
    message = models.CharField(_("explanation"), max_length=300)
    item = models.TextField(_("item as sent"))

    class Meta:
        verbose_name = _("refused reading")
        verbose_name_plural = _("refused readings")
        indexes = [
            models.Index(fields=["received_at"], name="refused_received"),
            models.Index(fields=["collector_id", "received_at"], name="refused_collector"),
            models.Index(fields=["station_id", "received_at"], name="refused_station"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.section}[{self.index}]"


class IngestTally(models.Model):
    """Items a collector sent and items refused, per UTC hour: the refusal rate's two counts
    (a rate needs what was accepted too, which no refused row tells)."""

    pk = models.CompositePrimaryKey("collector_id", "hour")
    collector_id = models.BigIntegerField()
    hour = models.DateTimeField()
    items = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["hour"], name="ingesttally_hour")]
