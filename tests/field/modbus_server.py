"""A real pymodbus TCP server on 127.0.0.1 serving SunSpec register maps built here.

The register maps are written from the SunSpec model tables (not from field/sunspec.py), so a
wrong offset in the decoder shows up as a wrong value in the tests.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

SUNS = [0x5375, 0x6E53]
NAN = [0x7FC0, 0x0000]
VENDOR = 30000


def text(value: str, registers: int) -> list[int]:
    raw = value.encode().ljust(registers * 2, b"\x00")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, registers * 2, 2)]


def int16(value: int) -> int:
    return value & 0xFFFF


def uint32(value: int) -> list[int]:
    return [(value >> 16) & 0xFFFF, value & 0xFFFF]


def float32(value: float | None) -> list[int]:
    if value is None:
        return list(NAN)
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def common_block(*, length: int = 65, maker: str, model: str, serial: str) -> list[int]:
    data = text(maker, 16) + text(model, 16) + text("", 8) + text("1.2.3", 8) + text(serial, 16)
    data += [1]  # DA
    data += [0x8000] * (length - len(data))  # the pad register of 66-register blocks
    return [1, length] + data


def integer_inverter_block(model_id: int, **v: int) -> list[int]:
    """Model 101/102/103: keyword values are raw register values; absent means unimplemented."""
    u, s = 0xFFFF, 0x8000  # unimplemented uint16 / int16 (and sunssf)
    data = [
        v.get("A", u), v.get("AphA", u), v.get("AphB", u), v.get("AphC", u),
        int16(v.get("A_SF", s)),
        v.get("PPVphAB", u), v.get("PPVphBC", u), v.get("PPVphCA", u),
        v.get("PhVphA", u), v.get("PhVphB", u), v.get("PhVphC", u), int16(v.get("V_SF", s)),
        int16(v.get("W", s)), int16(v.get("W_SF", s)),
        v.get("Hz", u), int16(v.get("Hz_SF", s)),
        int16(v.get("VA", s)), int16(v.get("VA_SF", s)),
        int16(v.get("VAr", s)), int16(v.get("VAr_SF", s)),
        int16(v.get("PF", s)), int16(v.get("PF_SF", s)),
        *uint32(v.get("WH", 0)), int16(v.get("WH_SF", s)),
        v.get("DCA", u), int16(v.get("DCA_SF", s)),
        v.get("DCV", u), int16(v.get("DCV_SF", s)),
        int16(v.get("DCW", s)), int16(v.get("DCW_SF", s)),
        int16(v.get("TmpCab", s)), int16(v.get("TmpSnk", s)), int16(v.get("TmpTrns", s)),
        int16(v.get("TmpOt", s)), int16(v.get("Tmp_SF", s)),
        v.get("St", u), v.get("StVnd", u),
        *uint32(v.get("Evt1", 0xFFFFFFFF)), *uint32(0), *uint32(0), *uint32(0), *uint32(0),
        *uint32(0),
    ]  # fmt: skip
    assert len(data) == 50
    return [model_id, 50] + data


def float_inverter_block(model_id: int, **v: float | None) -> list[int]:
    """Model 111/112/113: float32 values; absent means NaN (unimplemented)."""
    names = ["A", "AphA", "AphB", "AphC", "PPVphAB", "PPVphBC", "PPVphCA", "PhVphA", "PhVphB",
             "PhVphC", "W", "Hz", "VA", "VAr", "PF", "WH", "DCA", "DCV", "DCW", "TmpCab", "TmpSnk",
             "TmpTrns", "TmpOt"]  # fmt: skip
    data: list[int] = []
    for name in names:
        data += float32(v.get(name))
    data += [int(v.get("St", 0xFFFF)), 0xFFFF]
    data += uint32(int(v.get("Evt1", 0xFFFFFFFF))) + [0] * 10
    assert len(data) == 60
    return [model_id, 60] + data


def controls_block(*, scale_factor: int = 0) -> list[int]:
    data = [0] * 24
    data[3] = 100  # WMaxLimPct
    data[21] = int16(scale_factor)
    return [123, 24] + data


def register_map(*blocks: list[int], end: bool = True) -> list[int]:
    registers = list(SUNS)
    for block in blocks:
        registers += block
    if end:
        registers += [0xFFFF, 0]
    return registers


class ModbusTestServer:
    """`with ModbusTestServer({unit_id: (base, registers)}) as server:` then `server.port`.

    Every unit also has registers VENDOR..VENDOR+9 (vendor registers for reset commands).
    """

    def __init__(self, units: dict[int, tuple[int, list[int]]]):
        self.units = units
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> ModbusTestServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Modbus test server did not start")
        if self._error:
            raise self._error
        return self

    def __exit__(self, *exc_info) -> None:
        asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(10)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._devices = {
            unit_id: SimDevice(
                id=unit_id,
                simdata=sorted(
                    [
                        SimData(base, values=list(registers), datatype=DataType.REGISTERS),
                        SimData(VENDOR, values=[0] * 10, datatype=DataType.REGISTERS),
                    ],
                    key=lambda block: block.address,
                ),
            )
            for unit_id, (base, registers) in self.units.items()
        }
        self._server = ModbusTcpServer(list(self._devices.values()), address=("127.0.0.1", 0))
        await self._server.serve_forever(background=True)
        self.port = self._server.transport.sockets[0].getsockname()[1]
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await self._server.serving


class SilentDevice:
    """A TCP port that accepts connections and never answers: a hung gateway."""

    def __enter__(self) -> SilentDevice:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self.port = self._socket.getsockname()[1]
        return self

    def __exit__(self, *exc_info) -> None:
        self._socket.close()


def closed_port() -> int:
    """A port on which nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
