"""Series for the plant and inverter charts, and the plant's equipment as the page shows it.

Charts get plain numbers: a power curve's x is minutes since the plant's local midnight, so
Chart.js needs no date library and the axis reads in the plant's own time.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from monitoring import plant_time
from monitoring.models import CombinerBox, PowerStation, Sensor
from telemetry import store

# A combiner reading older than this says nothing about the strings now.
STRINGS_FRESH_MINUTES = 15


def _minute_of_day(ts: datetime, tz: ZoneInfo) -> float:
    local = ts.astimezone(tz)
    return round(local.hour * 60 + local.minute + local.second / 60, 2)


def _points(pairs, tz: ZoneInfo) -> list[dict]:
    return [
        {"x": _minute_of_day(ts, tz), "y": None if v is None else round(v, 3)} for ts, v in pairs
    ]


def irradiance_points(*, station: PowerStation, day: date) -> list[tuple[datetime, float]]:
    """The plant's plane-of-array (else horizontal) irradiance through the day, W/m²; [] when
    it has no such sensor."""
    sensors = {s.id: s.kind for s in station.sensors.all()}
    for kind in (Sensor.Kind.POA_IRRADIANCE, Sensor.Kind.GHI_IRRADIANCE):
        ids = [sid for sid, k in sensors.items() if k == kind]
        if ids:
            start, end = plant_time.day_bounds(day, station.tz)
            return [
                (ts, value)
                for sensor_id, ts, value in store.sensor_points(
                    sensor_ids=ids[:1], start=start, end=end
                )
            ]
    return []


def curve_series(curve: dict, irradiance: list, *, tz: ZoneInfo) -> dict:
    return {
        "inverters": {str(n): _points(points, tz) for n, points in curve["inverters"].items()},
        "total": _points(curve["total"], tz),
        "irradiance": _points(irradiance, tz),
    }


def hourly_series(hourly: dict) -> dict:
    return {
        "labels": [f"{h[1]:02d}:00" for h in hourly["hours"]],
        "kwh": [round(h[2], 3) for h in hourly["hours"]],
    }


def daily_series(daily: dict, start: date, end: date) -> dict:
    kwh = {d: round(v, 3) for d, v, _ in daily["days"]}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return {"labels": [d.day for d in days], "kwh": [kwh.get(d) for d in days]}


def monthly_series(monthly: dict) -> dict:
    months = monthly["months"]
    return {"labels": list(months), "kwh": [round(v, 3) for v in months.values()]}


def reading_series(readings: list, *, tz: ZoneInfo) -> dict:
    return {
        "ac_kw": _points([(r.ts, r.ac_kw) for r in readings], tz),
        "dc_kw": _points([(r.ts, r.dc_kw) for r in readings], tz),
        "temp_c": _points([(r.ts, r.temp_c) for r in readings], tz),
    }


def combiner_strings(*, boxes: list[CombinerBox], now: datetime) -> list[dict]:
    """Each box's newest string currents with each string's share of its siblings' median.

    A string below WEAK_STRING_SHARE of that median is marked weak, the share detection's
    weak-string alarm (205) uses; the alarm itself also needs the string to stay weak for
    WEAK_STRING_MINUTES, so the page may mark a string before the alarm is raised.
    """
    since = now - timedelta(minutes=STRINGS_FRESH_MINUTES)
    shown = []
    for box in boxes:
        readings = store.combiner_readings(box_id=box.id, start=since, end=now + timedelta(1))
        latest = readings[-1] if readings else None
        currents = list(latest.currents) if latest else []
        strings = []
        for channel, current in enumerate(currents, start=1):
            siblings = [c for i, c in enumerate(currents, 1) if i != channel and c is not None]
            median = statistics.median(siblings) if siblings else None
            share = current / median if current is not None and median else None
            strings.append(
                {
                    "channel": channel,
                    "current": current,
                    "percent": None if share is None else round(share * 100),
                    "weak": share is not None and share < settings.WEAK_STRING_SHARE,
                }
            )
        shown.append(
            {
                "box": box,
                "ts": latest.ts if latest else None,
                "voltage": latest.voltage if latest else None,
                "strings": strings,
            }
        )
    return shown


# The heatmap's colour steps: a string's share of its siblings' median, in per cent, at or
# above each floor (the last step, 0, is everything weaker). Named heat-5 (healthy) to heat-0.
HEAT_FLOORS = (95, 90, 80, 70, 50, 0)


def combiner_heatmap(boxes: list[dict]) -> dict:
    """The boxes of `combiner_strings` as a grid: a row per box, a column per channel, each
    cell the string (or None where the box has fewer channels) with its colour step."""
    width = max((len(b["strings"]) for b in boxes), default=0)
    rows = []
    for b in boxes:
        cells = []
        for string in b["strings"] + [None] * (width - len(b["strings"])):
            if string is None or string["percent"] is None:
                cells.append({"string": string, "heat": None})
                continue
            step = next(i for i, floor in enumerate(HEAT_FLOORS) if string["percent"] >= floor)
            cells.append({"string": string, "heat": len(HEAT_FLOORS) - 1 - step})
        rows.append({"box": b["box"], "ts": b["ts"], "cells": cells})
    return {"channels": list(range(1, width + 1)), "rows": rows}


def inverter_yields(lines) -> list[dict]:
    """Today's specific yield (kWh/kWp) of each inverter, for bars side by side: its share of
    the best one's, and weak when below UNDERPERFORMING_SHARE of the plant's median (the
    rule plants are held to, generation/statistics.py)."""
    bars = []
    for line in lines:
        kwp = line.inverter.dc_kwp()
        kwh = line.status.day_kwh if line.status else None
        value = round(kwh / kwp, 3) if kwh is not None and kwp else None
        bars.append({"inverter": line.inverter, "yield": value})
    values = [b["yield"] for b in bars if b["yield"] is not None]
    best = max(values, default=0)
    median = statistics.median(values) if len(values) >= 2 else None
    for b in bars:
        b["percent"] = round(100 * b["yield"] / best) if b["yield"] is not None and best else 0
        b["weak"] = bool(
            median and b["yield"] is not None
            and b["yield"] < settings.UNDERPERFORMING_SHARE * median
        )  # fmt: skip
    return bars
