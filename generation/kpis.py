"""A plant's day: energy and the KPIs operators judge it by (the station daily rows).

Every time in here is real time (generation/cadence.py: a reading stands for the time until
the next one, at most its expected interval), and daylight is the sun at least 5° up
(monitoring/solar.py), whatever the collectors' interval:

- specific yield = kWh / DC kWp (the final yield Yf of IEC 61724);
- availability = the inverters' minutes generating while the sun was up, over the daylight
  minutes times the active inverters;
- completeness = the inverters' daylight minutes with data over the same;
- plane-of-array insolation = the time integral of the POA sensors' irradiance (trapezoids
  between readings no further apart than the gap limit), averaged over the sensors;
- performance ratio (IEC 61724) = Yf / Yr, where the reference yield Yr is that insolation in
  kWh/m² over the reference irradiance 1 kW/m²; only where a POA sensor reported that day;
- peak and run time of the plant come from its summed power (cadence.power_steps);
- flags: what cannot be right (generation/plausibility.py).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.utils import timezone

from generation import cadence, plausibility
from generation.models import DailyGeneration, StationDailyGeneration
from generation.rollups import CHUNK, GAP_INTERVALS, rows_upsert
from monitoring import plant_time
from monitoring.models import PowerStation, Sensor
from monitoring.solar import clear_sky_insolation_bound_kwh_m2, daylight_intervals
from telemetry import store

REFERENCE_IRRADIANCE_KW_M2 = 1.0


def insolation_kwh_m2(points: list[tuple[float, float | None]], *, max_gap: float) -> float:
    """Trapezoid integral of irradiance (W/m²) over (epoch s, W/m²) points, skipping gaps
    longer than max_gap seconds."""
    energy_wh = 0.0
    for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
        seconds = t1 - t0
        if v0 is None or v1 is None or seconds > max_gap:
            continue
        energy_wh += (v0 + v1) / 2 * seconds / 3600
    return energy_wh / 1000


@dataclass(frozen=True)
class Sunlight:
    """What the POA sensors of a plant say about one day."""

    insolation: float | None  # kWh/m², averaged over the sensors that reported
    codes: frozenset[str]  # plausibility codes of the sensors


def poa_sunlight(
    station: PowerStation, day: date, *, daylight: list, generated: bool
) -> Sunlight:
    """The day's plane-of-array insolation (kWh/m²) and what is wrong with the sensors."""
    sensor_ids = [s.id for s in station.sensors.all() if s.kind == Sensor.Kind.POA_IRRADIANCE]
    if not sensor_ids:
        return Sunlight(None, frozenset())
    start, end = plant_time.day_bounds(day, station.tz)
    by_sensor: dict[int, list] = defaultdict(list)
    for sensor_id, ts, value in store.sensor_points(sensor_ids=sensor_ids, start=start, end=end):
        by_sensor[sensor_id].append((ts.timestamp(), value))
    if not by_sensor:
        return Sunlight(None, frozenset())
    max_gap = settings.ROLLUP_MAX_GAP_MINUTES * 60
    values, codes = [], set()
    for points in by_sensor.values():
        seen, _spacings = cadence.median_spacing([t for t, _ in points])
        interval = seen or cadence.default_interval()
        values.append(
            insolation_kwh_m2(points, max_gap=max(max_gap, GAP_INTERVALS * interval))
        )
        codes |= plausibility.sensor_codes(
            points, daylight=daylight, interval=interval, generated=generated
        )
    return Sunlight(statistics.fmean(values), frozenset(codes))


def station_days_recompute(
    *, station_days: Iterable[tuple[int, date]], now: datetime | None = None
) -> int:
    """Recompute the station daily rows of these (station id, local date) pairs."""
    now = now or timezone.now()
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
        steps = _station_power(stations.values(), day, inverter_days)
        stored = {
            row.station_id: row
            for row in StationDailyGeneration.objects.filter(station_id__in=stations, date=day)
        }
        rows = [
            _station_row(station, day, inverter_days[station.id], steps.get(station.id), now)
            for station in stations.values()
        ]
        for row in rows:
            if row.station_id not in steps and row.station_id in stored:
                _readings_gone(row, stored[row.station_id])
        _neighbours_flag(rows, stations, day)
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


def _station_power(stations, day: date, inverter_days) -> dict[int, list[tuple[float, float]]]:
    """Per station with raw readings that day, its summed power steps (cadence.power_steps).

    Stations are read a few at a time (about CHUNK inverters), so the readings of one group
    are in memory at once, never the fleet's."""
    intervals = {
        row.inverter_id: row.interval_seconds for rows in inverter_days.values() for row in rows
    }
    steps: dict[int, list] = {}
    for group in _station_groups(stations):
        start, end = plant_time.day_bounds(day, group[0].tz)
        station_of = {i.id: s.id for s in group for i in s.inverters.all() if i.is_active}
        points: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for inverter_id, epoch, ac_kw, *_ in store.counter_rows(
            inverter_ids=sorted(station_of), start=start, end=end
        ):
            points[station_of[inverter_id]][inverter_id].append((epoch, ac_kw))
        for station_id, series in points.items():
            steps[station_id] = cadence.power_steps(series, intervals, end=end.timestamp())
    return steps


