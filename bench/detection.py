"""One detection pass over a large fleet: seconds and queries.

    DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench \
    TELEMETRY_DATABASE_URL=mysql://root@127.0.0.1:3306/ss_bench_tel \
    .venv/bin/python bench/detection.py [--inverters 10000]

Works in throw-away test databases (test_<name>), created and dropped here. Prints, for a
fleet of N inverters (10 per plant, one collector per 10 plants, 4 combiner boxes of 8 strings
per 10 plants): the first pass (every inverter seen for the first time), a steady pass
(nothing changes), and a pass in which 2% of the plants lose the grid (confirmed: alarms
raised, logged and queued for notification).
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from decimal import Decimal

import harness

harness.django_setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Customer, User  # noqa: E402
from events.detection import detect_events  # noqa: E402
from monitoring.models import (  # noqa: E402
    Collector,
    CombinerBox,
    Inverter,
    InverterState,
    InverterStatus,
    PowerStation,
    Region,
    StationStatus,
)
from telemetry.models import CombinerReading  # noqa: E402

PER_PLANT = 10


def fleet_build(inverters: int, now) -> list[PowerStation]:
    plants = inverters // PER_PLANT
    customers = Customer.objects.bulk_create(
        Customer(name=f"bench customer {n}") for n in range(max(1, plants // 20))
    )
    owners = User.objects.bulk_create(
        User(
            username=f"bench-owner-{c.id}",
            customer=c,
            email=f"o{c.id}@example.com",
            role=User.Role.OWNER,
        )
        for c in customers
    )
    del owners
    stations = PowerStation.objects.bulk_create(
        PowerStation(
            code=f"B{n:05}",
            name=f"Bench {n}",
            region=Region.JEONNAM,
            latitude=34.8 + n % 100 / 100,
            longitude=126.4 + n % 50 / 100,
            capacity_kwp=Decimal("500"),
            customer=customers[n % len(customers)],
        )
        for n in range(plants)
    )
    collectors = Collector.objects.bulk_create(
        Collector(name=f"bench-{n}", last_seen=now) for n in range(max(1, plants // 10))
    )
    Collector.stations.through.objects.bulk_create(
        Collector.stations.through(collector_id=collectors[i // 10].id, powerstation_id=s.id)
        for i, s in enumerate(stations)
    )
    invs = Inverter.objects.bulk_create(
        (
            Inverter(station=s, number=k, capacity_kw=Decimal("50"), collector=collectors[i // 10])
            for i, s in enumerate(stations)
            for k in range(1, PER_PLANT + 1)
        ),
        batch_size=2000,
    )
    InverterStatus.objects.bulk_create(
        (
            InverterStatus(
                inverter=inv,
                station_id=inv.station_id,
                last_ts=now,
                ac_kw=40.0,
                state=InverterState.RUNNING,
                state_since=now - timedelta(hours=3),
            )
            for inv in invs
        ),
        batch_size=2000,
    )
    StationStatus.objects.bulk_create(
        StationStatus(station=s, grid_outage=False, grid_ts=now) for s in stations
    )
    boxes = CombinerBox.objects.bulk_create(
        CombinerBox(station=s, number=b, channels=8) for s in stations[::10] for b in range(1, 5)
    )
    CombinerReading.objects.bulk_create(
        CombinerReading(box_id=b.id, station_id=b.station_id, ts=now, currents=[8.0] * 8)
        for b in boxes
    )
    return stations


def timed_pass(label: str, now) -> None:
    with harness.measured() as took:
        result = detect_events(now=now)
    print(f"{label:<34} {took.seconds:7.3f} s  {took.queries:3d} queries  | {result.summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inverters", type=int, default=10_000)
    args = parser.parse_args()
    with harness.test_databases():
        # Noon in Korea, so the daylight checks run too.
        now = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0)
        started = time.perf_counter()
        stations = fleet_build(args.inverters, now)
        print(
            f"{connection.vendor} {connection.settings_dict['NAME']}: built "
            f"{len(stations)} plants, {args.inverters} inverters in "
            f"{time.perf_counter() - started:.1f} s"
        )
        timed_pass("first pass (all first sightings)", now)
        timed_pass("steady pass", now + timedelta(minutes=1))
        dark = [s.id for s in stations[::50]]
        StationStatus.objects.filter(station_id__in=dark).update(grid_outage=True)
        timed_pass("outage at 2% of plants, seen once", now + timedelta(minutes=2))
        timed_pass("outage confirmed: alarms raised", now + timedelta(minutes=3))


if __name__ == "__main__":
    main()
