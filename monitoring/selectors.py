"""The fleet as pages and the API show it: each plant's state, power and energy of today.

A fleet read costs a fixed number of queries whatever the fleet's size (one per table, and one
per distinct local date for today's daily rows): the latest-state tables, the open alarms and
today's rollups, never raw readings. The state of a plant is decided here, once:

1. collector down: a collector-down alarm is open, or every collector serving the plant has
   been silent for COLLECTOR_DOWN_MINUTES;
2. grid outage: an outage alarm is open, the site reports an outage, or an inverter sees no grid;
3. communication error: a communication alarm is open, or an inverter has sent nothing for the
   plant's communication-loss minutes;
4. not generating: a not-generating alarm is open (detection decides it in daylight only);
5. no data: no inverter has ever reported;
6. stopped: no inverter produces power (at night, say);
7. normal: it generates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from events.models import Alarm, EventType
from generation import plant_time
from generation import selectors as generation_selectors
from generation.models import DailyGeneration
from monitoring.models import (
    Collector,
    InverterState,
    InverterStatus,
    PowerStation,
    StationStatus,
)


class StationState(models.TextChoices):
    """Worst first: a plant shows the first of these that applies."""

    COLLECTOR_DOWN = "collector_down", _("Collector down")
    GRID_OUTAGE = "grid_outage", _("Grid outage")
    COMM_ERROR = "comm_error", _("Communication error")
    NOT_GENERATING = "not_generating", _("Not generating")
    NO_DATA = "no_data", _("No data")
    STOPPED = "stopped", _("Stopped")
    NORMAL = "normal", _("Normal")


# The counts at the top of the overview, in the order operators read them.
COUNTED_STATES = [
    StationState.NORMAL,
    StationState.STOPPED,
    StationState.GRID_OUTAGE,
    StationState.COMM_ERROR,
    StationState.NOT_GENERATING,
    StationState.COLLECTOR_DOWN,
    StationState.NO_DATA,
]

ALARM_STATES = {
    EventType.COLLECTOR_DOWN: StationState.COLLECTOR_DOWN,
    EventType.GRID_OUTAGE: StationState.GRID_OUTAGE,
    EventType.COMM_ERROR: StationState.COMM_ERROR,
    EventType.NOT_GENERATING: StationState.NOT_GENERATING,
}


@dataclass
class StationRow:
    """One plant on the overview: its state and today's figures."""

    station: PowerStation
    state: str
    current_kw: float
    today_kwh: float
    specific_yield: float | None
    open_alarms: int
    last_ts: datetime | None
    age_seconds: float | None
    inverters: int = 0
    open_codes: list[int] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return StationState(self.state).label


@dataclass
class _Live:
    """What the latest-state tables say about one plant's inverters."""

    inverters: int = 0
    reported: int = 0
    current_kw: float = 0.0
    last_ts: datetime | None = None
    stale: bool = False
    no_grid: bool = False
    today_counters: dict[int, float] = field(default_factory=dict)


def _ids(stations: Iterable[PowerStation]) -> list[int]:
    return [s.id for s in stations]


def _live(stations: dict[int, PowerStation], now: datetime) -> dict[int, _Live]:
    live = {station_id: _Live() for station_id in stations}
    rows = InverterStatus.objects.filter(
        station_id__in=stations.keys(), inverter__is_active=True
    ).values_list("inverter_id", "station_id", "last_ts", "ac_kw", "day_kwh", "state")
    for inverter_id, station_id, last_ts, ac_kw, day_kwh, state in rows:
        station, entry = stations[station_id], live[station_id]
        entry.inverters += 1
        if last_ts is None:
            continue
        entry.reported += 1
        entry.last_ts = max(entry.last_ts or last_ts, last_ts)
        fresh = now - last_ts <= timedelta(minutes=station.comm_loss_minutes)
        entry.stale = entry.stale or not fresh or state == InverterState.COMM_LOST
        entry.no_grid = entry.no_grid or (fresh and state == InverterState.GRID_OUTAGE)
        if fresh and ac_kw and ac_kw > 0:
            entry.current_kw += ac_kw
        today = plant_time.local_date(now, station.tz)
        if day_kwh is not None and plant_time.local_date(last_ts, station.tz) == today:
            entry.today_counters[inverter_id] = day_kwh
    return live


def _today_rows(stations: dict[int, PowerStation], now: datetime) -> dict[int, dict[int, float]]:
    """Per station, today's running daily rows per inverter (one query per local date)."""
    by_date: dict[date, list[int]] = defaultdict(list)
    for station in stations.values():
        by_date[plant_time.local_date(now, station.tz)].append(station.id)
    rows: dict[int, dict[int, float]] = defaultdict(dict)
    for today, ids in by_date.items():
        for station_id, inverter_id, kwh in DailyGeneration.objects.filter(
            station_id__in=ids, date=today
        ).values_list("station_id", "inverter_id", "kwh"):
            rows[station_id][inverter_id] = kwh
    return rows


