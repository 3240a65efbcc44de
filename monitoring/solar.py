"""Where the sun is at a plant: the standard solar-geometry equations (NOAA's approximation).

Good to a fraction of a degree, which is all that "is the sun up" and a clear-sky power curve
need. Used by the simulator and by detection (no "not generating" alarm at night).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

# The sun counts as up for generation once it is this far above the horizon: below it, a
# plant's output is too small to tell "stopped" from "dawn".
DAYLIGHT_ELEVATION_DEG = 5.0


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
