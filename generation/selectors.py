"""Generation figures that pages and the API share, so the two can never disagree.

Every function takes stations the caller may see (monitoring.visibility decides) and returns
plain data. Month and year figures come from the daily rows, never from raw readings; only
the power curve of one plant's day reads raw readings (through telemetry/store.py).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from generation import cadence, plausibility
from generation.models import (
    DailyGeneration,
    GenerationStatistics,
    HourlyGeneration,
    StationDailyGeneration,
)
from generation.statistics import MIN_REGION_PLANTS, Figures, period_statistics
from monitoring import plant_time
from monitoring.models import Inverter, InverterStatus, PowerStation
from monitoring.solar import clear_sky_irradiance
from telemetry import store


def _ids(stations: Iterable[PowerStation]) -> list[int]:
    return [s.id for s in stations]


# --- One plant's day ------------------------------------------------------------------------


def power_curve(*, station: PowerStation, day: date) -> dict:
    """AC power through the plant's local day: per inverter, and the plant's total at each
    moment one of them reported (each reading held as generation/cadence.py says).

    {"inverters": {number: [(ts, kW), ...]}, "total": [(ts, kW), ...]}
    """
    start, end = plant_time.day_bounds(day, station.tz)
    numbers = dict(station.inverters.values_list("id", "number"))
    per_inverter: dict[int, list] = {number: [] for number in sorted(numbers.values())}
    points: dict[int, list] = defaultdict(list)
    moments: set[float] = set()
    for inverter_id, ts, kw in store.power_points(inverter_ids=numbers, start=start, end=end):
        per_inverter[numbers[inverter_id]].append((ts, kw))
        points[inverter_id].append((ts.timestamp(), kw))
        if kw is not None:
            moments.add(ts.timestamp())
    steps = cadence.power_steps(
        points, cadence.day_intervals(station=station, day=day), end=end.timestamp()
    )
    times = [t for t, _ in steps]
    total = []
    for moment in sorted(moments):
        at = bisect.bisect_right(times, moment) - 1
        total.append(
            (datetime.fromtimestamp(moment, start.tzinfo), steps[at][1] if at >= 0 else 0.0)
        )
    return {"inverters": per_inverter, "total": total}


def hourly_generation(*, station: PowerStation, day: date) -> dict:
    """kWh per local hour of the day, per inverter and summed.

    {"hours": [(hour_start, local_hour, kWh summed, complete, estimated)],
     "inverters": {number: [(hour_start, kWh)]}}
    """
    numbers = dict(station.inverters.values_list("id", "number"))
    rows = HourlyGeneration.objects.filter(station_id=station.id, local_date=day).order_by(
        "hour_start", "inverter_id"
    )
    per_inverter: dict[int, list] = defaultdict(list)
    summed: dict[datetime, list] = {}
    for row in rows:
        per_inverter[numbers.get(row.inverter_id, row.inverter_id)].append(
            (row.hour_start, row.kwh)
        )
        hour = summed.setdefault(row.hour_start, [row.hour_start, row.local_hour, 0.0, True, False])
        hour[2] += row.kwh
        hour[3] = hour[3] and row.complete
        hour[4] = hour[4] or row.estimated
    return {"hours": [tuple(h) for h in summed.values()], "inverters": dict(per_inverter)}


# --- Periods from the daily rows ------------------------------------------------------------


def daily_generation(*, stations: Iterable[PowerStation], start: date, end: date) -> dict:
    """kWh per day over [start, end], per inverter and summed over the stations given.

    {"days": [(date, kWh, zero_filled)], "inverters": {inverter_id: [(date, kWh)]}}
    """
    rows = DailyGeneration.objects.filter(
        station_id__in=_ids(stations), date__gte=start, date__lte=end
    ).order_by("date", "inverter_id")
    per_inverter: dict[int, list] = defaultdict(list)
    summed: dict[date, list] = {}
    for row in rows:
        per_inverter[row.inverter_id].append((row.date, row.kwh))
        day = summed.setdefault(row.date, [row.date, 0.0, True])
        day[1] += row.kwh
        day[2] = day[2] and row.zero_filled
    return {"days": [tuple(d) for d in summed.values()], "inverters": dict(per_inverter)}


def monthly_generation(*, stations: Iterable[PowerStation], year: int) -> dict:
    """kWh per month of a year, per inverter and summed: {"months": {1..12: kWh}, ...}."""
    rows = (
        DailyGeneration.objects.filter(
            station_id__in=_ids(stations), date__gte=date(year, 1, 1), date__lte=date(year, 12, 31)
        )
        .annotate(month=ExtractMonth("date"))
        .values("inverter_id", "month")
        .annotate(kwh=Sum("kwh"))
        .order_by("month", "inverter_id")
    )
    months = dict.fromkeys(range(1, 13), 0.0)
    per_inverter: dict[int, dict[int, float]] = defaultdict(
        lambda: dict.fromkeys(range(1, 13), 0.0)
    )  # noqa: E501
    for row in rows:
        months[row["month"]] += row["kwh"]
        per_inverter[row["inverter_id"]][row["month"]] = row["kwh"]
    return {"months": months, "inverters": dict(per_inverter)}


def month_report(*, stations: Iterable[PowerStation], year: int, month: int) -> list[dict]:
    """Per plant, its month from the plant daily rows: kWh, yield, PR range, days and flags.

    The lowest daily PR leaves out days with an implausible figure; those days are counted
    (`flagged_days`), listed (`flagged_dates`) and their flags' codes given (`flags`)."""
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month_rows = StationDailyGeneration.objects.filter(
        station_id__in=_ids(stations), date__gte=start, date__lte=end
    )
    rows = (
        month_rows.values("station_id")
        .annotate(
            kwh=Sum("kwh"),
            specific_yield=Sum("specific_yield"),
            peak_kw=Max("peak_kw"),
            run_minutes=Sum("run_minutes"),
            days=Count("date"),
            min_pr=Min("performance_ratio", filter=Q(plausible=True)),
            underperforming_days=Sum("underperforming"),
            zero_filled_days=Sum("zero_filled"),
        )
        .order_by("station_id")
    )
    flagged: dict[int, list] = defaultdict(list)
    for station_id, day, codes in month_rows.filter(plausible=False).order_by("date").values_list(
        "station_id", "date", "flags"
    ):
        flagged[station_id].append((day, codes))
    return [
        {**row, "underperforming_days": int(row["underperforming_days"] or 0),
         "zero_filled_days": int(row["zero_filled_days"] or 0),
         "flagged_days": len(flagged[row["station_id"]]),
         "flagged_dates": [day for day, _ in flagged[row["station_id"]]],
         "flags": _codes_in_order(codes for _, codes in flagged[row["station_id"]])}
        for row in rows
    ]  # fmt: skip


