"""telemetry.store: the upsert's bookkeeping, range reads and the retention purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.module_loading import import_string

from jobs.table import job_named
from telemetry import store
from telemetry.models import CombinerReading, GridReport, InverterReading, SensorReading

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def inverter_row(inverter_id: int, ts: datetime, ac_kw: float = 1.0) -> store.Row:
    values = [None] * len(store.INVERTER.values)
    values[0], values[1] = 7, ac_kw  # station_id, ac_kw
    return store.Row(inverter_id, ts, tuple(values))


def test_upsert_counts_and_the_last_value_wins():
    first = store.readings_upsert(rows={"inverter": [inverter_row(1, NOW), inverter_row(2, NOW)]})
    assert first.counts == {"accepted": 2, "duplicate": 0, "updated": 0}
    second = store.readings_upsert(rows={"inverter": [
        inverter_row(1, NOW), inverter_row(2, NOW, 5.0), inverter_row(2, NOW, 6.0)
    ]})  # fmt: skip
    assert second.outcomes["inverter"] == ["duplicate", "updated", "updated"]
    readings = store.station_inverter_readings(
        station_id=7, start=NOW, end=NOW + timedelta(seconds=1)
    )
    assert [(r.inverter_id, r.ac_kw) for r in readings] == [(1, 1.0), (2, 6.0)]


def test_range_reads_are_half_open_and_ordered():
    stamps = [NOW + timedelta(minutes=m) for m in (10, 0, 5)]
    store.readings_upsert(rows={"inverter": [inverter_row(1, ts) for ts in stamps]})
    got = store.inverter_readings(inverter_id=1, start=NOW, end=NOW + timedelta(minutes=10))
    assert [r.ts for r in got] == [NOW, NOW + timedelta(minutes=5)]
    assert store.latest_inverter_readings(inverter_ids=[1, 2])[1].ts == NOW + timedelta(minutes=10)


def test_purge_deletes_only_what_is_older_than_retention_in_chunks(settings):
    settings.RAW_RETENTION_DAYS = 400
    cutoff = NOW - timedelta(days=400)
    old = [cutoff - timedelta(hours=h) for h in range(1, 8)]
    kept = [cutoff, cutoff + timedelta(hours=1)]
    store.readings_upsert(rows={
        "inverter": [inverter_row(i, ts) for i in (1, 2) for ts in old + kept],
        "combiner": [store.Row(3, ts, (7, 600.0, [1.0, 2.0])) for ts in old + kept],
        "sensor": [store.Row(4, ts, (7, 500.0)) for ts in old + kept],
        "grid": [store.Row(7, ts, (False,)) for ts in old + kept],
    })  # fmt: skip
    summary = store.purge_old_readings(now=NOW, chunk=3)
    assert summary.startswith("purged 35 readings older than")
    assert "14 inverter, 7 combiner, 7 sensor, 7 grid" in summary
    for model in (CombinerReading, SensorReading, GridReport):
        assert sorted(model.objects.values_list("ts", flat=True)) == kept
    assert InverterReading.objects.count() == 4
    assert store.purge_old_readings(now=NOW).startswith("purged 0 readings")


def test_the_purge_is_in_the_job_table():
    job = import_string(job_named("purge_readings").func)
    assert job().startswith("purged 0 readings")


def test_numbers_are_stored_exactly_as_given():
    """On MySQL the statement carries numbers as text (solarsite/upsert.py): tiny, huge,
    negative zero, whole and missing values come back as they went in, and text (a combiner
    box's currents) still goes through the driver's escaping."""
    awkward = [1e-05, 1.5e16, -0.0, 3, None, 0.1 + 0.2, -123456.789, 2.5e-300]
    rows = []
    for i, value in enumerate(awkward):
        values = [None] * len(store.INVERTER.values)
        values[0], values[1], values[-1] = 7, value, 2**62 + i  # station_id, ac_kw, fault_bits
        rows.append(store.Row(1, NOW + timedelta(minutes=i), tuple(values)))
    store.readings_upsert(rows={"inverter": rows})
    got = store.inverter_readings(inverter_id=1, start=NOW, end=NOW + timedelta(hours=1))
    assert [r.ac_kw for r in got] == awkward
    assert [r.fault_bits for r in got] == [2**62 + i for i in range(len(awkward))]
    store.readings_upsert(rows={"combiner": [store.Row(3, NOW, (7, 1e-05, ["it's", 1]))]})
    (box,) = store.combiner_readings(box_id=3, start=NOW, end=NOW + timedelta(days=1))
    assert (box.voltage, box.currents) == (1e-05, ["it's", 1])
