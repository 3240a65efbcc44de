"""Readings from the old logs: inverters, combiner boxes, sensors and grid-outage reports,
through the readings store.

A chunk at a time: each row's device is found (missing combiner boxes and sensors are
created), its fields converted, duplicates within the chunk dropped, then one upsert through
telemetry/store.py, the same door the ingest uses. New or changed inverter readings mark
their hours for the rollups' late-data recompute, as the ingest does.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.utils.translation import gettext as _

from field.legacy.importer import Importer, Skip, inverters_by_code
from field.legacy.registry import sensor_kind_ensure
from monitoring.models import CombinerBox, Sensor
from telemetry import store
from telemetry.models import CombinerReading, GridReport, InverterReading, SensorReading


class ReadingImporter(Importer):
    """A chunk at a time: resolve devices, convert, de-duplicate, then one store call."""

    model: type[models.Model]
    device_field: str

    def chunk_import(self, rows: list[dict]) -> None:
        self.summary.counts_add(
            readings_store(model=self.model, rows=self.prepare(rows), fill_only=self.fill_only)
        )

    def prepare(self, rows: list[dict]) -> list[dict]:
        """The chunk's readings, ready for readings_store; skips are counted here."""
        readings: dict[tuple, dict] = {}
        for row in rows:
            try:
                reading = self.reading_from(self.fields(row))
            except Skip as skip:
                self.summary.skip(skip.reason, skip.example or self.example(row))
                continue
            key = (reading[self.device_field], reading["ts"])
            if key in readings:
                self.summary.skip(
                    _("same device and time twice in the old table"), self.example(row)
                )
            readings[key] = reading
        return list(readings.values())

    def timestamp(self, values: dict) -> datetime:
        ts = self.aware(values.pop("ts"))
        if ts is None:
            raise Skip(_("no time"))
        return ts

    def reading_from(self, values: dict) -> dict:
        raise NotImplementedError


class _InverterReadingImporter(ReadingImporter):
    model = InverterReading
    device_field = "inverter_id"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inverters = inverters_by_code()

    def reading_from(self, values: dict) -> dict:
        found = self.inverters.get((str(values.pop("station")), int(values.pop("inverter"))))
        if found is None:
            raise Skip(_("unknown inverter"))
        ts = self.timestamp(values)
        if values.get("fault_bits") is not None:
            values["fault_bits"] = int(values["fault_bits"])
        return {"inverter_id": found[0], "station_id": found[1], "ts": ts, **values}


class _CombinerReadingImporter(ReadingImporter):
    model = CombinerReading
    device_field = "box_id"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.boxes = {
            (station_id, number): box_id
            for box_id, station_id, number in CombinerBox.objects.values_list(
                "id", "station_id", "number"
            )
        }

    def reading_from(self, values: dict) -> dict:
        station_id = self.station_id(values.pop("station"))
        currents = list(values.pop("currents", []))
        while currents and currents[-1] is None:
            currents.pop()
        number = int(values.pop("box"))
        box_id = self.boxes.get((station_id, number))
        if box_id is None:
            box = CombinerBox.objects.create(
                station_id=station_id, number=number, channels=max(len(currents), 1)
            )
            self.summary.notes[_("combiner boxes created")] += 1
            box_id = self.boxes[(station_id, number)] = box.id
        ts = self.timestamp(values)
        return {
            "box_id": box_id,
            "station_id": station_id,
            "ts": ts,
            "currents": currents,
            "voltage": values.get("voltage"),
        }


class _SensorReadingImporter(ReadingImporter):
    model = SensorReading
    device_field = "sensor_id"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sensors = {
            (station_id, name): sensor_id
            for sensor_id, station_id, name in Sensor.objects.values_list(
                "id", "station_id", "name"
            )
        }

    def reading_from(self, values: dict) -> dict:
        station_id = self.station_id(values.pop("station"))
        name = str(values.pop("sensor"))
        sensor_id = self.sensors.get((station_id, name))
        if sensor_id is None:
            kind = sensor_kind_ensure(values.get("kind"), summary=self.summary)
            sensor = Sensor.objects.create(station_id=station_id, name=name, kind=kind)
            self.summary.notes[_("sensors created")] += 1
            sensor_id = self.sensors[(station_id, name)] = sensor.id
        ts = self.timestamp(values)
        return {
            "sensor_id": sensor_id,
            "station_id": station_id,
            "ts": ts,
            "value": values.get("value"),
        }


class _GridReportImporter(ReadingImporter):
    """The old grid-outage status (client_status): a grid report per plant and time."""

    model = GridReport
    device_field = "station_id"

    def reading_from(self, values: dict) -> dict:
        station_id = self.station_id(values.pop("station"))
        outage = values.get("outage")
        if not isinstance(outage, bool):
            raise Skip(_("unknown outage status"), f"status={outage}")
        return {"station_id": station_id, "ts": self.timestamp(values), "outage": outage}


IMPORTERS: dict[str, type[ReadingImporter]] = {
    "inverter_reading": _InverterReadingImporter,
    "combiner_reading": _CombinerReadingImporter,
    "sensor_reading": _SensorReadingImporter,
    "grid_report": _GridReportImporter,
}

READING_TABLES = {InverterReading: "inverter", CombinerReading: "combiner", SensorReading: "sensor",
                  GridReport: "grid"}  # fmt: skip
STORE_OUTCOMES = {store.NEW: "inserted", store.UPDATED: "updated", store.DUPLICATE: "unchanged"}


def readings_store(
    *, model: type[models.Model], rows: list[dict], fill_only: bool = False
) -> dict[str, int]:
    """Upsert readings keyed by (device, ts) through telemetry/store.py (the one door to the
    reading tables); count inserted, updated and unchanged rows. New and changed inverter
    readings mark their hours for the rollups' late-data recompute, as the ingest does. With
    `fill_only` only new readings are written; a stored one that differs is counted as
    disagreed and kept."""
    counts = {"inserted": 0, "updated": 0, "unchanged": 0} | ({"disagreed": 0} if fill_only else {})
    if not rows:
        return counts
    name = READING_TABLES[model]
    table = store.TABLES[name]
    device_field = table.key[0]
    store_rows = [
        store.Row(row[device_field], row["ts"], tuple(map(row.get, table.values))) for row in rows
    ]
    # In primary-key order, InnoDB appends to each device's range instead of jumping between
    # them (old logs come in time order, every inverter interleaved).
    store_rows.sort(key=lambda row: (row.device_id, row.ts))
    if fill_only:
        stored = store.readings_stored(name=name, rows=store_rows)
        for row in store_rows:
            if row.key in stored:
                counts["unchanged" if stored[row.key] == row.values else "disagreed"] += 1
        store_rows = [row for row in store_rows if row.key not in stored]
        if not store_rows:
            return counts
    with transaction.atomic(using=store.DATABASE):
        result = store.readings_upsert(rows={name: store_rows})
        if name == "inverter":
            outcomes = result.outcomes.get(name, [])
            store.late_readings_mark(
                (row.key for row, outcome in zip(store_rows, outcomes, strict=True)
                 if outcome != store.DUPLICATE)
            )  # fmt: skip
    for outcome, number in result.counts.items():
        counts[STORE_OUTCOMES[outcome]] += number
    return counts
