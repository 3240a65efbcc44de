"""Every read and write of raw readings: the one door to the telemetry database's time series.

Views, jobs and other apps call these functions and never the reading models: rows and plain
dataclasses go in and come out, never a QuerySet or a model instance. TELEMETRY_STORE chooses
who answers the reading functions (those marked `@routed`): "sql", the functions below on the
telemetry database, or "mongodb", the functions of the same names in telemetry/mongo_store.py.
The late-hour marks (DirtyHour) stay in the telemetry database with either, beside the rollups
that consume them. Both stores pass one suite, tests/telemetry/test_store_contract.py. Its
contract:

1. a reading is keyed by (device, ts) and stored once, whatever how often it is sent;
2. a reading sent again with other values replaces the stored one;
3. a reading that arrives for an hour already rolled up marks that hour dirty
   (`late_readings_mark`), and the rollups recompute it (`dirty_hours`, `dirty_hours_clear`);
4. readings older than the retention window are purged in bounded chunks;
5. a batch is all or nothing for the caller: a row that is not well formed stores nothing, and a
   store that fails raises a DatabaseError (StoreUnavailable from MongoDB) after which the caller
   may send the same batch again (the SQL store rolls back; the MongoDB store's writes are
   idempotent upserts, see its docstring).
6. a write that stores or changes readings renews their plants' data versions once it commits
   (monitoring/changes.py), so nothing kept from them is served after it.

Writes are upserts keyed by (device, ts): a reading sent twice is stored once, and a reading sent
again with other values replaces the stored one (the site corrected itself). `readings_upsert`
tells the caller which items were new, unchanged or changed, with a bounded number of queries
whatever the batch size: one SELECT of the stored rows and one multi-row upsert per table.

Why not `bulk_create(update_conflicts=True)`: it works with the composite primary keys on both
SQLite and MariaDB, but Django 5.2 caps SQLite statements at 999 parameters, so a 1,000-reading
batch of 21 columns becomes 22 INSERTs, and building model instances costs more than the
database. See solarsite/upsert.py.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Min, Q
from django.utils import timezone

from monitoring import plant_time
from monitoring.changes import plants_changed
from solarsite.db_routers import database_for
from solarsite.upsert import upsert_many, upsert_sql
from telemetry.models import (
    CombinerReading,
    DirtyHour,
    GridReport,
    InverterReading,
    SensorReading,
)

DATABASE = database_for("telemetry")


class StoreUnavailable(DatabaseError):
    """The MongoDB store failed (no server, a timeout, a refused write): answered as a SQL
    outage is, a 503 to a collector, a failed job run."""


STORES = ("sql", "mongodb")
_chosen: ContextVar[str | None] = ContextVar("telemetry_store", default=None)


@contextmanager
def store_chosen(name: str) -> Iterator[None]:
    """Inside, the store `name` answers whatever TELEMETRY_STORE says (telemetry_copy reads
    one store and writes the other)."""
    if name not in STORES:
        raise ValueError(f"no store {name!r}; expected one of {', '.join(STORES)}")
    token = _chosen.set(name)
    try:
        yield
    finally:
        _chosen.reset(token)


def routed(function):
    """With TELEMETRY_STORE=mongodb, the function of the same name in mongo_store answers."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        if (_chosen.get() or settings.TELEMETRY_STORE) == "mongodb":
            from telemetry import mongo_store  # pymongo is loaded only where it is used

            return getattr(mongo_store, function.__name__)(*args, **kwargs)
        return function(*args, **kwargs)

    return call


@dataclass(frozen=True)
class Table:
    """How one reading model is written: its key columns and value columns, in order."""

    model: type
    key: tuple[str, str]
    values: tuple[str, ...]
    json_columns: frozenset[str] = frozenset()

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key, *self.values)

    @property
    def columns_in_row(self) -> tuple[str, ...]:
        """The columns in the order of the row dataclass: device, station, ts, the rest."""
        device, ts = self.key
        rest = tuple(c for c in self.values if c != "station_id")
        return (device, "station_id", ts, *rest)


