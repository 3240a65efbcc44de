"""The Modbus collector agent end to end: SunSpec devices on a pymodbus server, a live solarsite
(gunicorn) receiving the readings, and remote commands from the API to the device's registers."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import translation
from pymodbus.client import ModbusTcpClient

from events.models import EventLog, EventType
from field.collector_client import CollectorClient
from field.commands import command_queue, commands_hand_out
from field.modbus_agent import ModbusAgent
from field.modbus_config import ConfigError, collector_config_load
from monitoring.models import Collector, Command, InverterStatus
from telemetry.models import InverterReading
from tests.field.modbus_server import (
    VENDOR,
    ModbusTestServer,
    closed_port,
    common_block,
    controls_block,
    float_inverter_block,
    integer_inverter_block,
    register_map,
)

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


@pytest.fixture
def devices():
    units = {
        1: (40000, register_map(common_block(maker="A", model="M", serial="S1"),
                                integer_inverter_block(103, W=1500, W_SF=1, WH=2000000, WH_SF=0,
                                                       St=4),
                                controls_block())),
        2: (50000, register_map(common_block(length=66, maker="B", model="N", serial="S2"),
                                float_inverter_block(111, W=3000.0, WH=5000000.0, St=4))),
    }  # fmt: skip
    with ModbusTestServer(units) as running:
        yield running


def write_config(tmp_path, *, url: str, token: str, port: int) -> str:
    path = tmp_path / "agent.toml"
    path.write_text(
        f'server_url = "{url}"\ntoken = "{token}"\ninterval_seconds = 5\n'
        f"timeout_seconds = 1\n"
        f"[commands.reset_inverter]\nregister = {VENDOR}\nvalue = [1, 0]\n"
        f'[[devices]]\nhost = "127.0.0.1"\nport = {port}\nunit_id = 1\nstation = "A001"\n'
        f"inverter = 1\n"
        f'[[devices]]\nhost = "127.0.0.1"\nport = {port}\nunit_id = 2\nstation = "A001"\n'
        f"inverter = 2\n"
    )
    return str(path)


def registers(port: int, unit_id: int, address: int, count: int) -> list[int]:
    client = ModbusTcpClient("127.0.0.1", port=port)
    client.connect()
    try:
        return client.read_holding_registers(address, count=count, device_id=unit_id).registers
    finally:
        client.close()


def test_readings_reach_the_server_and_a_queued_reset_reaches_the_register(
    server, devices, fleet, client, tmp_path, capsys
):
    token = fleet["collector_a"].issue_token()
    client.force_login(fleet["operator"])
    reset = client.post("/api/v1/stations/A001/commands", {"kind": "reset_inverter",
                        "inverter": 1}, content_type="application/json")  # fmt: skip
    limit = client.post("/api/v1/stations/A001/commands", {"kind": "set_power_limit",
                        "inverter": 2, "params": {"percent": 50}},
                        content_type="application/json")  # fmt: skip
    assert reset.status_code == limit.status_code == 201
    assert registers(devices.port, 1, VENDOR, 2) == [0, 0]
    path = write_config(tmp_path, url=server.url, token=token, port=devices.port)

    with translation.override("en"):
        call_command("collect_modbus", config=path, once=True)

    out = capsys.readouterr()
    assert "2 readings" in out.out and "1 of 2 commands done" in out.out
    assert registers(devices.port, 1, VENDOR, 2) == [1, 0]
    done = Command.objects.get(pk=reset.json()["id"])
    assert (done.state, done.collector_id) == ("succeeded", fleet["collector_a"].pk)
    assert "reset sent" in done.result
    failed = Command.objects.get(pk=limit.json()["id"])
    assert failed.state == "failed" and "123" in failed.result  # unit 2 has no controls model
    assert EventLog.objects.filter(event_type_id=EventType.COMMAND_COMPLETED).count() == 1
    stored = {(r.inverter_id, r.ac_kw, r.total_kwh) for r in InverterReading.objects.all()}
    inverters = {i.number: i.pk for i in fleet["station_a"].inverters.all()}
    assert stored == {(inverters[1], 15.0, 2000.0), (inverters[2], 3.0, 5000.0)}
    assert InverterStatus.objects.filter(state="running").count() == 2
    collector = Collector.objects.get(pk=fleet["collector_a"].pk)
    assert collector.software_version == "solarsite-modbus/1" and collector.last_seen


def test_a_read_now_command_sends_a_fresh_reading(server, devices, fleet, tmp_path):
    token = fleet["collector_a"].issue_token()
    path = write_config(tmp_path, url=server.url, token=token, port=devices.port)
    agent = ModbusAgent(collector_config_load(path), config_path=path)
    command = command_queue(user=fleet["operator"], station=fleet["station_a"], kind="read_now",
                            inverter_number=2)  # fmt: skip
    restart = command_queue(user=fleet["operator"], station=fleet["station_a"],
                            kind="restart_collector")  # fmt: skip
    try:
        with translation.override("en"):
            report = agent.cycle()
    finally:
        agent.close()

    assert report.commands == [
        (command.pk, True, "Read 1 inverter(s) now."),
        (restart.pk, True, "Restarted with 2 device(s)."),
    ]
    assert Command.objects.filter(state="succeeded").count() == 2
    assert report.pending == 0
    # Two polled and one read now, all answered by the server (the read-now reading may share
    # its second with the polled one, and is then stored once).
    stats = agent.client.stats
    assert stats.sent == 3 and stats.accepted + stats.duplicate + stats.updated == 3
    assert InverterReading.objects.filter(inverter_id__in=[
        i.pk for i in fleet["station_a"].inverters.all()]).count() >= 2


def test_a_result_reached_while_the_server_is_away_is_reported_later(server, fleet):
    token = fleet["collector_a"].issue_token()
    command = command_queue(user=fleet["operator"], station=fleet["station_a"],
                            kind="restart_collector")  # fmt: skip
    commands_hand_out(collector=fleet["collector_a"])
    away = CollectorClient(url=f"http://127.0.0.1:{closed_port()}", token=token)

    assert away.command_report(command.pk, succeeded=True, message="restarted") is False
    assert away.buffer.results() == [(command.pk, True, "restarted")]
    back = CollectorClient(url=server.url, token=token, buffer=away.buffer)
    assert back.results_flush() is True
    assert back.buffer.results() == []
    command.refresh_from_db()
    assert (command.state, command.result) == ("succeeded", "restarted")
    # Told twice (the answer to the first post got lost, say): still one outcome.
    assert back.command_report(command.pk, succeeded=True, message="restarted") is True
    assert command.history.filter(state="succeeded").count() == 1


def test_the_agent_config_takes_a_buffer_file(tmp_path):
    path = tmp_path / "c.json"
    device = {"host": "h", "station": "A", "inverter": 1}
    path.write_text(
        json.dumps({"server_url": "http://x", "token": "t", "buffer_file": 5, "devices": [device]})
    )
    with pytest.raises(ConfigError, match="buffer_file"):
        collector_config_load(path)
