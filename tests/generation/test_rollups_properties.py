"""Properties that must hold for any day of readings, not only the hand-made ones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generation import rollups
from generation.models import DailyGeneration, HourlyGeneration
from monitoring.models import PowerStation
from telemetry.models import InverterReading
from tests.conftest import make_station
from tests.generation.conftest import put_readings

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
DAY = date(2026, 6, 1)
START = datetime(2026, 6, 1, 0, 30, tzinfo=ZoneInfo("Asia/Seoul"))

# (minutes since the previous reading, kW in that stretch): a 50 kW inverter whose counter
# moves exactly as its power says, with gaps of up to 5 hours.
steps = st.lists(
    st.tuples(st.integers(min_value=1, max_value=300), st.floats(min_value=0, max_value=50)),
    min_size=2,
    max_size=80,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_a_day_keeps_all_the_energy_its_counter_saw_and_never_goes_negative(db, steps):
    # One database for all examples: the plant is made once, the readings each time.
    station = PowerStation.objects.filter(code="H001").first() or make_station("H001", inverters=1)
    inverter = station.inverters.get()
    InverterReading.objects.all().delete()
    HourlyGeneration.objects.all().delete()
    DailyGeneration.objects.all().delete()

    rows, when, total = [], START, 1000.0
    for gap, kw in steps:
        when += timedelta(minutes=gap)
        if when >= START + timedelta(hours=23):
            break
        total += kw * gap / 60
        rows.append((when, round(total, 6), kw))
    if len(rows) < 2:
        return
    put_readings(inverter, rows)
    meters = rollups.meters_for(station_ids=[station.id])
    rollups.days_recompute(meters=meters, day_of={inverter.id: DAY})

    hours = list(HourlyGeneration.objects.filter(inverter_id=inverter.id))
    assert all(h.kwh >= 0 for h in hours)
    assert len(hours) == 24
    day = DailyGeneration.objects.get(inverter_id=inverter.id, date=DAY)
    # Every pair lies inside the day, so the whole counter increase lands in its hours.
    assert day.kwh == pytest.approx(rows[-1][1] - rows[0][1], abs=1e-4)
    assert day.excluded_kwh == 0 and not day.counter_reset