INVERTER = Table(
    InverterReading,
    ("inverter_id", "ts"),
    (
        "station_id", "ac_kw", "dc_kw", "dc_v", "dc_a", "ac_v1", "ac_v2", "ac_v3",
        "ac_a1", "ac_a2", "ac_a3", "freq_hz", "pf", "temp_c", "day_kwh", "total_kwh",
        "state", "fault_bits",
    ),
)  # fmt: skip
COMBINER = Table(
    CombinerReading,
    ("box_id", "ts"),
    ("station_id", "voltage", "currents"),
    json_columns=frozenset(["currents"]),
)
SENSOR = Table(SensorReading, ("sensor_id", "ts"), ("station_id", "value"))
GRID = Table(GridReport, ("station_id", "ts"), ("outage",))
TABLES = {"inverter": INVERTER, "combiner": COMBINER, "sensor": SENSOR, "grid": GRID}

NEW, DUPLICATE, UPDATED = "accepted", "duplicate", "updated"


@dataclass
class Row:
    """One reading to store: its key (device id, aware ts) and its value columns in order."""

    device_id: int
    ts: datetime
    values: tuple

    @property
    def key(self) -> tuple[int, datetime]:
        return (self.device_id, self.ts)


@dataclass
class UpsertResult:
    counts: dict[str, int] = field(default_factory=lambda: {NEW: 0, DUPLICATE: 0, UPDATED: 0})
    # Per table, the outcome of each row in the order given.
    outcomes: dict[str, list[str]] = field(default_factory=dict)


@routed
def readings_upsert(*, rows: dict[str, Sequence[Row]]) -> UpsertResult:
    """Store rows of each table ("inverter", "combiner", "sensor", "grid"), all or nothing.

    Within a batch the rows are taken in order: the first of a key is new (or a duplicate /
    update of the stored row), a repeat with the same values is a duplicate, a repeat with other
    values is an update and the last one wins. A database error rolls back every table and is
    raised to the caller.
    """
    result = UpsertResult()
    rows_check(rows)
    # No savepoint inside a caller's transaction (the ingest's, the legacy import's): a
    # failure here fails that whole transaction anyway, and a savepoint is two round trips.
    with transaction.atomic(using=DATABASE, savepoint=False):
        for name, table_rows in rows.items():
            if not table_rows:
                continue
            table = TABLES[name]
            stored = _stored_values(table, table_rows)
            outcomes, to_write = _classify(table_rows, stored)
            result.outcomes[name] = outcomes
            for outcome in outcomes:
                result.counts[outcome] += 1
            if to_write:
                _write(table, to_write)
                plants_changed(station_ids=_station_ids(name, to_write), using=DATABASE)
    return result


def rows_check(rows: dict[str, Sequence[Row]]) -> None:
    """Raise ValueError, before anything is written, for a batch that is not well formed: an
    unknown table, a row without the table's number of values or with a naive time."""
    for name, table_rows in rows.items():
        if name not in TABLES:
            raise ValueError(f"no reading table {name!r}; expected one of {', '.join(TABLES)}")
        width = len(TABLES[name].values)
        for index, row in enumerate(table_rows):
            if len(row.values) != width:
                raise ValueError(
                    f"{name} row {index} has {len(row.values)} values; the table takes {width}"
                )
            if row.ts.tzinfo is None:
                raise ValueError(f"{name} row {index} has a naive time; give an aware one")


def _station_ids(name: str, rows: Sequence[Row]) -> set[int]:
    """The plants of written rows: a grid report is keyed by its plant, the rest carry it
    first among their values."""
    return {row.device_id for row in rows} if name == "grid" else {row.values[0] for row in rows}


def _classify(
    rows: Sequence[Row], stored: dict[tuple, tuple]
) -> tuple[list[str], list[Row]]:
    current = dict(stored)
    final: dict[tuple, Row] = {}
    outcomes = []
    for row in rows:
        key = row.key
        if key not in current:
            outcomes.append(NEW)
        elif current[key] == row.values:
            outcomes.append(DUPLICATE)
            continue
        else:
            outcomes.append(UPDATED)
        current[key] = row.values
        final[key] = row
    to_write = [row for key, row in final.items() if stored.get(key) != row.values]
    return outcomes, to_write


def readings_stored(*, name: str, rows: Sequence[Row]) -> dict[tuple, tuple]:
    """The stored values of the rows' keys in table `name`, by key (one query): for a writer
    that must not overwrite (the legacy import's second source)."""
    return _stored_values(TABLES[name], rows)


