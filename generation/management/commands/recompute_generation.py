from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from generation import kpis, rollups
from generation.statistics import statistics_compute
from monitoring.models import PowerStation


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date; write it like 2026-06-01.") from None


class Command(BaseCommand):
    help = (
        "Recompute hourly and daily generation, zero fill, plant KPIs and statistics for local "
        "days in a range (after an import or a fix); rows that do not change are not written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day (default: the first day)")
        parser.add_argument("--station", action="append", help="plant code (repeatable)")

    def handle(self, *args, start, end, station, **options):
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