def _collectors_down(station_ids: list[int], now: datetime) -> set[int]:
    """Stations all of whose active collectors (that were ever seen) are silent too long."""
    limit = now - timedelta(minutes=settings.COLLECTOR_DOWN_MINUTES)
    seen: dict[int, list[bool]] = defaultdict(list)
    links = Collector.stations.through.objects.filter(
        powerstation_id__in=station_ids, collector__is_active=True
    ).values_list("powerstation_id", "collector__last_seen")
    for station_id, last_seen in links:
        if last_seen is not None:
            seen[station_id].append(last_seen <= limit)
    return {station_id for station_id, down in seen.items() if down and all(down)}


def _open_alarms(station_ids: list[int]) -> dict[int, Counter]:
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = (
        Alarm.objects.filter(station_id__in=station_ids, cleared_at__isnull=True)
        .values_list("station_id", "event_type_id")
        .annotate(n=Count("id"))
    )
    for station_id, code, n in rows:
        counts[station_id][code] += n
    return counts


def _state(
    *, live: _Live, codes: Counter, collector_down: bool, grid_outage: bool | None
) -> StationState:
    for code, state in ALARM_STATES.items():
        if codes.get(code):
            return state
    if collector_down:
        return StationState.COLLECTOR_DOWN
    if grid_outage or live.no_grid:
        return StationState.GRID_OUTAGE
    if live.stale:
        return StationState.COMM_ERROR
    if live.reported == 0:
        return StationState.NO_DATA
    if live.current_kw <= 0:
        return StationState.STOPPED
    return StationState.NORMAL


def station_rows(stations: Iterable[PowerStation], *, now: datetime) -> list[StationRow]:
    """One row per station given, in the order given. Pass `select_related("customer")` stations
    when the page shows the customer; this function reads no customer itself."""
    stations = {s.id: s for s in stations}
    if not stations:
        return []
    ids = list(stations)
    live = _live(stations, now)
    today_rows = _today_rows(stations, now)
    down = _collectors_down(ids, now)
    alarms = _open_alarms(ids)
    grid = dict(
        StationStatus.objects.filter(station_id__in=ids).values_list("station_id", "grid_outage")
    )
    rows = []
    for station_id, station in stations.items():
        entry, codes = live[station_id], alarms.get(station_id, Counter())
        today = {**today_rows.get(station_id, {}), **entry.today_counters}
        today_kwh = round(sum(today.values()), 3)
        capacity = float(station.capacity_kwp)
        rows.append(
            StationRow(
                station=station,
                state=_state(
                    live=entry,
                    codes=codes,
                    collector_down=station_id in down,
                    grid_outage=grid.get(station_id),
                ),
                current_kw=round(entry.current_kw, 3),
                today_kwh=today_kwh,
                specific_yield=round(today_kwh / capacity, 3) if capacity else None,
                open_alarms=sum(codes.values()),
                last_ts=entry.last_ts,
                age_seconds=(now - entry.last_ts).total_seconds() if entry.last_ts else None,
                inverters=entry.inverters,
                open_codes=sorted(codes),
            )
        )
    return rows


def state_counts(rows: Iterable[StationRow]) -> dict[str, int]:
    """Plants per state, every counted state present (zero where none)."""
    counts = Counter(row.state for row in rows)
    return {state.value: counts.get(state.value, 0) for state in COUNTED_STATES}


def fleet_state_counts(stations: Iterable[PowerStation], *, now: datetime) -> dict[str, int]:
    return state_counts(station_rows(stations, now=now))


# --- One plant -----------------------------------------------------------------------------


@dataclass
class InverterRow:
    inverter: object
    status: InverterStatus | None
    age_seconds: float | None
    fresh: bool

    @property
    def state_label(self) -> str:
        if self.status is None:
            return str(StationState.NO_DATA.label)
        if not self.fresh and self.status.state != InverterState.COMM_LOST:
            return str(InverterState.COMM_LOST.label)
        return self.status.get_state_display()

    @property
    def state(self) -> str:
        if self.status is None:
            return "no_data"
        if not self.fresh:
            return InverterState.COMM_LOST
        return self.status.state


def station_detail(station: PowerStation, *, now: datetime) -> dict:
    """A plant's page data: its overview row, its inverters' live values, its equipment and
    today's, this month's and this year's energy."""
    inverters = list(station.inverters.filter(is_active=True).order_by("number"))
    statuses = {s.inverter_id: s for s in InverterStatus.objects.filter(station_id=station.id)}
    limit = timedelta(minutes=station.comm_loss_minutes)
    rows = []
    for inverter in inverters:
        status = statuses.get(inverter.id)
        last = status.last_ts if status else None
        rows.append(
            InverterRow(
                inverter=inverter,
                status=status,
                age_seconds=(now - last).total_seconds() if last else None,
                fresh=bool(last and now - last <= limit),
            )
        )
    return {
        "station": station,
        "row": station_rows([station], now=now)[0],
        "inverters": rows,
        "summary": generation_selectors.summary(stations=[station], now=now),
        "collectors": list(station.collectors.all()),
        "sensors": list(station.sensors.all()),
        "boxes": list(station.combiner_boxes.all()),
    }
