"""The generation jobs end to end, at chosen times, on the `fleet` fixture's two plants."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from generation import rollups
from generation.jobs import rollup_daily, rollup_hourly, rollup_late
from generation.models import (
    DailyGeneration,
    GenerationStatistics,
    HourlyGeneration,
    StationDailyGeneration,
)
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
    summary = rollup_hourly(now=datetime(2026, 6, 1, 11, 2, tzinfo=SEOUL))
    assert summary == (
        "hour 2026-06-01 01:00Z: 4 inverters, 120 readings, 2 hourly rows and 2 daily rows written"
    )
    rows = HourlyGeneration.objects.filter(local_hour=10)
    assert [r.kwh for r in rows] == [29.5, 29.5]
    assert {r.kwh for r in DailyGeneration.objects.all()} == {29.5}  # the day so far


def test_daily_job_fills_kpis_and_statistics(plant_a_readings):
    station_a, station_b = plant_a_readings["station_a"], plant_a_readings["station_b"]
    summary = rollup_daily(now=datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL))
    assert summary.startswith("day 2026-06-01: 240 readings, 48 hourly and 2 daily rows written")
    assert "2 zero-filled, 2 plant days" in summary
    a = StationDailyGeneration.objects.get(station_id=station_a.id)
    assert a.kwh == pytest.approx(2 * 59.5) and a.specific_yield == pytest.approx(1.19)
    b = StationDailyGeneration.objects.get(station_id=station_b.id)
    assert b.zero_filled and b.kwh == 0
    fleet = GenerationStatistics.objects.get(date=date(2026, 6, 1), scope="fleet")
    assert (fleet.stations, fleet.yield_median) == (1, pytest.approx(1.19))
    # Run again: nothing to write.
    again = rollup_daily(now=datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL))
    assert "48 hourly" not in again and "0 hourly and 0 daily rows written, 0 zero-filled" in again


def test_late_job_recomputes_marked_days_and_their_plant_rows(plant_a_readings):
    station_a = plant_a_readings["station_a"]
    rollup_daily(now=datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL))
    assert rollup_late(now=datetime(2026, 6, 2, 8, 0, tzinfo=SEOUL)) == "no late readings"
    inverter = station_a.inverters.get(number=1)
    late = [
        (t, 60 + i * 0.5, 30.0)
        for i, t in enumerate(minutes(datetime(2026, 6, 1, 12, tzinfo=SEOUL), 60))
    ]
    put_readings(inverter, late)
    now = datetime(2026, 6, 2, 8, 0, tzinfo=SEOUL)
    rollups.mark_dirty([(inverter.id, t) for t, *_ in late], now=now)
    summary = rollup_late(now=now)
    assert summary.startswith("1 late hours: 180 readings")
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
