"""Plants with believable data for the page tests: latest state, a day of readings, rollups."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from generation import kpis, rollups
from generation.statistics import statistics_compute
from monitoring import plant_time
from monitoring.models import (
    CombinerBox,
    InverterState,
    InverterStatus,
    PowerStation,
    Sensor,
    StationStatus,
)
from telemetry.models import CombinerReading, InverterReading, SensorReading


def status_set(
    inverter, *, at: datetime, ac_kw: float = 30.0, day_kwh: float = 100.0, state: str = ""
) -> InverterStatus:
    """The latest state as the ingest leaves it."""
    state = state or (InverterState.RUNNING if ac_kw > 0 else InverterState.STOPPED)
    status, _ = InverterStatus.objects.update_or_create(
        inverter=inverter,
        defaults=dict(
            station=inverter.station, last_ts=at, ac_kw=ac_kw, dc_kw=ac_kw * 1.03 if ac_kw else 0,
            day_kwh=day_kwh, total_kwh=12345.0, temp_c=41.5, state=state, state_since=at,
        ),
    )  # fmt: skip
    return status


def grid_set(station: PowerStation, *, at: datetime, outage: bool) -> None:
    StationStatus.objects.update_or_create(
        station=station, defaults={"grid_outage": outage, "grid_ts": at, "last_ts": at}
    )


def day_of_readings(station: PowerStation, day: date, *, step_minutes: int = 10) -> None:
    """A sunny day from 06:00 to 19:00 local for every inverter, with an irradiance sensor
    and one combiner box whose third string is weak."""
    start, _end = plant_time.day_bounds(day, station.tz)
    inverters = list(station.inverters.order_by("number"))
    sensor, _ = Sensor.objects.get_or_create(
        station=station, name="poa", defaults={"kind": Sensor.Kind.POA_IRRADIANCE}
    )
    rows, sensors = [], []
    totals = {inv.id: 1000.0 * inv.number for inv in inverters}
    day_kwh = dict.fromkeys(totals, 0.0)
    for step in range(0, 24 * 60, step_minutes):
        ts = start + timedelta(minutes=step)
        hour = step / 60
        sun = max(0.0, math.sin(math.pi * (hour - 6) / 13)) if 6 <= hour <= 19 else 0.0
        sensors.append(SensorReading(sensor_id=sensor.id, station_id=station.id, ts=ts,
                                     value=round(1000 * sun, 1)))  # fmt: skip
        for inv in inverters:
            kw = round(float(inv.capacity_kw) * 0.8 * sun, 3)
            totals[inv.id] += kw * step_minutes / 60
            day_kwh[inv.id] += kw * step_minutes / 60
            rows.append(
                InverterReading(
                    inverter_id=inv.id, station_id=station.id, ts=ts, ac_kw=kw,
                    dc_kw=round(kw * 1.03, 3), temp_c=25 + 20 * sun,
                    total_kwh=round(totals[inv.id], 3), day_kwh=round(day_kwh[inv.id], 3),
                )
            )  # fmt: skip
    InverterReading.objects.bulk_create(rows)
    SensorReading.objects.bulk_create(sensors)


def combiner_box_with_weak_string(station: PowerStation, *, at: datetime) -> CombinerBox:
    box = CombinerBox.objects.create(station=station, number=1, channels=4)
    CombinerReading.objects.create(
        box_id=box.id, station_id=station.id, ts=at, voltage=640.0,
        currents=[8.1, 8.0, 2.1, 7.9],
    )  # fmt: skip
    return box


def rollups_compute(stations: list[PowerStation], days: list[date]) -> None:
    """Hourly, daily and plant rows and statistics, as the daily job would write them."""
    meters = rollups.meters_for(station_ids=[s.id for s in stations])
    for day in days:
        rollups.days_recompute(meters=meters, day_of=dict.fromkeys(meters, day))
        kpis.station_days_recompute(station_days=[(s.id, day) for s in stations])
        statistics_compute(day=day)
