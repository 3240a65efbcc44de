"""Poll SunSpec inverters over Modbus TCP, as configured in a TOML or JSON file."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from field.modbus_collector import ConfigError, ModbusPoller, collector_config_load


class Command(BaseCommand):
    help = _("Poll SunSpec inverters over Modbus TCP as configured in FILE.")

    def add_arguments(self, parser):
        parser.add_argument("--config", required=True, metavar="FILE", help=_("TOML or JSON file"))
        parser.add_argument("--once", action="store_true", help=_("poll every device once"))
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
        if not (once and print):
            raise CommandError(
                _(
                    "Sending to the server is not available in this version yet; "
                    "use --once --print to poll every device once and see what would be sent."
                )
            )
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
