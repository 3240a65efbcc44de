"""manage.py import_prices FILE: SMP and REC prices from CSV (format: economics/price_import.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from economics.price_import import PriceFileError, prices_import


class Command(BaseCommand):
    help = "Import SMP and REC prices from a CSV file (kind,market,date,price); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, or - for standard input")

    def handle(self, *args, file: str, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Could not read %(file)s as UTF-8 text: %(error)s") % {"file": file, "error": exc}
            ) from exc
        try:
            result = prices_import(text=text)
        except PriceFileError as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("%(count)s bad lines: nothing was imported; correct them and run it again.")
                % {"count": len(exc.problems)}
            ) from exc
        self.stdout.write(str(result))
