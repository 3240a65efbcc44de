"""The Modbus collector's config file, polling with per-device backoff, and register commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from pymodbus.client import ModbusTcpClient

from field import sunspec
from field.modbus_config import ConfigError, collector_config_load
from field.modbus_poller import ModbusPoller
from tests.field.modbus_server import (
    VENDOR,
    ModbusTestServer,
    SilentDevice,
    common_block,
    controls_block,
    float_inverter_block,
    integer_inverter_block,
    register_map,
)

NOW = datetime(2026, 11, 26, 3, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def server():
    units = {
        1: (40000, register_map(common_block(maker="A", model="M", serial="S1"),
                                integer_inverter_block(103, W=1500, W_SF=1, St=4),
                                controls_block())),
        2: (40000, register_map(common_block(length=66, maker="B", model="N", serial="S2"),
                                float_inverter_block(111, W=3000.0, St=4))),
    }  # fmt: skip
    with ModbusTestServer(units) as running:
        yield running


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write_config(tmp_path, devices, **settings) -> str:
    lines = ['server_url = "http://127.0.0.1:8000"', 'token = "t0ken"',
             "interval_seconds = 10", "timeout_seconds = 0.3"]  # fmt: skip
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    lines += ["[commands.reset_inverter]", f"register = {VENDOR}", "value = [1, 0]"]
    for device in devices:
        lines.append("[[devices]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in device.items()]
    path = tmp_path / "collector.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def device(port, unit_id, number, **extra):
    return dict(host="127.0.0.1", port=port, unit_id=unit_id, station="A001", inverter=number,
                **extra)  # fmt: skip


def test_poll_reads_every_device_and_adds_station_and_inverter(server, tmp_path):
    config = collector_config_load(
        write_config(tmp_path, [device(server.port, 1, 1), device(server.port, 2, 2)])
    )
    poller = ModbusPoller(config)

    result = poller.poll(now=NOW)
    poller.close()

    assert result.failures == []
    assert [(r["station"], r["inverter"], r["ac_kw"]) for r in result.readings] == [
        ("A001", 1, 15.0),
        ("A001", 2, 3.0),
    ]


def test_a_silent_device_backs_off_without_stopping_the_others(server, tmp_path):
    clock = Clock()
    with SilentDevice() as silent:
        config = collector_config_load(
            write_config(tmp_path, [device(silent.port, 1, 1), device(server.port, 2, 2)])
        )
        poller = ModbusPoller(config, clock=clock)

        first = poller.poll(now=NOW)
        clock.now += 10
        second = poller.poll(now=NOW)
        clock.now += 10
        third = poller.poll(now=NOW)
        poller.close()

    assert [r["inverter"] for r in first.readings] == [2]
    assert [f.device.inverter for f in first.failures] == [1]
    assert "127.0.0.1" in first.failures[0].error
    assert first.failures[0].retry_in_seconds == 10
    assert second.failures[0].retry_in_seconds == 20  # doubled
    assert [d.inverter for d in third.waiting] == [1]  # still waiting out its backoff
    assert [r["inverter"] for r in third.readings] == [2]


def test_reset_writes_the_configured_registers(server, tmp_path):
    config = collector_config_load(write_config(tmp_path, [device(server.port, 1, 1)]))
    poller = ModbusPoller(config)

    message = poller.command_execute(station="A001", inverter=1, kind="reset_inverter", params={})
    poller.close()

    client = ModbusTcpClient("127.0.0.1", port=server.port)
    client.connect()
    assert client.read_holding_registers(VENDOR, count=2, device_id=1).registers == [1, 0]
    client.close()
    assert "A001-1" in message


def test_power_limit_goes_to_model_123_by_default(server, tmp_path):
    config = collector_config_load(write_config(tmp_path, [device(server.port, 1, 1)]))
    poller = ModbusPoller(config)

    poller.command_execute(
        station="A001", inverter=1, kind="set_power_limit", params={"percent": 60}
    )
    controls = poller.states[0].sunspec.block(123)
    poller.close()

    client = ModbusTcpClient("127.0.0.1", port=server.port)
    client.connect()
    assert client.read_holding_registers(controls.address + 3, count=1, device_id=1).registers == [
        60
    ]
    client.close()


@pytest.mark.parametrize(
    ("kind", "params", "reason"),
    [
        ("set_power_limit", {}, "percent"),
        ("set_power_limit", {"percent": 60}, "123"),  # unit 2 has no controls model
        ("restart_collector", {}, "not mapped"),
    ],
)
def test_commands_that_cannot_run_say_why(server, tmp_path, kind, params, reason):
    config = collector_config_load(write_config(tmp_path, [device(server.port, 2, 1)]))
    poller = ModbusPoller(config)
    with pytest.raises(sunspec.CommandFailed, match=reason):
        poller.command_execute(station="A001", inverter=1, kind=kind, params=params)
    poller.close()


def test_command_for_an_inverter_not_in_the_config(server, tmp_path):
    poller = ModbusPoller(collector_config_load(write_config(tmp_path, [device(1502, 1, 1)])))
    with pytest.raises(sunspec.CommandFailed, match="A001-9"):
        poller.command_execute(station="A001", inverter=9, kind="reset_inverter", params={})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("server_url = 'ftp://x'\ntoken='t'\n[[devices]]\nhost='h'\nstation='A'\ninverter=1",
         "server_url: must start with http"),
        ("server_url = 'http://x'\n[[devices]]\nhost='h'\nstation='A'\ninverter=1", "token"),
        ("server_url = 'http://x'\ntoken_env='SS_NO_SUCH_VARIABLE'\n[[devices]]\nhost='h'\n"
         "station='A'\ninverter=1", "SS_NO_SUCH_VARIABLE is not set"),
        ("server_url = 'http://x'\ntoken='t'", "devices: required"),
        ("server_url = 'http://x'\ntoken='t'\n[[devices]]\nhost='h'\nport=70000\nstation='A'\n"
         "inverter=1", "devices[0].port: must be a whole number from 1 to 65535"),
        ("server_url = 'http://x'\ntoken='t'\n[[devices]]\nhost='h'\nstation='A'\ninverter=1\n"
         "[[devices]]\nhost='h'\nunit_id=2\nstation='A'\ninverter=1",
         "devices[1]: inverter A-1 is already polled by devices[0]"),
        ("server_url = 'http://x'\ntoken='t'\ninterval='fast'\n[[devices]]\nhost='h'\n"
         "station='A'\ninverter=1", "interval: unknown setting"),
        ("server_url = 'http://x'\ntoken='t'\n[commands.reset_inverter]\nsunspec=true\n"
         "[[devices]]\nhost='h'\nstation='A'\ninverter=1", "only for set_power_limit"),
        ("server_url = 'http://x'\ntoken='t'\n[commands.reboot]\ncoil=1\n"
         "[[devices]]\nhost='h'\nstation='A'\ninverter=1", "commands.reboot: unknown command"),
        ("server_url = 'http://x'\ntoken='t'\n[[devices]]\nhost='h'\nstation='A'\ninverter=1\n"
         "[devices.commands.reset_inverter]\nregister=5\nvalue=[70000]",
         "devices[0].commands.reset_inverter.value"),
        ("server_url = 'http://x\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_config_errors_name_the_field(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        collector_config_load(path)
    assert problem in str(caught.value)


def test_config_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"server_url": "x", "devices": [{"port": "502"}]}))
    with pytest.raises(ConfigError) as caught:
        collector_config_load(path)
    assert len(caught.value.problems) >= 5  # url, token, host, port, station, inverter


def test_token_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SS_TEST_COLLECTOR_TOKEN", "from-env")
    path = tmp_path / "c.json"
    path.write_text(json.dumps({
        "server_url": "https://solar.example.com/", "token_env": "SS_TEST_COLLECTOR_TOKEN",
        "devices": [{"host": "h", "station": "A", "inverter": 1}]}))  # fmt: skip
    config = collector_config_load(path)
    assert (config.token, config.server_url) == ("from-env", "https://solar.example.com")
    assert config.devices[0].port == 502 and config.devices[0].unit_id == 1


def test_collect_modbus_once_print_shows_the_batch_and_reports_dead_devices(
    server, tmp_path, capsys
):
    with SilentDevice() as silent:
        path = write_config(tmp_path, [device(server.port, 1, 1), device(silent.port, 1, 2)])
        with pytest.raises(CommandError, match="1 of 2"):
            call_command("collect_modbus", config=path, once=True, print=True)
    out, err = capsys.readouterr()
    batch = json.loads(out)
    assert [(r["station"], r["inverter"], r["ac_kw"]) for r in batch["readings"]] == [
        ("A001", 1, 15.0)
    ]
    assert "A001-2" in err


def test_collect_modbus_with_a_bad_config_exits_with_the_problems(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("server_url = 'x'\n")
    with pytest.raises(CommandError, match="server_url"):
        call_command("collect_modbus", config=str(path), once=True, print=True)


def test_devices_behind_one_gateway_share_one_connection(server, tmp_path):
    opened = []

    def client_factory(host, **options):
        opened.append((host, options["port"]))
        return ModbusTcpClient(host, **options)

    config = collector_config_load(
        write_config(tmp_path, [device(server.port, 1, 1), device(server.port, 2, 2)])
    )
    poller = ModbusPoller(config, client_factory=client_factory)
    first = poller.poll(now=NOW)
    second = poller.poll(now=NOW)
    poller.close()

    assert len(first.readings) == len(second.readings) == 2
    assert opened == [("127.0.0.1", server.port)]


def test_collect_modbus_discover_shows_what_each_device_is(server, tmp_path, capsys):
    path = write_config(tmp_path, [device(server.port, 2, 1)])
    call_command("collect_modbus", config=path, once=True, print=True, discover=True)
    err = capsys.readouterr().err
    assert "B N serial S2" in err and "111@" in err


def test_read_now_asks_a_device_even_while_it_backs_off(server, tmp_path):
    clock = Clock()
    config = collector_config_load(write_config(tmp_path, [device(server.port, 1, 1)]))
    poller = ModbusPoller(config, clock=clock)
    poller.states[0].next_try = clock.now + 600  # as if it had failed

    reading = poller.read_now(station="A001", inverter=1, now=NOW)
    after = poller.poll(now=NOW)
    poller.close()

    assert (reading["station"], reading["inverter"], reading["ac_kw"]) == ("A001", 1, 15.0)
    assert len(after.readings) == 1  # a good answer ends the backoff


def test_read_now_of_a_silent_device_fails_with_the_reason(tmp_path):
    with SilentDevice() as silent:
        config = collector_config_load(write_config(tmp_path, [device(silent.port, 1, 1)]))
        poller = ModbusPoller(config)
        with pytest.raises(sunspec.CommandFailed, match="A001-1"):
            poller.read_now(station="A001", inverter=1)
        poller.close()
