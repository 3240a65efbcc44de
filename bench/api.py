"""Requests per second and 95th percentile latency of two API calls, served by gunicorn.

    .venv/bin/python bench/api.py [--stations 1000] [--requests 200] [--clients 4]
                                  [--prefix ss_bench_api]

MariaDB at $MARIADB_URL (default mysql://root@127.0.0.1:3306/), databases PREFIX and
PREFIX_tel (default ss_bench_api and ss_bench_api_tel), dropped and re-created. Seeds 1,000
plants of 2 inverters with a latest status each, and one plant's day of 1-minute readings;
starts gunicorn with 2 sync workers on
the real settings (DEBUG off), logs an operator in through POST /api/v1/auth/login, then times
  - the station list: GET /api/v1/stations?page_size=1000 (every plant: kW now, kWh today,
    state), and
  - a plant's day curve: GET /api/v1/stations/<code>/generation/curve?date=...
with CLIENTS threads sending REQUESTS calls each, and prints requests/s and p95 in ms.
Never part of the tests.
"""

from __future__ import annotations

import argparse
import os
import secrets
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import harness

DAY = date(2026, 6, 1)
PASSWORD = secrets.token_urlsafe(16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="calls per endpoint")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--prefix", default="ss_bench_api", help="databases PREFIX, PREFIX_tel")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0",
        help="the servers' shared cache, as deployed (REDIS_URL); '' for none",
    )  # fmt: skip
    parser.add_argument("--reuse", action="store_true", help="keep the databases of a last run")
    args = parser.parse_args()
    env = harness.api_server_env(prefix=args.prefix, reuse=args.reuse, redis_url=args.redis_url)
    code = reused(args.stations) if args.reuse else None
    code = code or seed(args.stations)
    rows = f"station list ({args.stations:,} plants)"
    curve = "a plant's day curve (2 inverters, 1-minute)"
    list_path = f"/api/v1/stations?page_size={args.stations}"
    curve_path = f"/api/v1/stations/{code}/generation/curve?date={DAY}"
    # (name, path, clients, what is measured against its target, target)
    runs = [
        (rows, list_path, 1, "p95", 100.0),
        (rows, list_path, args.clients, "rate", 50.0),
        (curve, curve_path, 1, "p95", 30.0),
        (curve, curve_path, args.clients, "rate", None),
    ]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with harness.gunicorn(env) as url:
        token = login(url)
        for name, path, clients, measure_of, target in runs:
            rate, p95, size = measure(url + path, token, args.requests, clients)
            line = (f"{name}, {clients} client{'s' if clients > 1 else ''}: {rate:,.1f} "
                    f"requests/s, p95 {p95:,.0f} ms ({size:,} bytes)")  # fmt: skip
            if measure_of == "p95" and target:
                line += f"; target p95 < {target:.0f} ms, ratio {p95 / target:.2f}"
            elif target:
                line += f"; target >= {target:.0f} requests/s, ratio {rate / target:.2f}"
            print(line, flush=True)
    print(f"(gunicorn 2 sync workers, MariaDB, cache {args.redis_url or 'per process'}, "
          f"{args.requests} calls per run, {os.cpu_count()} CPUs, "
          f"load average after {os.getloadavg()[0]:.1f})")  # fmt: skip


def reused(count: int) -> str | None:
    """The first plant's code if a last run's fleet of this size is there (with --reuse)."""
    from accounts.models import User
    from monitoring.models import PowerStation

    if PowerStation.objects.count() != count:
        return None
    User.objects.filter(username="bench").delete()
    User.objects.create_user(username="bench", password=PASSWORD, role=User.Role.OPERATOR)
    return PowerStation.objects.order_by("code").values_list("code", flat=True).first()


def seed(count: int) -> str:
    """count plants of 2 inverters, each inverter heard from a minute ago; the first plant
    also gets a full day of 1-minute readings. Returns that plant's code."""
    from django.utils import timezone

    from accounts.models import User
    from monitoring.models import Inverter, InverterState, InverterStatus, PowerStation, Region
    from telemetry.models import InverterReading

    regions = [r.value for r in Region]
    PowerStation.objects.bulk_create(
        PowerStation(
            code=f"BENCH-{i:05d}", name=f"Bench plant {i}", region=regions[i % len(regions)],
            latitude=34.0 + (i % 40) * 0.1, longitude=126.0 + (i % 30) * 0.1,
            capacity_kwp=Decimal("100"),
        )
        for i in range(count)
    )  # fmt: skip
    stations = list(PowerStation.objects.order_by("code"))
    Inverter.objects.bulk_create(
        Inverter(station=s, number=n, capacity_kw=Decimal("50")) for s in stations for n in (1, 2)
    )
    now = timezone.now()
    InverterStatus.objects.bulk_create(
        InverterStatus(
            inverter=inverter, station_id=inverter.station_id, last_ts=now, ac_kw=30.0,
            dc_kw=31.0, day_kwh=120.0, total_kwh=50_000.0, state=InverterState.RUNNING,
            state_since=now,
        )
        for inverter in Inverter.objects.all()
    )  # fmt: skip
    first = stations[0]
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=first.tz).astimezone(UTC)
    InverterReading.objects.bulk_create(
        InverterReading(
            inverter_id=inverter.id, station_id=first.id, ts=start + timedelta(minutes=m),
            ac_kw=max(0.0, 40 - abs(m - 720) / 18), total_kwh=1000 + m / 3,
        )
        for inverter in first.inverters.all()
        for m in range(1440)
    )  # fmt: skip
    User.objects.create_user(username="bench", password=PASSWORD, role=User.Role.OPERATOR)
    return first.code


def login(url: str) -> str:
    import httpx

    answer = httpx.post(
        url + "/api/v1/auth/login",
        json={"username": "bench", "password": PASSWORD, "device": "bench"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["token"]


def measure(url: str, token: str, requests: int, clients: int) -> tuple[float, float, int]:
    import httpx

    headers = {"Authorization": f"Token {token}"}
    for _ in range(4):  # warm both workers (imports, connections)
        httpx.get(url, headers=headers, timeout=60).raise_for_status()
    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    remaining = [requests]

    def client():
        with httpx.Client(timeout=120, headers=headers) as session:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                began = time.perf_counter()
                response = session.get(url)
                elapsed = time.perf_counter() - began
                response.raise_for_status()
                with lock:
                    latencies.append(elapsed)
                    sizes.append(len(response.content))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = time.perf_counter() - began
    p95 = harness.percentile(latencies, 0.95) * 1000
    return len(latencies) / total, p95, sizes[0]


if __name__ == "__main__":
    main()
