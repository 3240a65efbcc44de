"""Import customers, users, plants, inverters and logs from the old MySQL database."""

from __future__ import annotations

import sys
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from field.legacy.mapping import MappingError, legacy_mapping_load
from field.legacy.reader import LegacyImportError, legacy_connect
from field.legacy.run import legacy_import
from field.legacy.summary import summary_text
from solarsite.progress import ProgressBar


class Command(BaseCommand):
    help = _("Import from the old MySQL database at LEGACY_DATABASE_URL, after the last run.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            metavar="T",
            help=_(
                "re-read rows from this time (2024-01-31 or 2024-01-31T09:00, old local "
                "time unless an offset is given) instead of after the last run"
            ),
        )
        parser.add_argument(
            "--tables", nargs="+", metavar="TABLE", help=_("only these old tables (mapping names)")
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("count what would change, change nothing")
        )
        parser.add_argument("--mapping", metavar="FILE", help=_("another mapping file"))

    def handle(self, *args, since, tables, dry_run, mapping, verbosity, **options):
        if not settings.LEGACY_DATABASE_URL:
            raise CommandError(
                _(
                    "LEGACY_DATABASE_URL is not set; set it to the old database, "
                    "e.g. mysql://reader:secret@old-host:3306/solar."
                )
            )
        try:
            loaded = legacy_mapping_load(mapping)
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        since_at = self._since(since, loaded.time_zone) if since else None
        progress = ProgressBar(sys.stderr) if verbosity > 0 else None
        try:
            source = legacy_connect(settings.LEGACY_DATABASE_URL)
        except LegacyImportError as exc:
            raise CommandError(str(exc)) from exc
        try:
            summaries = legacy_import(
                source=source,
                mapping=loaded,
                tables=tables,
                since=since_at,
                dry_run=dry_run,
                progress=progress,
            )
        except LegacyImportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            source.close()
        self.stdout.write(summary_text(summaries, dry_run=dry_run))

    def _since(self, value: str, time_zone) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(
                _("--since %(value)s is not a date or time; write 2024-01-31 or 2024-01-31T09:00.")
                % {"value": value}
            ) from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=time_zone)

