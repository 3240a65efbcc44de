"""manage.py collector_token NAME: issue a new token for a collector and print it once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from monitoring.models import Collector, PowerStation


class Command(BaseCommand):
    help = (
        "Issue a new token for the collector NAME and print it once; its previous token stops "
        "working. Only the token's hash is stored, so a lost token is replaced, not recovered."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the collector's name")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the collector when there is none of this name (without it, a typo "
            "in NAME is an error instead of a new collector)",
        )
        parser.add_argument(
            "--station",
            action="append",
            default=[],
            metavar="CODE",
            help="a plant code the collector serves (repeatable); added to its plants",
        )

    def handle(self, *args, name: str, create: bool, station: list[str], **options):
        stations = list(PowerStation.objects.filter(code__in=station))
        missing = sorted(set(station) - {s.code for s in stations})
        if missing:
            raise CommandError(f"No plant with code {', '.join(missing)}; check the codes.")
        with transaction.atomic():
            collector = Collector.objects.filter(name=name).first()
            if collector is None:
                if not create:
                    raise CommandError(
                        f"No collector named {name!r}; add --create to make one "
                        "(and --station CODE for the plants it serves)."
                    )
                collector = Collector.objects.create(name=name)
                self.stderr.write(f"Created collector {name!r}.")
            collector.stations.add(*stations)
            token = collector.issue_token()
        codes = ", ".join(collector.stations.values_list("code", flat=True)) or "none yet"
        self.stderr.write(
            f"New token for collector {name!r} (plants: {codes}). It is shown only now; "
            "the previous token no longer works."
        )
        self.stdout.write(token)
