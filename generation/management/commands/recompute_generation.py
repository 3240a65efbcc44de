from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone

from generation import kpis, rollups
from generation.models import DailyGeneration
from generation.statistics import statistics_compute
from monitoring import plant_time
from monitoring.models import PowerStation
from telemetry import store


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; write it like 2026-06-01.") from None


class Command(BaseCommand):
    help = (
        "Recompute hourly and daily generation, zero fill, plant KPIs, plausibility flags and "
        "statistics for local days in a range (after an import, a fix or an upgrade of the "
        "rules), from the raw readings; rows that do not change are not written. Days whose raw "
        "readings are gone keep the figures only those readings could give."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day (default: the first day)")
        parser.add_argument(
            "--all", action="store_true",
            help="every day from the first one with figures or readings to today",
        )  # fmt: skip
        parser.add_argument("--station", action="append", help="plant code (repeatable)")

    def handle(self, *args, start, end, station, **options):
        if options["all"]:
            if start or end:
                raise CommandError("Give either --all or --from/--to, not both.")
            start, end = _first_day(), timezone.localdate()
        elif not start:
            raise CommandError("Say which days: --from YYYY-MM-DD [--to YYYY-MM-DD], or --all.")
        else:
            start = _date(start)
            end = _date(end) if end else start
        if end < start:
            raise CommandError("--to must not be before --from.")
        stations = PowerStation.objects.all()
        if station:
            stations = stations.filter(code__in=station)
            missing = set(station) - set(stations.values_list("code", flat=True))
            if missing:
                raise CommandError(f"No plant with code {', '.join(sorted(missing))}.")
        stations = list(stations)
        meters = rollups.meters_for(station_ids=[s.id for s in stations])
        day = start
        while day <= end:
            result = rollups.days_recompute(meters=meters, day_of={i: day for i in meters})
            filled = rollups.zero_fill(stations=stations, day_of={s.id: day for s in stations})
            with_rows = {m.station_id for m in meters.values()}
            kpis.station_days_recompute(
                station_days=[(s.id, day) for s in stations if s.is_watched or s.id in with_rows]
            )
            statistics_compute(day=day)
            self.stdout.write(
                f"{day}: {result['readings']} readings, {result['hours']} hourly and "
                f"{result['days']} daily rows written, {filled} zero-filled"
            )
            day += timedelta(days=1)


def _first_day() -> date:
    """The earliest day with a daily row or a stored reading (today if there is none)."""
    first = DailyGeneration.objects.aggregate(first=Min("date"))["first"]
    reading = store.first_reading_time()
    if reading is not None:
        day = plant_time.local_date(reading, timezone.get_current_timezone())
        first = min(first, day) if first else day
    return first or timezone.localdate()
