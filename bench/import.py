"""Legacy import speed: N inverter-log rows from an old-schema MariaDB database into MariaDB.

    .venv/bin/python bench/import.py [--rows 1000000] [--mariadb mysql://root@127.0.0.1:3306/]
                                     [--prefix solarsite_bench]

Builds three databases of its own on the server (PREFIX, PREFIX_tel for solarsite, and
PREFIX_legacy from field/legacy/schema.sql), fills the old inverterlog, then times
`legacy_import` of it (first run: all rows new) and of a re-read of the same rows with
--since (all unchanged). Target: at least 20,000 rows/s for the first run on a 2-core machine.
The databases are dropped at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import harness

STATIONS = 20
INVERTERS_PER_STATION = 10
TARGET = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mariadb", default="mysql://root@127.0.0.1:3306/")
    parser.add_argument("--prefix", default="solarsite_bench")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()

    server = args.mariadb.rstrip("/")
    names = {
        "default": args.prefix,
        "telemetry": f"{args.prefix}_tel",
        "legacy": f"{args.prefix}_legacy",
    }
    harness.mariadb_recreate(names.values(), server=server)
    harness.django_setup({
        "DATABASE_URL": f"{server}/{names['default']}",
        "TELEMETRY_DATABASE_URL": f"{server}/{names['telemetry']}",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    })  # fmt: skip
    harness.migrate()

    import MySQLdb

    parts = urlsplit(server)
    login = dict(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )

    from field.legacy.mapping import legacy_mapping_load
    from field.legacy.reader import legacy_connect, legacy_schema_create
    from field.legacy.run import legacy_import

    legacy = MySQLdb.connect(**login, database=names["legacy"], charset="utf8mb4", autocommit=True)
    legacy_schema_create(legacy)
    started = time.perf_counter()
    legacy_fill(legacy, rows=args.rows)
    print(
        f"filled the old inverterlog with {args.rows:,} rows in "
        f"{time.perf_counter() - started:.1f} s"
    )

    mapping = legacy_mapping_load()
    source = legacy_connect(f"{server}/{names['legacy']}")
    legacy_import(source=source, mapping=mapping, tables=["customer", "powerstation", "inverter"])

    first = timed_import(legacy_import, source, mapping, since=None)
    again = timed_import(legacy_import, source, mapping, since=datetime(2000, 1, 1, tzinfo=UTC))
    source.close()

    for label, (summary, seconds) in (
        ("first import (all new)", first),
        ("re-read with --since (all unchanged)", again),
    ):
        rate = summary.read / seconds
        print(
            f"{label:<38} {summary.read:>9,} rows in {seconds:6.1f} s = {rate:>8,.0f} rows/s "
            f"(inserted {summary.inserted:,}, unchanged {summary.unchanged:,}, "
            f"skipped {sum(summary.skipped.values()):,})"
        )
    rows, seconds = plain_insert_reference()
    print(
        f"{'reference: plain executemany INSERT':<38} {rows:>9,} rows in {seconds:6.1f} s = "
        f"{rows / seconds:>8,.0f} rows/s (the same rows into an empty copy of the table)"
    )
    rate = first[0].read / first[1]
    verdict = "met" if rate >= TARGET else "MISSED"
    print(f"target: {TARGET:,} rows/s for the first import -> {verdict}")

    legacy.close()
    if not args.keep:
        harness.mariadb_drop(names.values(), server=server)


def plain_insert_reference() -> tuple[int, float]:
    """What the database takes without Django: the imported rows, re-inserted by executemany."""
    from django.db import connections

    from telemetry.models import InverterReading

    table = InverterReading._meta.db_table
    columns = [f.column for f in InverterReading._meta.concrete_fields]
    with connections["telemetry"].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
        rows = cursor.fetchall()
        cursor.execute(f"CREATE TABLE bench_copy LIKE {table}")
        sql = (
            f"INSERT INTO bench_copy ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        started = time.perf_counter()
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return len(rows), seconds


def timed_import(legacy_import, source, mapping, *, since):
    started, cpu = time.perf_counter(), time.process_time()
    summaries = legacy_import(source=source, mapping=mapping, tables=["inverterlog"], since=since)
    seconds = time.perf_counter() - started
    used = time.process_time() - cpu
    print(
        f"  (this process used {used:.1f} s of CPU for it: {summaries[0].read / used:,.0f} rows "
        f"per CPU second; the database server's work is on top)"
    )
    return summaries[0], seconds


def legacy_fill(db, *, rows: int) -> None:
    """STATIONS x INVERTERS_PER_STATION inverters, a reading every 5 minutes each."""
    inverters = [
        (f"B{s:03d}", n)
        for s in range(1, STATIONS + 1)
        for n in range(1, INVERTERS_PER_STATION + 1)
    ]
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO customer (cno, cname) VALUES (1, 'Bench customer')")
        cursor.executemany(
            "INSERT INTO powerstation (mcno, psname, cno, area, lat, lng, capacity, status) "
            "VALUES (%s, %s, 1, '전남', 34.8, 126.4, 500, 0)",
            [(f"B{s:03d}", f"Bench {s}") for s in range(1, STATIONS + 1)],
        )
        cursor.executemany(
            "INSERT INTO inverter (mcno, invno, capacity, phase) VALUES (%s, %s, 50, 3)",
            inverters,
        )
        start = datetime(2026, 1, 1, 0, 0)
        batch: list[tuple] = []
        for index in range(rows):
            mcno, invno = inverters[index % len(inverters)]
            at = start + timedelta(minutes=5 * (index // len(inverters)))
            ac = round(20 + (index % 97) * 0.3, 3)
            batch.append(
                (
                    mcno,
                    invno,
                    ac + 0.6,
                    ac,
                    612.3,
                    40.1,
                    380.1,
                    380.4,
                    379.8,
                    18.2,
                    18.3,
                    18.1,
                    60.0,
                    0.99,
                    41.5,
                    ac * 3,
                    10000 + index * 0.01,
                    1,
                    0,
                    at,
                )
            )
            if len(batch) == 10_000:
                _insert(cursor, batch)
                batch = []
        if batch:
            _insert(cursor, batch)


def _insert(cursor, batch: list[tuple]) -> None:
    cursor.executemany(
        "INSERT INTO inverterlog (mcno, invno, dckw, ackw, dcv, dca, acv_r, acv_s, acv_t, aca_r,"
        " aca_s, aca_t, hz, pf, temp, daykw, totkw, isRun, errCode, dateAt) VALUES (%s, %s, %s,"
        " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        batch,
    )


if __name__ == "__main__":
    main()