def _station_groups(stations) -> Iterable[list[PowerStation]]:
    """Stations of one time zone, in groups of about CHUNK active inverters."""
    by_zone: dict[str, list] = defaultdict(list)
    for station in stations:
        by_zone[station.time_zone].append(station)
    for group in by_zone.values():
        batch, size = [], 0
        for station in group:
            batch.append(station)
            size += sum(1 for i in station.inverters.all() if i.is_active)
            if size >= CHUNK:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch


def _station_row(station, day, inverter_rows, steps, now) -> StationDailyGeneration:
    capacity = float(station.capacity_kwp)
    active = [inv for inv in station.inverters.all() if inv.is_active]
    kwh = sum(r.kwh for r in inverter_rows)
    specific_yield = kwh / capacity
    peak, run_seconds = cadence.steps_peak_and_run(steps or [])
    start, end = (t.timestamp() for t in plant_time.day_bounds(day, station.tz))
    daylight = daylight_intervals(station.latitude, station.longitude, start, end)
    daylight_minutes = sum(hi - lo for lo, hi in daylight) / 60
    availability = completeness = None
    if daylight_minutes > 0 and active and inverter_rows:  # with no row, nothing is known
        possible = daylight_minutes * len(active)
        generating = sum(_daylight_run(r, daylight_minutes) for r in inverter_rows)
        availability = round(generating / possible, 4)
        completeness = sum(_covered(r, daylight_minutes) for r in inverter_rows) / possible
    sunlight = poa_sunlight(station, day, daylight=daylight, generated=kwh > 0)
    performance_ratio = None
    if sunlight.insolation:
        performance_ratio = round(
            specific_yield / (sunlight.insolation / REFERENCE_IRRADIANCE_KW_M2), 4
        )
    zero_filled = bool(inverter_rows) and all(r.zero_filled for r in inverter_rows)
    flags = []
    if not zero_filled:
        flags = plausibility.day_flags(
            performance_ratio=performance_ratio,
            availability=availability,
            specific_yield=specific_yield,
            yield_bound=clear_sky_insolation_bound_kwh_m2(
                station.latitude, station.longitude, start, end
            ),
            sensor_codes=sunlight.codes,
        )
    return StationDailyGeneration(
        station_id=station.id,
        date=day,
        region=station.region,
        capacity_kwp=capacity,
        capacity_kw=station.ac_kw(),
        inverters=len(active),
        kwh=round(kwh, 6),
        specific_yield=round(specific_yield, 6),
        peak_kw=None if peak is None else round(peak[1], 6),
        peak_at=None if peak is None else datetime.fromtimestamp(peak[0], UTC),
        run_minutes=round(run_seconds / 60, 4),
        daylight_minutes=round(daylight_minutes, 4),
        availability=availability,
        poa_kwh_m2=None if sunlight.insolation is None else round(sunlight.insolation, 6),
        performance_ratio=performance_ratio,
        completeness=round(min(1.0, completeness or 0.0), 4),
        zero_filled=zero_filled,
        flags=flags,
        plausible=not flags,
        computed_at=now,
    )


# Inverter days computed before figures were weighted by real time, whose raw readings have
# since been purged, cannot be recomputed: their own figures stand in, as they were used then.


def _daylight_run(row: DailyGeneration, daylight_minutes: float) -> float:
    if row.interval_seconds:  # computed by the real-time rules
        return row.daylight_run_minutes
    return min(row.run_minutes, daylight_minutes)


def _covered(row: DailyGeneration, daylight_minutes: float) -> float:
    if row.interval_seconds:
        return row.covered_minutes
    return row.completeness * daylight_minutes


def _readings_gone(row: StationDailyGeneration, stored: StationDailyGeneration) -> None:
    """No raw reading of the plant's day is left (purged, or imported figures): its summed
    power cannot be rebuilt, so the peak and run time stored before stay."""
    row.peak_kw, row.peak_at, row.run_minutes = stored.peak_kw, stored.peak_at, stored.run_minutes


def _neighbours_flag(rows: list[StationDailyGeneration], stations: dict, day: date) -> None:
    """Flag each computed row whose POA insolation is far off its neighbours' that day
    (plausibility rule 4); neighbours with a faulty sensor of their own do not count."""
    measured = [r for r in rows if r.poa_kwh_m2 is not None and not r.zero_filled]
    if not measured:
        return
    computed = {r.station_id for r in rows}
    others = {
        station_id: poa
        for station_id, poa, flags in StationDailyGeneration.objects.filter(
            date=day, poa_kwh_m2__isnull=False
        )
        .exclude(station_id__in=computed)
        .values_list("station_id", "poa_kwh_m2", "flags")
        if not set(flags or ()) & set(plausibility.SENSOR_CODES)
    }
    others.update(
        {r.station_id: r.poa_kwh_m2 for r in measured
         if not set(r.flags) & set(plausibility.SENSOR_CODES)}
    )  # fmt: skip
    places = {
        s.id: (s.latitude, s.longitude)
        for s in PowerStation.objects.filter(id__in=others.keys()).only("latitude", "longitude")
    }
    for row in measured:
        station = stations[row.station_id]
        here = (station.latitude, station.longitude)
        far = plausibility.far_from_neighbours(
            place=here,
            poa=row.poa_kwh_m2,
            others=[(places[i], poa) for i, poa in others.items() if i != row.station_id],
        )
        if far and "irradiance_far_from_neighbours" not in row.flags:
            row.flags = [c for c in plausibility.FLAGS if c in {*row.flags,
                         "irradiance_far_from_neighbours"}]  # fmt: skip
            row.plausible = False
