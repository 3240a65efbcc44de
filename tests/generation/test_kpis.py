"""Plant KPIs against values computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from generation import kpis, rollups
from generation.models import StationDailyGeneration
from monitoring import plant_time
from monitoring.models import Sensor
from monitoring.solar import daylight_seconds
from telemetry.models import SensorReading
from tests.conftest import make_station
from tests.generation.conftest import minutes, put_readings

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 6, 1)


def daylight_minutes(day: date) -> float:
    start, end = plant_time.day_bounds(day, SEOUL)
    return daylight_seconds(34.8, 126.4, start.timestamp(), end.timestamp()) / 60


def test_daylight_minutes_of_a_june_day_in_south_korea():
    # Sunrise about 05:15 and sunset about 19:50 in Mokpo in June; the sun is 5 degrees up
    # about 25 minutes after sunrise and before sunset: some 13.7 hours.
    assert 13.2 * 60 <= daylight_minutes(DAY) <= 14.2 * 60
    assert daylight_minutes(date(2026, 12, 21)) < 9 * 60


def test_specific_yield_availability_peak_and_performance_ratio(db):
    station = make_station("K001", inverters=2)  # 100 kWp, two 50 kW inverters
    one, two = station.inverters.order_by("number")
    start = datetime(2026, 6, 1, 9, 0, tzinfo=SEOUL)
    # 09:00-14:59: inverter 1 makes 300 kWh at 50 kW, inverter 2 200 kWh at 33.3 kW.
    for inverter, kw in ((one, 50.0), (two, 200 / 6)):
        rows = [(start - timedelta(minutes=1), 0.0, 0.0)]
        rows += [(t, kw / 60 * (i + 1), kw) for i, t in enumerate(minutes(start, 360))]
        put_readings(inverter, rows)
    poa = Sensor.objects.create(station=station, kind=Sensor.Kind.POA_IRRADIANCE, name="poa")
    # 1000 W/m² from 09:00 to 15:00: 6 kWh/m².
    SensorReading.objects.bulk_create(
        SensorReading(sensor_id=poa.id, station_id=station.id, ts=t, value=1000.0)
        for t in minutes(start, 361)
    )
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters})
    assert kpis.station_days_recompute(station_days=[(station.id, DAY)]) == 1

    row = StationDailyGeneration.objects.get(station_id=station.id, date=DAY)
    assert row.kwh == pytest.approx(500.0)
    assert row.specific_yield == pytest.approx(5.0)  # 500 kWh / 100 kWp
    assert row.peak_kw == pytest.approx(50 + 200 / 6)
    assert row.peak_at == start.astimezone(UTC)
    assert row.run_minutes == 360
    daylight = daylight_minutes(DAY)
    assert row.daylight_minutes == pytest.approx(daylight, abs=1e-3)
    assert row.availability == pytest.approx((360 + 360) / (2 * daylight), abs=1e-4)
    assert row.poa_kwh_m2 == pytest.approx(6.0)
    assert row.performance_ratio == pytest.approx(5.0 / 6.0, abs=1e-4)
    assert not row.zero_filled
    # The sensor read exactly 1000 W/m² for six hours (stuck), and from 09:00 to 15:00 only
    # (less than 90 % of the daylight).
    assert row.flags == ["irradiance_flat", "irradiance_incomplete"] and not row.plausible


def test_no_performance_ratio_without_an_irradiance_sensor(db):
    station = make_station("K002", inverters=1)
    put_readings(
        station.inverters.get(),
        [
            (t, i * 0.5, 30.0)
            for i, t in enumerate(minutes(datetime(2026, 6, 1, 10, tzinfo=SEOUL), 10))
        ],
    )
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters})
    kpis.station_days_recompute(station_days=[(station.id, DAY)])
    row = StationDailyGeneration.objects.get(station_id=station.id)
    assert row.kwh == pytest.approx(4.5)
    assert row.specific_yield == pytest.approx(0.045)
    assert row.performance_ratio is None and row.poa_kwh_m2 is None
