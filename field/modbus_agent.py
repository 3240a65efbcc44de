"""The Modbus collector agent: poll on an interval, send, heartbeat, carry out remote commands.

One cycle:
1. poll every device that is not waiting out a backoff (field/modbus_poller.py);
2. put the readings in the client's buffer and send what is buffered (monitoring/
   collector_client.py: the same buffering and re-send as the simulator), with a heartbeat;
3. fetch the commands the server has for this collector, carry out each one and report its
   outcome (kept in the buffer until the server has it).

A cycle never raises for a device's or the server's trouble: the next one tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from field import sunspec
from field.collector_client import CollectorClient, ReadingBuffer
from field.modbus_config import CollectorConfig, ConfigError, collector_config_load
from field.modbus_poller import ModbusPoller

logger = logging.getLogger(__name__)

SOFTWARE_VERSION = "solarsite-modbus/1"


@dataclass
class CycleReport:
    readings: int = 0
    failures: list[str] = field(default_factory=list)
    commands: list[tuple[int, bool, str]] = field(default_factory=list)  # (id, succeeded, message)
    pending: int = 0

    @property
    def summary(self) -> str:
        done = sum(1 for _, ok, _ in self.commands if ok)
        return (
            f"{self.readings} readings, {len(self.failures)} devices without answer, "
            f"{done} of {len(self.commands)} commands done, {self.pending} waiting to be sent"
        )


class ModbusAgent:
    def __init__(
        self,
        config: CollectorConfig,
        *,
        config_path: Path | str | None = None,
        poller_factory: Callable[[CollectorConfig], ModbusPoller] = ModbusPoller,
        client: CollectorClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.config_path = config_path
        self.poller_factory = poller_factory
        self.clock = clock
        self.poller = poller_factory(config)
        if client is None:
            client = self._client(config, ReadingBuffer(config.buffer_file or ":memory:"))
        self.client = client

    def _client(self, config: CollectorConfig, buffer: ReadingBuffer) -> CollectorClient:
        return CollectorClient(
            url=config.server_url,
            token=config.token,
            buffer=buffer,
            timeout=max(10.0, config.timeout_seconds),
            software_version=SOFTWARE_VERSION,
            heartbeat_every=config.interval_seconds,
            backoff_max=config.max_backoff_seconds,
            clock=self.clock,
        )

    def cycle(self) -> CycleReport:
        report = CycleReport()
        polled = self.poller.poll()
        self.client.add("readings", polled.readings)
        report.readings = len(polled.readings)
        for failure in polled.failures:
            logger.warning("%s (asked again in %.0f s)", failure.error, failure.retry_in_seconds)
            report.failures.append(failure.error)
        self.client.heartbeat()
        self.client.flush()
        self.client.results_flush()
        for command in self.client.commands_fetch():
            succeeded, message = self.command_run(command)
            logger.info("command %s %s: %s", command["id"], command.get("kind"), message)
            report.commands.append((command["id"], succeeded, message))
            self.client.command_report(command["id"], succeeded=succeeded, message=message)
        self.client.flush()  # what a "read now" measured
        report.pending = self.client.pending
        return report

    def run(self, *, stop: threading.Event, on_cycle: Callable[[CycleReport], Any] = None):
        """Cycle every interval_seconds until `stop` is set."""
        while not stop.is_set():
            started = self.clock()
            report = self.cycle()
            if on_cycle:
                on_cycle(report)
            stop.wait(max(0.0, self.config.interval_seconds - (self.clock() - started)))

    def close(self) -> None:
        self.poller.close()
        self.client.close()

    # --- commands ------------------------------------------------------------------------------
    def command_run(self, command: dict) -> tuple[bool, str]:
        """Carry out one command from the server; (succeeded, a sentence for the operator)."""
        kind, station = command.get("kind"), command.get("station")
        inverter = command.get("inverter")
        try:
            if kind == "restart_collector":
                return True, self.restart()
            if kind == "read_now":
                return True, self._read_now(station, inverter)
            if inverter is None:
                raise sunspec.CommandFailed(_("%(kind)s needs an inverter.") % {"kind": kind})
            message = self.poller.command_execute(
                station=station, inverter=inverter, kind=kind, params=command.get("params") or {}
            )
            return True, message
        except sunspec.CommandFailed as exc:
            return False, str(exc)
        except Exception as exc:  # a driver bug must be reported, not end the agent
            logger.exception("command %s failed", command.get("id"))
            return False, _("The collector failed: %(error)s") % {"error": exc}

    def _read_now(self, station: str, inverter: int | None) -> str:
        numbers = [inverter] if inverter is not None else [
            d.inverter for d in self.config.devices if d.station == station
        ]  # fmt: skip
        if not numbers:
            raise sunspec.CommandFailed(
                _("No inverter of plant %(station)s is in this collector's config.")
                % {"station": station}
            )
        readings = [self.poller.read_now(station=station, inverter=n) for n in numbers]
        self.client.add("readings", readings)
        return _("Read %(count)s inverter(s) now.") % {"count": len(readings)}

    def restart(self) -> str:
        """Read the config file again and start polling afresh (new connections, devices
        discovered again). A config that no longer loads keeps the running one."""
        config = self.config
        if self.config_path is not None:
            try:
                config = collector_config_load(self.config_path)
            except ConfigError as exc:
                raise sunspec.CommandFailed(
                    _("Not restarted, the config file has problems: %(problems)s")
                    % {"problems": "; ".join(exc.problems)}
                ) from exc
        self.poller.close()
        self.poller = self.poller_factory(config)
        if (config.server_url, config.token) != (self.config.server_url, self.config.token):
            self.client.close()
            self.client = self._client(config, self.client.buffer)
        self.config = config
        return _("Restarted with %(count)s device(s).") % {"count": len(config.devices)}
