"""The simulator against a real server over HTTP, with the server stopped and started mid-run."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.simulation import (
    PlantModel,
    Simulator,
    VirtualCollector,
    fault_from_spec,
    plant_specs,
)
from field.collector_client import CollectorClient
from monitoring.models import Collector, InverterStatus
from telemetry import store
from telemetry.models import GridReport, InverterReading

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


@pytest.fixture
def token(fleet):
    return fleet["collector_a"].issue_token()


def test_a_server_outage_loses_no_reading(server, fleet, token):
    start = (timezone.now() - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    client = CollectorClient(url=server.url, token=token, backoff_base=0, batch_size=50)
    collector = VirtualCollector("collector-a", [PlantModel(s) for s in plant_specs(["A001"], 0)],
                                 client)  # fmt: skip
    collector.plants[0].start_counters(start, {})
    resend = fault_from_spec({"kind": "duplicate_resend", "start": "+20m"}, origin=start)
    simulator = Simulator([collector], [resend])
    steps = [start + timedelta(minutes=5 * i) for i in range(36)]
    for i, moment in enumerate(steps):
        if i == 12:
            server.stop()
        if i == 24:
            server.start()
        simulator.step(moment)
        simulator.send(moment)
        if 12 <= i < 24:
            assert client.pending > 0  # kept while the server is down
    assert simulator.send(steps[-1], force=True)

    assert client.pending == 0 and client.stats.failures >= 12
    assert client.stats.duplicate == 2 + 1  # the re-sent step: 2 inverters and a grid report
    assert simulator.generated == 72
    stored = {(r.inverter_id, r.ts) for r in InverterReading.objects.all()}
    ids = sorted(fleet["station_a"].inverters.values_list("pk", flat=True))
    assert stored == {(i, t) for i in ids for t in steps}
    assert GridReport.objects.count() == 36
    assert InverterStatus.objects.filter(last_ts=steps[-1]).count() == 2
    collector_row = Collector.objects.get(pk=fleet["collector_a"].pk)
    assert collector_row.software_version == "" and collector_row.last_seen is not None


def test_a_late_burst_arrives_after_the_reconnect(server, fleet, token):
    start = (timezone.now() - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    client = CollectorClient(url=server.url, token=token, backoff_base=0)
    collector = VirtualCollector("collector-a", [PlantModel(s) for s in plant_specs(["A001"], 0)],
                                 client)  # fmt: skip
    burst = fault_from_spec({"kind": "late_burst", "start": "+10m", "duration": "30m"},
                            origin=start)  # fmt: skip
    simulator = Simulator([collector], [burst])
    for i in range(12):
        moment = start + timedelta(minutes=5 * i)
        simulator.step(moment)
        simulator.send(moment)
        if i == 7:  # 35 minutes in: offline since 10 minutes
            assert client.pending == 6 * 3 and store.inverter_reading_count() == 4
    assert client.pending == 0
    assert store.inverter_reading_count() == 24


def test_the_command_backfills_then_runs_live_over_http(server, fleet, token, tmp_path):
    collectors_file = tmp_path / "demo-collectors.json"
    collectors_file.write_text(json.dumps(
        [{"name": "collector-a", "token": token, "stations": ["A001"]}]
    ))  # fmt: skip
    start = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    args = ["simulate", "--collectors-file", str(collectors_file), "--url", server.url,
            "--backfill-days", "0.5", "--backfill-interval", "600",
            "--start", start.isoformat(), "--speed", "100000", "--interval", "300",
            "--duration", "30m"]  # fmt: skip
    call_command(*args, stdout=open(os.devnull, "w"))
    count = store.inverter_reading_count()
    live = InverterReading.objects.filter(ts__gt=start).count()
    assert live == 2 * 6

    # Repeating the backfill fills only the gap since the newest stored reading.
    newest = InverterReading.objects.latest("ts").ts
    call_command("simulate", "--collectors-file", str(collectors_file), "--backfill-days", "0.5",
                 "--backfill-interval", "600", "--backfill-only", stdout=open(os.devnull, "w"))
    added = InverterReading.objects.filter(ts__gt=newest)
    assert store.inverter_reading_count() == count + added.count()
    assert 2 <= added.count() <= 2 * 5  # about 35 minutes of gap, every 10 minutes


def test_a_refused_token_keeps_the_readings_until_the_token_is_fixed(server, fleet, token):
    moment = (timezone.now() - timedelta(minutes=10)).replace(second=0, microsecond=0)
    wrong = CollectorClient(url=server.url, token="not-the-token", backoff_base=0)
    wrong.add("readings", [{"station": "A001", "inverter": 1, "ts": moment.isoformat(),
                            "ac_kw": 5.0}])  # fmt: skip
    assert wrong.flush() is False
    assert wrong.pending == 1 and wrong.stats.failures == 1
    fixed = CollectorClient(url=server.url, token=token, buffer=wrong.buffer, backoff_base=0)
    assert fixed.flush() is True
    assert (fixed.stats.accepted, fixed.pending) == (1, 0)


def test_the_same_batch_posted_concurrently_is_stored_once(server, fleet, token):
    import threading

    start = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    items = [{"station": "A001", "inverter": n, "ts": (start + timedelta(minutes=m)).isoformat(),
              "ac_kw": 3.0 + m} for m in range(50) for n in (1, 2)]  # fmt: skip
    answers = []

    def post():
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            answers.append(client.post(server.url + "/api/v1/ingest", json={"readings": items}))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sum(a.json()["accepted"] + a.json()["duplicate"] for a in answers) == 3 * 100
    assert store.inverter_reading_count() == 100
    assert InverterStatus.objects.filter(last_ts=start + timedelta(minutes=49)).count() == 2
