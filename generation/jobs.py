"""The generation jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from generation import kpis, rollups
from generation.statistics import statistics_compute
from jobs.steps import job_step
from monitoring import plant_time
from monitoring.changes import plants_changed
from monitoring.models import PowerStation


def job_rollup_hourly(*, now: datetime | None = None) -> str:
    """The hour just ended, in each plant's zone: hourly rows, then the day's running rows."""
    now = now or timezone.now()
    with job_step("reading the registry"):
        meters = rollups.meters_for()
    windows: dict[tuple[datetime, datetime], dict] = defaultdict(dict)
    for inverter_id, meter in meters.items():
        windows[plant_time.last_complete_hour(meter.tz, now=now)][inverter_id] = meter
    read = written = days = 0
    for (start, end), group in sorted(windows.items()):
        with job_step(f"hourly rows {start:%Y-%m-%d %H:%M}Z"):
            r, w, touched = rollups.hours_recompute(meters=group, start=start, end=end, now=now)
        with job_step("daily rows of the hour's day"):
            days += rollups.inverter_days_recompute(meters=group, days=touched, now=now)
        read, written = read + r, written + w
    # Today's running daily rows (kWh today where no counter is): the plants' rolled-up rows,
    # so the pages rebuild only the plants whose kWh today leans on them.
    plants_changed(station_ids={meter.station_id for meter in meters.values()}, rollups=True)
    hours = ", ".join(f"{start:%Y-%m-%d %H:%M}Z" for start, _ in sorted(windows))
    return (
        f"hour {hours or '-'}: {len(meters)} inverters, {read} readings, "
        f"{written} hourly rows and {days} daily rows written"
    )


def job_rollup_late(*, now: datetime | None = None) -> str:
    """Recompute the hours that received late readings, their days, and their plant KPIs."""
    now = now or timezone.now()
    with job_step("recomputing dirty hours"):
        result = rollups.dirty_recompute(now=now)
    if not result["marks"]:
        if result["already"]:
            return f"no late readings; {result['already']} marked hours were rolled up since"
        return "no late readings"
    finished = _finished_station_days(result["station_days"], now=now)
    with job_step("plant daily rows"):
        kpis.station_days_recompute(station_days=finished, now=now)
    with job_step("statistics"):
        for day in sorted({day for _, day in finished}):
            statistics_compute(day=day, now=now)
    plants_changed(
        station_ids={station_id for station_id, _day in result["station_days"]}, rollups=True
    )
    return (
        f"{result['marks']} late hours: {result['readings']} readings, "
        f"{result['hours']} hourly and {result['days']} daily rows rewritten, "
        f"{len(finished)} finished plant days recomputed"
    )


def _finished_station_days(station_days, *, now: datetime) -> set[tuple[int, date]]:
    """Only days that are over locally: today's plant row is written by the daily job."""
    zones = dict(
        PowerStation.objects.filter(id__in={s for s, _ in station_days}).values_list(
            "id", "time_zone"
        )
    )
    return {
        (station_id, day)
        for station_id, day in station_days
        if station_id in zones and day < plant_time.local_date(now, ZoneInfo(zones[station_id]))
    }


def job_rollup_daily(*, now: datetime | None = None) -> str:
    """The previous local day of every plant: hours again, zero fill, plant KPIs, statistics.

    The hours are recomputed in full so that a missed hourly run or a lost dirty mark cannot
    leave a finished day wrong; rows that did not change are not written.
    """
    now = now or timezone.now()
    with job_step("reading the registry"):
        stations = list(PowerStation.objects.all())
        day_of_station = {s.id: plant_time.last_complete_day(s.tz, now=now) for s in stations}
        meters = rollups.meters_for()
    with job_step("hourly and daily rows"):
        result = rollups.days_recompute(
            meters=meters,
            day_of={i: day_of_station[m.station_id] for i, m in meters.items()},
            now=now,
        )
    with job_step("zero fill"):
        filled = rollups.zero_fill(stations=stations, day_of=day_of_station, now=now)
    with job_step("plant daily rows"):
        with_rows = {m.station_id for m in meters.values()}
        station_days = {
            (s.id, day_of_station[s.id]) for s in stations if s.is_watched or s.id in with_rows
        }
        plants = kpis.station_days_recompute(station_days=station_days, now=now)
    with job_step("statistics"):
        for day in sorted(set(day_of_station.values())):
            statistics_compute(day=day, now=now)
    days = ", ".join(str(day) for day in sorted(set(day_of_station.values())))
    return (
        f"day {days or '-'}: {result['readings']} readings, {result['hours']} hourly and "
        f"{result['days']} daily rows written, {filled} zero-filled, {plants} plant days"
    )
