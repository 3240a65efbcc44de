"""A small world for the API tests: plants A and B with a day of readings and its rollups,
a combiner box and two sensors on A, alarms and events on both, a setting, a subscription,
and a token for each role."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tokens import api_login
from events.models import Alarm, EventLog, EventType, Subscription
from generation import kpis, rollups
from monitoring.models import (
    CombinerBox,
    InverterState,
    InverterStatus,
    KeyValue,
    Sensor,
)
from telemetry.models import CombinerReading, SensorReading
from tests.conftest import PASSWORD
from tests.generation.conftest import minutes, put_readings

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 6, 1)
ROLES = ["anonymous", "owner_a", "owner_b", "operator", "admin"]


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Throttle counters live in the cache; each test starts with none, at generous rates."""
    settings.API_THROTTLE_RATES = {"anon": "10000/min", "user": "10000/min", "login": "10000/min"}
    cache.clear()
    yield
    cache.clear()


def token_for(user) -> str:
    result = api_login(username=user.username, password=PASSWORD, device="test", address=None)
    assert result.outcome.ok, result.outcome.message
    return result.key


def client_as(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def world(fleet):
    a, b = fleet["station_a"], fleet["station_b"]
    one, two = a.inverters.order_by("number")
    start = datetime(2026, 6, 1, 10, tzinfo=SEOUL)
    put_readings(one, [(t, 100 + i * 0.5, 30.0 + i % 3) for i, t in enumerate(minutes(start, 120))])
    put_readings(two, [(t, 200 + i * 0.25, 15.0) for i, t in enumerate(minutes(start, 120))])
    meters = rollups.meters_for(station_ids=[a.id])
    rollups.days_recompute(meters=meters, day_of={i: DAY for i in meters})
    kpis.station_days_recompute(station_days=[(a.id, DAY)])

    now = timezone.now()
    InverterStatus.objects.create(
        inverter=one, station=a, last_ts=now - timedelta(minutes=1), ac_kw=21.5, dc_kw=22.4,
        day_kwh=40.0, total_kwh=160.0, state=InverterState.RUNNING,
    )  # fmt: skip
    alarm_a = Alarm.objects.create(
        event_type_id=EventType.COMM_ERROR, subject=f"inv:{two.id}", station=a, inverter=two,
        raised_at=now - timedelta(hours=2), open_key=f"202:inv:{two.id}",
    )  # fmt: skip
    alarm_b = Alarm.objects.create(
        event_type_id=EventType.GRID_OUTAGE, subject=f"st:{b.id}", station=b,
        raised_at=now - timedelta(hours=1), open_key=f"201:st:{b.id}",
    )  # fmt: skip
    for alarm in (alarm_a, alarm_b):
        EventLog.objects.create(
            event_type_id=alarm.event_type_id, kind="raised", at=alarm.raised_at,
            station=alarm.station, inverter=alarm.inverter, alarm=alarm, subject=alarm.subject,
        )  # fmt: skip
    # Plant A's combiner box 1 and two sensors, with an hour-old reading each.
    box = CombinerBox.objects.create(station=a, number=1, channels=3)
    CombinerReading.objects.create(box_id=box.id, station_id=a.id, ts=now - timedelta(hours=1),
                                   voltage=612.5, currents=[8.1, None, 7.9])  # fmt: skip
    for kind, name, value in (("poa_irradiance", "POA", 812.0), ("module_temp", "Module", 41.5)):
        sensor = Sensor.objects.create(station=a, kind=kind, name=name)
        SensorReading.objects.create(sensor_id=sensor.id, station_id=a.id,
                                     ts=now - timedelta(hours=1), value=value)  # fmt: skip
    KeyValue.objects.create(key="notice", value={"text": "Maintenance on Sunday"})
    EventType.objects.create(code=999, name_ko="시험", name_en="Test", severity="info")
    subscription = Subscription.objects.create(user=fleet["owner_a"], by_sms=True)
    subscription.stations.add(a)
    tokens = {role: token_for(fleet[role]) for role in ROLES if role != "anonymous"}
    return {**fleet, "alarm_a": alarm_a, "alarm_b": alarm_b, "subscription": subscription,
            "tokens": tokens, "now": now}  # fmt: skip


@pytest.fixture
def as_role(world):
    def client(role: str) -> APIClient:
        return client_as(world["tokens"].get(role))

    return client
