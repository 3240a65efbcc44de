"""SunSpec over Modbus TCP: discovery, the common and inverter models, and register commands.

A SunSpec device keeps its data in holding registers, starting with the marker "SunS" at one
of a few well-known addresses, followed by a chain of models: each is a model id, a length in
registers and that many data registers, until the id 0xFFFF. We read:

- model 1, the common block (maker, model, serial). Vendors disagree on its length (65, or 66
  with a pad register), so offsets are taken from the block start and the length is whatever
  the device says;
- models 101/102/103 (single, split and three phase; integers with a scale factor per group)
  or 111/112/113 (the same values as IEEE 754 floats);
- model 123 (immediate controls) for the active-power limit command.

The functions take a connected pymodbus client (sync, `ModbusTcpClient`) and raise
`DeviceUnreachable` when the device does not answer and `NotSunSpec` when it answers but does
not speak SunSpec, so a poller can tell a cable fault from a configuration error.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _
from pymodbus.exceptions import ModbusException

MARKER = (0x5375, 0x6E53)  # "SunS"
BASE_ADDRESSES = (40000, 50000, 0)
END_OF_CHAIN = 0xFFFF
MAX_REGISTERS_PER_READ = 125
MAX_MODELS = 64  # a chain longer than this is a device bug, not a SunSpec map

COMMON_MODEL = 1
INTEGER_INVERTER_MODELS = {101: 1, 102: 2, 103: 3}  # model id -> phases
FLOAT_INVERTER_MODELS = {111: 1, 112: 2, 113: 3}
CONTROLS_MODEL = 123

# "Not implemented" values per SunSpec type: a register holding one of these means "missing".
NOT_IMPLEMENTED_UINT16 = 0xFFFF
NOT_IMPLEMENTED_INT16 = 0x8000
NOT_IMPLEMENTED_ACC32 = 0
NOT_IMPLEMENTED_BITFIELD32 = 0xFFFFFFFF


class SunSpecError(Exception):
    """Base of everything this module raises."""


class DeviceUnreachable(SunSpecError):
    """No connection, or no answer within the timeout."""


class NotSunSpec(SunSpecError):
    """The device answers but has no SunSpec map, or no inverter model in it."""


class CommandFailed(SunSpecError):
    """A command could not be carried out; the message says why."""


class _Refused(Exception):
    """The device answered a read with a Modbus exception (e.g. illegal address)."""


@dataclass(frozen=True)
class ModelBlock:
    id: int
    address: int  # the first data register, just after the id and length registers
    length: int


@dataclass(frozen=True)
class SunSpecDevice:
    """What discovery found; keep it and pass it back to skip discovery on every poll."""

    unit_id: int
    base: int
    models: tuple[ModelBlock, ...]
    maker: str = ""
    model: str = ""
    serial: str = ""
    version: str = ""

    def block(self, *model_ids: int) -> ModelBlock | None:
        for block in self.models:
            if block.id in model_ids:
                return block
        return None

    @property
    def inverter_block(self) -> ModelBlock | None:
        return self.block(*INTEGER_INVERTER_MODELS, *FLOAT_INVERTER_MODELS)


# --- Register access -------------------------------------------------------------------------
def registers_read(client: Any, *, address: int, count: int, unit_id: int) -> list[int]:
    """`count` holding registers from `address`, in reads of at most 125 registers."""
    registers: list[int] = []
    while len(registers) < count:
        start = address + len(registers)
        size = min(MAX_REGISTERS_PER_READ, count - len(registers))
        try:
            response = client.read_holding_registers(start, count=size, device_id=unit_id)
        except (ModbusException, OSError) as exc:
            raise DeviceUnreachable(
                _("Unit %(unit)s does not answer: %(error)s") % {"unit": unit_id, "error": exc}
            ) from exc
        if response.isError():
            raise _Refused(start)
        if len(response.registers) != size:
            raise NotSunSpec(
                _("Unit %(unit)s answered %(got)s registers at %(address)s instead of %(want)s.")
                % {"unit": unit_id, "got": len(response.registers), "address": start, "want": size}
            )
        registers.extend(response.registers)
    return registers


def registers_write(client: Any, *, address: int, values: list[int], unit_id: int) -> None:
    try:
        response = client.write_registers(address, values, device_id=unit_id)
    except (ModbusException, OSError) as exc:
        raise DeviceUnreachable(
            _("Unit %(unit)s does not answer: %(error)s") % {"unit": unit_id, "error": exc}
        ) from exc
    if response.isError():
        raise CommandFailed(
            _(
                "Unit %(unit)s refused the write to register %(address)s "
                "(Modbus exception %(code)s)."
            )
            % {"unit": unit_id, "address": address, "code": response.exception_code}
        )


def coil_write(client: Any, *, address: int, value: bool, unit_id: int) -> None:
    try:
        response = client.write_coil(address, value, device_id=unit_id)
    except (ModbusException, OSError) as exc:
        raise DeviceUnreachable(
            _("Unit %(unit)s does not answer: %(error)s") % {"unit": unit_id, "error": exc}
        ) from exc
    if response.isError():
        raise CommandFailed(
            _("Unit %(unit)s refused the write to coil %(address)s (Modbus exception %(code)s).")
            % {"unit": unit_id, "address": address, "code": response.exception_code}
        )


# --- Decoding ----------------------------------------------------------------------------------
def decode_string(registers: list[int]) -> str:
    raw = b"".join(value.to_bytes(2, "big") for value in registers)
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace").strip()


def decode_uint16(value: int) -> int | None:
    return None if value == NOT_IMPLEMENTED_UINT16 else value


def decode_int16(value: int) -> int | None:
    if value == NOT_IMPLEMENTED_INT16:
        return None
    return value - 0x10000 if value & 0x8000 else value


def decode_acc32(high: int, low: int) -> int | None:
    value = (high << 16) | low
    return None if value == NOT_IMPLEMENTED_ACC32 else value


def decode_bitfield32(high: int, low: int) -> int | None:
    value = (high << 16) | low
    return None if value == NOT_IMPLEMENTED_BITFIELD32 else value


def decode_float32(high: int, low: int) -> float | None:
    value = struct.unpack(">f", struct.pack(">HH", high, low))[0]
    return None if math.isnan(value) or math.isinf(value) else value


def scaled(value: int | None, scale_factor: int | None) -> float | None:
    """value x 10^sf; missing when either is missing (an unimplemented sf makes the group void)."""
    if value is None or scale_factor is None or not -10 <= scale_factor <= 10:
        return None
    return value * 10.0**scale_factor


# --- Discovery ---------------------------------------------------------------------------------
def sunspec_discover(client: Any, *, unit_id: int) -> SunSpecDevice:
    """Find the SunSpec marker, walk the model chain and read the common block."""
    base = _marker_find(client, unit_id=unit_id)
    models = _models_walk(client, unit_id=unit_id, base=base)
    device = SunSpecDevice(unit_id=unit_id, base=base, models=tuple(models))
    common = device.block(COMMON_MODEL)
    if common is not None:
        device = _common_read(client, device=device, block=common)
    if device.inverter_block is None:
        found = ", ".join(str(block.id) for block in models) or "-"
        raise NotSunSpec(
            _("Unit %(unit)s has no SunSpec inverter model (101-103, 111-113); it has: %(found)s.")
            % {"unit": unit_id, "found": found}
        )
    return device


def _marker_find(client: Any, *, unit_id: int) -> int:
    for base in BASE_ADDRESSES:
        try:
            if tuple(registers_read(client, address=base, count=2, unit_id=unit_id)) == MARKER:
                return base
        except _Refused:
            continue
    raise NotSunSpec(
        _('Unit %(unit)s has no SunSpec marker "SunS" at register 40000, 50000 or 0.')
        % {"unit": unit_id}
    )


def _models_walk(client: Any, *, unit_id: int, base: int) -> list[ModelBlock]:
    models: list[ModelBlock] = []
    address = base + 2
    for _step in range(MAX_MODELS):
        try:
            model_id, length = registers_read(client, address=address, count=2, unit_id=unit_id)
        except _Refused:
            # Some devices end the map without the 0xFFFF marker: the next read is refused.
            return models
        if model_id == END_OF_CHAIN:
            return models
        models.append(ModelBlock(id=model_id, address=address + 2, length=length))
        address += 2 + length
    raise NotSunSpec(
        _("Unit %(unit)s has more than %(max)s SunSpec models; the map looks broken.")
        % {"unit": unit_id, "max": MAX_MODELS}
    )


def _common_read(client: Any, *, device: SunSpecDevice, block: ModelBlock) -> SunSpecDevice:
    # Mn 0-15, Md 16-31, Opt 32-39, Vr 40-47, SN 48-63: the same in 65- and 66-register blocks.
    regs = _block_read(client, device=device, block=block, count=min(block.length, 64))
    return SunSpecDevice(
        unit_id=device.unit_id,
        base=device.base,
        models=device.models,
        maker=decode_string(regs[0:16]),
        model=decode_string(regs[16:32]),
        version=decode_string(regs[40:48]),
        serial=decode_string(regs[48:64]),
    )


def _block_read(client: Any, *, device: SunSpecDevice, block: ModelBlock, count: int) -> list[int]:
    try:
        return registers_read(client, address=block.address, count=count, unit_id=device.unit_id)
    except _Refused as exc:
        raise NotSunSpec(
            _("Unit %(unit)s refused to read model %(model)s at register %(address)s.")
            % {"unit": device.unit_id, "model": block.id, "address": exc.args[0]}
        ) from exc


# --- Inverter readings -------------------------------------------------------------------------
def inverter_read(
    client: Any,
    *,
    unit_id: int,
    device: SunSpecDevice | None = None,
    now: datetime | None = None,
) -> dict:
    """One ingest reading item (without `station` and `inverter`, which the caller adds).

    Values the device does not implement are left out, never sent as 0. SunSpec has only the
    lifetime energy counter, so `total_kwh` is set and `day_kwh` is not.
    """
    device = device or sunspec_discover(client, unit_id=unit_id)
    block = device.inverter_block
    if block is None:
        raise NotSunSpec(_("Unit %(unit)s has no SunSpec inverter model.") % {"unit": unit_id})
    if block.id in INTEGER_INVERTER_MODELS:
        regs = _block_read(client, device=device, block=block, count=min(block.length, 50))
        values = _integer_inverter_decode(regs, phases=INTEGER_INVERTER_MODELS[block.id])
    else:
        regs = _block_read(client, device=device, block=block, count=min(block.length, 60))
        values = _float_inverter_decode(regs, phases=FLOAT_INVERTER_MODELS[block.id])
    ts = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {"ts": ts.isoformat(), **_reading_from(values)}


def _integer_inverter_decode(regs: list[int], *, phases: int) -> dict[str, Any]:
    """Models 101-103: each group of values shares one scale-factor register."""
    if len(regs) < 50:
        raise NotSunSpec(_("The inverter model block is shorter than 50 registers."))
    sf = {name: decode_int16(regs[offset]) for name, offset in _INTEGER_SCALE_FACTORS.items()}

    def value(offset: int, scale: str, *, signed: bool = False) -> float | None:
        raw = decode_int16(regs[offset]) if signed else decode_uint16(regs[offset])
        return scaled(raw, sf[scale])

    return {
        "phases": phases,
        "amps": [value(1, "A"), value(2, "A"), value(3, "A")],
        "line_volts": [value(5, "V"), value(6, "V"), value(7, "V")],
        "phase_volts": [value(8, "V"), value(9, "V"), value(10, "V")],
        "watts": value(12, "W", signed=True),
        "hz": value(14, "Hz"),
        "pf_percent": value(20, "PF", signed=True),
        "wh": scaled(decode_acc32(regs[22], regs[23]), sf["WH"]),
        "dc_amps": value(25, "DCA"),
        "dc_volts": value(27, "DCV"),
        "dc_watts": value(29, "DCW", signed=True),
        "temps": [value(offset, "Tmp", signed=True) for offset in (31, 32, 33, 34)],
        "state": decode_uint16(regs[36]),
        "events": decode_bitfield32(regs[38], regs[39]),
    }


_INTEGER_SCALE_FACTORS = {
    "A": 4,
    "V": 11,
    "W": 13,
    "Hz": 15,
    "PF": 21,
    "WH": 24,
    "DCA": 26,
    "DCV": 28,
    "DCW": 30,
    "Tmp": 35,
}


def _float_inverter_decode(regs: list[int], *, phases: int) -> dict[str, Any]:
    """Models 111-113: two registers per value, big-endian float32, NaN when unimplemented."""
    if len(regs) < 60:
        raise NotSunSpec(_("The float inverter model block is shorter than 60 registers."))

    def value(offset: int) -> float | None:
        return decode_float32(regs[offset], regs[offset + 1])

    return {
        "phases": phases,
        "amps": [value(2), value(4), value(6)],
        "line_volts": [value(8), value(10), value(12)],
        "phase_volts": [value(14), value(16), value(18)],
        "watts": value(20),
        "hz": value(22),
        "pf_percent": value(28),
        "wh": value(30),
        "dc_amps": value(32),
        "dc_volts": value(34),
        "dc_watts": value(36),
        "temps": [value(offset) for offset in (38, 40, 42, 44)],
        "state": decode_uint16(regs[46]),
        "events": decode_bitfield32(regs[48], regs[49]),
    }


def _reading_from(values: dict[str, Any]) -> dict[str, Any]:
    """SunSpec values (W, Wh, V, A, percent) -> our reading fields (kW, kWh, V, A, fraction)."""
    phases = values["phases"]
    # Korean three-phase plants report line-to-line voltage (380 V); single and split phase
    # inverters have no line-to-line pair to speak of, so they report phase voltage.
    volts = values["line_volts"] if phases == 3 else values["phase_volts"]
    if phases == 3 and all(v is None for v in volts):
        volts = values["phase_volts"]
    reading: dict[str, Any] = {
        "ac_kw": _kilo(values["watts"]),
        "dc_kw": _kilo(values["dc_watts"]),
        "dc_v": _rounded(values["dc_volts"]),
        "dc_a": _rounded(values["dc_amps"]),
        "ac_v": _phase_list(volts[:phases]),
        "ac_a": _phase_list(values["amps"][:phases]),
        "freq_hz": _rounded(values["hz"]),
        "pf": _rounded(values["pf_percent"] / 100, 4) if values["pf_percent"] is not None else None,
        "temp_c": next((_rounded(t) for t in values["temps"] if t is not None), None),
        "total_kwh": _kilo(values["wh"]),
        "state": values["state"],
        "fault_bits": values["events"],
    }
    return {name: value for name, value in reading.items() if value is not None}


def _kilo(value: float | None) -> float | None:
    return None if value is None else _rounded(value / 1000, 4)


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _phase_list(values: list[float | None]) -> list[float] | None:
    """All phases or none: a list with a hole would shift phases in the ingest."""
    if not values or any(v is None for v in values):
        return None
    return [_rounded(v) for v in values]


# --- Commands ----------------------------------------------------------------------------------
def power_limit_set(
    client: Any, *, unit_id: int, percent: float, device: SunSpecDevice | None = None
) -> str:
    """Write WMaxLimPct of model 123 and enable it; returns what was done, in one sentence."""
    if not 0 <= percent <= 100:
        raise CommandFailed(
            _("The active-power limit must be between 0 and 100 %%; got %(value)s.")
            % {"value": percent}
        )
    device = device or sunspec_discover(client, unit_id=unit_id)
    block = device.block(CONTROLS_MODEL)
    if block is None or block.length < 22:
        raise CommandFailed(
            _("Unit %(unit)s has no SunSpec controls model 123, so it cannot limit its power.")
            % {"unit": unit_id}
        )
    try:
        regs = registers_read(client, address=block.address + 21, count=1, unit_id=unit_id)
    except _Refused as exc:
        raise CommandFailed(
            _("Unit %(unit)s refused to read the scale factor of model 123.") % {"unit": unit_id}
        ) from exc
    scale_factor = decode_int16(regs[0]) or 0
    raw = round(percent / 10.0**scale_factor)
    registers_write(client, address=block.address + 3, values=[raw & 0xFFFF], unit_id=unit_id)
    registers_write(client, address=block.address + 7, values=[1], unit_id=unit_id)  # enabled
    return _("Active-power limit set to %(percent)s %%.") % {"percent": percent}
