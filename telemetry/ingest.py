"""The ingest: a collector's batch of readings, checked item by item, stored, and made current.

    reading_ingest(collector=..., payload=...)
      1. check the batch's shape (BatchError -> 400/413 for the whole batch; the body's size
         and JSON nesting were checked by the API's parser before, by the same limits);
      2. check each item against the registry and physical bounds; a bad item is listed with
         a machine code and a sentence, and the good items go on;
      3. upsert the good items in the telemetry database, all or nothing (telemetry.store),
         and in the same transaction mark the past hours that late items touch for the
         rollups to recompute;
      4. after that commit, move the latest state forward in the default database;
      5. count the batch as a heartbeat of the collector;
      6. keep the refused items and count the batch for the collector's refusal rate
         (telemetry/refusals.py: its own transaction, after the readings' commit; a failure
         there is logged and costs neither the accepted readings nor the answer).

Nothing a collector sends can make this raise anything but BatchError or StorageUnavailable:
a malformed item (a 309-digit number, a time past year 9999 in UTC, a lone surrogate in a
string) is an ItemError, and no sentence echoes a value the answer could not encode. The
registry is read inside the database-error handling too, so an outage is StorageUnavailable
from the first query on.

Two databases are two transactions. Readings are committed first: if step 4 then fails, the
caller answers 503, the collector sends the batch again, step 3 finds every item a duplicate
and step 4 runs again, moving the state forward. Step 4 only ever moves a status forward in
time, so running it twice or late is harmless; the reverse order could show a latest state
whose readings were never stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from monitoring.changes import plants_changed
from monitoring.models import Collector, CombinerBox, Inverter, PowerStation, Sensor
from monitoring.states import collector_is_down
from telemetry import store
from telemetry.latest_state import GridSnapshot, InverterSnapshot, latest_state_update
from telemetry.refusals import refusals_record

SECTIONS = {
    "readings": "inverter",
    "combiner_boxes": "combiner",
    "sensors": "sensor",
    "grid": "grid",
}
DEVICE_FIELD = {"readings": "inverter", "combiner_boxes": "box", "sensors": "sensor",
                "grid": "station"}  # fmt: skip
MAX_FUTURE = timedelta(minutes=5)
# A heartbeat's uptime and clock beyond these are no collector's: a unit error, a broken field.
MAX_UPTIME = 100 * 365 * 24 * 3600
MAX_CLOCK_OFFSET = timedelta(days=100 * 365)
# A batch's limits, one rule: at most INGEST_MAX_ITEMS items, and a body of at most 1 KiB per
# allowed item (5,000 items of up to 1 KB fit, with their commas and the sections' names).
BYTES_PER_ITEM = 1024
# Python reads integers of at most 4,300 digits (a guard against slow conversions); a longer one
# stands in as 10^4300, which is out of every field's range and so refused item by item.
MAX_INTEGER_DIGITS = 4300
ECHO_LENGTH = 40
# Values outside these are not physics but a broken meter or a wrong unit.
FIXED_BOUNDS = {
    "dc_v": (0, 1500),
    "dc_a": (0, 5000),
    "ac_v": (0, 1000),
    "ac_a": (0, 5000),
    "freq_hz": (0, 100),
    "pf": (-1, 1),
    "temp_c": (-50, 150),
    "total_kwh": (0, 1e12),
    "state": (0, 65535),
    "fault_bits": (0, 2**63 - 1),
    "voltage": (0, 1500),
    "currents": (-100, 100),
}
NUMBER, PHASES, INTEGER = "number", "phases", "integer"
NO_PHASES = (None, None, None)
NUMBER_TYPES = frozenset([int, float])
# The inverter item's fields in the order of store.INVERTER's value columns (after station_id).
INVERTER_FIELDS = [
    ("ac_kw", NUMBER), ("dc_kw", NUMBER), ("dc_v", NUMBER), ("dc_a", NUMBER),
    ("ac_v", PHASES), ("ac_a", PHASES), ("freq_hz", NUMBER), ("pf", NUMBER),
    ("temp_c", NUMBER), ("day_kwh", NUMBER), ("total_kwh", NUMBER),
    ("state", INTEGER), ("fault_bits", INTEGER),
]  # fmt: skip
SENSOR_BOUNDS = {
    Sensor.Kind.POA_IRRADIANCE: (-20, 2000),
    Sensor.Kind.GHI_IRRADIANCE: (-20, 2000),
    Sensor.Kind.MODULE_TEMP: (-50, 150),
    Sensor.Kind.AMBIENT_TEMP: (-50, 80),
}


class BatchError(Exception):
    """The whole batch is refused: `status` is the HTTP status to answer."""

    def __init__(self, code: str, message: str, *, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class StorageUnavailable(Exception):
    """The database failed while storing; nothing of the batch's readings was kept."""