def _stored_values(table: Table, rows: Sequence[Row]) -> dict[tuple, tuple]:
    """The stored values of the rows' keys, in one query (a superset, filtered here)."""
    device_ids = {row.device_id for row in rows}
    stamps = {row.ts for row in rows}
    device_column, _ = table.key
    found = table.model.objects.using(DATABASE).filter(
        **{f"{device_column}__in": device_ids, "ts__in": stamps}
    ).values_list(*table.columns)
    wanted = {row.key for row in rows}
    stored = {}
    for device_id, ts, *values in found:
        if (device_id, ts) in wanted:
            stored[(device_id, ts)] = tuple(values)
    return stored


def _write(table: Table, rows: Sequence[Row]) -> None:
    connection = connections[DATABASE]
    adapt = connection.ops.adapt_datetimefield_value
    adapted = {ts: adapt(ts) for ts in {row.ts for row in rows}}  # a batch holds few times
    if table.json_columns:
        json_positions = [i for i, name in enumerate(table.values) if name in table.json_columns]
        params = []
        for row in rows:
            values = list(row.values)
            for i in json_positions:
                values[i] = json.dumps(values[i])
            params.append((row.device_id, adapted[row.ts], *values))
    else:
        params = [(row.device_id, adapted[row.ts], *row.values) for row in rows]
    sql = upsert_sql(connection, table=table.model._meta.db_table, key=table.key,
                     values=table.values)  # fmt: skip
    upsert_many(connection, sql, params)


# --- Reads ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InverterReadingRow:
    """One stored inverter reading, as every store gives it back."""

    inverter_id: int
    station_id: int
    ts: datetime
    ac_kw: float | None
    dc_kw: float | None
    dc_v: float | None
    dc_a: float | None
    ac_v1: float | None
    ac_v2: float | None
    ac_v3: float | None
    ac_a1: float | None
    ac_a2: float | None
    ac_a3: float | None
    freq_hz: float | None
    pf: float | None
    temp_c: float | None
    day_kwh: float | None
    total_kwh: float | None
    state: int | None
    fault_bits: int | None


@dataclass(frozen=True)
class CombinerReadingRow:
    box_id: int
    station_id: int
    ts: datetime
    voltage: float | None
    currents: list[float | None]


def _inverter_rows(readings) -> list[InverterReadingRow]:
    columns = INVERTER.columns_in_row
    return [InverterReadingRow(*values) for values in readings.values_list(*columns)]


@routed
def inverter_readings(
    *, inverter_id: int, start: datetime, end: datetime
) -> list[InverterReadingRow]:
    """One inverter's readings with start <= ts < end, oldest first (one PK range scan)."""
    return _inverter_rows(
        InverterReading.objects.using(DATABASE)
        .filter(inverter_id=inverter_id, ts__gte=start, ts__lt=end)
        .order_by("ts")
    )


@routed
def station_inverter_readings(
    *, station_id: int, start: datetime, end: datetime
) -> list[InverterReadingRow]:
    """Every inverter reading of a station with start <= ts < end, by ts then inverter."""
    return _inverter_rows(
        InverterReading.objects.using(DATABASE)
        .filter(station_id=station_id, ts__gte=start, ts__lt=end)
        .order_by("ts", "inverter_id")
    )


@routed
def combiner_readings(*, box_id: int, start: datetime, end: datetime) -> list[CombinerReadingRow]:
    return [
        CombinerReadingRow(*values)
        for values in CombinerReading.objects.using(DATABASE)
        .filter(box_id=box_id, ts__gte=start, ts__lt=end)
        .order_by("ts")
        .values_list("box_id", "station_id", "ts", "voltage", "currents")
    ]


@routed
def latest_inverter_readings(*, inverter_ids: Iterable[int]) -> dict[int, InverterReadingRow]:
    """The newest stored reading of each inverter that has one (one query per inverter, each
    a single index probe from the end of its PK range)."""
    latest = {}
    for inverter_id in inverter_ids:
        found = _inverter_rows(
            InverterReading.objects.using(DATABASE)
            .filter(inverter_id=inverter_id)
            .order_by("-ts")[:1]
        )
        if found:
            latest[inverter_id] = found[0]
    return latest


