"""Poll SunSpec inverters over Modbus TCP, as configured in a TOML or JSON file."""

from __future__ import annotations

import json
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from field.modbus_agent import CycleReport, ModbusAgent
from field.modbus_config import ConfigError, collector_config_load
from field.modbus_poller import ModbusPoller


class Command(BaseCommand):
    help = _("Poll SunSpec inverters over Modbus TCP as configured in FILE.")

    def add_arguments(self, parser):
        parser.add_argument("--config", required=True, metavar="FILE", help=_("TOML or JSON file"))
        parser.add_argument(
            "--once",
            action="store_true",
            help=_("one cycle (poll, send, carry out commands), then exit"),
        )
        parser.add_argument(
            "--print",
            action="store_true",
            help=_("print the ingest batch as JSON instead of sending it"),
        )
        parser.add_argument(
            "--discover",
            action="store_true",
            help=_("also show each device's SunSpec models, maker, model and serial on stderr"),
        )

    def handle(self, *args, config: str, once: bool, print: bool, discover: bool, **options):
        try:
            collector = collector_config_load(config)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        if not print:
            self._agent(collector, config_path=config, once=once)
            return
        poller = ModbusPoller(collector)
        try:
            result = poller.poll()
            if discover:
                self._describe(poller)
        finally:
            poller.close()
        self.stdout.write(json.dumps({"readings": result.readings}, indent=2, ensure_ascii=False))
        for failure in result.failures:
            self.stderr.write(failure.error)
        if result.failures:
            raise CommandError(
                _("%(failed)s of %(total)s devices did not give a reading (see above).")
                % {"failed": len(result.failures), "total": len(collector.devices)}
            )

    def _describe(self, poller: ModbusPoller) -> None:
        for state in poller.states:
            found = state.sunspec
            if found is None:
                continue
            models = ", ".join(f"{block.id}@{block.address}" for block in found.models)
            self.stderr.write(
                f"{state.config.label}: {found.maker} {found.model} serial {found.serial} "
                f"(SunSpec at {found.base}; models {models})"
            )

    def _agent(self, collector, *, config_path: str, once: bool) -> None:
        agent = ModbusAgent(collector, config_path=config_path)
        try:
            if once:
                report = agent.cycle()
                self._report(report)
                if report.pending:
                    raise CommandError(
                        _("%(count)s items could not be sent to %(url)s (see the log above).")
                        % {"count": report.pending, "url": collector.server_url}
                    )
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            self.stderr.write(
                _("Polling %(count)s device(s) every %(interval)s s, sending to %(url)s.")
                % {
                    "count": len(collector.devices),
                    "interval": collector.interval_seconds,
                    "url": collector.server_url,
                }
            )
            agent.run(stop=stop, on_cycle=self._report)
        finally:
            agent.close()

    def _report(self, report: CycleReport) -> None:
        for failure in report.failures:
            self.stderr.write(failure)
        for command_id, succeeded, message in report.commands:
            outcome = _("done") if succeeded else _("failed")
            self.stderr.write(f"command {command_id} {outcome}: {message}")
        self.stdout.write(report.summary)