class ItemProblem(Exception):
    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


@dataclass(frozen=True)
class ItemError:
    section: str
    index: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"section": self.section, "index": self.index, "field": self.field,
                "code": self.code, "message": self.message}  # fmt: skip


@dataclass
class IngestResult:
    accepted: int = 0
    duplicate: int = 0
    updated: int = 0
    errors: list[ItemError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "updated": self.updated,
            "rejected": self.rejected,
            "errors": [error.as_dict() for error in self.errors],
        }


def batch_max_bytes() -> int:
    """The largest body the ingest reads: the item limit's share of bytes."""
    return settings.INGEST_MAX_ITEMS * BYTES_PER_ITEM


def reading_ingest(
    *,
    collector: Collector,
    payload: object,
    remote_address: str | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Check, store and apply one batch from `collector`; see the module docstring."""
    now = now or timezone.now()
    sections = batch_sections(payload)
    try:
        registry = Registry.load(collector=collector, sections=sections)
    except DatabaseError as error:
        raise StorageUnavailable(str(error)) from error
    checker = ItemChecker(registry=registry, now=now)
    result = IngestResult()
    rows: dict[str, list[store.Row]] = {}
    for section, items in sections.items():
        table_rows = rows.setdefault(SECTIONS[section], [])
        for index, item in enumerate(items):
            try:
                table_rows.append(checker.check(section, item))
            except ItemProblem as problem:
                result.errors.append(
                    ItemError(section, index, problem.field, problem.code, problem.message)
                )
    try:
        with transaction.atomic(using=store.DATABASE):
            stored = store.readings_upsert(rows=rows)
            store.late_readings_mark(_changed_inverter_keys(rows, stored), now=now)
        with transaction.atomic(using="default"):
            latest_state_update(
                inverters=[_inverter_snapshot(row) for row in _newest(rows.get("inverter", []))],
                grid=[
                    GridSnapshot(row.device_id, row.ts, row.values[0])
                    for row in _newest(rows.get("grid", []))
                ],
            )
            collector_seen(collector=collector, remote_address=remote_address, now=now)
    except DatabaseError as error:
        raise StorageUnavailable(str(error)) from error
    refusals_record(
        collector_id=collector.pk,
        station_ids={code: station.pk for code, station in registry.stations.items()},
        sections=sections,
        refusals=result.errors,
        now=now,
    )
    result.accepted = stored.counts[store.NEW]
    result.duplicate = stored.counts[store.DUPLICATE]
    result.updated = stored.counts[store.UPDATED]
    return result


def _changed_inverter_keys(rows: dict[str, list[store.Row]], stored: store.UpsertResult):
    """(inverter_id, ts) of the inverter rows that were new or changed: late ones mark their
    hour for the rollups to recompute (a duplicate changes nothing)."""
    outcomes = stored.outcomes.get("inverter", [])
    return (
        (row.device_id, row.ts)
        for row, outcome in zip(rows.get("inverter", []), outcomes, strict=False)
        if outcome != store.DUPLICATE
    )


def batch_sections(payload: object) -> dict[str, list]:
    """The batch's sections, or a BatchError saying what is wrong with its shape."""
    if not isinstance(payload, dict):
        raise BatchError("not_an_object", _("The body must be a JSON object with readings."))
    unknown = sorted(set(payload) - set(SECTIONS))
    if unknown:
        raise BatchError(
            "unknown_section",
            _("Unknown section %(names)s; the sections are %(known)s.")
            % {"names": ", ".join(echo(name) for name in unknown), "known": ", ".join(SECTIONS)},
        )
    sections = {}
    for name in SECTIONS:
        items = payload.get(name, [])
        if not isinstance(items, list):
            raise BatchError(
                "invalid_section", _("%(name)s must be a list of items.") % {"name": name}
            )
        if items:
            sections[name] = items
    size = sum(len(items) for items in sections.values())
    if size > settings.INGEST_MAX_ITEMS:
        raise BatchError(
            "batch_too_large",
            _("The batch has %(size)d items; send at most %(max)d per request.")
            % {"size": size, "max": settings.INGEST_MAX_ITEMS},
            status=413,
        )
    return sections


def collector_seen(
    *, collector: Collector, remote_address: str | None, now: datetime, **fields
) -> None:
    """Record that the collector is alive (every ingest and heartbeat)."""
    fields.update(last_seen=now)
    if remote_address:
        fields["remote_address"] = remote_address
    Collector.objects.filter(pk=collector.pk).update(**fields)
    if collector_is_down(last_seen=collector.last_seen, now=now) is not False:
        # It comes back (or is seen first): its plants' state changes.
        plants_changed(station_ids=collector.stations.values_list("pk", flat=True))
    for name, value in fields.items():
        setattr(collector, name, value)


def heartbeat_check(*, body: object, now: datetime) -> dict:
    """The heartbeat's fields as collector_heartbeat's arguments, or ItemProblem naming the
    first wrong one (the whole heartbeat is refused: its fields are one statement)."""
    if not isinstance(body, dict):
        raise ItemProblem("", "not_an_object", _("The body must be a JSON object."))
    version = body.get("software_version", "")
    if not isinstance(version, str) or not is_text(version):
        raise ItemProblem(
            "software_version", "wrong_type", _("software_version must be text.")
        )
    uptime = body.get("uptime_seconds")
    if uptime is not None and (
        isinstance(uptime, bool) or not isinstance(uptime, int) or not 0 <= uptime <= MAX_UPTIME
    ):
        raise ItemProblem(
            "uptime_seconds",
            "out_of_range",
            _("uptime_seconds must be a whole number from 0 to %(max)d (100 years).")
            % {"max": MAX_UPTIME},
        )
    clock = body.get("clock")
    site_clock = None
    if clock is not None:
        try:
            site_clock = parse_timestamp(clock)
        except ItemProblem:
            raise ItemProblem(
                "clock", "invalid_timestamp",
                _("clock must be an ISO 8601 time with an offset, or epoch seconds."),
            ) from None  # fmt: skip
        if abs(site_clock - now) > MAX_CLOCK_OFFSET:
            raise ItemProblem(
                "clock", "out_of_range",
                _("clock is more than 100 years from the server's time; check the site's "
                  "clock."),
            )  # fmt: skip
    return {"software_version": version, "uptime_seconds": uptime, "site_clock": site_clock}


def collector_heartbeat(
    *,
    collector: Collector,
    remote_address: str | None,
    software_version: str = "",
    uptime_seconds: int | None = None,
    site_clock: datetime | None = None,
    now: datetime | None = None,
) -> None:
    now = now or timezone.now()
    offset = (site_clock - now).total_seconds() if site_clock else None
    try:
        collector_seen(
            collector=collector,
            remote_address=remote_address,
            now=now,
            software_version=software_version[:50],
            uptime_seconds=uptime_seconds,
            clock_offset_seconds=offset,
        )
    except DatabaseError as error:
        raise StorageUnavailable(str(error)) from error


def _newest(rows: list[store.Row]) -> list[store.Row]:
    newest: dict[int, store.Row] = {}
    for row in rows:
        if row.device_id not in newest or row.ts >= newest[row.device_id].ts:
            newest[row.device_id] = row
    return list(newest.values())


def _inverter_snapshot(row: store.Row) -> InverterSnapshot:
    v = dict(zip(store.INVERTER.values, row.values, strict=True))
    return InverterSnapshot(
        inverter_id=row.device_id,
        station_id=v["station_id"],
        ts=row.ts,
        ac_kw=v["ac_kw"],
        dc_kw=v["dc_kw"],
        day_kwh=v["day_kwh"],
        total_kwh=v["total_kwh"],
        temp_c=v["temp_c"],
        ac_v=tuple(x for x in (v["ac_v1"], v["ac_v2"], v["ac_v3"]) if x is not None),
        reported_state=v["state"],
        fault_bits=v["fault_bits"],
    )


# --- The registry as one batch sees it --------------------------------------------------------
@dataclass
class Registry:
    collector_id: int
    stations: dict[str, PowerStation]
    served_station_ids: set[int]
    inverters: dict[tuple[int, int], Inverter]
    boxes: dict[tuple[int, int], CombinerBox]
    sensors: dict[tuple[int, str], Sensor]

    @classmethod
    def load(cls, *, collector: Collector, sections: dict[str, list]) -> Registry:
        """Only the stations and devices the batch names, in one query per kind (the plants
        with whether this collector serves each)."""
        codes = {
            item.get("station")
            for items in sections.values()
            for item in items
            if isinstance(item, dict) and isinstance(item.get("station"), str)
        }
        codes = {code for code in codes if is_text(code)}  # the database takes only UTF-8
        # Whether the collector serves each plant in the same query: a round trip less.
        serves = Collector.stations.through.objects.filter(
            collector_id=collector.pk, powerstation_id=OuterRef("pk")
        )
        stations = {
            s.code: s
            for s in PowerStation.objects.filter(code__in=codes)
            .only("id", "code")
            .annotate(served=Exists(serves))
        }
        ids = [s.pk for s in stations.values()]
        served = {s.pk for s in stations.values() if s.served}
        inverters = boxes = sensors = {}
        if "readings" in sections:
            inverters = {
                (i.station_id, i.number): i
                for i in Inverter.objects.filter(station_id__in=ids).only(
                    "id", "station_id", "number", "capacity_kw", "phases", "collector_id"
                )
            }
        if "combiner_boxes" in sections:
            boxes = {(b.station_id, b.number): b
                     for b in CombinerBox.objects.filter(station_id__in=ids)}  # fmt: skip
        if "sensors" in sections:
            sensors = {(s.station_id, s.name): s
                       for s in Sensor.objects.filter(station_id__in=ids)}  # fmt: skip
        return cls(collector.pk, stations, served, inverters, boxes, sensors)


# --- Checking one item ------------------------------------------------------------------------
class ItemChecker:
    """Turns one item into a store.Row or raises ItemProblem naming the field that is wrong."""

    def __init__(self, *, registry: Registry, now: datetime):
        self.registry = registry
        self.latest = now + MAX_FUTURE
        self.earliest = store.retention_cutoff(now=now)
        self._stamps: dict[object, datetime] = {}
        self._inverter_fields: dict[int, list] = {}
        self._inverters: dict[tuple[int, int], tuple[Inverter, list]] = {}

    def check(self, section: str, item: object) -> store.Row:
        if not isinstance(item, dict):
            raise ItemProblem("", "not_an_object", _("Each item must be a JSON object."))
        station = self._station(item)
        ts = self._ts(item)
        if section == "readings":
            return self._inverter(item, station, ts)
        return getattr(self, f"_{SECTIONS[section]}")(item, station, ts)

    def _inverter(self, item: dict, station: PowerStation, ts: datetime) -> store.Row:
        number = item.get("inverter")
        known = self._inverters.get((station.id, number)) if type(number) is int else None
        if known is None:
            known = self._inverter_known(item, station)
        inverter, fields = known
        values = [station.id]
        # The common case inline (a number in range, a list of phases in range); anything
        # else goes through the functions that name what is wrong. `type() is` leaves out
        # bool; NaN fails every comparison, and makes the phases' sum NaN.
        for name, kind, low, high in fields:
            value = item.get(name)
            if value is None:
                values.extend(NO_PHASES if kind == PHASES else (None,))
            elif kind == NUMBER and (type(value) is float or type(value) is int) and (
                low <= value <= high
            ):
                values.append(float(value))
            elif kind == NUMBER:
                values.append(_value(value, name, low, high))
            elif kind == PHASES:
                if (
                    type(value) is list
                    and 0 < len(value) <= inverter.phases
                    and NUMBER_TYPES.issuperset(map(type, value))
                    and low <= min(value)
                    and max(value) <= high
                    and math.isfinite(sum(value))
                ):
                    values.extend(map(float, value))
                    values.extend(NO_PHASES[len(value) :])
                else:
                    values.extend(_phases(value, name, low, high, phases=inverter.phases))
            else:
                values.append(_integer(item, name, low, high))
        return store.Row(inverter.id, ts, tuple(values))

    def _inverter_known(self, item: dict, station: PowerStation) -> tuple[Inverter, list]:
        """The item's inverter and its fields' bounds, or ItemProblem; kept for the batch's
        next readings of the same inverter once it is known to be this collector's."""
        number = _integer(item, "inverter", 1, 65535, required=True)
        inverter = self.registry.inverters.get((station.pk, number))
        if inverter is None:
            raise ItemProblem(
                "inverter",
                "unknown_device",
                _("Plant %(code)s has no inverter %(number)s.")
                % {"code": station.code, "number": number},
            )
        serves = (
            inverter.collector_id == self.registry.collector_id
            if inverter.collector_id
            else station.pk in self.registry.served_station_ids
        )
        if not serves:
            raise ItemProblem(
                "inverter",
                "not_your_device",
                _("Inverter %(number)s of plant %(code)s is not served by this collector.")
                % {"code": station.code, "number": number},
            )
        known = self._inverters[(station.pk, number)] = (inverter, self._fields_of(inverter))
        return known

    def _fields_of(self, inverter: Inverter) -> list[tuple[str, str, float, float]]:
        """The inverter's fields in store.INVERTER order with their bounds, once per batch."""
        fields = self._inverter_fields.get(inverter.pk)
        if fields is None:
            capacity = float(inverter.capacity_kw)
            bounds = dict(
                FIXED_BOUNDS,
                ac_kw=(-0.05 * capacity, 1.5 * capacity),
                dc_kw=(-0.05 * capacity, 2 * capacity),
                day_kwh=(0, 24 * capacity),
            )
            fields = [(name, kind, *bounds[name]) for name, kind in INVERTER_FIELDS]
            self._inverter_fields[inverter.pk] = fields
        return fields

    def _combiner(self, item: dict, station: PowerStation, ts: datetime) -> store.Row:
        self._served(station)
        number = _integer(item, "box", 1, 65535, required=True)
        box = self.registry.boxes.get((station.pk, number))
        if box is None:
            raise ItemProblem(
                "box",
                "unknown_device",
                _("Plant %(code)s has no combiner box %(number)s.")
                % {"code": station.code, "number": number},
            )
        currents = item.get("currents", [])
        if not isinstance(currents, list):
            raise ItemProblem(
                "currents", "wrong_type", _("currents must be a list of numbers.")
            )
        if len(currents) > box.channels:
            raise ItemProblem(
                "currents",
                "too_many_values",
                _("Combiner box %(number)s has %(channels)d channels, not %(count)d.")
                % {"number": number, "channels": box.channels, "count": len(currents)},
            )
        low, high = FIXED_BOUNDS["currents"]
        checked = [_value(value, f"currents[{i}]", low, high) for i, value in enumerate(currents)]
        voltage = _number(item, "voltage", *FIXED_BOUNDS["voltage"])
        return store.Row(box.pk, ts, (station.pk, voltage, checked))

    def _sensor(self, item: dict, station: PowerStation, ts: datetime) -> store.Row:
        self._served(station)
        name = item.get("sensor")
        if name is None:
            raise ItemProblem("sensor", "missing_field", _("sensor is required."))
        if not isinstance(name, str):
            raise ItemProblem("sensor", "wrong_type", _("sensor must be the sensor's name."))
        sensor = self.registry.sensors.get((station.pk, name))
        if sensor is None:
            raise ItemProblem(
                "sensor",
                "unknown_device",
                _("Plant %(code)s has no sensor named %(name)s.")
                % {"code": station.code, "name": echo(name)},
            )
        value = _number(item, "value", *SENSOR_BOUNDS.get(sensor.kind, (-1e6, 1e6)))
        return store.Row(sensor.pk, ts, (station.pk, value))

    def _grid(self, item: dict, station: PowerStation, ts: datetime) -> store.Row:
        self._served(station)
        outage = item.get("outage")
        if outage is None:
            raise ItemProblem("outage", "missing_field", _("outage is required (true or false)."))
        if not isinstance(outage, bool):
            raise ItemProblem("outage", "wrong_type", _("outage must be true or false."))
        return store.Row(station.pk, ts, (outage,))

    def _station(self, item: dict) -> PowerStation:
        code = item.get("station")
        if code is None:
            raise ItemProblem("station", "missing_field", _("station is required."))
        if not isinstance(code, str):
            raise ItemProblem("station", "wrong_type", _("station must be the plant's code."))
        station = self.registry.stations.get(code)
        if station is None:
            raise ItemProblem(
                "station",
                "unknown_station",
                _("There is no plant %(code)s.") % {"code": echo(code)},
            )
        return station

    def _served(self, station: PowerStation) -> None:
        if station.pk not in self.registry.served_station_ids:
            raise ItemProblem(
                "station",
                "not_your_station",
                _("Plant %(code)s is not served by this collector.") % {"code": station.code},
            )

    def _ts(self, item: dict) -> datetime:
        raw = item.get("ts")
        if raw is None:
            raise ItemProblem("ts", "missing_field", _("ts is required."))
        key = (type(raw), raw) if isinstance(raw, str | int | float) else None
        ts = self._stamps.get(key) if key else None
        if ts is None:
            ts = parse_timestamp(raw)
            if key:
                self._stamps[key] = ts
        if ts > self.latest:
            raise ItemProblem(
                "ts", "future_timestamp",
                _("ts is more than 5 minutes ahead of the server's clock; check the site's "
                  "clock."),
            )  # fmt: skip
        if ts < self.earliest:
            raise ItemProblem(
                "ts", "too_old",
                _("ts is older than the %(days)d days readings are kept.")
                % {"days": settings.RAW_RETENTION_DAYS},
            )  # fmt: skip
        return ts


def parse_timestamp(raw: object) -> datetime:
    """An aware UTC datetime from ISO 8601 with an offset, or from epoch seconds."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ItemProblem(
            "ts", "wrong_type", _("ts must be an ISO 8601 time with an offset or epoch seconds.")
        )
    if isinstance(raw, str):
        try:
            ts = datetime.fromisoformat(raw)
        except ValueError:
            raise ItemProblem(
                "ts",
                "invalid_timestamp",
                _("ts %(value)s is not an ISO 8601 time.") % {"value": echo(raw)},
            ) from None
        if ts.tzinfo is None:
            raise ItemProblem(
                "ts",
                "naive_timestamp",
                _("ts has no UTC offset; add one (for example +09:00) or send epoch seconds."),
            )
        try:
            return ts.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
            raise ItemProblem("ts", "invalid_timestamp", _("ts is not a possible time.")) from None
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ItemProblem("ts", "not_finite", _("ts must be a finite number."))
    if abs(raw) > 1e11:  # later than the year 5138: milliseconds sent as seconds
        raise ItemProblem(
            "ts", "invalid_timestamp", _("ts looks like milliseconds; send epoch seconds.")
        )
    try:
        return datetime.fromtimestamp(raw, UTC)
    except (OverflowError, OSError, ValueError):
        raise ItemProblem("ts", "invalid_timestamp", _("ts is not a possible time.")) from None


def _number(item: dict, name: str, low: float, high: float) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    return _value(value, name, low, high)


def _value(value: object, name: str, low: float, high: float) -> float:
    # The common case first, cheaply: `type() is` leaves out bool, NaN fails the comparison.
    if (type(value) is float or type(value) is int) and low <= value <= high:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ItemProblem(name, "wrong_type", _("%(field)s must be a number.") % {"field": name})
    if isinstance(value, float) and not math.isfinite(value):
        raise ItemProblem(
            name, "not_finite", _("%(field)s must be a finite number.") % {"field": name}
        )
    if not low <= value <= high:
        raise ItemProblem(
            name,
            "out_of_range",
            _("%(field)s is %(value)s, outside %(low)s to %(high)s.")
            % {"field": name, "value": echo(value), "low": _short(low), "high": _short(high)},
        )
    return float(value)


def _integer(
    item: dict, name: str, low: int, high: int, *, required: bool = False
) -> int | None:
    value = item.get(name)
    if value is None:
        if required:
            raise ItemProblem(name, "missing_field", _("%(field)s is required.") % {"field": name})
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ItemProblem(
            name, "wrong_type", _("%(field)s must be a whole number.") % {"field": name}
        )
    if not low <= value <= high:
        raise ItemProblem(
            name,
            "out_of_range",
            _("%(field)s is %(value)s, outside %(low)s to %(high)s.")
            % {"field": name, "value": echo(value), "low": low, "high": high},
        )
    return value


def _phases(
    value: object, name: str, low: float, high: float, *, phases: int
) -> tuple[float | None, float | None, float | None]:
    """Per-phase values: a list of one value per phase (a single number for one phase)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise ItemProblem(
            name, "wrong_type", _("%(field)s must be a list of numbers.") % {"field": name}
        )
    if len(value) > phases:
        raise ItemProblem(
            name,
            "too_many_values",
            _("%(field)s has %(count)d values; the inverter has %(phases)d phases.")
            % {"field": name, "count": len(value), "phases": phases},
        )
    checked = [
        float(v) if (type(v) is float or type(v) is int) and low <= v <= high
        else _value(v, f"{name}[{i}]", low, high)
        for i, v in enumerate(value)
    ]  # fmt: skip
    return tuple(checked + [None] * (3 - len(checked)))


def _short(number: float) -> str:
    return f"{number:g}"


def is_text(value: str) -> bool:
    """True if `value` can be stored and sent back: no lone surrogate ("\\ud800"), which JSON
    allows and UTF-8 cannot encode."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def echo(value: object) -> str:
    """A value a collector sent, fit to quote in a sentence: short, and always encodable."""
    if isinstance(value, int) and abs(value) >= 10**ECHO_LENGTH:  # str() stops at 4,300 digits
        return f"~{'-' if value < 0 else ''}1e{int(abs(value).bit_length() * math.log10(2))}"
    text = value if isinstance(value, str) else repr(value)
    text = text[:ECHO_LENGTH] + ("..." if len(text) > ECHO_LENGTH else "")
    return text if is_text(text) else text.encode("utf-8", "backslashreplace").decode()
