"""The rollups, KPIs and the power curve over the same readings give the same figures whichever
store holds them: the hand-computed sunny day of tests/generation/sunny_day.py, written through
the store and rolled up from it."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from generation import selectors
from generation.models import DailyGeneration
from telemetry import store
from tests.generation import sunny_day as sunny

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
STEP = timedelta(minutes=5)


def inverter_row(inverter, ts) -> store.Row:
    running = sunny.ON <= ts < sunny.OFF
    values = {"station_id": inverter.station_id, "ac_kw": sunny.KW if running else 0.0,
              "total_kwh": 1000 + sunny.counter(ts)}  # fmt: skip
    return store.Row(inverter.id, ts, tuple(map(values.get, store.INVERTER.values)))


def sensor_rows(sensor) -> list[store.Row]:
    """400 and 440 W/m² by turns while the plant runs, 0 otherwise, from midnight to midnight."""
    stamps = [ts for ts in sunny.every(STEP) if sunny.START <= ts < sunny.END]
    lit = [ts for ts in stamps if sunny.ON <= ts < sunny.OFF]
    return [
        store.Row(sensor.id, ts, (sensor.station_id, (400.0, 440.0)[lit.index(ts) % 2]
                                  if ts in lit else 0.0))
        for ts in stamps
    ]  # fmt: skip


def test_the_sunny_day_rolls_up_to_the_hand_computed_figures(store_backend):
    station, inverters, sensor = sunny.sunny_plant("M001")
    store.readings_upsert(rows={
        "inverter": [inverter_row(i, ts) for i in inverters for ts in sunny.every(STEP)],
        "sensor": sensor_rows(sensor),
    })  # fmt: skip

    day = sunny.compute(station)
    assert day.kwh == pytest.approx(600.0)  # 20 kW x 15 h x 2 inverters
    assert day.poa_kwh_m2 == pytest.approx(6.3)
    assert day.run_minutes == 15 * 60
    assert day.peak_kw == pytest.approx(40.0) and day.peak_at == sunny.ON.astimezone(UTC)
    per_inverter = DailyGeneration.objects.filter(station_id=station.id, date=sunny.DAY)
    assert sorted(row.kwh for row in per_inverter) == pytest.approx([300.0, 300.0])

    curve = selectors.power_curve(station=station, day=sunny.DAY)
    assert [len(points) for points in curve["inverters"].values()] == [288, 288]
    assert max(kw for _, kw in curve["total"]) == pytest.approx(40.0)
