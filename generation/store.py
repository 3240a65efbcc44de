"""Every read and write of raw readings (the write side and range reads: telemetry issue)."""

from __future__ import annotations

# === Reads for rollups and selectors (generation issue) ====================================
# Rollups read raw readings only through these functions. Times cross this boundary as aware
# datetimes going in and as whole UTC epoch seconds coming out of the bulk reads, which spares
# the rollup of millions of rows a datetime object per reading. SQL is written per vendor where
# the ORM would be too slow; a MongoDB store would answer the same functions.
from collections.abc import Iterable, Iterator  # noqa: E402
from datetime import datetime  # noqa: E402

from django.db import connections, router  # noqa: E402

from generation.models import InverterReading, SensorReading  # noqa: E402

CounterRow = tuple[int, int, float | None, float | None, float | None]
"""(inverter_id, epoch seconds, ac_kw, day_kwh, total_kwh)"""


def _epoch_sql(vendor: str, column: str) -> str:
    if vendor == "mysql":
        return f"TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {column})"
    if vendor == "sqlite":
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"
    raise NotImplementedError(f"no epoch expression for the {vendor} backend")


def _in_list(ids: Iterable[int]) -> tuple[str, list[int]]:
    ids = [int(i) for i in ids]
    return ",".join(["%s"] * len(ids)), ids


def counter_rows(
    *, inverter_ids: Iterable[int], start: datetime, end: datetime
) -> Iterator[CounterRow]:
    """Readings of these inverters in [start, end), ordered by inverter and time."""
    ids = list(inverter_ids)
    if not ids:
        return
    alias = router.db_for_read(InverterReading)
    connection = connections[alias]
    vendor = connection.vendor
    marks, params = _in_list(ids)
    sql = (
        f"SELECT inverter_id, {_epoch_sql(vendor, 'ts')}, ac_kw, day_kwh, total_kwh "
        f"FROM {InverterReading._meta.db_table} "
        f"WHERE inverter_id IN ({marks}) AND ts >= %s AND ts < %s ORDER BY inverter_id, ts"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *params,
                connection.ops.adapt_datetimefield_value(start),
                connection.ops.adapt_datetimefield_value(end),
            ],
        )
        while rows := cursor.fetchmany(20000):
            yield from rows


def counter_rows_before(
    *, inverter_ids: Iterable[int], before: datetime, not_before: datetime
) -> dict[int, CounterRow]:
    """Per inverter, its last reading in [not_before, before): the baseline of a window."""
    return _edge_rows(inverter_ids, start=not_before, end=before, pick="MAX")


def counter_rows_after(
    *, inverter_ids: Iterable[int], after: datetime, not_after: datetime
) -> dict[int, CounterRow]:
    """Per inverter, its first reading in [after, not_after): what closes a window's gap."""
    return _edge_rows(inverter_ids, start=after, end=not_after, pick="MIN")


def _edge_rows(inverter_ids, *, start: datetime, end: datetime, pick: str) -> dict:
    ids = list(inverter_ids)
    if not ids:
        return {}
    alias = router.db_for_read(InverterReading)
    connection = connections[alias]
    vendor = connection.vendor
    marks, params = _in_list(ids)
    table = InverterReading._meta.db_table
    sql = (
        f"SELECT r.inverter_id, {_epoch_sql(vendor, 'r.ts')}, r.ac_kw, r.day_kwh, r.total_kwh "
        f"FROM {table} r JOIN ("
        f"  SELECT inverter_id, {pick}(ts) AS edge_ts FROM {table}"
        f"  WHERE inverter_id IN ({marks}) AND ts >= %s AND ts < %s GROUP BY inverter_id"
        f") m ON m.inverter_id = r.inverter_id AND m.edge_ts = r.ts"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, adapt(start), adapt(end)])
        return {row[0]: tuple(row) for row in cursor.fetchall()}


def station_power_buckets(
    *, station_ids: Iterable[int], start: datetime, end: datetime, bucket_seconds: int = 60
) -> list[tuple[int, int, float]]:
    """(station_id, bucket start epoch, summed ac_kw of its inverters) where power was > 0."""
    ids = list(station_ids)
    if not ids:
        return []
    alias = router.db_for_read(InverterReading)
    connection = connections[alias]
    vendor = connection.vendor
    marks, params = _in_list(ids)
    epoch = _epoch_sql(vendor, "ts")
    step = int(bucket_seconds)
    bucket = (
        f"({epoch} DIV {step}) * {step}" if vendor == "mysql" else f"({epoch} / {step}) * {step}"
    )
    # Buckets with no power are left out (nothing to sum). An inverter that reported twice
    # in a bucket would count twice in SUM: scaling by inverters/readings takes its mean.
    sql = (
        f"SELECT station_id, {bucket} AS bucket,"
        f"  SUM(ac_kw) * COUNT(DISTINCT inverter_id) / COUNT(*)"
        f" FROM {InverterReading._meta.db_table}"
        f" WHERE station_id IN ({marks}) AND ts >= %s AND ts < %s AND ac_kw > 0"
        f" GROUP BY station_id, bucket ORDER BY station_id, bucket"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *params,
                connection.ops.adapt_datetimefield_value(start),
                connection.ops.adapt_datetimefield_value(end),
            ],
        )
        return [(int(s), int(b), float(kw)) for s, b, kw in cursor.fetchall()]


def power_points(
    *, inverter_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, float | None]]:
    """(inverter_id, ts, ac_kw) in [start, end), for one plant's power curve."""
    return list(
        InverterReading.objects.filter(
            inverter_id__in=list(inverter_ids), ts__gte=start, ts__lt=end
        )
        .order_by("inverter_id", "ts")
        .values_list("inverter_id", "ts", "ac_kw")
    )


def sensor_points(
    *, sensor_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, float | None]]:
    """(sensor_id, ts, value) in [start, end), ordered by sensor and time."""
    return list(
        SensorReading.objects.filter(sensor_id__in=list(sensor_ids), ts__gte=start, ts__lt=end)
        .order_by("sensor_id", "ts")
        .values_list("sensor_id", "ts", "value")
    )
