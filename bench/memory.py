"""Resident memory of one gunicorn worker serving the heaviest requests, against 150 MB each.

    .venv/bin/python bench/memory.py [--prefix ss_bench_mem] [--reuse]

MariaDB at $MARIADB_URL (default mysql://root@127.0.0.1:3306/), databases PREFIX and
PREFIX_tel, dropped and re-created unless --reuse finds a last run's fleet. The fleet: 1,000
plants of 2 inverters with a latest status each (bench/api.py's), a year of plant daily rows
for every plant (365,000 rows), and a plant of 50 inverters with a collector for the ingest.

Each request runs on a fresh gunicorn of one sync worker (the real settings, DEBUG off, the
shared cache at --redis-url): the worker is warmed with a small request of the same kind, then
asked the heavy one, and the worker's peak resident memory (VmHWM in /proc) is read before and
after. Printed per request: the peak, the growth the request caused, the target (150 MB) and
the ratio of the peak to it.
  - a 5,000-item ingest batch (POST /api/v1/ingest);
  - a year's export of the fleet's daily rows (GET /api/v1/generation/export, 366 days of
    1,000 plants: 366,000 rows), as CSV and as XLSX;
  - the station list of 1,000 plants (GET /api/v1/stations?page_size=1000).
Never part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import harness

TARGET_MB = 150
XLSX = os.environ.get("BENCH_XLSX", "1") == "1"
STATIONS = 1000
YEAR_END = date(2026, 10, 31)
YEAR_START = YEAR_END - timedelta(days=365)  # 366 days, the longest period the API takes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="ss_bench_mem", help="databases PREFIX, PREFIX_tel")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--reuse", action="store_true", help="keep the databases of a last run")
    args = parser.parse_args()
    names = [args.prefix, f"{args.prefix}_tel"]
    env = harness.api_server_env(
        prefix=args.prefix, reuse=args.reuse, redis_url=args.redis_url,
        GUNICORN_CMD_ARGS="--timeout 900",  # a year's export takes longer than the default 30 s
    )  # fmt: skip
    import api  # bench/api.py: its fleet and its login

    from monitoring.models import PowerStation

    if not (args.reuse and PowerStation.objects.count() == STATIONS + 1):
        if args.reuse:
            harness.mariadb_recreate(names)
            harness.migrate()
        began = time.perf_counter()
        api.seed(STATIONS)
        year_of_daily_rows()
        ingest_plant()
        print(f"fleet built in {time.perf_counter() - began:.0f} s", flush=True)
    else:
        api.reused(STATIONS + 1)
    token = collector_token()
    batch = ingest_batch(5000)
    small = ingest_batch(50, minutes_back=200)
    export = "/api/v1/generation/export?kind=daily&type={}&from={}&to={}"
    cases = [
        ("ingest, 5,000 readings", "POST", "/api/v1/ingest", small, batch, token),
        ("export, a year of 1,000 plants' daily rows, CSV", "GET",
         export.format("csv", YEAR_START, YEAR_END), export.format("csv", YEAR_END, YEAR_END),
         None, None),
        *([("export, the same as XLSX", "GET",
            export.format("xlsx", YEAR_START, YEAR_END),
            export.format("xlsx", YEAR_END, YEAR_END), None, None)] if XLSX else []),
        ("station list, 1,000 plants", "GET", f"/api/v1/stations?page_size={STATIONS}",
         "/api/v1/stations?page_size=10", None, None),
    ]  # fmt: skip
    print(f"{'request':52} {'peak MB':>8} {'growth':>7} {'target':>7} {'ratio':>6}  answer, time")
    for name, method, path, warm, heavy, collector in cases:
        with harness.gunicorn(env, workers=1) as url:
            worker = worker_of(url)
            user = None if collector else api.login(url)
            request = sender(url, method, user=user, collector=collector)
            request(warm if method == "GET" else path, warm)
            before = peak_mb(worker)
            began = time.perf_counter()
            status, size = request(path, heavy)
            took = time.perf_counter() - began
            after = peak_mb(worker)
        print(f"{name:52} {after:8.0f} {after - before:+7.0f} {TARGET_MB:7} "
              f"{after / TARGET_MB:6.2f}  {status}, {size:,} bytes, {took:.1f} s",
              flush=True)  # fmt: skip
    print(f"(one sync worker per request, MariaDB, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f})")  # fmt: skip


def sender(url: str, method: str, *, user: str | None, collector: str | None):
    import httpx

    headers = {"Authorization": f"Token {user}"} if user else {}
    if collector:
        headers = {"Authorization": f"Bearer {collector}", "Content-Type": "application/json"}

    def send(path: str, body: bytes | str | None) -> tuple[int, int]:
        if method == "POST":
            answer = httpx.post(url + path, content=body, headers=headers, timeout=600)
        else:
            answer = httpx.get(url + path, headers=headers, timeout=600)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
        return answer.status_code, len(answer.content)

    return send


# --- The worker's memory -------------------------------------------------------------------
def worker_of(url: str) -> int:
    """The pid of the one worker of the gunicorn bound to `url` (a child of its master)."""
    bind = url.removeprefix("http://")
    ours = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "gunicorn" in command and bind in command:
            ours[int(entry.name)] = parent
    workers = [pid for pid, parent in ours.items() if parent in ours]
    if len(workers) != 1:
        raise SystemExit(f"expected one gunicorn worker on {bind}, found {workers}")
    return workers[0]


def peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmHWM for {pid}")


# --- The data ------------------------------------------------------------------------------
def year_of_daily_rows() -> None:
    """A plant daily row for every plant and day of the year, written in chunks."""
    from django.utils import timezone

    from generation.models import StationDailyGeneration
    from monitoring.models import PowerStation

    rng = random.Random(7)
    now = timezone.now()
    stations = list(PowerStation.objects.values_list("id", "region"))
    days = [YEAR_START + timedelta(days=n) for n in range((YEAR_END - YEAR_START).days + 1)]
    for day in days:
        StationDailyGeneration.objects.bulk_create(
            StationDailyGeneration(
                station_id=sid, date=day, region=region, capacity_kwp=100, capacity_kw=100,
                inverters=2, kwh=rng.uniform(100, 500), specific_yield=rng.uniform(1, 5),
                peak_kw=rng.uniform(50, 95), run_minutes=600, daylight_minutes=720,
                availability=0.99, performance_ratio=0.8, completeness=1.0, computed_at=now,
            )
            for sid, region in stations
        )  # fmt: skip


def ingest_plant() -> None:
    """A plant of 50 inverters with a collector (bench/ingest.py's)."""
    import ingest

    ingest.seed()


def collector_token() -> str:
    from monitoring.models import Collector

    return Collector.objects.get(name="bench").issue_token()


def ingest_batch(size: int, *, minutes_back: int = 100) -> bytes:
    """`size` full readings of the 50 inverters of plant BENCH, a minute apart, ending now."""
    import ingest

    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_back)
    readings = ingest.make_readings(size)
    for reading in readings:  # make_readings starts three days back: move them to today
        ts = datetime.fromisoformat(reading["ts"])
        reading["ts"] = (start + (ts - datetime.fromisoformat(readings[0]["ts"]))).isoformat()
    return json.dumps({"readings": readings}).encode()


if __name__ == "__main__":
    sys.exit(main())
