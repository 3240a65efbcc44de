"""What an owner's app reads from the API is the same whichever store holds the readings: the
raw readings, the latest one, power figures over a period and the day's power curve."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from generation import rollups
from telemetry import store
from tests.api.conftest import client_as, token_for
from tests.generation.conftest import minutes

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 6, 1)
SPAN = "since=2026-06-01T10:00:00%2B09:00&until=2026-06-01T11:00:00%2B09:00"


def row(inverter, ts, total_kwh: float, ac_kw: float) -> store.Row:
    values = {"station_id": inverter.station_id, "ac_kw": ac_kw, "total_kwh": total_kwh}
    return store.Row(inverter.id, ts, tuple(map(values.get, store.INVERTER.values)))


@pytest.fixture
def owner(store_backend, fleet, settings):
    """Plant A's owner with two hours of readings in the store under test, rolled up."""
    settings.API_THROTTLE_RATES = {"anon": "10000/min", "user": "10000/min", "login": "10000/min"}
    cache.clear()
    one, two = fleet["station_a"].inverters.order_by("number")
    start = datetime(2026, 6, 1, 10, tzinfo=SEOUL)
    store.readings_upsert(rows={"inverter": [
        *(row(one, t, 100 + i * 0.5, 30.0 + i % 3) for i, t in enumerate(minutes(start, 120))),
        *(row(two, t, 200 + i * 0.25, 15.0) for i, t in enumerate(minutes(start, 120))),
    ]})  # fmt: skip
    meters = rollups.meters_for(station_ids=[fleet["station_a"].id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters})
    yield client_as(token_for(fleet["owner_a"]))
    cache.clear()


def test_the_api_reads_the_same_from_either_store(owner):
    readings = owner.get(f"/api/v1/stations/A001/inverters/1/readings?{SPAN}").json()
    assert len(readings) == 60
    assert readings[0]["ac_kw"] == 30.0 and readings[0]["ts"] == "2026-06-01T10:00:00+09:00"
    assert readings[1]["total_kwh"] == 100.5
    latest = owner.get("/api/v1/stations/A001/inverters/1/latest").json()
    assert latest["ts"] == "2026-06-01T11:59:00+09:00"
    power = owner.get(f"/api/v1/stations/A001/power?{SPAN}").json()
    one = power[0]["ac_kw"]
    assert (power[0]["inverter"], one["count"], one["sum"], one["average"], one["median"]) == (
        1, 60, 1860.0, 31.0, 31.0
    )  # fmt: skip
    curve = owner.get("/api/v1/stations/A001/generation/curve?date=2026-06-01").json()
    assert curve["total"][0] == {"ts": "2026-06-01T10:00:00+09:00", "kw": 45.0}
    assert [len(i["points"]) for i in curve["inverters"]] == [120, 120]
    hourly = owner.get("/api/v1/stations/A001/generation/hourly?date=2026-06-01").json()
    assert {h["local_hour"]: h["kwh"] for h in hourly["hours"]}[11] == pytest.approx(45.0)
