"""Where the sun is at a plant: the standard solar-geometry equations (NOAA's approximation).

Good to a fraction of a degree, which is all that "is the sun up" and a clear-sky power curve
need. Used by the simulator, by detection and the pages (night is not a fault,
monitoring/night.py), and by the rollups (daylight for availability and completeness, the
clear-sky bound of a day's yield).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from functools import lru_cache

# The sun counts as up for generation once it is this far above the horizon: below it, a
# plant's output is too small to tell "stopped" from "dawn".
DAYLIGHT_ELEVATION_DEG = 5.0


# A fleet's pages ask the same plant and moment for each of its inverters (and the moment of
# one batch for each of them): remembered, 50,000 inverters cost about 10,000 computations.
@lru_cache(maxsize=32768)
def sun_elevation_deg(latitude: float, longitude: float, when: datetime) -> float:
    """Elevation of the sun's centre above the horizon in degrees (negative at night)."""
    when = when.astimezone(UTC)
    day_of_year = when.timetuple().tm_yday
    hours = when.hour + when.minute / 60 + when.second / 3600
    gamma = 2 * math.pi / 365 * (day_of_year - 1 + (hours - 12) / 24)
    declination = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    true_solar_minutes = hours * 60 + equation_of_time + 4 * longitude
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    lat = math.radians(latitude)
    cos_zenith = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(hour_angle)
    zenith = math.acos(max(-1.0, min(1.0, cos_zenith)))
    return 90 - math.degrees(zenith)


def is_daylight(latitude: float, longitude: float, when: datetime) -> bool:
    """True when the sun is high enough that a healthy plant must be generating."""
    return sun_elevation_deg(latitude, longitude, when) >= DAYLIGHT_ELEVATION_DEG


def clear_sky_irradiance(latitude: float, longitude: float, when: datetime) -> float:
    """Global horizontal irradiance under a clear sky in W/m² (Haurwitz model); 0 at night."""
    elevation = sun_elevation_deg(latitude, longitude, when)
    if elevation <= 0:
        return 0.0
    cos_zenith = math.sin(math.radians(elevation))
    return 1098 * cos_zenith * math.exp(-0.057 / cos_zenith)


# --- When the sun is up, as intervals ---------------------------------------------------------
# Daylight below means the sun at least DAYLIGHT_ELEVATION_DEG high, the same line `is_daylight`
# draws: availability, data completeness and "night is not a fault" all use it.
_SCAN_SECONDS = 600  # the sun's elevation is sampled this often, then each crossing bisected
_DAY_SECONDS = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=16384)
def _daylight_of_utc_day(latitude: float, longitude: float, ordinal: int) -> tuple:
    """((start, end), ...) epoch seconds with the sun up, within one UTC day, to the second."""
    day_start = int(datetime.fromordinal(ordinal).replace(tzinfo=UTC).timestamp())

    def up(t: float) -> bool:
        return is_daylight(latitude, longitude, datetime.fromtimestamp(t, UTC))

    def crossing(lo: int, hi: int, lo_up: bool) -> int:
        while hi - lo > 1:
            middle = (lo + hi) // 2
            if up(middle) == lo_up:
                lo = middle
            else:
                hi = middle
        return hi

    intervals = []
    t, was_up = day_start, up(day_start)
    start = day_start if was_up else None
    while t < day_start + _DAY_SECONDS:
        nxt = min(t + _SCAN_SECONDS, day_start + _DAY_SECONDS)
        now_up = up(nxt) if nxt < day_start + _DAY_SECONDS else was_up
        if now_up != was_up:
            edge = crossing(t, nxt, was_up)
            if now_up:
                start = edge
            else:
                intervals.append((start, edge))
                start = None
        t, was_up = nxt, now_up
    if start is not None:
        intervals.append((start, day_start + _DAY_SECONDS))
    return tuple(intervals)


def daylight_intervals(
    latitude: float, longitude: float, start: float, end: float
) -> list[tuple[float, float]]:
    """The stretches of [start, end) (epoch seconds) with the sun up, in order."""
    result: list[tuple[float, float]] = []
    ordinal = datetime.fromtimestamp(start, UTC).date().toordinal()
    while True:
        day_start = (ordinal - _EPOCH_ORDINAL) * _DAY_SECONDS
        if day_start >= end:
            break
        # To the hundredth of a degree (a kilometre: seconds of sun), so plants of one place
        # share the cached day.
        for lo, hi in _daylight_of_utc_day(round(latitude, 2), round(longitude, 2), ordinal):
            lo, hi = max(lo, start), min(hi, end)
            if hi <= lo:
                continue
            if result and result[-1][1] == lo:  # up across UTC midnight: one stretch
                result[-1] = (result[-1][0], hi)
            else:
                result.append((lo, hi))
        ordinal += 1
    return result


def daylight_seconds(latitude: float, longitude: float, start: float, end: float) -> float:
    return sum(hi - lo for lo, hi in daylight_intervals(latitude, longitude, start, end))


@lru_cache(maxsize=4096)
def clear_sky_insolation_bound_kwh_m2(
    latitude: float, longitude: float, start: float, end: float
) -> float:
    """The most a plane facing the sun could receive in [start, end) under a clear sky, kWh/m².

    Beam normal irradiance by Meinel's model (1353 W/m² x 0.7^(AM^0.678), air mass by
    Kasten and Young), a tenth more for circumsolar light, plus a tenth of the clear-sky
    horizontal irradiance for the sky and the ground, in 10-minute steps. No fixed plane gets
    more, so no plant's specific yield can exceed it at a performance ratio of 100 %.
    """
    step = 300
    total_wh, t = 0.0, float(start)
    while t < end:
        seconds = min(step, end - t)
        middle = datetime.fromtimestamp(t + seconds / 2, UTC)
        elevation = sun_elevation_deg(latitude, longitude, middle)
        if elevation > 0:
            air_mass = 1 / (
                math.sin(math.radians(elevation)) + 0.50572 * (elevation + 6.07995) ** -1.6364
            )
            beam = 1353 * 0.7 ** (air_mass**0.678)
            horizontal = clear_sky_irradiance(latitude, longitude, middle)
            total_wh += (1.1 * beam + 0.1 * horizontal) * seconds / 3600
        t += seconds
    return total_wh / 1000
