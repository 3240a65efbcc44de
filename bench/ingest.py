"""Readings per second through POST /api/v1/ingest against a plain executemany INSERT.

    .venv/bin/python bench/ingest.py [--databases sqlite,mariadb] [--readings 100000]
                                     [--prefix ss_bench]

For each database: fresh databases, migrated; gunicorn with 2 sync workers serving the real
settings (DEBUG off); 4 client threads posting pre-encoded batches of 500 full inverter
readings; then the same rows INSERTed with `executemany` into the same table on the same
database, 500 rows per transaction, on one connection. Prints both rates and their ratio.
MariaDB is at $MARIADB_URL (default mysql://root@127.0.0.1:3306/), databases PREFIX and
PREFIX_tel (default ss_bench and ss_bench_tel), dropped and re-created. Targets on a 2-core
machine with MariaDB: at least 5,000 readings/s through the API, and at least 0.9 of the plain
INSERT rate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness

INVERTERS = 50
BATCH = 500
CLIENTS = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,mariadb")
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--prefix", default="ss_bench", help="MariaDB databases PREFIX, PREFIX_tel")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_one(args.one, args.readings, prefix=args.prefix)))
        return
    results = []
    for kind in args.databases.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--one", kind, "--readings", str(args.readings),
             "--prefix", args.prefix],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"{kind}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
            sys.exit(1)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'database':10} {'API readings/s':>15} {'executemany/s':>14} {'ratio':>6} target")
    for r in results:
        ratio = r["api"] / r["plain"]
        target = ">= 0.90 (MariaDB)" if r["database"] == "mariadb" else "none (in-process C)"
        print(f"{r['database']:10} {r['api']:15,.0f} {r['plain']:14,.0f} {ratio:6.2f} {target}")
    print(f"({args.readings:,} readings, batches of {BATCH}, gunicorn 2 workers, "
          f"{CLIENTS} client threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f})")  # fmt: skip


def database_urls(kind: str, workdir: Path, *, prefix: str) -> tuple[str, str]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'default.sqlite3'}", f"sqlite:///{workdir / 'tel.sqlite3'}"
    if kind == "mariadb":
        server = harness.mariadb_recreate([prefix, f"{prefix}_tel"])
        return f"{server}/{prefix}", f"{server}/{prefix}_tel"
    raise SystemExit(f"unknown database {kind!r}: use sqlite or mariadb")


def bench_one(kind: str, total: int, *, prefix: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    default_url, telemetry_url = database_urls(kind, workdir, prefix=prefix)
    env = harness.server_env(DATABASE_URL=default_url, TELEMETRY_DATABASE_URL=telemetry_url)
    harness.django_setup(env)
    harness.migrate()
    token, inverter_ids = seed()
    readings = make_readings(total)
    bodies = [
        json.dumps({"readings": readings[i : i + BATCH]}).encode()
        for i in range(0, len(readings), BATCH)
    ]
    api_rate = api_run(bodies, token, env, total)
    plain_rate = plain_run(readings, inverter_ids)
    return {"database": kind, "api": api_rate, "plain": plain_rate}


def seed() -> tuple[str, dict[int, int]]:
    from decimal import Decimal

    from monitoring.models import Collector, Inverter, PowerStation

    station = PowerStation.objects.create(
        code="BENCH", name="Bench", region="jeonnam", latitude=35, longitude=126.7,
        capacity_kwp=Decimal(INVERTERS * 100),
    )  # fmt: skip
    for number in range(1, INVERTERS + 1):
        Inverter.objects.create(station=station, number=number, capacity_kw=Decimal("100"))
    collector = Collector.objects.create(name="bench")
    collector.stations.add(station)
    ids = dict(station.inverters.values_list("number", "pk"))
    return collector.issue_token(), ids


def make_readings(total: int) -> list[dict]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=3)
    out = []
    minute = 0
    while len(out) < total:
        ts = (start + timedelta(minutes=minute)).isoformat()
        for number in range(1, INVERTERS + 1):
            ac = 40 + (number * 7 + minute) % 50
            out.append({
                "station": "BENCH", "inverter": number, "ts": ts, "ac_kw": ac, "dc_kw": ac * 1.03,
                "day_kwh": minute % 1440 / 60 * ac / 4, "total_kwh": 100000 + minute * ac / 60,
                "dc_v": 600.1, "dc_a": ac * 1.03 / 0.6, "ac_v": [380.1, 380.2, 379.9],
                "ac_a": [ac / 0.66, ac / 0.66, ac / 0.66], "freq_hz": 60.0, "pf": 0.99,
                "temp_c": 41.2, "state": 4, "fault_bits": 0,
            })  # fmt: skip
        minute += 1
    return out[:total]


def api_run(bodies: list[bytes], token: str, env: dict, total: int) -> float:
    import httpx

    with harness.gunicorn(env) as url:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # Warm both workers (imports, connections) before timing.
        for _ in range(4):
            httpx.post(url + "/api/v1/ingest", content=b"{}", headers=headers, timeout=30)
        queue = list(reversed(bodies))
        accepted = [0]
        lock = threading.Lock()

        def sender():
            with httpx.Client(timeout=120, headers=headers) as client:
                while True:
                    with lock:
                        if not queue:
                            return
                        body = queue.pop()
                    response = client.post(url + "/api/v1/ingest", content=body)
                    response.raise_for_status()
                    answer = response.json()
                    if answer["rejected"]:
                        print("rejected:", answer["errors"][0], file=sys.stderr)
                    with lock:
                        accepted[0] += answer["accepted"]

        threads = [threading.Thread(target=sender) for _ in range(CLIENTS)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    if accepted[0] != total:
        raise SystemExit(f"the API accepted {accepted[0]} of {total} readings")
    return total / elapsed


def plain_run(readings: list[dict], inverter_ids: dict[int, int]) -> float:
    from django.db import connections, transaction

    from telemetry import store
    from telemetry.ingest import parse_timestamp

    connection = connections["telemetry"]
    table = store.INVERTER
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(table.model._meta.db_table)}")
    rows = []
    for r in readings:
        ts = connection.ops.adapt_datetimefield_value(parse_timestamp(r["ts"]))
        rows.append((
            inverter_ids[r["inverter"]], ts, 1, r["ac_kw"], r["dc_kw"], r["dc_v"], r["dc_a"],
            *r["ac_v"], *r["ac_a"], r["freq_hz"], r["pf"], r["temp_c"], r["day_kwh"],
            r["total_kwh"], r["state"], r["fault_bits"],
        ))  # fmt: skip
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table.model._meta.db_table)} "
        f"({', '.join(quote(c) for c in table.columns)}) "
        f"VALUES ({', '.join(['%s'] * len(table.columns))})"
    )
    began = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        with transaction.atomic(using="telemetry"), connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "max_stmt_length"):
                raw.max_stmt_length = 8 * 1024 * 1024
            cursor.executemany(sql, rows[i : i + BATCH])
    elapsed = time.perf_counter() - began
    return len(rows) / elapsed


if __name__ == "__main__":
    main()
