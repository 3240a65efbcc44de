"""Benchmark: one day of 1-minute readings of 3,000 inverters rolled up on MariaDB.

    DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench \
    TELEMETRY_DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench_tel \
    .venv/bin/python bench/rollups.py [--stations 1000] [--inverters-per-station 3]

Creates the databases' tables, a bench fleet (codes BENCH-...) and its readings for one day
(kept between runs: only missing readings are written), then times the daily job's work:
hourly rows, daily rows, zero fill, plant KPIs and statistics, and prints seconds and
readings per second (target: under 60 s). A second run of the same day shows what an
idempotent recompute costs when nothing changed. Then 30 days of plant rows are written and
a month report for every bench plant is timed (target: under 1 s). Never part of the tests.
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import harness

harness.django_setup()

from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from generation import kpis, rollups, selectors  # noqa: E402
from generation.models import DailyGeneration, HourlyGeneration, StationDailyGeneration  # noqa: E402
from generation.statistics import statistics_compute  # noqa: E402
from monitoring.models import Inverter, PowerStation, Region  # noqa: E402
from telemetry.models import InverterReading  # noqa: E402

DAY = date(2026, 6, 1)


def fleet(stations: int, per_station: int) -> list[PowerStation]:
    have = PowerStation.objects.filter(code__startswith="BENCH-").count()
    if have < stations:
        regions = [r.value for r in Region]
        new = PowerStation.objects.bulk_create(
            PowerStation(
                code=f"BENCH-{i:05d}",
                name=f"Bench plant {i}",
                region=regions[i % len(regions)],
                latitude=34.0 + (i % 40) * 0.1,
                longitude=126.0 + (i % 30) * 0.1,
                capacity_kwp=Decimal(50 * per_station),
            )
            for i in range(have, stations)
        )
        Inverter.objects.bulk_create(
            Inverter(station_id=s.id, number=n, capacity_kw=Decimal("50"))
            for s in PowerStation.objects.filter(code__in=[s.code for s in new])
            for n in range(1, per_station + 1)
        )
    return list(PowerStation.objects.filter(code__startswith="BENCH-").order_by("code")[:stations])


def readings(stations: list[PowerStation]) -> int:
    """One reading a minute through the local day: a clear-sky bell, a lifetime counter."""
    tz = stations[0].tz
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=tz).astimezone(UTC)
    inverters = list(Inverter.objects.filter(station__in=stations).values_list("id", "station_id"))
    have = InverterReading.objects.filter(ts__gte=start, ts__lt=start + timedelta(days=1)).count()
    wanted = len(inverters) * 1440
    if have >= wanted:
        return have
    InverterReading.objects.filter(ts__gte=start, ts__lt=start + timedelta(days=1)).delete()
    connection = connections["telemetry"]
    table = InverterReading._meta.db_table
    sql = (
        f"INSERT INTO {table} (inverter_id, station_id, ts, ac_kw, day_kwh, total_kwh) "
        "VALUES (%s, %s, %s, %s, %s, %s)"
    )
    shape = [max(0.0, math.sin(math.pi * (m - 330) / 840)) if 330 <= m <= 1170 else 0.0
             for m in range(1440)]  # fmt: skip
    stamps = [(start + timedelta(minutes=m)).replace(tzinfo=None) for m in range(1440)]
    began, written = time.perf_counter(), 0
    batch = []
    for index, (inverter_id, station_id) in enumerate(inverters):
        peak = 40 + index % 10
        day_kwh, total = 0.0, 10000.0 + index
        for m in range(1440):
            kw = round(peak * shape[m], 3)
            day_kwh += kw / 60
            total += kw / 60
            batch.append(
                (inverter_id, station_id, stamps[m], kw, round(day_kwh, 3), round(total, 3))
            )
        if len(batch) >= 28800:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            written += len(batch)
            batch = []
            print(f"  writing readings: {written:,}", end="\r", flush=True)
    if batch:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        written += len(batch)
    print(f"  wrote {written:,} readings in {time.perf_counter() - began:.0f} s")
    return written


def daily_job(stations: list[PowerStation]) -> dict:
    now = timezone.now()
    timings = {}
    began = time.perf_counter()
    meters = rollups.meters_for(station_ids=[s.id for s in stations])
    result = rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters}, now=now)
    timings["hourly and daily rows"] = time.perf_counter() - began
    mark = time.perf_counter()
    result["filled"] = rollups.zero_fill(
        stations=stations, day_of={s.id: DAY for s in stations}, now=now
    )
    kpis.station_days_recompute(station_days=[(s.id, DAY) for s in stations], now=now)
    statistics_compute(day=DAY, now=now)
    timings["zero fill, plant KPIs, statistics"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - began
    return {**result, "timings": timings}


def month_rows(stations: list[PowerStation]) -> None:
    now = timezone.now()
    rows = [
        StationDailyGeneration(
            station_id=s.id, date=DAY - timedelta(days=d), region=s.region,
            capacity_kwp=float(s.capacity_kwp), inverters=3, kwh=400.0 + d,
            specific_yield=(400.0 + d) / float(s.capacity_kwp), peak_kw=120.0,
            run_minutes=600, daylight_minutes=800, availability=0.98, computed_at=now,
        )
        for s in stations
        for d in range(1, 31)
    ]  # fmt: skip
    StationDailyGeneration.objects.filter(
        station_id__in=[s.id for s in stations], date__lt=DAY
    ).delete()
    StationDailyGeneration.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--inverters-per-station", type=int, default=3)
    args = parser.parse_args()
    vendor = connections["telemetry"].vendor
    print(f"telemetry database: {vendor} {connections['telemetry'].settings_dict['NAME']}")
    if vendor != "mysql":
        print("  (the target is for MariaDB: set DATABASE_URL and TELEMETRY_DATABASE_URL)")
    harness.migrate()
    stations = fleet(args.stations, args.inverters_per_station)
    count = readings(stations)
    inverters = len(stations) * args.inverters_per_station
    print(f"fleet: {len(stations):,} plants, {inverters:,} inverters, {count:,} readings on {DAY}")

    # The first run starts from no rollup rows for the day, as on the night the day ends.
    ids = [s.id for s in stations]
    HourlyGeneration.objects.filter(station_id__in=ids, local_date=DAY).delete()
    DailyGeneration.objects.filter(station_id__in=ids, date=DAY).delete()
    StationDailyGeneration.objects.filter(station_id__in=ids, date=DAY).delete()
    for label in ("first rollup", "recompute, nothing changed"):
        result = daily_job(stations)
        total = result["timings"]["total"]
        print(
            f"{label}: {total:.1f} s, {result['readings'] / total:,.0f} readings/s "
            f"({result['hours']:,} hourly rows, {result['days']:,} daily rows written)"
        )
        for step, seconds in result["timings"].items():
            if step != "total":
                print(f"  {step}: {seconds:.1f} s")

    month_rows(stations)
    began = time.perf_counter()
    report = selectors.month_report(stations=stations, year=DAY.year, month=5)
    seconds = time.perf_counter() - began
    print(f"month report (May, from plant daily rows): {len(report):,} plants in {seconds:.3f} s")


if __name__ == "__main__":
    main()
