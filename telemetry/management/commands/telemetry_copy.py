from __future__ import annotations

import sys
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from solarsite.progress import ProgressBar
from telemetry import store
from telemetry.management.commands.mongo_setup import (
    mongodb_indexes_ensure,
    mongodb_uri_required,
)
from telemetry.store_copy import DEFAULT_CHUNK, copy_summary, readings_copy


class Command(BaseCommand):
    help = _(
        "Copy the raw readings from one store to the other (sql, mongodb), so TELEMETRY_STORE "
        "can be switched. Idempotent: what is already there is not written again. Resumable: "
        "an interrupted run goes on from its last page when run again with the same --since."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, choices=store.STORES)
        parser.add_argument("--to", dest="target", required=True, choices=store.STORES)
        parser.add_argument(
            "--since", metavar="T",
            help=_("only readings taken at or after T (2026-01-31 or 2026-01-31T09:00; the "
                   "site's TIME_ZONE unless an offset is given)"),
        )  # fmt: skip
        parser.add_argument("--kinds", nargs="+", choices=list(store.TABLES),
                            help=_("only these kinds of reading (default: all)"))  # fmt: skip
        parser.add_argument("--restart", action="store_true",
                            help=_("start over after an interrupted run"))  # fmt: skip
        parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                            help=_("readings per page (default %(chunk)d)")
                            % {"chunk": DEFAULT_CHUNK})  # fmt: skip

    def handle(self, *args, source, target, since, kinds, restart, chunk, verbosity, **options):
        if source == target:
            raise CommandError(
                _("--from and --to name the same store; copy from one to the other.")
            )
        if "mongodb" in (source, target):
            mongodb_uri_required()
        if chunk < 1:
            raise CommandError(_("--chunk must be at least 1."))
        since_at = self._since(since) if since else None
        if target == "mongodb":
            mongodb_indexes_ensure()  # the unique key before the first write
        progress = ProgressBar(sys.stderr) if verbosity > 0 else None
        try:
            copies = readings_copy(source=source, target=target, kinds=kinds, since=since_at,
                                   restart=restart, chunk=chunk, progress=progress)  # fmt: skip
        except store.StoreUnavailable as error:
            raise CommandError(
                _(
                    "%(error)s. Nothing is lost: run the same command again and it goes on "
                    "from the last page it copied."
                )
                % {"error": error}
            ) from None
        self.stdout.write(copy_summary(copies, source=source, target=target))
        if target != settings.TELEMETRY_STORE:
            self.stdout.write(
                _(
                    "The site still reads and writes %(store)s: set TELEMETRY_STORE=%(target)s "
                    "and restart to use the copy."
                )
                % {"store": settings.TELEMETRY_STORE, "target": target}
            )

    def _since(self, value: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise CommandError(
                _("--since %(value)s is not a date or time; write 2026-01-31 or 2026-01-31T09:00.")
                % {"value": value}
            ) from None
        return parsed if parsed.tzinfo else timezone.make_aware(parsed)
