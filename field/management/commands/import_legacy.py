"""Import everything the old system held: its MySQL database, then its MongoDB."""

from __future__ import annotations

import sys
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from field.legacy.mapping import MappingError
from field.legacy.reader import LegacyImportError
from field.legacy.run import (
    SOURCES,
    legacy_import,
    legacy_mapping_of,
    legacy_source_open,
    legacy_sources_configured,
)
from field.legacy.summary import summary_text
from solarsite.progress import ProgressBar


class Command(BaseCommand):
    help = _(
        "Import from the old MySQL database (LEGACY_DATABASE_URL), then the old MongoDB "
        "(LEGACY_MONGODB_URI), after the last run."
    )

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
        parser.add_argument(
            "--source",
            choices=SOURCES,
            help=_("only this old database (default: each one that is configured)"),
        )

    def handle(self, *args, since, tables, dry_run, mapping, source, verbosity, **options):
        sources = [source] if source else legacy_sources_configured()
        if not sources or (source == "mysql" and not settings.LEGACY_DATABASE_URL):
            raise CommandError(
                _(
                    "LEGACY_DATABASE_URL is not set; set it to the old database, "
                    "e.g. mysql://reader:secret@old-host:3306/solar."
                )
            )
        if source == "mongodb" and not settings.LEGACY_MONGODB_URI:
            raise CommandError(
                _(
                    "LEGACY_MONGODB_URI is not set; set it to the old MongoDB, "
                    "e.g. mongodb://reader:secret@old-host:27017/solar."
                )
            )
        if mapping and len(sources) > 1:
            raise CommandError(_("--mapping applies to one old database: add --source."))
        try:
            mappings = {name: legacy_mapping_of(name, mapping) for name in sources}
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        if tables:
            known = [t for m in mappings.values() for t in m.tables]
            unknown = sorted(set(tables) - set(known))
            if unknown:
                raise CommandError(
                    _("Not in the mapping: %(tables)s. Mapped tables: %(known)s.")
                    % {"tables": ", ".join(unknown), "known": ", ".join(known)}
                )
        progress = ProgressBar(sys.stderr) if verbosity > 0 else None
        for name in sources:
            loaded = mappings[name]
            wanted = [t for t in tables if t in loaded.tables] if tables else None
            if tables and not wanted:
                continue
            since_at = self._since(since, loaded.time_zone) if since else None
            summaries = self._run(name, loaded, wanted, since_at, dry_run, progress)
            self.stdout.write(summary_text(summaries, dry_run=dry_run))

    def _run(self, name, loaded, tables, since_at, dry_run, progress):
        try:
            source = legacy_source_open(name, mapping=loaded)
        except LegacyImportError as exc:
            raise CommandError(str(exc)) from exc
        try:
            return legacy_import(
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

    def _since(self, value: str, time_zone) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(
                _("--since %(value)s is not a date or time; write 2024-01-31 or 2024-01-31T09:00.")
                % {"value": value}
            ) from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=time_zone)