def _codes_in_order(code_lists: Iterable[list[str]]) -> list[str]:
    seen = {code for codes in code_lists for code in codes}
    return [code for code in plausibility.FLAGS if code in seen]


def station_day(*, station: PowerStation, day: date) -> StationDailyGeneration | None:
    """One plant's day row with its KPIs and flags (None until the day is rolled up)."""
    return StationDailyGeneration.objects.filter(station_id=station.id, date=day).first()


def station_days(*, station: PowerStation, start: date, end: date) -> list[dict]:
    """A plant's days over [start, end] with every KPI and its flags, for the API."""
    return [
        {
            "date": row.date,
            "kwh": row.kwh,
            "specific_yield": row.specific_yield,
            "capacity_kwp": row.capacity_kwp,
            "capacity_kw": row.capacity_kw,
            "peak_kw": row.peak_kw,
            "peak_at": row.peak_at,
            "run_hours": round(row.run_minutes / 60, 3),
            "daylight_hours": round(row.daylight_minutes / 60, 3),
            "availability": row.availability,
            "completeness": row.completeness,
            "poa_kwh_m2": row.poa_kwh_m2,
            "performance_ratio": row.performance_ratio,
            "zero_filled": row.zero_filled,
            "underperforming": row.underperforming,
            "flags": plausibility.flags_explained(row.flags),
        }
        for row in StationDailyGeneration.objects.filter(
            station_id=station.id, date__gte=start, date__lte=end
        ).order_by("date")
    ]


