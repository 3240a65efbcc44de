"""What the old system served: error classification, a combiner box's history, the sensors'
readings and a plant's grid outages, each through the visibility rule."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from events.models import Alarm, EventType
from generation.models import DailyGeneration
from tests.api.conftest import DAY

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def period(world, hours: int = 24) -> str:
    now = world["now"]
    return urlencode({"since": (now - timedelta(hours=hours)).isoformat(),
                      "until": now.isoformat()})  # fmt: skip


def test_error_classification_counts_open_problems_per_plant_and_fault(world, as_role):
    Alarm.objects.create(
        event_type_id=EventType.INVERTER_FAULT, subject="inv:x", station=world["station_a"],
        raised_at=world["now"], open_key="204:x", details={"faults": ["ground_fault", "over_temp"]},
    )  # fmt: skip
    Alarm.objects.create(
        event_type_id=EventType.COMM_ERROR, subject="old", station=world["station_a"],
        raised_at=world["now"] - timedelta(days=2), cleared_at=world["now"] - timedelta(days=1),
    )  # a cleared alarm is no open problem  # fmt: skip
    operator = as_role("operator").get("/api/v1/alarms/classification").json()
    assert operator == [
        {"station": "A001", "counts": {"202": 1, "204": 1, "fault:ground_fault": 1,
                                       "fault:over_temp": 1}},
        {"station": "B001", "counts": {"201": 1}},
    ]  # fmt: skip
    owner_b = as_role("owner_b").get("/api/v1/alarms/classification").json()
    assert owner_b == [{"station": "B001", "counts": {"201": 1}}]
    hidden = as_role("owner_b").get("/api/v1/alarms/classification?station=A001")
    assert hidden.status_code == 404


def test_combiner_history_gives_voltage_and_string_currents(world, as_role):
    answer = as_role("owner_a").get(f"/api/v1/stations/A001/combiners/1/readings?{period(world)}")
    assert answer.status_code == 200
    (reading,) = answer.json()
    assert (reading["voltage"], reading["currents"]) == (612.5, [8.1, None, 7.9])
    none_before = as_role("owner_a").get(
        "/api/v1/stations/A001/combiners/1/readings?"
        + urlencode({"since": (world["now"] - timedelta(days=3)).isoformat(),
                     "until": (world["now"] - timedelta(days=2)).isoformat()})
    )  # fmt: skip
    assert none_before.json() == []
    missing = as_role("owner_a").get(
        f"/api/v1/stations/A001/combiners/7/readings?{period(world)}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Plant A001 has no combiner box 7."
    assert as_role("owner_b").get(
        f"/api/v1/stations/A001/combiners/1/readings?{period(world)}"
    ).status_code == 404


def test_sensor_readings_per_sensor_with_kind_and_label(world, as_role):
    answer = as_role("owner_a").get(
        f"/api/v1/stations/A001/sensors/readings?{period(world)}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert [(s["name"], s["kind"], [p["value"] for p in s["points"]]) for s in answer.json()] == [
        ("Module", "module_temp", [41.5]), ("POA", "poa_irradiance", [812.0]),
    ]  # fmt: skip
    assert answer.json()[1]["kind_label"] == "Plane-of-array irradiance (W/m²)"
    path = f"/api/v1/stations/A001/sensors/readings?{period(world, 24 * 8)}"
    too_long = as_role("owner_a").get(path)
    assert too_long.status_code == 400 and "until" in too_long.json()["fields"]


def test_grid_outages_of_a_plant_newest_first(world, as_role):
    b, now = world["station_b"], world["now"]
    Alarm.objects.create(
        event_type_id=EventType.GRID_OUTAGE, subject=f"st:{b.id}", station=b,
        raised_at=now - timedelta(days=3), cleared_at=now - timedelta(days=3) + timedelta(hours=2),
    )  # fmt: skip
    outages = as_role("owner_b").get("/api/v1/stations/B001/grid-outages").json()
    assert [o["alarm"] for o in outages] == [world["alarm_b"].id, outages[1]["alarm"]]
    assert outages[0]["ended_at"] is None and outages[1]["ended_at"] is not None
    recent = as_role("owner_b").get(f"/api/v1/stations/B001/grid-outages?{period(world)}").json()
    assert [o["alarm"] for o in recent] == [world["alarm_b"].id]
    assert as_role("owner_a").get("/api/v1/stations/B001/grid-outages").status_code == 404


def test_lifetime_counter_at_each_days_end_per_inverter(world, as_role):
    answer = as_role("owner_a").get(
        "/api/v1/stations/A001/generation/counters?from=2026-06-01&to=2026-06-02"
    )
    assert answer.status_code == 200
    stored = dict(
        DailyGeneration.objects.filter(station_id=world["station_a"].id, date=DAY)
        .values_list("inverter_id", "total_kwh_end")
    )  # fmt: skip
    one, two = world["station_a"].inverters.order_by("number")
    assert answer.json() == [
        {"inverter": 1, "days": [{"date": "2026-06-01", "total_kwh": stored[one.id]}]},
        {"inverter": 2, "days": [{"date": "2026-06-01", "total_kwh": stored[two.id]}]},
    ]
    assert stored[one.id] is not None
