"""Polling the configured devices over Modbus TCP: connections, backoff, reading, commands.

The agent loop (field/modbus_agent.py: post batches to the ingest API, heartbeat, fetch and
report commands) calls `ModbusPoller.poll()` once per interval and
`ModbusPoller.command_execute()` per command; both return plain data and never raise for one
device's trouble, so one dead inverter never stops the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from pymodbus.client import ModbusTcpClient

from field import sunspec
from field.modbus_config import CollectorConfig, CommandMapping, DeviceConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceFailure:
    device: DeviceConfig
    error: str
    retry_in_seconds: float


@dataclass
class PollResult:
    readings: list[dict] = field(default_factory=list)  # ingest items, ready to post
    failures: list[DeviceFailure] = field(default_factory=list)
    waiting: list[DeviceConfig] = field(default_factory=list)  # in backoff, not asked this time


@dataclass
class _DeviceState:
    config: DeviceConfig
    sunspec: sunspec.SunSpecDevice | None = None
    failures: int = 0
    next_try: float = 0.0


class ModbusPoller:
    """Keeps one connection per host and port, and per device its SunSpec map and backoff.

    Devices behind one gateway (same host and port, different unit ids) share a connection:
    many gateways accept only one or two. A device that fails is asked again after
    interval x 2^(failures-1), at most max_backoff_seconds; its map is rediscovered then, in
    case the inverter was replaced, and a connection that timed out is opened afresh.
    """

    def __init__(
        self,
        config: CollectorConfig,
        *,
        client_factory: Callable[..., Any] = ModbusTcpClient,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.client_factory = client_factory
        self.clock = clock
        self.states = [_DeviceState(config=device) for device in config.devices]
        self.clients: dict[tuple[str, int], Any] = {}

    def poll(self, *, now: datetime | None = None) -> PollResult:
        result = PollResult()
        for state in self.states:
            if self.clock() < state.next_try:
                result.waiting.append(state.config)
                continue
            try:
                reading = self._read(state, now=now)
            except sunspec.SunSpecError as exc:
                result.failures.append(self._failed(state, exc))
                continue
            except Exception as exc:  # a driver bug on one device must not stop the others
                logger.exception("polling %s failed", state.config.label)
                result.failures.append(self._failed(state, exc))
                continue
            result.readings.append(
                {"station": state.config.station, "inverter": state.config.inverter, **reading}
            )
        return result

    def read_now(self, *, station: str, inverter: int, now: datetime | None = None) -> dict:
        """The "read now" command: one inverter at once, backoff or not; CommandFailed if not."""
        state = self._state_for(station, inverter)
        try:
            reading = self._read(state, now=now)
        except sunspec.SunSpecError as exc:
            self._failed(state, exc)
            raise sunspec.CommandFailed(f"{state.config.label}: {exc}") from exc
        return {"station": station, "inverter": inverter, **reading}

    def command_execute(self, *, station: str, inverter: int, kind: str, params: dict) -> str:
        """Carry out a device command; returns a sentence, raises CommandFailed with the reason."""
        state = self._state_for(station, inverter)
        mapping = state.config.commands.get(kind)
        if mapping is None:
            raise sunspec.CommandFailed(
                _("Command %(kind)s is not mapped to a register for %(device)s in the config.")
                % {"kind": kind, "device": state.config.label}
            )
        try:
            return self._command_run(state, kind=kind, mapping=mapping, params=params)
        except sunspec.DeviceUnreachable as exc:
            self._failed(state, exc)
            raise sunspec.CommandFailed(str(exc)) from exc
        except sunspec.NotSunSpec as exc:
            raise sunspec.CommandFailed(str(exc)) from exc

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()

    def _read(self, state: _DeviceState, *, now: datetime | None) -> dict:
        client = self._connect(state)
        if state.sunspec is None:
            state.sunspec = sunspec.sunspec_discover(client, unit_id=state.config.unit_id)
        reading = sunspec.inverter_read(
            client, unit_id=state.config.unit_id, device=state.sunspec, now=now
        )
        state.failures = 0
        state.next_try = 0.0
        return reading

    def _command_run(
        self, state: _DeviceState, *, kind: str, mapping: CommandMapping, params: dict
    ) -> str:
        client = self._connect(state)
        unit_id = state.config.unit_id
        if kind == "set_power_limit":
            percent = _percent(params)
            if mapping.kind == "sunspec":
                if state.sunspec is None:
                    state.sunspec = sunspec.sunspec_discover(client, unit_id=unit_id)
                return sunspec.power_limit_set(
                    client, unit_id=unit_id, percent=percent, device=state.sunspec
                )
            raw = round(percent * mapping.scale)
            sunspec.registers_write(client, address=mapping.address, values=[raw], unit_id=unit_id)
            return _("Active-power limit set to %(percent)s %%.") % {"percent": percent}
        if mapping.kind == "coil":
            sunspec.coil_write(
                client, address=mapping.address, value=bool(mapping.values[0]), unit_id=unit_id
            )
        else:
            sunspec.registers_write(
                client, address=mapping.address, values=list(mapping.values), unit_id=unit_id
            )
        return _("%(device)s: reset sent.") % {"device": state.config.label}

    def _state_for(self, station: str, inverter: int) -> _DeviceState:
        for state in self.states:
            if state.config.station == station and state.config.inverter == inverter:
                return state
        raise sunspec.CommandFailed(
            _("Inverter %(station)s-%(number)s is not in this collector's config.")
            % {"station": station, "number": inverter}
        )

    def _connect(self, state: _DeviceState) -> Any:
        key = (state.config.host, state.config.port)
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = self.client_factory(
                state.config.host,
                port=state.config.port,
                timeout=self.config.timeout_seconds,
                retries=0,
            )
        if not client.connect():
            self._disconnect(state)
            raise sunspec.DeviceUnreachable(
                _("Cannot connect to %(device)s.") % {"device": state.config.label}
            )
        return client

    def _disconnect(self, state: _DeviceState) -> None:
        client = self.clients.pop((state.config.host, state.config.port), None)
        if client is not None:
            client.close()

    def _failed(self, state: _DeviceState, exc: Exception) -> DeviceFailure:
        if not isinstance(exc, sunspec.NotSunSpec):
            # After a timeout a late answer may still arrive on the socket: start clean.
            self._disconnect(state)
        state.sunspec = None
        state.failures += 1
        delay = min(
            self.config.interval_seconds * 2 ** (state.failures - 1),
            self.config.max_backoff_seconds,
        )
        state.next_try = self.clock() + delay
        return DeviceFailure(
            device=state.config,
            error=f"{state.config.label}: {exc}",
            retry_in_seconds=delay,
        )


def _percent(params: dict) -> float:
    value = (params or {}).get("percent")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise sunspec.CommandFailed(
            _('set_power_limit needs a number parameter "percent" (0-100).')
        )
    return float(value)