def run_time(*, stations: Iterable[PowerStation], start: date, end: date) -> dict[int, float]:
    """Hours each plant generated over [start, end], from the plant daily rows."""
    rows = (
        StationDailyGeneration.objects.filter(
            station_id__in=_ids(stations), date__gte=start, date__lte=end
        )
        .values("station_id")
        .annotate(minutes=Sum("run_minutes"))
    )
    return {row["station_id"]: round(row["minutes"] / 60, 2) for row in rows}



def station_day_rows(
    *, station_ids: Iterable[int], start: date, end: date
) -> list[StationDailyGeneration]:
    """The plant daily rows of these plants over [start, end], by date then plant (read-only
    use: exports, the monthly report)."""
    return list(
        StationDailyGeneration.objects.filter(
            station_id__in=list(station_ids), date__gte=start, date__lte=end
        ).order_by("date", "station_id")
    )


DAY_VALUES = (
    "station_id", "date", "kwh", "specific_yield", "peak_kw", "run_minutes", "availability",
    "performance_ratio", "completeness", "zero_filled", "flags",
)  # fmt: skip


def station_day_bounds(
    *, station_ids: Iterable[int], start: date, end: date
) -> tuple[date, date] | None:
    """The first and last day in [start, end] with a plant daily row of these plants; None
    when there is none (one query, whatever the span asked for)."""
    found = StationDailyGeneration.objects.filter(
        station_id__in=list(station_ids), date__gte=start, date__lte=end
    ).aggregate(first=Min("date"), last=Max("date"))
    return (found["first"], found["last"]) if found["first"] else None


def station_day_values(*, station_ids: Iterable[int], start: date, end: date) -> Iterator[tuple]:
    """The plant daily rows over [start, end] as tuples of DAY_VALUES, by date then plant, read
    as they are used (the exports of a year of a fleet: a third of the memory of models)."""
    return (
        StationDailyGeneration.objects.filter(
            station_id__in=list(station_ids), date__gte=start, date__lte=end
        )
        .order_by("date", "station_id")
        .values_list(*DAY_VALUES)
        .iterator(chunk_size=2000)
    )


def station_daily_kwh(
    *, station_ids: Iterable[int], start: date, end: date
) -> list[tuple[int, date, float]]:
    """(station_id, date, kWh) of each plant daily row over [start, end], by plant then date."""
    return list(
        StationDailyGeneration.objects.filter(
            station_id__in=list(station_ids), date__gte=start, date__lte=end
        )
        .order_by("station_id", "date")
        .values_list("station_id", "date", "kwh")
    )


def stations_with_generation(*, start: date, end: date) -> set[int]:
    """The plants that have at least one daily row in [start, end]."""
    return set(
        StationDailyGeneration.objects.filter(date__gte=start, date__lte=end)
        .values_list("station_id", flat=True)
        .distinct()
    )


def regions_with_generation(*, start: date, end: date) -> list[str]:
    """The regions of the plants that have daily rows in [start, end], sorted."""
    return sorted(
        set(
            StationDailyGeneration.objects.filter(date__gte=start, date__lte=end)
            .values_list("region", flat=True)
            .distinct()
        )
    )


def daily_yield_medians(*, scope: str, start: date, end: date) -> dict[date, float | None]:
    """The stored median specific yield of each day in [start, end] for a scope (a region)."""
    return dict(
        GenerationStatistics.objects.filter(
            date__gte=start, date__lte=end, scope=scope
        ).values_list("date", "yield_median")
    )


# --- Now ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationNow:
    """One plant's figures at a moment: what its inverters deliver now and made today."""

    current_kw: float
    today_kwh: float
    lifetime_kwh: float
    reporting: int  # active inverters heard from within the plant's communication-loss minutes
    last_ts: datetime | None
    # Some inverter's kWh today is (or, once the rollups write one, would be) its running daily
    # row, not its own counter: the rollup jobs change this plant's figures.
    uses_daily_rows: bool = False


