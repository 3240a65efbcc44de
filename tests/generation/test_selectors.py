"""The reads pages and the API share, on a small plant with hand-made rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from generation import kpis, rollups, selectors
from generation.models import DailyGeneration, GenerationStatistics
from monitoring.models import InverterStatus
from tests.conftest import make_station
from tests.generation.conftest import minutes, put_readings

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def plant(db):
    station = make_station("P001", inverters=2)
    one, two = station.inverters.order_by("number")
    start = datetime(2026, 6, 1, 10, tzinfo=SEOUL)
    put_readings(one, [(t, 100 + i * 0.5, 30.0) for i, t in enumerate(minutes(start, 120))])
    put_readings(two, [(t, 200 + i * 0.25, 15.0) for i, t in enumerate(minutes(start, 120))])
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={i: date(2026, 6, 1) for i in meters})
    kpis.station_days_recompute(station_days=[(station.id, date(2026, 6, 1))])
    return station, one, two


def test_power_curve_per_inverter_and_total(plant):
    station, one, two = plant
    curve = selectors.power_curve(station=station, day=date(2026, 6, 1))
    assert len(curve["inverters"][1]) == len(curve["inverters"][2]) == 120
    assert curve["total"][0] == (datetime(2026, 6, 1, 1, 0, tzinfo=UTC), 45.0)
    assert len(curve["total"]) == 120


def test_hourly_generation_per_inverter_and_summed(plant):
    station, one, two = plant
    hourly = selectors.hourly_generation(station=station, day=date(2026, 6, 1))
    by_hour = {local_hour: kwh for _, local_hour, kwh, _, _ in hourly["hours"]}
    # Hour 10: 59 steps of 0.5 + 59 of 0.25 (no reading before 10:00); hour 11: 60 of each.
    assert by_hour[10] == pytest.approx(29.5 + 14.75)
    assert by_hour[11] == pytest.approx(30 + 15)
    assert len(hourly["hours"]) == 24
    assert sum(kwh for _, kwh in hourly["inverters"][1]) == pytest.approx(59.5)


def test_daily_monthly_and_run_time(plant):
    station, one, two = plant
    DailyGeneration.objects.create(
        inverter_id=one.id, station_id=station.id, date=date(2026, 5, 31), kwh=100,
        computed_at=timezone.now(),
    )  # fmt: skip
    daily = selectors.daily_generation(
        stations=[station], start=date(2026, 5, 31), end=date(2026, 6, 1)
    )
    assert [(d, round(k, 3)) for d, k, _ in daily["days"]] == [
        (date(2026, 5, 31), 100.0), (date(2026, 6, 1), 89.25),
    ]  # fmt: skip
    monthly = selectors.monthly_generation(stations=[station], year=2026)
    assert monthly["months"][5] == 100 and monthly["months"][6] == pytest.approx(89.25)
    assert monthly["inverters"][two.id][6] == pytest.approx(29.75)
    assert selectors.run_time(stations=[station], start=date(2026, 6, 1), end=date(2026, 6, 1)) == {
        station.id: 2.0
    }


def test_summary_and_regional_average(plant):
    station, one, two = plant
    now = datetime(2026, 6, 2, 12, 0, tzinfo=SEOUL)
    DailyGeneration.objects.create(
        inverter_id=one.id, station_id=station.id, date=date(2026, 1, 5), kwh=50,
        computed_at=now,
    )  # fmt: skip
    # Inverter 1 reported 2 minutes ago: 20 kW, 33 kWh today. Inverter 2 is silent for 3 h.
    InverterStatus.objects.create(inverter=one, station=station, last_ts=now - timedelta(minutes=2),
                                  ac_kw=20.0, day_kwh=33.0, total_kwh=1000.0)  # fmt: skip
    InverterStatus.objects.create(inverter=two, station=station, last_ts=now - timedelta(hours=3),
                                  ac_kw=10.0, day_kwh=4.0, total_kwh=500.0)  # fmt: skip
    figures = selectors.summary(stations=[station], now=now)
    assert figures.current_kw == 20.0  # inverter 2 is stale
    assert figures.today_kwh == 37.0  # both reported day counters today
    assert figures.month_kwh == pytest.approx(89.25 + 37)  # June 1 rows + today
    assert figures.year_kwh == pytest.approx(50 + 89.25 + 37)
    assert figures.lifetime_kwh == 1500.0
    regions = selectors.regional_current_average(stations=[station], now=now)
    assert regions == {"jeonnam": {"stations": 1, "average_kw": 20.0, "kw_per_kwp": 0.2}}


def _median(day: date, scope: str, value: float, stations: int = 5) -> None:
    GenerationStatistics.objects.create(
        date=day, scope=scope, inverters=10, stations=stations, yield_median=value,
        computed_at=timezone.now(),
    )  # fmt: skip


def test_expected_yield_by_now_follows_the_sun(db):
    """The under-performance reference (yesterday's median yield) times the share of the
    day's clear-sky sunlight already past: none before dawn, about half at noon, all by night."""
    station = make_station("E001", latitude=35.0, longitude=127.5)  # 100 kWp, Jeonnam
    day = date(2026, 6, 21)
    assert selectors.expected_kwh_by_now(
        stations=[station], now=datetime(2026, 6, 21, 3, tzinfo=UTC)
    ) is None  # no statistics yet: nothing to expect
    _median(day - timedelta(days=1), GenerationStatistics.FLEET, 4.0)

    def expected(hour: int) -> float:
        now = datetime(2026, 6, 21, hour, tzinfo=SEOUL)
        return selectors.expected_kwh_by_now(stations=[station], now=now)

    assert expected(4) == 0.0
    assert 170 < expected(12) < 200  # solar noon here is near 12:30
    assert expected(21) == pytest.approx(400.0)
    # a region with enough plants is its own reference
    _median(day - timedelta(days=1), station.region, 5.0)
    assert expected(21) == pytest.approx(500.0)
    # a stale day does not hide the latest
    _median(day - timedelta(days=9), GenerationStatistics.FLEET, 1.0)
    assert expected(21) == pytest.approx(500.0)


def test_month_to_date_leaves_today_to_the_caller(plant):
    station = plant[0]
    now = datetime(2026, 6, 2, 12, tzinfo=SEOUL)
    month = selectors.month_to_date_kwh(stations=[station], now=now)
    assert month == pytest.approx(
        sum(r.kwh for r in DailyGeneration.objects.filter(station_id=station.id))
    ) and month > 0
    assert selectors.month_to_date_kwh(
        stations=[station], now=datetime(2026, 6, 1, 12, tzinfo=SEOUL)
    ) == 0.0
