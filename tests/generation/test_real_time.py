"""The same day read at 1, 5 and 15-minute intervals, and with irregular holes: every figure
computed by hand (tests/generation/sunny_day.py), and the same whatever the interval.

On a 120 kWp plant: specific yield 600 / 120 = 5.0 kWh/kWp; PR = 5.0 / 6.3 = 79.4 %; run time
900 minutes; peak 40 kW at 05:00; the daylight lies inside the 15 hours of generation, so
availability and completeness are 100 %.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from generation import rollups
from generation.models import DailyGeneration, HourlyGeneration, ReadingCadence
from tests.generation.sunny_day import (
    DAY,
    ON,
    SEOUL,
    compute,
    daylight_minutes,
    every,
    inverter_readings,
    sensor_readings,
    sunny_plant,
)

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def plant(db):
    return sunny_plant("T001")


@pytest.mark.parametrize("minutes", [1, 5, 15])
def test_a_day_is_the_same_at_any_interval(plant, minutes):
    station, inverters, sensor = plant
    step = timedelta(minutes=minutes)
    for inverter in inverters:
        inverter_readings(inverter, every(step))
    sensor_readings(sensor, step)

    row = compute(station)

    assert row.kwh == pytest.approx(600.0)
    assert row.specific_yield == pytest.approx(5.0)
    assert row.poa_kwh_m2 == pytest.approx(6.3)
    assert round(row.performance_ratio * 100, 1) == 79.4
    assert row.run_minutes == pytest.approx(900)
    assert row.peak_kw == pytest.approx(40.0)
    assert row.peak_at == ON.astimezone(UTC)
    assert row.daylight_minutes == pytest.approx(daylight_minutes(), abs=1e-3)
    assert round(row.availability * 100, 1) == 100.0
    assert round(row.completeness * 100, 1) == 100.0
    assert row.flags == [] and row.plausible
    for daily in DailyGeneration.objects.filter(station_id=station.id, date=DAY):
        assert daily.interval_seconds == minutes * 60  # learned from the readings
        assert daily.run_minutes == pytest.approx(900)
        assert daily.completeness == 1.0
        assert daily.expected == 24 * 60 // minutes
    hours = HourlyGeneration.objects.filter(station_id=station.id, local_date=DAY)
    assert hours.count() == 48 and all(h.complete for h in hours)
    assert {h.run_minutes for h in hours if 5 <= h.local_hour < 20} == {60}
    assert {h.run_minutes for h in hours if not 5 <= h.local_hour < 20} == {0}


def test_a_fifteen_minute_hour_alone_uses_the_interval_learned_before(plant):
    """The hourly job sees four readings an hour: too few to tell the interval, so it takes
    the one learned from whole recent days (not READING_INTERVAL_SECONDS, 60 s)."""
    station, inverters, sensor = plant
    for inverter in inverters:
        inverter_readings(inverter, every(timedelta(minutes=15)))
    nightly = datetime(2026, 6, 2, 0, 10, tzinfo=SEOUL)  # the daily job learns from its day
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters}, now=nightly)
    assert set(ReadingCadence.objects.values_list("seconds", flat=True)) == {900}
    HourlyGeneration.objects.all().delete()

    ten = datetime(2026, 6, 1, 10, tzinfo=SEOUL)
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.hours_recompute(
        meters=meters, start=ten, end=ten + timedelta(hours=1), now=ten + timedelta(hours=1)
    )

    for hour in HourlyGeneration.objects.all():
        assert (hour.readings, hour.expected, hour.interval_seconds) == (4, 4, 900)
        assert hour.complete and hour.run_minutes == 60 and hour.covered_minutes == 60
        assert hour.kwh == pytest.approx(20.0)


def test_irregular_holes_are_time_without_data(plant):
    """Every 5 minutes, but inverter 1 is silent from 10:00 to 12:00 and from 14:00 to 14:12
    (its 14:12 reading is 3 minutes before the next): each reading before a hole stands for
    5 minutes, so 115 + 7 = 122 of its daylight minutes have no data. Its counter carries the
    energy over the holes."""
    station, (one, two), sensor = plant
    step = timedelta(minutes=5)
    regular = every(step)
    holes = [
        (datetime(2026, 6, 1, 10, tzinfo=SEOUL), datetime(2026, 6, 1, 12, tzinfo=SEOUL)),
        (datetime(2026, 6, 1, 14, tzinfo=SEOUL), datetime(2026, 6, 1, 14, 15, tzinfo=SEOUL)),
    ]
    stamps = [t for t in regular if not any(a < t < b for a, b in holes)]
    stamps.append(datetime(2026, 6, 1, 14, 12, tzinfo=SEOUL))
    inverter_readings(one, sorted(stamps))
    inverter_readings(two, regular)
    sensor_readings(sensor, step)

    row = compute(station)

    daylight = daylight_minutes()
    first = DailyGeneration.objects.get(inverter_id=one.id, date=DAY)
    assert first.interval_seconds == 300  # a few odd spacings do not move the median
    assert first.kwh == pytest.approx(300.0) and first.estimated  # the 2 h hole is spread
    assert first.run_minutes == pytest.approx(900 - 122)
    assert first.covered_minutes == pytest.approx(daylight - 122, abs=1e-3)
    assert first.completeness == pytest.approx((daylight - 122) / daylight, abs=1e-4)
    assert row.kwh == pytest.approx(600.0)
    assert round(row.performance_ratio * 100, 1) == 79.4
    share = (2 * daylight - 122) / (2 * daylight)
    assert round(row.availability * 100, 1) == round(share * 100, 1) == 92.3
    assert round(row.completeness * 100, 1) == 92.3
    assert row.run_minutes == pytest.approx(900)  # inverter 2 ran throughout
    assert row.peak_kw == pytest.approx(40.0)
    hours = {
        h.local_hour: h for h in HourlyGeneration.objects.filter(inverter_id=one.id, local_date=DAY)
    }
    assert hours[10].covered_minutes == pytest.approx(5) and not hours[10].complete
    assert hours[11].covered_minutes == 0 and not hours[11].complete
    assert hours[14].covered_minutes == pytest.approx(53) and not hours[14].complete  # < 90 %
    assert hours[12].complete and hours[13].complete


def test_a_collectors_interval_set_in_the_admin_wins(plant):
    """Readings every 15 minutes from a collector that should send every 5: three quarters
    of every hour have no data."""
    from monitoring.models import Collector

    station, inverters, sensor = plant
    collector = Collector.objects.create(name="slow", reading_interval_seconds=300)
    station.inverters.update(collector=collector)
    for inverter in inverters:
        inverter_readings(inverter, every(timedelta(minutes=15)))
    row = compute(station)
    assert round(row.completeness * 100, 1) == round(row.availability * 100, 1) == 33.3
    assert row.kwh == pytest.approx(600.0)
    assert DailyGeneration.objects.filter(interval_seconds=300).count() == 2