class InverterStatusRow(NamedTuple):
    inverter_id: int
    station_id: int
    last_ts: datetime | None
    ac_kw: float | None
    day_kwh: float | None
    total_kwh: float | None
    state: str


def inverter_statuses(station_ids: list[int]) -> list[InverterStatusRow]:
    """The latest status of each active inverter of these stations, as tuples (one query)."""
    # By the inverters' station: MariaDB then reads the inverters of these stations by their
    # index, where by the statuses' own station column it scanned every inverter (a few
    # hundred plants of 10,000: 10 ms against 43).
    fields = ["inverter__station_id" if f == "station_id" else f for f in InverterStatusRow._fields]
    return [
        InverterStatusRow(*values)
        for values in InverterStatus.objects.filter(
            inverter__station_id__in=station_ids, inverter__is_active=True
        ).values_list(*fields)
    ]


def station_now(
    *,
    stations: Iterable[PowerStation],
    now: datetime | None = None,
    statuses: list[InverterStatusRow] | None = None,
) -> dict[int, StationNow]:
    """Per station id: current kW, today's kWh, lifetime kWh, inverters reporting, last data.

    Today is each inverter's own day counter where it reported one today, else its running
    daily row. Current kW counts only inverters heard from within their plant's
    communication-loss minutes. Two queries per distinct plant time zone, whatever the count
    (one when the caller has read the stations' `inverter_statuses` already).
    """
    now = now or timezone.now()
    stations = {s.id: s for s in stations}
    today_rows: dict[int, tuple[int, float]] = {}
    by_date: dict[date, list[int]] = defaultdict(list)
    for station in stations.values():
        by_date[plant_time.local_date(now, station.tz)].append(station.id)
    for today, ids in by_date.items():
        for inverter_id, station_id, kwh in DailyGeneration.objects.filter(
            station_id__in=ids, date=today
        ).values_list("inverter_id", "station_id", "kwh"):
            today_rows[inverter_id] = (station_id, kwh)
    figures = {sid: {"kw": 0.0, "life": 0.0, "reporting": 0, "last": None} for sid in stations}
    daily_rows_used: set[int] = set()
    if statuses is None:
        statuses = inverter_statuses(list(stations))
    # Per station once: its day and since when an inverter counts as reporting.
    today_bounds = plant_time.today_bounds(stations.values(), now=now)
    heard_since = {
        sid: now - timedelta(minutes=s.comm_loss_minutes) for sid, s in stations.items()
    }  # fmt: skip
    # Tuples, not model instances: the overview asks this for 10,000 plants at a time.
    for inverter_id, station_id, last_ts, ac_kw, day_kwh, total_kwh, _state in statuses:
        row = figures[station_id]
        if last_ts is None:
            if total_kwh is not None:
                row["life"] += total_kwh
            daily_rows_used.add(station_id)
            continue
        if row["last"] is None or last_ts > row["last"]:
            row["last"] = last_ts
        if last_ts >= heard_since[station_id]:
            row["reporting"] += 1
            row["kw"] += ac_kw or 0.0
        if total_kwh is not None:
            row["life"] += total_kwh
        start, end = today_bounds[station_id]
        if day_kwh is not None and start <= last_ts < end:  # reported today
            today_rows[inverter_id] = (station_id, day_kwh)
        else:
            daily_rows_used.add(station_id)
    today: dict[int, float] = defaultdict(float)
    for station_id, kwh in today_rows.values():
        today[station_id] += kwh
    return {
        sid: StationNow(
            current_kw=round(row["kw"], 3),
            today_kwh=round(today[sid], 3),
            lifetime_kwh=round(row["life"], 3),
            reporting=row["reporting"],
            last_ts=row["last"],
            uses_daily_rows=sid in daily_rows_used,
        )
        for sid, row in figures.items()
    }


@dataclass(frozen=True)
class Summary:
    current_kw: float
    today_kwh: float
    month_kwh: float
    year_kwh: float
    lifetime_kwh: float


