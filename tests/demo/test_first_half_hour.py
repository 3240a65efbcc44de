"""The demo's first half hour, on a simulated clock: what `make demo` shows a visitor.

seed_demo loads the fleet and a year of made-up prices; the simulator's collectors send
through the same ingest, heartbeat and command functions as the HTTP API (InProcessLink), the
demo schedule injects its four faults, and detection runs every simulated minute, as the
minute job does. Late morning in Korea, so the sun is up and every fault counts.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.management.commands.simulate import read_collectors_file
from demo.prices import MADE_UP_KEY
from demo.simulation import (
    InProcessLink,
    PlantModel,
    Simulator,
    VirtualCollector,
    demo_schedule,
    plant_specs,
    stored_counters,
)
from economics.models import RecPrice, SmpPrice
from economics.selectors import stations_revenue_today_and_month
from events.detection import detect_events
from events.models import Alarm, EventLog, EventType
from field.commands import command_queue
from monitoring.models import Collector, Command, InverterStatus, KeyValue, PowerStation
from tests.conftest import make_user
from tests.economics.conftest import put_days

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")


def test_the_demos_first_half_hour(tmp_path, settings):
    settings.DEBUG = True
    settings.WEAK_STRING_MINUTES = 5  # as scripts/demo.sh sets it
    collectors_file = tmp_path / "collectors.json"
    call_command("seed_demo", stations=12, collectors_file=collectors_file, stdout=io.StringIO())

    # a year of prices, marked as made up, so revenue is not zero
    today = timezone.localdate()
    assert SmpPrice.objects.filter(date=today).count() == 2  # mainland and Jeju
    assert SmpPrice.objects.filter(date=today - timedelta(days=365)).exists()
    assert RecPrice.objects.count() >= 52
    assert KeyValue.objects.get(key=MADE_UP_KEY).value["made_up"] is True
    assert 90 < float(SmpPrice.objects.get(date=today, market="mainland").won_per_kwh) < 200

    start = datetime.combine(today - timedelta(days=1), datetime.min.time(), SEOUL).replace(
        hour=11
    )
    clock = [start]
    collectors = []
    for entry in read_collectors_file(collectors_file):
        collector = Collector.objects.get(token_hash=Collector.hash_token(entry["token"]))
        plants = [PlantModel(spec) for spec in plant_specs(entry["stations"], 0)]
        for plant in plants:
            plant.start_counters(start, stored_counters(plant.spec))
        link = InProcessLink(collector, clock=lambda: clock[0])
        collectors.append(VirtualCollector(entry["name"], plants, link))
    faults = demo_schedule(collectors, origin=start)
    assert sorted(f.kind for f in faults) == [
        "collector_silent", "grid_outage", "inverter_fault", "weak_string"
    ]  # fmt: skip
    simulator = Simulator(collectors, faults)
    faulted = next(f for f in faults if f.kind == "inverter_fault")
    station = PowerStation.objects.get(code=faulted.station)
    limited = next(
        p.spec for vc in collectors for p in vc.plants
        if p.spec.watched and p.spec.code not in {f.station for f in faults}
    )  # fmt: skip
    operator = make_user("tour-operator", "operator")

    for minute in range(31):
        now = clock[0] = start + timedelta(minutes=minute)
        if minute == 12:  # the operator resets the faulted inverter, and limits another
            reset = command_queue(
                user=operator, station=station, kind=Command.Kind.RESET_INVERTER,
                inverter_number=faulted.inverter, now=now,
            )  # fmt: skip
            limit = command_queue(
                user=operator, station=PowerStation.objects.get(code=limited.code),
                kind=Command.Kind.SET_POWER_LIMIT, inverter_number=1, params={"percent": 50},
                now=now,
            )  # fmt: skip
        simulator.step(now)
        simulator.send(now)
        simulator.commands_carry_out(now)
        detect_events(now=now)

    for kind, code in [
        ("grid_outage", EventType.GRID_OUTAGE), ("inverter_fault", EventType.INVERTER_FAULT),
        ("weak_string", EventType.WEAK_STRING), ("collector_silent", EventType.COLLECTOR_DOWN),
    ]:  # fmt: skip
        fault = next(f for f in faults if f.kind == kind)
        alarms = Alarm.objects.filter(event_type_id=code)
        assert alarms.count() == 1, (kind, list(alarms.values()))
        alarm = alarms.get()
        assert alarm.raised_at >= fault.start, kind
        assert alarm.cleared_at is not None, f"{kind} raised at {alarm.raised_at}, never cleared"
    # the reset ended the inverter fault before its 20 minutes were up
    fault_alarm = Alarm.objects.get(event_type_id=EventType.INVERTER_FAULT)
    assert fault_alarm.cleared_at <= start + timedelta(minutes=15)
    reset.refresh_from_db()
    limit.refresh_from_db()
    assert reset.state == Command.State.SUCCEEDED and limit.state == Command.State.SUCCEEDED
    completed = EventLog.objects.filter(event_type_id=EventType.COMMAND_COMPLETED)
    assert completed.count() == 2 and {e.details["command"] for e in completed} == {
        reset.pk, limit.pk
    }
    inverter = PowerStation.objects.get(code=limited.code).inverters.get(number=1)
    status = InverterStatus.objects.get(inverter=inverter)
    assert status.ac_kw <= float(inverter.capacity_kw) * 0.5 + 0.01
    # and a day's energy earns won at the demo's prices, with no "not yet published" note
    put_days(station, {today: 500.0})
    figures, notes = stations_revenue_today_and_month([station], today=today)
    assert figures[station.id].today_won > 0 and notes == []
