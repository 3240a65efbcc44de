"""A plant's local days and hours: the one place that turns UTC instants into them.

Storage is UTC; a plant's day and its clock hours are in its own zone (zoneinfo), so a day
where daylight saving starts has 23 hours and one where it ends has 25.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the plant-local day in UTC."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def hour_floor(when: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the plant-local clock hour holding `when` began."""
    local = when.astimezone(tz)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def hour_starts(start: datetime, end: datetime) -> list[datetime]:
    """Start instants of the hours in [start, end); both are hour boundaries of the plant."""
    starts, current = [], start
    while current < end:
        starts.append(current)
        current += HOUR
    return starts


def local_date(when: datetime, tz: ZoneInfo) -> date:
    return when.astimezone(tz).date()


def last_complete_day(tz: ZoneInfo, *, now: datetime) -> date:
    return now.astimezone(tz).date() - timedelta(days=1)


def last_complete_hour(tz: ZoneInfo, *, now: datetime) -> tuple[datetime, datetime]:
    end = hour_floor(now, tz)
    return end - HOUR, end


def today_bounds(stations, *, now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """Per station id, its local day that holds `now` as [start, end) in UTC (worked out once
    per time zone: a fleet's pages ask this for 10,000 plants at a time)."""
    by_zone: dict[str, tuple[datetime, datetime]] = {}
    bounds = {}
    for station in stations:
        if station.time_zone not in by_zone:
            by_zone[station.time_zone] = day_bounds(local_date(now, station.tz), station.tz)
        bounds[station.id] = by_zone[station.time_zone]
    return bounds