def summary(*, stations: Iterable[PowerStation], now: datetime | None = None) -> Summary:
    """Current kW, today, this month, this year and lifetime over the stations given.

    Today and now come from `station_now`; month and year add the daily rows of the earlier
    days of each plant's month and year.
    """
    now = now or timezone.now()
    stations = list(stations)
    month = year = 0.0
    by_date: dict[date, list[int]] = defaultdict(list)
    for station in stations:
        by_date[plant_time.local_date(now, station.tz)].append(station.id)
    for today, ids in by_date.items():
        earlier = DailyGeneration.objects.filter(station_id__in=ids, date__lt=today)
        month += earlier.filter(date__gte=today.replace(day=1)).aggregate(s=Sum("kwh"))["s"] or 0
        year += (
            earlier.filter(date__gte=today.replace(month=1, day=1)).aggregate(s=Sum("kwh"))["s"]
            or 0
        )
    per_station = station_now(stations=stations, now=now).values()
    current = sum(s.current_kw for s in per_station)
    today_total = sum(s.today_kwh for s in per_station)
    lifetime = sum(s.lifetime_kwh for s in per_station)
    return Summary(
        current_kw=round(current, 3),
        today_kwh=round(today_total, 3),
        month_kwh=round(month + today_total, 3),
        year_kwh=round(year + today_total, 3),
        lifetime_kwh=round(lifetime, 3),
    )


def regional_current_average(
    *, stations: Iterable[PowerStation], now: datetime | None = None
) -> dict[str, dict]:
    """Per region: plants reporting, their average current kW, and kW per kWp installed."""
    now = now or timezone.now()
    stations = {s.id: s for s in stations}
    per_station: dict[int, float] = defaultdict(float)
    for status in InverterStatus.objects.filter(
        station_id__in=stations.keys(), inverter__is_active=True, last_ts__isnull=False
    ):
        station = stations[status.station_id]
        if now - status.last_ts <= timedelta(minutes=station.comm_loss_minutes):
            per_station[station.id] += status.ac_kw or 0.0
    regions: dict[str, dict] = {}
    for station_id, kw in per_station.items():
        station = stations[station_id]
        region = regions.setdefault(station.region, {"stations": 0, "kw": 0.0, "kwp": 0.0})
        region["stations"] += 1
        region["kw"] += kw
        region["kwp"] += float(station.capacity_kwp)
    return {
        name: {
            "stations": r["stations"],
            "average_kw": round(r["kw"] / r["stations"], 3),
            "kw_per_kwp": round(r["kw"] / r["kwp"], 4),
        }
        for name, r in sorted(regions.items())
    }


# --- Statistics -----------------------------------------------------------------------------


def statistics_over(*, start: date, end: date, region: str | None = None) -> Figures:
    return period_statistics(start=start, end=end, region=region)


def inverter_numbers(stations: Iterable[PowerStation]) -> dict[int, str]:
    """inverter id -> "CODE-N", for labelling rows."""
    return {
        inv.id: str(inv)
        for inv in Inverter.objects.filter(station__in=list(stations)).select_related("station")
    }


# --- Power over a period (api) --------------------------------------------------------------


def _figures(values: list[float]) -> dict:
    if not values:
        return {"average": None, "sum": None, "median": None, "count": 0}
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {
        "average": round(sum(values) / len(values), 3),
        "sum": round(sum(values), 3),
        "median": round(median, 3),
        "count": len(values),
    }


def power_figures(*, station: PowerStation, start: datetime, end: datetime) -> dict:
    """Per inverter number, the DC and AC kW readings in [start, end): average, sum, median.

    {number: {"ac_kw": {...}, "dc_kw": {...}}}, every active inverter present."""
    numbers = dict(station.inverters.values_list("id", "number"))
    values: dict[int, dict[str, list[float]]] = {
        number: {"ac_kw": [], "dc_kw": []} for number in sorted(numbers.values())
    }
    for reading in store.station_inverter_readings(station_id=station.id, start=start, end=end):
        number = numbers.get(reading.inverter_id)
        if number is None:
            continue
        for name in ("ac_kw", "dc_kw"):
            if getattr(reading, name) is not None:
                values[number][name].append(getattr(reading, name))
    return {
        number: {name: _figures(series) for name, series in kinds.items()}
        for number, kinds in values.items()
    }


