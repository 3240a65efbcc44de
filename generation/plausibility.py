"""Figures that cannot be right are flagged, not shown as normal.

A plant's day (StationDailyGeneration) carries `flags`, a list of the codes below, and
`plausible` (no flag). Pages, the monthly PDF, exports and the API show a flagged figure with
a mark and the flag's sentence; fleet statistics and under-performance leave the day out.

1. performance ratio above 100 % or below 0 %: a plant cannot deliver more than its modules
   receive (a DC capacity entered too small, a sensor reading low), nor less than nothing;
2. availability above 100 %: more inverters generated than the plant has active;
3. specific yield above the clear-sky bound of the plant's place that day
   (monitoring.solar.clear_sky_insolation_bound_kwh_m2: what a plane facing the sun could
   receive under a clear sky, at a performance ratio of 100 %);
4. the plane-of-array irradiance sensor: flat (the same value for FLAT_MINUTES of daylight),
   zero (nothing all day while the plant generated), incomplete (readings for less than
   SENSOR_COVERAGE of the daylight, so its insolation comes out low), or far from its
   neighbours (its day's insolation more than NEIGHBOUR_SHARE off the median of at least
   NEIGHBOURS_NEEDED other plants' sensors within NEIGHBOUR_KM that day).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

FLAT_MINUTES = 120
FLAT_TOLERANCE_W_M2 = 0.05
ZERO_W_M2 = 5.0
SENSOR_COVERAGE = 0.9
NEIGHBOUR_KM = 30.0
NEIGHBOUR_SHARE = 0.35
NEIGHBOURS_NEEDED = 2
# A share a hair above 1 is rounding, not a fault.
SHARE_SLACK = 0.0005

PR = "performance_ratio"
AVAILABILITY = "availability"
YIELD = "specific_yield"
POA = "poa_kwh_m2"


@dataclass(frozen=True)
class Flag:
    code: str
    figures: tuple[str, ...]  # the StationDailyGeneration fields it marks
    message: str


FLAGS = {
    flag.code: flag
    for flag in [
        Flag("pr_above_100", (PR,), _(
            "The performance ratio is above 100 %: a plant cannot deliver more than its modules "
            "receive. Check the plant's DC capacity (kWp) and its irradiance sensor.")),
        Flag("pr_below_0", (PR,), _(
            "The performance ratio is below 0 %: the irradiance sensor reads below zero. "
            "Check the sensor.")),
        Flag("availability_above_100", (AVAILABILITY,), _(
            "Availability is above 100 %: more inverters generated than the plant has active. "
            "Check its inverters in the registry.")),
        Flag("yield_above_clear_sky", (YIELD, PR), _(
            "The specific yield is above what a clear sky could give at the plant's place that "
            "day. Check the DC capacity (kWp) and the inverters' counters.")),
        Flag("irradiance_flat", (POA, PR), _(
            "The irradiance sensor read the same value for two hours or more of daylight: it "
            "is stuck.")),
        Flag("irradiance_zero", (POA, PR), _(
            "The irradiance sensor read nothing all day while the plant generated.")),
        Flag("irradiance_incomplete", (POA, PR), _(
            "The irradiance sensor's readings cover less than nine tenths of the daylight, so the "
            "insolation and the performance ratio from it cannot be trusted.")),
        Flag("irradiance_far_from_neighbours", (POA, PR), _(
            "The irradiance sensor's day is more than a third off the sensors of plants within "
            "30 km.")),
    ]
}  # fmt: skip
SENSOR_CODES = ("irradiance_flat", "irradiance_zero", "irradiance_incomplete")


def day_flags(
    *,
    performance_ratio: float | None,
    availability: float | None,
    specific_yield: float,
    yield_bound: float,
    sensor_codes: Iterable[str] = (),
) -> list[str]:
    """The codes of a plant's day, in the order of FLAGS."""
    codes = set(sensor_codes)
    if performance_ratio is not None and performance_ratio > 1 + SHARE_SLACK:
        codes.add("pr_above_100")
    if performance_ratio is not None and performance_ratio < 0:
        codes.add("pr_below_0")
    if availability is not None and availability > 1 + SHARE_SLACK:
        codes.add("availability_above_100")
    if specific_yield > yield_bound:
        codes.add("yield_above_clear_sky")
    return [code for code in FLAGS if code in codes]


def sensor_codes(
    points: Sequence[tuple[float, float | None]],
    *,
    daylight: Sequence[tuple[float, float]],
    interval: int,
    generated: bool,
) -> set[str]:
    """What is wrong with one irradiance sensor's day: points are (epoch s, W/m²) in order,
    each standing for the time until the next, at most `interval`."""
    codes = set()
    lit_points = [(t, v) for t, v in points if v is not None and _lit(t, daylight)]
    if generated and daylight and all(v < ZERO_W_M2 for _, v in lit_points):
        codes.add("irradiance_zero")
    covered = sum(
        _overlap(t, t + min(interval, following - t), daylight)
        for (t, v), (following, _v) in zip(points, [*points[1:], (math.inf, None)], strict=True)
        if v is not None
    )
    light = sum(hi - lo for lo, hi in daylight)
    if light and covered < SENSOR_COVERAGE * light:
        codes.add("irradiance_incomplete")
    run_start = None
    for (t0, v0), (t1, v1) in zip(lit_points, lit_points[1:], strict=False):
        if v0 >= ZERO_W_M2 and abs(v1 - v0) <= FLAT_TOLERANCE_W_M2 and t1 - t0 <= interval * 1.5:
            run_start = t0 if run_start is None else run_start
            if t1 - run_start >= FLAT_MINUTES * 60:
                codes.add("irradiance_flat")
                break
        else:
            run_start = None
    return codes


def _lit(t: float, daylight: Sequence[tuple[float, float]]) -> bool:
    return any(lo <= t < hi for lo, hi in daylight)


def _overlap(a: float, b: float, daylight: Sequence[tuple[float, float]]) -> float:
    return sum(max(0.0, min(b, hi) - max(a, lo)) for lo, hi in daylight)


def far_from_neighbours(
    *, place: tuple[float, float], poa: float, others: Iterable[tuple[tuple[float, float], float]]
) -> bool:
    """Is this sensor's insolation (kWh/m²) far off its neighbours' (place, insolation)?"""
    near = [value for where, value in others if _km(place, where) <= NEIGHBOUR_KM]
    if len(near) < NEIGHBOURS_NEEDED:
        return False
    median = statistics.median(near)
    return median > 0 and abs(poa - median) > NEIGHBOUR_SHARE * median


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --- Reading them -----------------------------------------------------------------------------


def flags_explained(codes: Iterable[str]) -> list[dict]:
    """[{"code", "figures", "message"}] for the API, exports and pages, in the user's language."""
    return [
        {"code": code, "figures": list(FLAGS[code].figures), "message": str(FLAGS[code].message)}
        for code in codes
        if code in FLAGS
    ]


def figure_marks(codes: Iterable[str]) -> dict[str, list[str]]:
    """figure field -> the sentences of the flags that mark it (pages put a mark beside it)."""
    marks: dict[str, list[str]] = {}
    for code in codes:
        flag = FLAGS.get(code)
        for figure in flag.figures if flag else ():
            marks.setdefault(figure, []).append(str(flag.message))
    return marks
