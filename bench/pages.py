"""Server time of the fleet overview and the plant page, for a fleet with a year of rollups.

    DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench \
    TELEMETRY_DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench_tel \
    .venv/bin/python bench/pages.py [--plants 1000] [--requests 40] [--keep]

Works in throw-away test databases (test_<name>), created here and dropped afterwards unless
--keep (then a second run reuses the fleet). The fleet: N plants of 3 inverters, the latest
state of every inverter, a year of daily rows per inverter and per plant (the reports' and
the month/year charts' source), yesterday's hourly rows, yesterday's 1-minute readings of the
plants whose page is timed, and an open alarm at every 20th plant. Each page is asked for by
Django's test client in this process, logged in as an operator, so the time is the server's:
views, selectors, queries and templates, without the network. Prints median and 95th
percentile in ms and the queries per request. Targets: overview < 300 ms, plant page < 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import harness

harness.django_setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import Alarm, EventType  # noqa: E402
from generation.models import DailyGeneration, HourlyGeneration, StationDailyGeneration  # noqa: E402
from monitoring import plant_time  # noqa: E402
from monitoring.models import (  # noqa: E402
    Collector,
    Inverter,
    InverterState,
    InverterStatus,
    PowerStation,
    Region,
    StationStatus,
)
from telemetry.models import InverterReading  # noqa: E402

PER_PLANT = 3
TIMED_PLANTS = 20
BATCH = 5000


def _bulk(model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def fleet_build(plants: int, now: datetime) -> list[PowerStation]:
    regions = Region.values
    stations = PowerStation.objects.bulk_create(
        PowerStation(
            code=f"P{n:05}", name=f"벤치 발전소 {n}", region=regions[n % len(regions)],
            latitude=34.8 + n % 100 / 100, longitude=126.4 + n % 50 / 100,
            capacity_kwp=Decimal("150"),
        )
        for n in range(plants)
    )  # fmt: skip
    collectors = Collector.objects.bulk_create(
        Collector(name=f"bench-{n}", last_seen=now) for n in range(max(1, plants // 10))
    )
    Collector.stations.through.objects.bulk_create(
        Collector.stations.through(collector_id=collectors[i // 10].id, powerstation_id=s.id)
        for i, s in enumerate(stations)
    )
    inverters = Inverter.objects.bulk_create(
        (Inverter(station=s, number=k, capacity_kw=Decimal("50"))
         for s in stations for k in range(1, PER_PLANT + 1)),
        batch_size=BATCH,
    )  # fmt: skip
    InverterStatus.objects.bulk_create(
        (InverterStatus(inverter=inv, station_id=inv.station_id, last_ts=now - timedelta(
            seconds=inv.id % 300), ac_kw=float(inv.id % 45), dc_kw=float(inv.id % 45) * 1.03,
            day_kwh=150.0, total_kwh=100_000.0, temp_c=40.0, state=InverterState.RUNNING,
            state_since=now - timedelta(hours=3))
         for inv in inverters),
        batch_size=BATCH,
    )  # fmt: skip
    StationStatus.objects.bulk_create(
        StationStatus(station=s, grid_outage=False, grid_ts=now) for s in stations
    )
    Alarm.objects.bulk_create(
        Alarm(event_type_id=EventType.GRID_OUTAGE, subject=f"st:{s.id}", station=s,
              raised_at=now - timedelta(minutes=30), open_key=f"201:st:{s.id}")
        for s in stations[::20]
    )  # fmt: skip
    return stations


def rollups_build(stations: list[PowerStation], today: date, now: datetime) -> int:
    """A year of daily rows, yesterday's hours, and the timed plants' readings of yesterday."""
    inverters = list(Inverter.objects.values_list("id", "station_id"))
    region = {s.id: s.region for s in stations}
    days = [today - timedelta(days=d) for d in range(1, 366)]
    _bulk(DailyGeneration, (
        DailyGeneration(inverter_id=i, station_id=s, date=d, kwh=180.0 + (i + d.day) % 40,
                        run_minutes=600, readings=1440, expected=1440, completeness=1.0,
                        computed_at=now)
        for d in days for i, s in inverters
    ))  # fmt: skip
    _bulk(StationDailyGeneration, (
        StationDailyGeneration(station_id=s.id, date=d, region=region[s.id], capacity_kwp=150,
                               inverters=PER_PLANT, kwh=600.0, specific_yield=4.0, peak_kw=130,
                               run_minutes=600, daylight_minutes=700, availability=0.95,
                               completeness=1.0, underperforming=(s.id + d.day) % 30 == 0,
                               computed_at=now)
        for d in days for s in stations
    ))  # fmt: skip
    yesterday = days[0]
    start, _end = plant_time.day_bounds(yesterday, stations[0].tz)
    _bulk(HourlyGeneration, (
        HourlyGeneration(inverter_id=i, station_id=s, hour_start=start + timedelta(hours=h),
                         local_date=yesterday, local_hour=h, kwh=10.0 if 6 <= h < 19 else 0.0,
                         readings=60, expected=60, complete=True, estimated=False,
                         computed_at=now)
        for i, s in inverters for h in range(24)
    ))  # fmt: skip
    timed = {s.id for s in stations[:TIMED_PLANTS]}
    _bulk(InverterReading, (
        InverterReading(inverter_id=i, station_id=s, ts=start + timedelta(minutes=m),
                        ac_kw=float(m % 45), total_kwh=1000 + m / 10)
        for i, s in inverters if s in timed for m in range(24 * 60)
    ))  # fmt: skip
    return len(days)


def timed_requests(client: Client, urls: list[str]) -> tuple[list[float], int]:
    times, queries = [], 0
    for url in urls:
        with harness.measured() as took:
            response = client.get(url)
        times.append(took.seconds * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = took.queries
    return times, queries


def report(label: str, times: list[float], queries: int, target: int) -> None:
    p95 = harness.percentile(times, 0.95)
    print(
        f"{label:<34} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
        f"{queries:3d} queries   (target < {target} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the databases")
    args = parser.parse_args()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    with harness.test_databases(keep=args.keep):
        now = timezone.now()
        if not PowerStation.objects.exists():
            started = time.perf_counter()
            stations = fleet_build(args.plants, now)
            today = plant_time.local_date(now, stations[0].tz)
            days = rollups_build(stations, today, now)
            print(
                f"built {len(stations)} plants, {len(stations) * PER_PLANT} inverters and "
                f"{days} days of rollups in {time.perf_counter() - started:.0f} s"
            )
        stations = list(PowerStation.objects.order_by("code")[:TIMED_PLANTS])
        operator = User.objects.filter(username="bench-operator").first() or (
            User.objects.create_user(username="bench-operator", role=User.Role.OPERATOR)
        )
        client = Client()
        client.force_login(operator)
        client.get("/")  # warm-up: templates compiled, connections open
        yesterday = (now.astimezone(stations[0].tz) - timedelta(days=1)).date()
        print(
            f"{connection.vendor} {connection.settings_dict['NAME']}: "
            f"{PowerStation.objects.count()} plants, {args.requests} requests per page"
        )
        times, queries = timed_requests(client, ["/"] * args.requests)
        report("overview (first page of 100)", times, queries, 300)
        times, queries = timed_requests(client, ["/?sort=-kw&region=jeonnam"] * args.requests)
        report("overview, filtered and sorted", times, queries, 300)
        urls = [f"/plants/{stations[n % len(stations)].code}/" for n in range(args.requests)]
        times, queries = timed_requests(client, urls)
        report("plant page (today)", times, queries, 150)
        urls = [f"{url}?date={yesterday}" for url in urls]
        times, queries = timed_requests(client, urls)
        report("plant page (yesterday: 1-min curve)", times, queries, 150)


if __name__ == "__main__":
    main()
