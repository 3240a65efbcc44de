"""Average and median generation, over the fleet and per region (the old statistics jobs).

Per day, stored: the average and median of per-inverter kWh and of per-plant specific yield,
over the fleet and over each region. Zero-filled rows are left out: a plant that sent nothing
has an unknown yield, not a zero one; so are plant days with an implausible figure
(generation/plausibility.py), which would drag a median where no plant is. A plant whose
specific yield falls below
UNDERPERFORMING_SHARE of its region's median that day is flagged as under-performing; where
the region has fewer than MIN_REGION_PLANTS reporting plants, the fleet's median is used.
Over any other period the same figures are computed on request from the daily rows.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from generation.models import DailyGeneration, GenerationStatistics, StationDailyGeneration


@dataclass(frozen=True)
class Figures:
    inverters: int
    inverter_kwh_avg: float | None
    inverter_kwh_median: float | None
    stations: int
    yield_avg: float | None
    yield_median: float | None


def figures_of(inverter_kwh: list[float], yields: list[float]) -> Figures:
    def avg(values):
        return round(statistics.fmean(values), 6) if values else None

    def median(values):
        return round(statistics.median(values), 6) if values else None

    return Figures(
        inverters=len(inverter_kwh),
        inverter_kwh_avg=avg(inverter_kwh),
        inverter_kwh_median=median(inverter_kwh),
        stations=len(yields),
        yield_avg=avg(yields),
        yield_median=median(yields),
    )


def statistics_compute(*, day: date, now: datetime | None = None) -> dict[str, Figures]:
    """Compute and store the day's statistics; flag under-performing plants. Keyed by scope."""
    now = now or timezone.now()
    station_rows = list(
        StationDailyGeneration.objects.filter(date=day, zero_filled=False, plausible=True)
    )
    region_of = {row.station_id: row.region for row in station_rows}
    inverter_kwh: dict[str, list[float]] = defaultdict(list)
    for station_id, kwh in DailyGeneration.objects.filter(
        date=day, zero_filled=False, station_id__in=region_of.keys()
    ).values_list("station_id", "kwh"):
        inverter_kwh[GenerationStatistics.FLEET].append(kwh)
        inverter_kwh[region_of[station_id]].append(kwh)
    yields: dict[str, list[float]] = defaultdict(list)
    for row in station_rows:
        yields[GenerationStatistics.FLEET].append(row.specific_yield)
        yields[row.region].append(row.specific_yield)
    result = {
        scope: figures_of(inverter_kwh[scope], yields[scope])
        for scope in sorted(set(yields) | set(inverter_kwh))
    }
    with transaction.atomic(using="telemetry"):
        GenerationStatistics.objects.filter(date=day).exclude(scope__in=result.keys()).delete()
        for scope, figures in result.items():
            GenerationStatistics.objects.update_or_create(
                date=day, scope=scope, defaults={**figures.__dict__, "computed_at": now}
            )
        _underperforming_flag(day=day, station_rows=station_rows, result=result)
    return result


# A region with fewer reporting plants than this is no benchmark: its plants are held
# against the fleet's median instead (a lone plant would otherwise be its own median).
MIN_REGION_PLANTS = 3


def _underperforming_flag(*, day: date, station_rows, result: dict[str, Figures]) -> None:
    share = settings.UNDERPERFORMING_SHARE
    flagged = set()
    for row in station_rows:
        region = result[row.region]
        benchmark = (
            region if region.stations >= MIN_REGION_PLANTS else result[GenerationStatistics.FLEET]
        )
        median = benchmark.yield_median
        if median and row.specific_yield < share * median:
            flagged.add(row.station_id)
    rows = StationDailyGeneration.objects.filter(date=day)
    rows.filter(station_id__in=flagged).exclude(underperforming=True).update(underperforming=True)
    rows.exclude(station_id__in=flagged).filter(underperforming=True).update(underperforming=False)


def period_statistics(*, start: date, end: date, region: str | None = None) -> Figures:
    """The same figures over [start, end]: per-inverter kWh and per-plant yield summed first."""
    stations = StationDailyGeneration.objects.filter(
        date__gte=start, date__lte=end, zero_filled=False, plausible=True
    )
    if region:
        stations = stations.filter(region=region)
    per_station = stations.values("station_id").annotate(
        kwh=Sum("kwh"), yield_sum=Sum("specific_yield")
    )
    station_ids = {row["station_id"] for row in per_station}
    implausible = StationDailyGeneration.objects.filter(
        station_id=OuterRef("station_id"), date=OuterRef("date"), plausible=False
    )
    per_inverter = (
        DailyGeneration.objects.filter(
            date__gte=start, date__lte=end, zero_filled=False, station_id__in=station_ids
        )
        .filter(~Exists(implausible))
        .values("inverter_id")
        .annotate(kwh=Sum("kwh"))
    )
    return figures_of(
        [row["kwh"] for row in per_inverter], [row["yield_sum"] for row in per_station]
    )
