"""The same day read at 1, 5 and 15-minute intervals, and with irregular holes: every figure
computed by hand, and the same whatever the interval.

The day (2026-06-01, Asia/Seoul, at 34.8 N 126.4 E): two 50 kW inverters with 60 kWp of modules
each (a 120 kWp plant) deliver 20 kW each from 05:00 to 20:00 and nothing otherwise, and send
readings all day; a plane-of-array sensor reads 400 and 440 W/m² by turns from 05:00 to the
last reading before 20:00, and 0 otherwise. By hand:

- energy: 20 kW x 15 h = 300 kWh an inverter, 600 kWh; specific yield 600 / 120 = 5.0 kWh/kWp;
- insolation: the trapezoids between 400 and 440 average 420 W/m², and the ramps from and to
  0 at 05:00 and 20:00 make the 15 hours exactly 6.3 kWh/m²; PR = 5.0 / 6.3 = 79.4 %;
- run time: 15 h = 900 minutes; the plant's peak: 40 kW, first reached at 05:00;
- daylight (the sun 5° up) runs from 05:53:53 to 19:09:56: inside 05:00-20:00, so availability
  and completeness are 100 %.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from generation import kpis, plant_time, rollups
from generation.models import (
    DailyGeneration,
    HourlyGeneration,
    InverterReading,
    ReadingCadence,
    SensorReading,
    StationDailyGeneration,
)
from monitoring.models import Sensor
from monitoring.solar import daylight_seconds
from tests.conftest import make_station

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 6, 1)
START, END = plant_time.day_bounds(DAY, SEOUL)
ON, OFF = datetime(2026, 6, 1, 5, tzinfo=SEOUL), datetime(2026, 6, 1, 20, tzinfo=SEOUL)
KW = 20.0


@pytest.fixture
def plant(db):
    station = make_station("T001", inverters=2, capacity_kwp=Decimal("120"))
    station.inverters.update(capacity_kwp=Decimal("60"))
    sensor = Sensor.objects.create(station=station, kind=Sensor.Kind.POA_IRRADIANCE, name="poa")
    return station, list(station.inverters.order_by("number")), sensor


def counter(ts: datetime) -> float:
    """kWh an inverter has made since midnight: 20 kW while it runs."""
    running = min(max(ts, ON), OFF) - ON
    return KW * running.total_seconds() / 3600


def inverter_readings(inverter, stamps) -> None:
    InverterReading.objects.bulk_create(
        InverterReading(
            inverter_id=inverter.id, station_id=inverter.station_id, ts=ts,
            ac_kw=KW if ON <= ts < OFF else 0.0, total_kwh=1000 + counter(ts),
        )  # fmt: skip
        for ts in stamps
    )


def sensor_readings(sensor, step: timedelta) -> None:
    rows, ts, k = [], START, 0
    while ts < END:
        value = 0.0
        if ON <= ts < OFF:
            value = 400.0 if k % 2 == 0 else 440.0
            k += 1
        rows.append(SensorReading(sensor_id=sensor.id, station_id=sensor.station_id, ts=ts,
                                  value=value))  # fmt: skip
        ts += step
    SensorReading.objects.bulk_create(rows)


def every(step: timedelta) -> list[datetime]:
    stamps, ts = [], START - step  # one before midnight: the baseline
    while ts < END + step:
        stamps.append(ts)
        ts += step
    return stamps


def compute(station) -> StationDailyGeneration:
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters})
    kpis.station_days_recompute(station_days=[(station.id, DAY)])
    return StationDailyGeneration.objects.get(station_id=station.id, date=DAY)


def daylight_minutes() -> float:
    return daylight_seconds(34.8, 126.4, START.timestamp(), END.timestamp()) / 60


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
    the one learned from whole days (not READING_INTERVAL_SECONDS, 60 s)."""
    station, inverters, sensor = plant
    for inverter in inverters:
        inverter_readings(inverter, every(timedelta(minutes=15)))
    compute(station)
    assert set(ReadingCadence.objects.values_list("seconds", flat=True)) == {900}
    HourlyGeneration.objects.all().delete()

    ten = datetime(2026, 6, 1, 10, tzinfo=SEOUL)
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.hours_recompute(meters=meters, start=ten, end=ten + timedelta(hours=1))

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