@routed
def inverter_reading_count(*, inverter_ids: Iterable[int] | None = None) -> int:
    readings = InverterReading.objects.using(DATABASE)
    if inverter_ids is not None:
        readings = readings.filter(inverter_id__in=list(inverter_ids))
    return readings.count()


@routed
def readings_count(*, kind: str, since: datetime | None = None) -> int:
    """How many readings of a kind ("inverter", "combiner", "sensor", "grid") are stored,
    of those taken at or after `since` when it is given."""
    readings = TABLES[kind].model.objects.using(DATABASE)
    if since is not None:
        readings = readings.filter(ts__gte=since)
    return readings.count()


@routed
def readings_page(
    *, kind: str, after: tuple[int, datetime] | None, since: datetime | None, limit: int
) -> list[Row]:
    """Up to `limit` readings of a kind in key order (device, ts), the first one after the key
    `after` (from the start when None), only those taken at or after `since` when given: the
    pages of a copy of the store, each one range of the primary key."""
    table = TABLES[kind]
    device, _ = table.key
    readings = table.model.objects.using(DATABASE)
    if after is not None:
        readings = readings.filter(
            Q(**{f"{device}__gt": after[0]}) | Q(**{device: after[0], "ts__gt": after[1]})
        )
    if since is not None:
        readings = readings.filter(ts__gte=since)
    found = readings.order_by(device, "ts").values_list(*table.columns)[:limit]
    return [Row(device_id, ts, tuple(values)) for device_id, ts, *values in found]


@routed
def first_reading_time() -> datetime | None:
    """When the oldest stored inverter reading was taken (None without any)."""
    return InverterReading.objects.using(DATABASE).aggregate(first=Min("ts"))["first"]


# --- Retention --------------------------------------------------------------------------------
PURGE_CHUNK = 5000


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """Readings older than this are outside the retention window (RAW_RETENTION_DAYS)."""
    return (now or timezone.now()) - timedelta(days=settings.RAW_RETENTION_DAYS)


@routed
def purge_old_readings(*, now: datetime | None = None, chunk: int = PURGE_CHUNK) -> str:
    """Delete raw readings older than the retention window, station by station in chunks of
    about `chunk` rows, each chunk its own short transaction so the ingest never waits long."""
    cutoff = retention_cutoff(now=now)
    deleted = {name: _purge_table(table, cutoff=cutoff, chunk=chunk) for name, table in
               TABLES.items()}  # fmt: skip
    return purge_summary(deleted, cutoff=cutoff)


def purge_summary(deleted: dict[str, int], *, cutoff: datetime) -> str:
    """The purge job's one line: the total, then per table, as both stores report it."""
    total = sum(deleted.values())
    if total:
        plants_changed(using=DATABASE)
    parts = ", ".join(f"{count} {name}" for name, count in deleted.items())
    return f"purged {total} readings older than {cutoff:%Y-%m-%d %H:%M} UTC ({parts})"


def _purge_table(table: Table, *, cutoff: datetime, chunk: int) -> int:
    """Uses the (station_id, ts) index: per station, find the ts of the chunk-th oldest old row
    and delete up to it, so each DELETE is one bounded index range."""
    readings = table.model.objects.using(DATABASE)
    station_ids = list(
        readings.filter(ts__lt=cutoff).values_list("station_id", flat=True).distinct()
    )
    deleted = 0
    for station_id in station_ids:
        while True:
            old = readings.filter(station_id=station_id, ts__lt=cutoff)
            boundary = old.order_by("ts").values_list("ts", flat=True)[chunk - 1 : chunk].first()
            if boundary is not None:
                old = old.filter(ts__lte=boundary)
            count, _ = old.delete()
            deleted += count
            if boundary is None:
                break
    return deleted


@routed
def latest_combiner_currents(
    *, since: datetime, until: datetime | None = None
) -> dict[int, tuple[datetime, list[float | None]]]:
    """Per combiner box, the newest reading's time and channel currents in [since, until].

    One query over the recent window of the whole fleet (detection runs it once per pass).
    """
    readings = CombinerReading.objects.using(DATABASE).filter(ts__gte=since)
    if until is not None:
        readings = readings.filter(ts__lte=until)
    latest: dict[int, tuple[datetime, list[float | None]]] = {}
    for box_id, ts, currents in readings.values_list("box_id", "ts", "currents"):
        if box_id not in latest or ts > latest[box_id][0]:
            latest[box_id] = (ts, list(currents or []))
    return latest


