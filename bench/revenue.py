"""Benchmark: revenue of a fleet from its plant daily rows, on MariaDB (or SQLite by default).

    DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench \
    TELEMETRY_DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench_tel \
    .venv/bin/python bench/revenue.py [--stations 1000] [--days 365]

Creates a bench fleet (codes BENCHREV-...) with a year of plant daily rows, daily SMP and
weekly REC prices (kept between runs), then times what the pages and the API ask: today's and
this month's won of the whole fleet (the overview), a year of one plant by month, and the
daily CSV export's revenue of the fleet for a month. Prints seconds and the queries each took
(the query count must not grow with the fleet). Never part of the tests.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from decimal import Decimal

import harness

harness.django_setup()

from django.utils import timezone  # noqa: E402

from economics.models import RecPrice, SmpPrice, week_monday  # noqa: E402
from economics.selectors import (  # noqa: E402
    revenue_by,
    station_revenue,
    stations_daily_revenue,
    stations_revenue_today_and_month,
)
from generation.models import StationDailyGeneration  # noqa: E402
from monitoring.models import PowerStation, Region  # noqa: E402

TODAY = date(2026, 6, 15)


def fleet(count: int) -> list[PowerStation]:
    have = PowerStation.objects.filter(code__startswith="BENCHREV-").count()
    regions = [r.value for r in Region]
    PowerStation.objects.bulk_create(
        PowerStation(code=f"BENCHREV-{i:05d}", name=f"Bench plant {i}",
                     region=regions[i % len(regions)], latitude=35.0, longitude=127.0,
                     capacity_kwp=Decimal(50 + i % 500))
        for i in range(have, count)
    )  # fmt: skip
    return list(PowerStation.objects.filter(code__startswith="BENCHREV-").order_by("code"))[:count]


def data(stations: list[PowerStation], days: int) -> None:
    first = TODAY - timedelta(days=days - 1)
    have = set(
        StationDailyGeneration.objects.filter(
            station_id__in=[s.id for s in stations], date=first
        ).values_list("station_id", flat=True)
    )
    now = timezone.now()
    for station in stations:
        if station.id in have:
            continue
        cap = float(station.capacity_kwp)
        StationDailyGeneration.objects.bulk_create(
            StationDailyGeneration(station_id=station.id, date=first + timedelta(days=d),
                                   region=station.region, capacity_kwp=cap, inverters=1,
                                   kwh=cap * (3 + d % 3), specific_yield=3 + d % 3,
                                   computed_at=now)
            for d in range(days)
        )  # fmt: skip
    for d in range(days):
        day = first + timedelta(days=d)
        for market in ("mainland", "jeju"):
            SmpPrice.objects.get_or_create(
                market=market,
                period="day",
                date=day,
                defaults={"won_per_kwh": Decimal(100 + d % 40)},
            )
        RecPrice.objects.get_or_create(week_start=week_monday(day),
                                       defaults={"won_per_rec": Decimal(70000)})  # fmt: skip


def timed(label: str, work) -> None:
    with harness.measured() as took:
        work()
    print(f"{label}: {took.seconds:.3f} s, {took.queries} queries")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    harness.migrate()
    stations = fleet(args.stations)
    started = time.perf_counter()
    data(stations, args.days)
    elapsed = time.perf_counter() - started
    print(f"set-up: {len(stations)} plants x {args.days} days in {elapsed:.1f} s")
    timed(
        f"overview, today and month of {len(stations)} plants",
        lambda: stations_revenue_today_and_month(stations, today=TODAY),
    )
    timed(
        "one plant, a year by month",
        lambda: revenue_by(
            station_revenue(station=stations[0], start=TODAY - timedelta(days=364), end=TODAY).days,
            by="month",
        ),
    )
    timed(f"export month of {len(stations)} plants", lambda: stations_daily_revenue(
        stations=stations, start=TODAY.replace(day=1), end=TODAY))  # fmt: skip


if __name__ == "__main__":
    main()
