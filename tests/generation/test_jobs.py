"""The generation jobs end to end, at chosen times, on the `fleet` fixture's two plants."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from generation.jobs import job_rollup_daily, job_rollup_hourly, job_rollup_late
from generation.models import (
    DailyGeneration,
    GenerationStatistics,
    HourlyGeneration,
    StationDailyGeneration,
)
from telemetry import store
from telemetry.models import DirtyHour
from tests.generation.conftest import minutes, put_readings

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def plant_a_readings(fleet):
    station = fleet["station_a"]
    for inverter in station.inverters.all():
        start = datetime(2026, 6, 1, 10, tzinfo=SEOUL)
        put_readings(inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(minutes(start, 120))])
    return fleet


def test_hourly_job_rolls_up_the_hour_just_ended(plant_a_readings):
    summary = job_rollup_hourly(now=datetime(2026, 6, 1, 11, 2, tzinfo=SEOUL))
    assert summary == (
        "hour 2026-06-01 01:00Z: 4 inverters, 120 readings, 2 hourly rows and 2 daily rows written"
    )
    rows = HourlyGeneration.objects.filter(local_hour=10)
    assert [r.kwh for r in rows] == [29.5, 29.5]
    assert {r.kwh for r in DailyGeneration.objects.all()} == {29.5}  # the day so far


def test_daily_job_fills_kpis_and_statistics(plant_a_readings):
    station_a, station_b = plant_a_readings["station_a"], plant_a_readings["station_b"]
    summary = job_rollup_daily(now=datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL))
    assert summary.startswith("day 2026-06-01: 240 readings, 48 hourly and 2 daily rows written")
    assert "2 zero-filled, 2 plant days" in summary
    a = StationDailyGeneration.objects.get(station_id=station_a.id)
    assert a.kwh == pytest.approx(2 * 59.5) and a.specific_yield == pytest.approx(1.19)
    b = StationDailyGeneration.objects.get(station_id=station_b.id)
    assert b.zero_filled and b.kwh == 0
    fleet = GenerationStatistics.objects.get(date=date(2026, 6, 1), scope="fleet")
    assert (fleet.stations, fleet.yield_median) == (1, pytest.approx(1.19))
    # Run again: nothing to write.
    again = job_rollup_daily(now=datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL))
    assert "48 hourly" not in again and "0 hourly and 0 daily rows written, 0 zero-filled" in again


def test_late_job_recomputes_marked_days_and_their_plant_rows(plant_a_readings):
    station_a = plant_a_readings["station_a"]
    job_rollup_daily(now=datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL))
    assert job_rollup_late(now=datetime(2026, 6, 2, 8, 0, tzinfo=SEOUL)) == "no late readings"
    inverter = station_a.inverters.get(number=1)
    late = [
        (t, 60 + i * 0.5, 30.0)
        for i, t in enumerate(minutes(datetime(2026, 6, 1, 12, tzinfo=SEOUL), 60))
    ]
    put_readings(inverter, late)
    now = datetime(2026, 6, 2, 8, 0, tzinfo=SEOUL)
    store.late_readings_mark([(inverter.id, t) for t, *_ in late], now=now)
    summary = job_rollup_late(now=now)
    assert summary.startswith("1 late hours: 60 readings")  # that hour's, not the day's
    assert summary.endswith("1 finished plant days recomputed")
    # Hour 12 gained 30 kWh (0.5 a minute for 60 minutes, from 59.5 at 11:59).
    assert StationDailyGeneration.objects.get(station_id=station_a.id).kwh == pytest.approx(149)


def test_recompute_command_backfills_a_range(plant_a_readings, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("recompute_generation", "--from", "2026-06-01", "--to", "2026-06-02")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2026-06-01: 240 readings, 48 hourly and 2 daily rows written, 2 zero-filled"
    assert out[1] == "2026-06-02: 0 readings, 0 hourly and 0 daily rows written, 4 zero-filled"
    assert StationDailyGeneration.objects.count() == 4
    with pytest.raises(CommandError, match="No plant with code NOPE"):
        call_command("recompute_generation", "--from", "2026-06-01", "--station", "NOPE")
    with pytest.raises(CommandError, match="'June' is not a date"):
        call_command("recompute_generation", "--from", "June")


def test_recompute_brings_history_under_the_current_rules(db, capsys):
    """The upgrade step: a 15-minute plant's day stored by the old rules (run time = readings
    x 60 s: 60 readings of power make 60 minutes, availability 7 %) reads right afterwards;
    a day whose raw readings were purged keeps the peak and run time it had."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from tests.generation.sunny_day import DAY, compute, sunny_day, sunny_plant

    station, inverters, sensor = sunny_plant("U001")
    sunny_day(station, inverters, sensor, timedelta(minutes=15))
    compute(station)
    old_rules = dict(run_minutes=60, daylight_run_minutes=0, covered_minutes=0,
                     interval_seconds=None, completeness=0.067)  # fmt: skip
    DailyGeneration.objects.filter(station_id=station.id).update(**old_rules)
    StationDailyGeneration.objects.filter(station_id=station.id).update(
        run_minutes=36, availability=0.07, completeness=0.067
    )
    purged = DAY - timedelta(days=2)  # no raw readings left of this day
    for inverter in inverters:
        DailyGeneration.objects.create(
            inverter_id=inverter.id, station_id=station.id, date=purged, kwh=250.0, readings=96,
            computed_at=timezone.now(), **old_rules,
        )  # fmt: skip
    StationDailyGeneration.objects.create(
        station_id=station.id, date=purged, region=station.region, capacity_kwp=120, inverters=2,
        kwh=500.0, specific_yield=500 / 120, peak_kw=70.0, peak_at=timezone.now(),
        run_minutes=780, computed_at=timezone.now(),
    )  # fmt: skip

    call_command("recompute_generation", "--from", str(purged), "--to", str(DAY))

    row = StationDailyGeneration.objects.get(station_id=station.id, date=DAY)
    assert round(row.availability * 100, 1) == round(row.completeness * 100, 1) == 100.0
    assert row.run_minutes == pytest.approx(900)
    assert round(row.performance_ratio * 100, 1) == 79.4
    kept = StationDailyGeneration.objects.get(station_id=station.id, date=purged)
    assert (kept.peak_kw, kept.run_minutes, kept.kwh) == (70.0, 780, 500.0)
    # The inverters' own 60 minutes of that day over its daylight: what the old rules gave.
    assert kept.availability == pytest.approx(60 / kept.daylight_minutes, abs=1e-4)