# --- Reads for rollups and selectors -----------------------------------------------------------
# Rollups read raw readings only through these functions. Times cross this boundary as aware
# datetimes going in and as whole UTC epoch seconds coming out of the bulk reads, which spares
# the rollup of millions of rows a datetime object per reading. SQL is written per vendor where
# the ORM would be too slow; the MongoDB store answers the same functions.
CounterRow = tuple[int, int, float | None, float | None, float | None]
"""(inverter_id, epoch seconds, ac_kw, day_kwh, total_kwh)"""


def _epoch_sql(vendor: str, column: str) -> str:
    if vendor == "mysql":
        return f"TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {column})"
    if vendor == "sqlite":
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"
    raise NotImplementedError(f"no epoch expression for the {vendor} backend")


def _in_list(ids: Iterable[int]) -> tuple[str, list[int]]:
    ids = [int(i) for i in ids]
    return ",".join(["%s"] * len(ids)), ids


@routed
def counter_rows(
    *, inverter_ids: Iterable[int], start: datetime, end: datetime
) -> Iterator[CounterRow]:
    """Readings of these inverters in [start, end), ordered by inverter and time."""
    ids = list(inverter_ids)
    if not ids:
        return
    connection = connections[DATABASE]
    vendor = connection.vendor
    marks, params = _in_list(ids)
    sql = (
        f"SELECT inverter_id, {_epoch_sql(vendor, 'ts')}, ac_kw, day_kwh, total_kwh "
        f"FROM {InverterReading._meta.db_table} "
        f"WHERE inverter_id IN ({marks}) AND ts >= %s AND ts < %s ORDER BY inverter_id, ts"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *params,
                connection.ops.adapt_datetimefield_value(start),
                connection.ops.adapt_datetimefield_value(end),
            ],
        )
        while rows := cursor.fetchmany(20000):
            yield from rows


@routed
def counter_rows_before(
    *, inverter_ids: Iterable[int], before: datetime, not_before: datetime
) -> dict[int, CounterRow]:
    """Per inverter, its last reading in [not_before, before): the baseline of a window."""
    return _edge_rows(inverter_ids, start=not_before, end=before, pick="MAX")


@routed
def counter_rows_after(
    *, inverter_ids: Iterable[int], after: datetime, not_after: datetime
) -> dict[int, CounterRow]:
    """Per inverter, its first reading in [after, not_after): what closes a window's gap."""
    return _edge_rows(inverter_ids, start=after, end=not_after, pick="MIN")


def _edge_rows(inverter_ids, *, start: datetime, end: datetime, pick: str) -> dict:
    ids = list(inverter_ids)
    if not ids:
        return {}
    connection = connections[DATABASE]
    vendor = connection.vendor
    marks, params = _in_list(ids)
    table = InverterReading._meta.db_table
    sql = (
        f"SELECT r.inverter_id, {_epoch_sql(vendor, 'r.ts')}, r.ac_kw, r.day_kwh, r.total_kwh "
        f"FROM {table} r JOIN ("
        f"  SELECT inverter_id, {pick}(ts) AS edge_ts FROM {table}"
        f"  WHERE inverter_id IN ({marks}) AND ts >= %s AND ts < %s GROUP BY inverter_id"
        f") m ON m.inverter_id = r.inverter_id AND m.edge_ts = r.ts"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, adapt(start), adapt(end)])
        return {row[0]: tuple(row) for row in cursor.fetchall()}


@routed
def power_points(
    *, inverter_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, float | None]]:
    """(inverter_id, ts, ac_kw) in [start, end), for one plant's power curve."""
    return list(
        InverterReading.objects.using(DATABASE).filter(
            inverter_id__in=list(inverter_ids), ts__gte=start, ts__lt=end
        )
        .order_by("inverter_id", "ts")
        .values_list("inverter_id", "ts", "ac_kw")
    )


