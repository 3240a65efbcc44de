"""End to end: the simulator injects a grid outage and sends it over HTTP to a real server; the
detection job raises the alarm and the owner's e-mail arrives; the grid returns and the clear
e-mail arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from demo.simulation import (
    PlantModel,
    Simulator,
    VirtualCollector,
    fault_from_spec,
    plant_specs,
)
from events.detection import detect_events
from events.escalation import send_notifications
from events.models import Alarm
from field.collector_client import CollectorClient

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


def test_a_simulated_grid_outage_reaches_the_owner_and_so_does_its_end(server, fleet, smtp):
    smtp.start()
    owner = fleet["owner_a"]
    owner.email = "owner-a@example.com"
    owner.save()
    start = (timezone.now() - timedelta(minutes=45)).replace(second=0, microsecond=0)
    client = CollectorClient(
        url=server.url, token=fleet["collector_a"].issue_token(), backoff_base=0
    )
    plants = [PlantModel(spec) for spec in plant_specs(["A001"], 0)]
    outage = fault_from_spec(
        {"kind": "grid_outage", "station": "A001", "start": "+10m", "duration": "15m"},
        origin=start,
    )
    simulator = Simulator([VirtualCollector("collector-a", plants, client)], [outage])

    subjects = []
    for step in range(9):  # every 5 minutes: outage from minute 10 to 25
        moment = start + timedelta(minutes=5 * step)
        simulator.step(moment)
        assert simulator.send(moment, force=True)
        detect_events(now=moment)
        send_notifications(now=moment)
        subjects = [m["Subject"] for m in smtp.inbox.to("owner-a@example.com")]
        if step == 2:  # the outage is seen once: not yet an alarm (no flapping)
            assert subjects == []

    alarm = Alarm.objects.get(event_type_id=201, station=fleet["station_a"])
    assert alarm.cleared_at is not None
    assert subjects == ["[Plant A001] 계통 정전", "[Plant A001] 계통 정전: 해제"]
