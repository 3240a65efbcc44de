"""Keeps InverterStatus and StationStatus current from the readings of an ingested batch.

Runs after the readings are committed in the telemetry database (see `monitoring.ingest`). It
is idempotent: it only moves a status forward in time, so running it again for the same batch,
or for a batch that arrives late, changes nothing that a newer reading already set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from monitoring.models import InverterState, InverterStatus, StationStatus


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

    1. Make sure a status row exists for every station and inverter (INSERT, ignoring ones
       that exist), so step 2 has rows to lock even on the first reading.
    2. Lock the rows in primary-key order (two batches for the same plant then queue instead
       of deadlocking; SQLite's IMMEDIATE transactions serialise writers anyway).
    3. Apply only what is newer than what the row holds: a late reading never overwrites a
       newer latest state, and a re-sent batch is a no-op.
    """
    if not inverters and not grid:
        return
    with transaction.atomic(using="default"):
        outages = _stations_update(inverters=inverters, grid=grid)
        if inverters:
            _inverters_update(inverters, outages=outages)


def _stations_update(
    *, inverters: list[InverterSnapshot], grid: list[GridSnapshot]
) -> dict[int, bool | None]:
    newest_data: dict[int, datetime] = {}
    for snapshot in [*inverters, *grid]:
        if snapshot.station_id not in newest_data or snapshot.ts > newest_data[snapshot.station_id]:
            newest_data[snapshot.station_id] = snapshot.ts
    reports = {report.station_id: report for report in grid}
    ids = sorted(newest_data)
    StationStatus.objects.bulk_create(
        [StationStatus(station_id=i) for i in ids], ignore_conflicts=True
    )
    changed = []
    outages = {}
    for status in StationStatus.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
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
    StationStatus.objects.bulk_update(changed, ["grid_ts", "grid_outage", "last_ts"])
    return outages


def _inverters_update(
    inverters: list[InverterSnapshot], *, outages: dict[int, bool | None]
) -> None:
    readings = {reading.inverter_id: reading for reading in inverters}
    ids = sorted(readings)
    InverterStatus.objects.bulk_create(
        [InverterStatus(inverter_id=i, station_id=readings[i].station_id) for i in ids],
        ignore_conflicts=True,
    )
    changed = []
    for status in InverterStatus.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
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
    InverterStatus.objects.bulk_update(changed, INVERTER_FIELDS)