@routed
def sensor_points(
    *, sensor_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, float | None]]:
    """(sensor_id, ts, value) in [start, end), ordered by sensor and time."""
    return list(
        SensorReading.objects.using(DATABASE)
        .filter(sensor_id__in=list(sensor_ids), ts__gte=start, ts__lt=end)
        .order_by("sensor_id", "ts")
        .values_list("sensor_id", "ts", "value")
    )


# --- Late readings: the hours the rollups must recompute ----------------------------------------

# The hourly rollup runs at :02 for the hour just ended. A reading for an hour that ended more
# than this long ago may have arrived after that run read its hour, so it marks the hour
# dirty. The margin is below the job's 2 minutes so that an ingest racing the job is caught.
LATE_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class DirtyMark:
    """An inverter hour that received readings after it was rolled up, and when it was marked."""

    inverter_id: int
    hour_start: datetime
    marked_at: datetime


def late_readings_mark(
    readings: Iterable[tuple[int, datetime]], *, now: datetime | None = None
) -> int:
    """Mark the hours that these stored readings (inverter_id, ts) arrived late for.

    Whoever stores readings (the ingest, the legacy import) calls this once per batch, after
    (or in the same telemetry transaction as) the upsert of the readings. Readings of the
    current hour, or of an hour that ended less than LATE_AFTER ago, are not late and mark
    nothing. Marking is idempotent; re-marking an hour that is being recomputed moves its
    `marked_at`, so that recompute cannot clear it. Returns the number of hours marked.
    """
    now = now or timezone.now()
    latest_end = now - LATE_AFTER
    hours = set()
    late_hour: dict[datetime, datetime | None] = {}  # a batch holds few distinct times
    for inverter_id, ts in readings:
        if ts in late_hour:
            hour = late_hour[ts]
        else:
            hour = ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            hour = late_hour[ts] = hour if hour + plant_time.HOUR <= latest_end else None
        if hour is not None:
            hours.add((int(inverter_id), hour))
    dirty_hours_mark(hours, now=now)
    return len(hours)


def dirty_hours_mark(hours: Iterable[tuple[int, datetime]], *, now: datetime) -> None:
    """Mark these (inverter_id, UTC hour start) dirty as of `now` (a mark there moves): one
    multi-row upsert in key order (two writers then lock the same rows in the same order)."""
    connection = connections[DATABASE]
    adapt = connection.ops.adapt_datetimefield_value
    marked_at = adapt(now)
    marks = [(inverter_id, adapt(hour), marked_at) for inverter_id, hour in sorted(hours)]
    if not marks:
        return
    sql = upsert_sql(connection, table=DirtyHour._meta.db_table,
                     key=("inverter_id", "hour_start"), values=("marked_at",))  # fmt: skip
    # All or none, should the marks take more than one statement; inside the caller's
    # transaction (the ingest's), no savepoint.
    with transaction.atomic(using=DATABASE, savepoint=False):
        upsert_many(connection, sql, marks)


def dirty_hours(*, limit: int) -> list[DirtyMark]:
    """The oldest `limit` marks, oldest hour first."""
    return [
        DirtyMark(*values)
        for values in DirtyHour.objects.using(DATABASE)
        .order_by("hour_start")
        .values_list("inverter_id", "hour_start", "marked_at")[:limit]
    ]


def dirty_hours_clear(marks: list[DirtyMark]) -> int:
    """Delete these marks unless they were marked again since they were read (guarded)."""
    connection = connections[DATABASE]
    adapt = connection.ops.adapt_datetimefield_value
    quote = connection.ops.quote_name
    columns = [quote(c) for c in ("inverter_id", "hour_start", "marked_at")]
    guard = "(" + " AND ".join(f"{c} = %s" for c in columns) + ")"
    delete = f"DELETE FROM {quote(DirtyHour._meta.db_table)} WHERE "
    deleted = 0
    # Written here, not as Q objects: building 20,000 of those cost more than the deletes.
    with connection.cursor() as cursor:
        for offset in range(0, len(marks), 500):
            chunk = marks[offset : offset + 500]
            params = [
                v for m in chunk for v in (m.inverter_id, adapt(m.hour_start), adapt(m.marked_at))
            ]
            cursor.execute(delete + " OR ".join([guard] * len(chunk)), params)
            deleted += cursor.rowcount
    return deleted
