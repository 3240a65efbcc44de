"""The readings store's contract, one suite for every store (tests/telemetry/conftest.py):
the SQL store on SQLite or MariaDB, the MongoDB store on mongomock, and on a real MongoDB when
MONGODB_URI is set. Every public store function is called here, with the edge cases: a re-send,
a correction, a batch with a bad row, a Korean day and a day where daylight saving ends,
retention, late data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitoring import plant_time
from telemetry import store

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
STATION = 7
WIDTH = len(store.INVERTER.values)
HOUR = timedelta(hours=1)


def inverter_row(
    inverter_id: int, ts: datetime, ac_kw: float | None = 1.0, *, station: int = STATION,
    day_kwh: float | None = None, total_kwh: float | None = None, state: int | None = 4,
) -> store.Row:  # fmt: skip
    values = dict.fromkeys(store.INVERTER.values)
    values.update(station_id=station, ac_kw=ac_kw, day_kwh=day_kwh, total_kwh=total_kwh,
                  state=state, fault_bits=0, dc_v=612.5)  # fmt: skip
    return store.Row(inverter_id, ts, tuple(values.values()))


def minutes(start: datetime, *steps: int) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in steps]


# --- Writes: counts, re-send, correction, a bad row ----------------------------------------------
def test_a_reading_sent_again_is_stored_once(store_backend):
    batch = {"inverter": [inverter_row(1, NOW), inverter_row(2, NOW)],
             "sensor": [store.Row(4, NOW, (STATION, 512.0))]}  # fmt: skip
    first = store.readings_upsert(rows=batch)
    again = store.readings_upsert(rows=batch)
    assert first.counts == {"accepted": 3, "duplicate": 0, "updated": 0}
    assert again.counts == {"accepted": 0, "duplicate": 3, "updated": 0}
    assert again.outcomes == {"inverter": ["duplicate", "duplicate"], "sensor": ["duplicate"]}
    assert store.inverter_reading_count() == 2
    assert store.inverter_reading_count(inverter_ids=[2, 9]) == 1


def test_a_corrected_reading_replaces_the_stored_one_and_counts_updated(store_backend):
    store.readings_upsert(rows={"inverter": [inverter_row(1, NOW), inverter_row(2, NOW)]})
    second = store.readings_upsert(rows={"inverter": [
        inverter_row(1, NOW), inverter_row(2, NOW, 5.0), inverter_row(2, NOW, 6.0),
        inverter_row(3, NOW, None),
    ]})  # fmt: skip
    assert second.outcomes["inverter"] == ["duplicate", "updated", "updated", "accepted"]
    assert second.counts == {"accepted": 1, "duplicate": 1, "updated": 2}
    readings = store.station_inverter_readings(station_id=STATION, start=NOW,
                                               end=NOW + timedelta(seconds=1))  # fmt: skip
    assert [(r.inverter_id, r.ac_kw) for r in readings] == [(1, 1.0), (2, 6.0), (3, None)]
    # A correction that blanks a value blanks it (a missing value is not "unchanged").
    blanked = store.readings_upsert(rows={"inverter": [inverter_row(2, NOW, None)]})
    assert blanked.counts["updated"] == 1
    (row,) = store.inverter_readings(inverter_id=2, start=NOW, end=NOW + timedelta(1))
    assert row.ac_kw is None


def test_a_whole_number_is_the_same_reading_as_its_float(store_backend):
    store.readings_upsert(rows={"inverter": [inverter_row(1, NOW, 5.0)]})
    again = store.readings_upsert(rows={"inverter": [inverter_row(1, NOW, 5)]})
    assert again.counts["duplicate"] == 1
    (row,) = store.inverter_readings(inverter_id=1, start=NOW, end=NOW + timedelta(1))
    assert row.ac_kw == 5.0 and isinstance(row.ac_kw, float)


@pytest.mark.parametrize(
    "bad, message",
    [
        (store.Row(2, NOW, (STATION, 1.0)), "inverter row 1 has 2 values; the table takes 18"),
        (store.Row(2, NOW.replace(tzinfo=None), (None,) * WIDTH), "inverter row 1 has a naive"),
    ],
)
def test_a_batch_with_a_bad_row_stores_nothing(store_backend, bad, message):
    batch = {"sensor": [store.Row(4, NOW, (STATION, 512.0))],
             "inverter": [inverter_row(1, NOW), bad]}  # fmt: skip
    with pytest.raises(ValueError, match=message):
        store.readings_upsert(rows=batch)
    assert store.inverter_reading_count() == 0
    assert store.sensor_points(sensor_ids=[4], start=NOW, end=NOW + timedelta(1)) == []


def test_an_unknown_table_stores_nothing(store_backend):
    with pytest.raises(ValueError, match="no reading table 'weather'"):
        store.readings_upsert(rows={"inverter": [inverter_row(1, NOW)], "weather": []})
    assert store.inverter_reading_count() == 0


# --- Reads ---------------------------------------------------------------------------------------
def test_every_column_comes_back_as_it_was_stored(store_backend):
    values = (STATION, *(k + 0.5 for k in range(WIDTH - 3)), 4, 2**40)  # ..., state, fault_bits
    store.readings_upsert(rows={
        "inverter": [store.Row(1, NOW, values)],
        "combiner": [store.Row(3, NOW, (STATION, 600.5, [8.1, None, 7.9]))],
    })  # fmt: skip
    (row,) = store.inverter_readings(inverter_id=1, start=NOW, end=NOW + timedelta(1))
    expected = dict(zip(store.INVERTER.values, values, strict=True))
    assert asdict(row) == {"inverter_id": 1, "ts": NOW, **expected}
    assert row.ts.utcoffset() == timedelta(0)
    (box,) = store.combiner_readings(box_id=3, start=NOW, end=NOW + timedelta(1))
    assert box == store.CombinerReadingRow(3, STATION, NOW, 600.5, [8.1, None, 7.9])


def test_range_reads_are_half_open_and_ordered(store_backend):
    stamps = minutes(NOW, 10, 0, 5)
    store.readings_upsert(rows={"inverter": [inverter_row(i, ts) for ts in stamps for i in (2, 1)]
                                + [inverter_row(5, NOW, station=8)]})  # fmt: skip
    end = NOW + timedelta(minutes=10)
    assert [r.ts for r in store.inverter_readings(inverter_id=1, start=NOW, end=end)] == [
        NOW, NOW + timedelta(minutes=5)
    ]  # fmt: skip
    by_station = store.station_inverter_readings(station_id=STATION, start=NOW, end=end)
    assert [(r.ts, r.inverter_id) for r in by_station] == [
        (NOW, 1), (NOW, 2), (stamps[2], 1), (stamps[2], 2)
    ]  # fmt: skip
    latest = store.latest_inverter_readings(inverter_ids=[1, 5, 99])
    assert {i: r.ts for i, r in latest.items()} == {1: stamps[0], 5: NOW}
    assert store.latest_inverter_readings(inverter_ids=[]) == {}
    assert store.power_points(inverter_ids=[2, 1], start=NOW, end=end) == [
        (1, NOW, 1.0), (1, stamps[2], 1.0), (2, NOW, 1.0), (2, stamps[2], 1.0)
    ]  # fmt: skip
    assert store.first_reading_time() == NOW


def test_an_empty_store_answers_empty(store_backend):
    assert store.first_reading_time() is None
    assert store.inverter_reading_count() == 0
    assert store.latest_inverter_readings(inverter_ids=[1]) == {}
    assert list(store.counter_rows(inverter_ids=[1], start=NOW, end=NOW + timedelta(1))) == []
    assert list(store.counter_rows(inverter_ids=[], start=NOW, end=NOW + timedelta(1))) == []
    assert store.latest_combiner_currents(since=NOW) == {}


def test_sensor_points_and_the_latest_combiner_currents(store_backend):
    store.readings_upsert(rows={
        "sensor": [store.Row(s, ts, (STATION, float(m))) for s in (5, 4)
                   for m, ts in zip((0, 5, 9), minutes(NOW, 0, 5, 9), strict=True)],
        "combiner": [store.Row(3, ts, (STATION, 600.0, [float(m)] * 2))
                     for m, ts in zip((0, 5, 9), minutes(NOW, 0, 5, 9), strict=True)]
                    + [store.Row(6, NOW - timedelta(hours=1), (STATION, 600.0, [1.0]))],
    })  # fmt: skip
    points = store.sensor_points(sensor_ids=[4, 5], start=NOW + timedelta(minutes=1),
                                 end=NOW + timedelta(minutes=9))  # fmt: skip
    assert points == [(4, NOW + timedelta(minutes=5), 5.0), (5, NOW + timedelta(minutes=5), 5.0)]
    newest = {3: (NOW + timedelta(minutes=9), [9.0, 9.0])}
    assert store.latest_combiner_currents(since=NOW) == newest
    assert store.latest_combiner_currents(since=NOW - timedelta(hours=2),
                                          until=NOW + timedelta(minutes=5)) == {
        3: (NOW + timedelta(minutes=5), [5.0, 5.0]), 6: (NOW - timedelta(hours=1), [1.0])
    }  # fmt: skip


# --- The rollups' counter reads, over plant-local days -------------------------------------------
@pytest.mark.parametrize(
    "zone, day, hours",
    [
        ("Asia/Seoul", date(2026, 10, 25), 24),  # no daylight saving: every day is 24 hours
        ("Europe/Berlin", date(2026, 10, 25), 25),  # summer time ends: a 25-hour day
        ("Europe/Berlin", date(2026, 3, 29), 23),  # summer time starts: a 23-hour day
    ],
)
def test_counter_rows_cover_exactly_the_plant_local_day(store_backend, zone, day, hours):
    start, end = plant_time.day_bounds(day, ZoneInfo(zone))
    assert end - start == timedelta(hours=hours)
    stamps = [start + timedelta(minutes=30 * k) for k in range(-2, 2 * hours + 2)]
    store.readings_upsert(rows={"inverter": [
        inverter_row(i, ts, 2.0, day_kwh=float(k), total_kwh=1000.0 + k)
        for i in (1, 2) for k, ts in enumerate(stamps)
    ]})  # fmt: skip
    rows = list(store.counter_rows(inverter_ids=[2, 1], start=start, end=end))
    assert len(rows) == 2 * 2 * hours
    assert rows[0] == (1, int(start.timestamp()), 2.0, 2.0, 1002.0)
    assert rows[-1][:2] == (2, int((end - timedelta(minutes=30)).timestamp()))
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    epochs = [r[1] for r in rows if r[0] == 1]
    assert epochs == sorted(epochs)

    before = store.counter_rows_before(inverter_ids=[1, 2, 3], before=start,
                                       not_before=start - timedelta(hours=6))  # fmt: skip
    assert before == {i: (i, int((start - timedelta(minutes=30)).timestamp()), 2.0, 1.0, 1001.0)
                      for i in (1, 2)}  # fmt: skip
    after = store.counter_rows_after(inverter_ids=[1], after=end,
                                     not_after=end + timedelta(hours=1))  # fmt: skip
    assert after == {1: (1, int(end.timestamp()), 2.0, 2.0 * hours + 2, 1002.0 + 2 * hours)}
    first = stamps[0]
    assert store.counter_rows_before(inverter_ids=[1], before=first, not_before=first - HOUR) == {}
    assert store.counter_rows_after(inverter_ids=[], after=end, not_after=end) == {}


# --- Retention -----------------------------------------------------------------------------------
def test_the_purge_deletes_only_what_is_older_than_retention_in_chunks(store_backend, settings):
    settings.RAW_RETENTION_DAYS = 400
    cutoff = NOW - timedelta(days=400)
    old = [cutoff - timedelta(hours=h) for h in range(1, 8)]
    kept = [cutoff, cutoff + timedelta(hours=1)]
    store.readings_upsert(rows={
        "inverter": [inverter_row(i, ts) for i in (1, 2) for ts in old + kept],
        "combiner": [store.Row(3, ts, (STATION, 600.0, [1.0, 2.0])) for ts in old + kept],
        "sensor": [store.Row(4, ts, (STATION, 500.0)) for ts in old + kept],
        "grid": [store.Row(STATION, ts, (False,)) for ts in old + kept],
    })  # fmt: skip
    summary = store.purge_old_readings(now=NOW, chunk=3)
    assert summary.startswith("purged 35 readings older than 2025-10-22 03:00 UTC")
    assert "(14 inverter, 7 combiner, 7 sensor, 7 grid)" in summary
    assert store.first_reading_time() == cutoff
    assert store.inverter_reading_count() == 4
    assert [p[1] for p in store.sensor_points(sensor_ids=[4], start=old[-1], end=NOW)] == kept
    assert list(store.latest_combiner_currents(since=old[-1], until=cutoff)) == [3]
    assert store.purge_old_readings(now=NOW).startswith("purged 0 readings")


# --- Late data -----------------------------------------------------------------------------------
def test_a_late_reading_marks_its_hour_and_a_resend_does_not(store_backend):
    hour = NOW - timedelta(hours=5)
    late = [inverter_row(1, hour + timedelta(minutes=20))]
    first = store.readings_upsert(rows={"inverter": late})
    changed = [r.key for r, o in zip(late, first.outcomes["inverter"], strict=True)
               if o != store.DUPLICATE]  # fmt: skip
    assert store.late_readings_mark(changed, now=NOW) == 1
    (mark,) = store.dirty_hours(limit=10)
    assert (mark.inverter_id, mark.hour_start) == (1, hour)
    assert store.dirty_hours_clear([mark]) == 1
    again = store.readings_upsert(rows={"inverter": late})
    assert again.outcomes["inverter"] == ["duplicate"]
    assert store.late_readings_mark([], now=NOW) == 0
    assert store.dirty_hours(limit=10) == []


# --- Pages of the whole store (telemetry_copy) ---------------------------------------------------
def test_pages_follow_the_key_order_from_after_a_key_and_since_a_time(store_backend):
    stamps = minutes(NOW, 0, 5, 10)
    store.readings_upsert(rows={
        "inverter": [inverter_row(i, ts) for ts in stamps for i in (3, 1, 2)],
        "combiner": [store.Row(9, NOW, (STATION, 600.0, []))],
    })  # fmt: skip
    first = store.readings_page(kind="inverter", after=None, since=None, limit=4)
    assert [r.key for r in first] == [(1, stamps[0]), (1, stamps[1]), (1, stamps[2]),
                                      (2, stamps[0])]  # fmt: skip
    assert first[0].values == inverter_row(1, NOW).values
    rest = store.readings_page(kind="inverter", after=first[-1].key, since=None, limit=100)
    assert [r.key for r in rest] == [(2, stamps[1]), (2, stamps[2])] + [(3, t) for t in stamps]
    recent = store.readings_page(kind="inverter", after=(1, stamps[2]), since=stamps[1], limit=9)
    assert [r.key for r in recent] == [(2, stamps[1]), (2, stamps[2]), (3, stamps[1]),
                                       (3, stamps[2])]  # fmt: skip
    assert store.readings_count(kind="inverter") == 9
    assert store.readings_count(kind="inverter", since=stamps[2]) == 3
    assert store.readings_count(kind="grid") == 0
    (box,) = store.readings_page(kind="combiner", after=None, since=None, limit=10)
    assert box == store.Row(9, NOW, (STATION, 600.0, []))
