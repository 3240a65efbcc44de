"""Keeps InverterStatus and StationStatus current from the readings of an ingested batch.

Runs after the readings are committed in the telemetry database (see `telemetry.ingest`). It
is idempotent: it only moves a status forward in time, so running it again for the same batch,
or for a batch that arrives late, changes nothing that a newer reading already set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connections, transaction

from monitoring.changes import plants_changed
from monitoring.models import InverterState, InverterStatus, StationStatus
from solarsite.upsert import upsert_many, upsert_sql


@dataclass(frozen=True)
class InverterSnapshot:
    """The newest reading of one inverter in a batch."""

    inverter_id: int
    station_id: int
    ts: datetime
    ac_kw: float | None
    dc_kw: float | None
    day_kwh: float | None
    total_kwh: float | None
    temp_c: float | None
    ac_v: tuple[float, ...]
    reported_state: int | None
    fault_bits: int | None


@dataclass(frozen=True)
class GridSnapshot:
    """The newest grid report of one station in a batch."""

    station_id: int
    ts: datetime
    outage: bool


INVERTER_FIELDS = [
    "last_ts", "ac_kw", "dc_kw", "day_kwh", "total_kwh", "temp_c", "ac_v_min",
    "reported_state", "fault_bits", "state", "state_since",
]  # fmt: skip

STATION_FIELDS = ["grid_ts", "grid_outage", "last_ts"]
DATETIME_FIELDS = frozenset(["last_ts", "state_since", "grid_ts"])


def inverter_state_from(reading: InverterSnapshot, *, grid_outage: bool | None) -> str:
    """The state a reading puts an inverter in (comm_lost is detection's, never set here)."""
    if grid_outage or (reading.ac_v and all(v == 0 for v in reading.ac_v)):
        return InverterState.GRID_OUTAGE
    if reading.ac_kw is None:
        return InverterState.UNKNOWN
    return InverterState.RUNNING if reading.ac_kw > 0 else InverterState.STOPPED


def latest_state_update(
    *, inverters: list[InverterSnapshot], grid: list[GridSnapshot]
) -> None:
    """Move station and inverter statuses forward to the batch's newest readings.

    1. Lock the status rows in primary-key order (two batches for the same plant then queue
       instead of deadlocking; SQLite's IMMEDIATE transactions serialise writers anyway).
    2. Create the rows that do not exist yet (ignoring a concurrent creation) and lock them.
    3. Apply only what is newer than what the row holds: a late reading never overwrites a
       newer latest state, and a re-sent batch is a no-op.
    """
    if not inverters and not grid:
        return
    # No savepoint when the caller already holds a transaction (the ingest does, to record the
    # heartbeat in the same commit): a savepoint is two more round trips per batch.
    with transaction.atomic(using="default", savepoint=False):
        outages = _stations_update(inverters=inverters, grid=grid)
        if inverters:
            _inverters_update(inverters, outages=outages)
        plants_changed(station_ids={s.station_id for s in [*inverters, *grid]})


def _stations_update(
    *, inverters: list[InverterSnapshot], grid: list[GridSnapshot]
) -> dict[int, bool | None]:
    newest_data: dict[int, datetime] = {}
    for snapshot in [*inverters, *grid]:
        if snapshot.station_id not in newest_data or snapshot.ts > newest_data[snapshot.station_id]:
            newest_data[snapshot.station_id] = snapshot.ts
    reports = {report.station_id: report for report in grid}
    ids = sorted(newest_data)
    changed = []
    outages = {}
    for status in _locked(StationStatus, ids, lambda i: StationStatus(station_id=i)):
        dirty = False
        report = reports.get(status.station_id)
        if report and (status.grid_ts is None or report.ts >= status.grid_ts):
            status.grid_ts, status.grid_outage = report.ts, report.outage
            dirty = True
        newest = newest_data[status.station_id]
        if status.last_ts is None or newest > status.last_ts:
            status.last_ts = newest
            dirty = True
        if dirty:
            changed.append(status)
        outages[status.station_id] = status.grid_outage
    _statuses_write(StationStatus, changed, key="station_id", fields=STATION_FIELDS)
    return outages


def _inverters_update(
    inverters: list[InverterSnapshot], *, outages: dict[int, bool | None]
) -> None:
    readings = {reading.inverter_id: reading for reading in inverters}
    ids = sorted(readings)
    changed = []

    def stub(inverter_id: int) -> InverterStatus:
        return InverterStatus(inverter_id=inverter_id, station_id=readings[inverter_id].station_id)

    for status in _locked(InverterStatus, ids, stub):
        reading = readings[status.inverter_id]
        # `>=`: a correction of the newest reading updates the values too.
        if status.last_ts is not None and reading.ts < status.last_ts:
            continue
        state = inverter_state_from(reading, grid_outage=outages.get(reading.station_id))
        if state != status.state or status.state_since is None:
            status.state, status.state_since = state, reading.ts
        status.last_ts = reading.ts
        status.ac_kw, status.dc_kw = reading.ac_kw, reading.dc_kw
        status.day_kwh, status.total_kwh = reading.day_kwh, reading.total_kwh
        status.temp_c = reading.temp_c
        status.ac_v_min = min(reading.ac_v) if reading.ac_v else None
        status.reported_state, status.fault_bits = reading.reported_state, reading.fault_bits
        changed.append(status)
    _statuses_write(InverterStatus, changed, key="inverter_id",
                    fields=["station_id", *INVERTER_FIELDS])  # fmt: skip


def _locked(model, ids: list[int], stub) -> list:
    """The status rows of `ids`, locked in primary-key order; missing ones are created first
    (ignoring a concurrent creation) so there is a row to lock even on a first reading."""
    rows = list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {row.pk for row in rows})
    if missing:
        model.objects.bulk_create([stub(i) for i in missing], ignore_conflicts=True)
        rows += model.objects.select_for_update().filter(pk__in=missing).order_by("pk")
    return rows


def _statuses_write(model, statuses: list, *, key: str, fields: list[str]) -> None:
    """One multi-row upsert of status rows that exist (locked above): bulk_update's CASE WHEN
    per field costs more than the rows (and compiling it, more than the database's work for
    one plant), and an executemany UPDATE is a round trip per row."""
    if not statuses:
        return
    connection = connections["default"]
    adapt = connection.ops.adapt_datetimefield_value
    stamps = [i for i, name in enumerate(fields) if name in DATETIME_FIELDS]
    params = []
    for status in statuses:
        values = [getattr(status, name) for name in fields]
        for i in stamps:
            values[i] = adapt(values[i])
        params.append((getattr(status, key), *values))
    sql = upsert_sql(connection, table=model._meta.db_table, key=[key], values=fields)
    upsert_many(connection, sql, params)
