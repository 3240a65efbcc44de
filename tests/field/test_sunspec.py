"""SunSpec discovery and decoding against a real pymodbus server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pymodbus.client import ModbusTcpClient

from field import sunspec
from tests.field.modbus_server import (
    ModbusTestServer,
    SilentDevice,
    closed_port,
    common_block,
    controls_block,
    float_inverter_block,
    integer_inverter_block,
    register_map,
)

NOW = datetime(2026, 11, 26, 3, 0, 0, tzinfo=UTC)

THREE_PHASE = integer_inverter_block(
    103,
    A=558, AphA=186, AphB=187, AphC=185, A_SF=-1,
    PPVphAB=3801, PPVphBC=3802, PPVphCA=3799, PhVphA=2195, PhVphB=2196, PhVphC=2194, V_SF=-1,
    W=12345, W_SF=0, Hz=6001, Hz_SF=-2, PF=99, PF_SF=0,
    WH=123456700, WH_SF=0, DCA=215, DCA_SF=-1, DCV=6001, DCV_SF=-1, DCW=129, DCW_SF=2,
    TmpCab=412, Tmp_SF=-1, St=4, Evt1=0x41,
)  # fmt: skip

SINGLE_PHASE = integer_inverter_block(
    101,
    AphA=230, A_SF=-1, PhVphA=2201, V_SF=-1, W=5, W_SF=3, Hz=600, Hz_SF=-1, PF=-95, PF_SF=0,
    WH=5000, WH_SF=1, DCV=400, DCV_SF=0, TmpSnk=385, Tmp_SF=-1, St=2, Evt1=0,
)  # fmt: skip

FLOAT_THREE_PHASE = float_inverter_block(
    113,
    AphA=18.5, AphB=18.6, AphC=18.4, PPVphAB=381.0, PPVphBC=380.5, PPVphCA=379.5,
    W=24500.0, Hz=59.98, PF=98.0, WH=9876543.0, DCA=40.25, DCV=612.5, DCW=25100.0,
    TmpCab=45.5, St=4, Evt1=0,
)  # fmt: skip


def units() -> dict[int, tuple[int, list[int]]]:
    return {
        1: (40000, register_map(common_block(maker="Hanwha", model="HSI-50K", serial="SN-1"),
                                THREE_PHASE, controls_block(scale_factor=-1))),
        2: (50000, register_map(common_block(length=66, maker="Dasstech", model="DSP-5K",
                                             serial="SN-2"), SINGLE_PHASE)),
        3: (0, register_map(common_block(length=66, maker="SMA", model="STP 25000",
                                         serial="SN-3"), FLOAT_THREE_PHASE, end=False)),
        4: (1000, [1, 2, 3, 4]),  # answers, but no SunSpec anywhere
        5: (40000, register_map(common_block(maker="X", model="meter", serial="M"))),
    }  # fmt: skip


@pytest.fixture(scope="module")
def server():
    with ModbusTestServer(units()) as running:
        yield running


@pytest.fixture
def client(server):
    client = ModbusTcpClient("127.0.0.1", port=server.port, timeout=2, retries=0)
    client.connect()
    yield client
    client.close()


def test_discovery_finds_the_marker_the_chain_and_the_common_block(client):
    device = sunspec.sunspec_discover(client, unit_id=1)

    assert device.base == 40000
    assert [block.id for block in device.models] == [1, 103, 123]
    assert (device.maker, device.model, device.serial) == ("Hanwha", "HSI-50K", "SN-1")
    assert device.inverter_block.address == 40000 + 2 + 2 + 65 + 2


def test_a_66_register_common_block_shifts_the_inverter_model(client):
    device = sunspec.sunspec_discover(client, unit_id=2)

    assert device.base == 50000
    assert (device.maker, device.model, device.serial) == ("Dasstech", "DSP-5K", "SN-2")
    assert device.inverter_block.id == 101
    assert device.inverter_block.address == 50000 + 2 + 2 + 66 + 2


def test_three_phase_integer_model_with_scale_factors(client):
    reading = sunspec.inverter_read(client, unit_id=1, now=NOW)

    assert reading == {
        "ts": "2026-11-26T03:00:00+00:00",
        "ac_kw": 12.345,
        "dc_kw": 12.9,
        "dc_v": 600.1,
        "dc_a": 21.5,
        "ac_v": [380.1, 380.2, 379.9],
        "ac_a": [18.6, 18.7, 18.5],
        "freq_hz": 60.01,
        "pf": 0.99,
        "temp_c": 41.2,
        "total_kwh": 123456.7,
        "state": 4,
        "fault_bits": 0x41,
    }


def test_single_phase_leaves_out_what_the_inverter_does_not_implement(client):
    reading = sunspec.inverter_read(client, unit_id=2, now=NOW)

    assert reading == {
        "ts": "2026-11-26T03:00:00+00:00",
        "ac_kw": 5.0,
        "dc_v": 400.0,
        "ac_v": [220.1],
        "ac_a": [23.0],
        "freq_hz": 60.0,
        "pf": -0.95,
        "temp_c": 38.5,  # no cabinet temperature: the heat sink's
        "total_kwh": 50.0,
        "state": 2,
        "fault_bits": 0,
    }
    assert "dc_kw" not in reading and "dc_a" not in reading and "day_kwh" not in reading


def test_float_model_at_base_0_without_an_end_marker(client):
    device = sunspec.sunspec_discover(client, unit_id=3)
    reading = sunspec.inverter_read(client, unit_id=3, device=device, now=NOW)

    assert device.base == 0 and device.serial == "SN-3"
    assert reading == {
        "ts": "2026-11-26T03:00:00+00:00",
        "ac_kw": 24.5,
        "dc_kw": 25.1,
        "dc_v": 612.5,
        "dc_a": 40.25,
        "ac_v": [381.0, 380.5, 379.5],
        "ac_a": [18.5, 18.6, 18.4],
        "freq_hz": 59.98,
        "pf": 0.98,
        "temp_c": 45.5,
        "total_kwh": 9876.543,
        "state": 4,
        "fault_bits": 0,
    }


def test_a_device_without_the_marker_is_not_sunspec(client):
    with pytest.raises(sunspec.NotSunSpec, match="SunS"):
        sunspec.sunspec_discover(client, unit_id=4)


def test_a_sunspec_device_without_an_inverter_model_is_refused_with_what_it_has(client):
    with pytest.raises(sunspec.NotSunSpec, match="1"):
        sunspec.inverter_read(client, unit_id=5)


def test_a_device_that_never_answers_is_unreachable():
    with SilentDevice() as silent:
        client = ModbusTcpClient("127.0.0.1", port=silent.port, timeout=0.3, retries=0)
        client.connect()
        with pytest.raises(sunspec.DeviceUnreachable):
            sunspec.sunspec_discover(client, unit_id=1)
        client.close()


def test_nothing_listening_is_unreachable():
    client = ModbusTcpClient("127.0.0.1", port=closed_port(), timeout=0.3, retries=0)
    with pytest.raises(sunspec.DeviceUnreachable):
        sunspec.inverter_read(client, unit_id=1)


def test_power_limit_writes_model_123_with_its_scale_factor(client):
    device = sunspec.sunspec_discover(client, unit_id=1)
    controls = device.block(123)

    sunspec.power_limit_set(client, unit_id=1, percent=80.5, device=device)

    registers = client.read_holding_registers(controls.address, count=8, device_id=1).registers
    assert registers[3] == 805  # WMaxLimPct with WMaxLimPct_SF = -1
    assert registers[7] == 1  # WMaxLim_Ena: enabled


def test_power_limit_without_model_123_fails_with_the_reason(client):
    with pytest.raises(sunspec.CommandFailed, match="123"):
        sunspec.power_limit_set(client, unit_id=2, percent=50)


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_power_limit_out_of_range_is_refused_before_writing(client, percent):
    limit = sunspec.sunspec_discover(client, unit_id=1).block(123).address + 3
    before = client.read_holding_registers(limit, count=1, device_id=1).registers
    with pytest.raises(sunspec.CommandFailed):
        sunspec.power_limit_set(client, unit_id=1, percent=percent)
    assert client.read_holding_registers(limit, count=1, device_id=1).registers == before