# --- The fleet's figures of today: what it made and what it should have made by now ---------


def month_to_date_kwh(*, stations: Iterable[PowerStation], now: datetime) -> float:
    """kWh of the earlier days of each plant's month (daily rows), today's left out: the
    caller adds its own today, which `station_now` already read. One query per time zone."""
    by_date: dict[date, list[int]] = defaultdict(list)
    for station in stations:
        by_date[plant_time.local_date(now, station.tz)].append(station.id)
    total = 0.0
    for today, ids in by_date.items():
        total += (
            DailyGeneration.objects.filter(
                station_id__in=ids, date__lt=today, date__gte=today.replace(day=1)
            ).aggregate(s=Sum("kwh"))["s"]
            or 0.0
        )
    return round(total, 3)


def expected_kwh_by_now(*, stations: Iterable[PowerStation], now: datetime) -> float | None:
    """What the plants should have made today by now, kWh; None while no day has statistics.

    1. The reference is the one under-performance is judged by (generation/statistics.py):
       the median specific yield of the plant's region on the latest day with statistics, or
       the fleet's where the region had fewer than MIN_REGION_PLANTS plants.
    2. The share of that day's sunlight already past at the plant is the clear-sky horizontal
       irradiance from local midnight to now over the whole day's (monitoring/solar.py).
    3. Expected = DC capacity x reference yield x share, summed over the plants.
    Two queries, whatever the number of plants.
    """
    stations = list(stations)
    latest = GenerationStatistics.objects.filter(
        date__lt=min((plant_time.local_date(now, s.tz) for s in stations), default=now.date())
    ).aggregate(d=Max("date"))["d"]
    if latest is None:
        return None
    by_scope = {
        row.scope: row
        for row in GenerationStatistics.objects.filter(date=latest, yield_median__isnull=False)
    }
    fleet = by_scope.get(GenerationStatistics.FLEET)
    total = 0.0
    for station in stations:
        region = by_scope.get(station.region)
        reference = region if region and region.stations >= MIN_REGION_PLANTS else fleet
        if reference is None:
            continue
        start, end = plant_time.day_bounds(plant_time.local_date(now, station.tz), station.tz)
        share = _sunlight_share(
            round(station.latitude * 2) / 2, round(station.longitude * 2) / 2,
            start.timestamp(), end.timestamp(), now.timestamp() // 300 * 300,
        )  # fmt: skip
        total += float(station.capacity_kwp) * reference.yield_median * share
    return round(total, 3)


@lru_cache(maxsize=1024)
def _sunlight_share(latitude: float, longitude: float, start: float, end: float, at: float):
    """The share of [start, end)'s clear-sky irradiance that falls before `at` (a plant's
    place to the half degree and now to 5 minutes, so a fleet shares a few dozen sums)."""
    before = whole = 0.0
    step = 600.0
    t = start
    while t < end:
        value = clear_sky_irradiance(latitude, longitude, datetime.fromtimestamp(t + step / 2, UTC))
        whole += value
        if t + step <= at:
            before += value
        elif t < at:
            before += value * (at - t) / step
        t += step
    return before / whole if whole else 0.0


def day_end_counters(*, station: PowerStation, start: date, end: date) -> dict[int, list]:
    """Per inverter number, its lifetime counter (kWh) at the end of each local day in
    [start, end] (the old system's daytotalgeneration): [(date, total_kwh_end)], oldest first;
    None for a day whose last reading had no counter."""
    numbers = dict(Inverter.objects.filter(station=station).values_list("id", "number"))
    counters: dict[int, list] = {number: [] for number in sorted(numbers.values())}
    rows = (
        DailyGeneration.objects.filter(
            station_id=station.id, date__gte=start, date__lte=end, inverter_id__in=list(numbers)
        )
        .order_by("inverter_id", "date")
        .values_list("inverter_id", "date", "total_kwh_end")
    )
    for inverter_id, day, total in rows:
        counters[numbers[inverter_id]].append((day, total))
    return counters
