"""Two collectors polling a live server at once never get the same command."""

from __future__ import annotations

import threading

import httpx
import pytest

from field.commands import command_queue
from monitoring.models import Collector, Command
from tests.conftest import make_station

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)

KINDS = [
    ("reset_inverter", 1), ("reset_inverter", 2), ("set_power_limit", 1), ("read_now", 1),
    ("read_now", 2), ("read_now", None), ("restart_collector", None),
]  # fmt: skip


def test_concurrent_polls_share_out_the_commands_without_overlap(server, fleet):
    first, second = Collector.objects.create(name="one"), Collector.objects.create(name="two")
    stations = [make_station(f"L{n:03d}") for n in range(6)]
    for collector in (first, second):
        collector.stations.add(*stations)
    for station in stations:
        for kind, number in KINDS:
            params = {"percent": 50} if kind == "set_power_limit" else None
            command_queue(user=fleet["operator"], station=station, kind=kind,
                          inverter_number=number, params=params)  # fmt: skip
    tokens = [first.issue_token(), second.issue_token()]
    got: dict[int, list[int]] = {0: [], 1: []}
    start = threading.Barrier(2)

    def poll(index: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[index]}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            start.wait()
            for _ in range(4):
                answer = client.get("/api/v1/collectors/commands")
                assert answer.status_code == 200
                got[index] += [c["id"] for c in answer.json()["commands"]]

    threads = [threading.Thread(target=poll, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    handed = got[0] + got[1]
    assert len(handed) == len(set(handed)) == len(stations) * len(KINDS)
    assert set(Command.objects.values_list("state", "attempts")) == {("sent", 1)}
    by_collector = dict(Command.objects.values_list("id", "collector__name"))
    assert all(by_collector[i] == "one" for i in got[0])
    assert all(by_collector[i] == "two" for i in got[1])
