"""A plant's day: energy and the KPIs operators judge it by (the station daily rows).

- specific yield = kWh / kWp (the final yield Yf of IEC 61724);
- availability = time the inverters generated while the sun was up, over the time it was up
  (each inverter's minutes capped at the daylight minutes), across the plant's inverters;
- performance ratio (IEC 61724) = Yf / Yr, where the reference yield Yr is the day's
  plane-of-array insolation in kWh/m² divided by the reference irradiance 1 kW/m²; only where
  the plant has a plane-of-array irradiance sensor with readings that day;
- peak and run time of the plant come from its summed power curve.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from generation import plant_time, store
from generation.models import DailyGeneration, StationDailyGeneration
from generation.rollups import interval_seconds, rows_upsert
from monitoring.models import PowerStation, Sensor
from monitoring.solar import is_daylight

REFERENCE_IRRADIANCE_KW_M2 = 1.0
DAYLIGHT_STEP_MINUTES = 5


@lru_cache(maxsize=4096)
def daylight_minutes(latitude: float, longitude: float, day: date, tz_name: str) -> float:
    """Minutes of the plant-local day with the sun high enough to generate (5-minute steps)."""
    start, end = plant_time.day_bounds(day, ZoneInfo(tz_name))
    step = timedelta(minutes=DAYLIGHT_STEP_MINUTES)
    when, minutes = start + step / 2, 0
    while when < end:
        if is_daylight(latitude, longitude, when):
            minutes += DAYLIGHT_STEP_MINUTES
        when += step
    return float(minutes)


def insolation_kwh_m2(points: list[tuple[datetime, float | None]], *, max_gap: int) -> float:
    """Trapezoid integral of irradiance (W/m²) over time, skipping gaps longer than max_gap s."""
    energy_wh = 0.0
    for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
        seconds = (t1 - t0).total_seconds()
        if v0 is None or v1 is None or seconds > max_gap:
            continue
        energy_wh += (v0 + v1) / 2 * seconds / 3600
    return energy_wh / 1000


def poa_insolation(station: PowerStation, day: date, *, max_gap: int) -> float | None:
    """The day's plane-of-array insolation (kWh/m²), averaged over the POA sensors; or None."""
    sensor_ids = [s.id for s in station.sensors.all() if s.kind == Sensor.Kind.POA_IRRADIANCE]
    if not sensor_ids:
        return None
    start, end = plant_time.day_bounds(day, station.tz)
    by_sensor: dict[int, list] = defaultdict(list)
    for sensor_id, ts, value in store.sensor_points(sensor_ids=sensor_ids, start=start, end=end):
        by_sensor[sensor_id].append((ts, value))
    if not by_sensor:
        return None
    return statistics.fmean(insolation_kwh_m2(p, max_gap=max_gap) for p in by_sensor.values())


def station_days_recompute(
    *, station_days: Iterable[tuple[int, date]], now: datetime | None = None
) -> int:
    """Recompute the station daily rows of these (station id, local date) pairs."""
    now = now or timezone.now()
    max_gap = settings.ROLLUP_MAX_GAP_MINUTES * 60
    wanted: dict[date, set[int]] = defaultdict(set)
    for station_id, day in station_days:
        wanted[day].add(station_id)
    written = 0
    for day, station_ids in sorted(wanted.items()):
        stations = {
            s.id: s
            for s in PowerStation.objects.filter(id__in=station_ids).prefetch_related(
                "sensors", "inverters"
            )
        }
        inverter_days: dict[int, list[DailyGeneration]] = defaultdict(list)
        for row in DailyGeneration.objects.filter(station_id__in=stations.keys(), date=day):
            inverter_days[row.station_id].append(row)
        curves = _station_curves(stations.values(), day)
        rows = [
            _station_row(
                station, day, inverter_days[station.id], curves.get(station.id, []), max_gap, now
            )
            for station in stations.values()
        ]
        rows_upsert(
            StationDailyGeneration,
            rows,
            unique_fields=["station_id", "date"],
            update_fields=[
                f.name
                for f in StationDailyGeneration._meta.concrete_fields
                if f.name not in ("pk", "station_id", "date", "underperforming")
            ],
        )
        written += len(rows)
    return written


def _station_curves(stations, day: date) -> dict[int, list[tuple[int, float]]]:
    """Per station, (bucket epoch, summed kW), one read per time zone."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for station in stations:
        by_zone[station.time_zone].append(station.id)
    curves: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for tz_name, ids in by_zone.items():
        start, end = plant_time.day_bounds(day, ZoneInfo(tz_name))
        for station_id, bucket, kw in store.station_power_buckets(
            station_ids=ids, start=start, end=end, bucket_seconds=interval_seconds()
        ):
            curves[station_id].append((bucket, kw))
    return curves


def _station_row(station, day, inverter_rows, curve, max_gap, now) -> StationDailyGeneration:
    capacity = float(station.capacity_kwp)
    active = [inv for inv in station.inverters.all() if inv.is_active]
    kwh = sum(r.kwh for r in inverter_rows)
    specific_yield = kwh / capacity
    peak = max(curve, key=lambda point: point[1], default=None)
    daylight = daylight_minutes(station.latitude, station.longitude, day, station.time_zone)
    availability = None
    if daylight > 0 and active:
        generating = sum(min(r.run_minutes, daylight) for r in inverter_rows)
        availability = round(min(1.0, generating / (daylight * len(active))), 4)
    poa = poa_insolation(station, day, max_gap=max_gap)
    performance_ratio = None
    if poa:
        performance_ratio = round(specific_yield / (poa / REFERENCE_IRRADIANCE_KW_M2), 4)
    completeness = sum(r.completeness for r in inverter_rows) / len(active) if active else 0.0
    return StationDailyGeneration(
        station_id=station.id,
        date=day,
        region=station.region,
        capacity_kwp=capacity,
        inverters=len(active),
        kwh=round(kwh, 6),
        specific_yield=round(specific_yield, 6),
        peak_kw=None if peak is None else round(peak[1], 6),
        peak_at=None if peak is None else datetime.fromtimestamp(peak[0], UTC),
        run_minutes=sum(1 for _, kw in curve if kw > 0) * interval_seconds() / 60,
        daylight_minutes=daylight,
        availability=availability,
        poa_kwh_m2=None if poa is None else round(poa, 6),
        performance_ratio=performance_ratio,
        completeness=round(min(1.0, completeness), 4),
        zero_filled=bool(inverter_rows) and all(r.zero_filled for r in inverter_rows),
        computed_at=now,
    )