def test_recompute_all_starts_at_the_first_day_with_readings(fleet, capsys):
    from datetime import timedelta

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.utils import timezone

    yesterday = timezone.localdate() - timedelta(days=1)
    start = datetime.combine(yesterday, datetime.min.time(), SEOUL).replace(hour=10)
    inverter = fleet["station_a"].inverters.get(number=1)
    put_readings(inverter, [(t, i * 0.5, 30.0) for i, t in enumerate(minutes(start, 60))])
    call_command("recompute_generation", "--all")
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [str(yesterday), str(timezone.localdate())]
    assert out[0].startswith(f"{yesterday}: 60 readings")
    with pytest.raises(CommandError, match="either --all or --from"):
        call_command("recompute_generation", "--all", "--from", "2026-06-01")
    with pytest.raises(CommandError, match="Say which days"):
        call_command("recompute_generation")


def test_late_job_skips_hours_rolled_up_since_they_were_marked(plant_a_readings):
    """A backfill marks every hour it writes; recompute_generation then rolls them all up. The
    late job only clears those marks instead of reading every hour again."""
    station_a = plant_a_readings["station_a"]
    inverter = station_a.inverters.get(number=1)
    marked = datetime(2026, 6, 2, 7, 0, tzinfo=SEOUL)
    hours = [datetime(2026, 6, 1, h, tzinfo=SEOUL) for h in range(10, 14)]
    store.late_readings_mark([(inverter.id, h) for h in hours], now=marked)
    job_rollup_daily(now=datetime(2026, 6, 2, 7, 30, tzinfo=SEOUL))  # rolls those hours up
    again = datetime(2026, 6, 2, 7, 50, tzinfo=SEOUL)
    store.late_readings_mark([(inverter.id, hours[0])], now=again)
    summary = job_rollup_late(now=datetime(2026, 6, 2, 8, 0, tzinfo=SEOUL))
    assert summary.startswith("1 late hours: ")  # only the hour marked after the rollup
    assert not DirtyHour.objects.exists()
    store.late_readings_mark([(inverter.id, hours[1])], now=marked)
    assert job_rollup_late(now=datetime(2026, 6, 2, 8, 10, tzinfo=SEOUL)) == (
        "no late readings; 1 marked hours were rolled up since"
    )
