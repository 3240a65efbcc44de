"""The fleet as the overview and the plant page show it: a state per plant that an operator can
act on, built on the shared station reads (monitoring/selectors.py).

The shared reads give each plant's figures and its inverters' state. The overview adds what
detection has decided (open alarms) and the collectors, in a fixed number of queries whatever
the fleet's size. A plant shows the first of these that applies:

1. collector down: a collector-down alarm is open, or every collector serving the plant has
   been silent for COLLECTOR_DOWN_MINUTES;
2. grid outage: an outage alarm is open, or the shared read says grid outage;
3. communication error: a communication alarm is open, or an inverter is silent too long;
4. not generating: a not-generating alarm is open (detection decides it in daylight only);
5. no data: no inverter has ever reported;
6. night: the sun is down at the plant and its inverters are asleep (monitoring/night.py);
7. stopped: no inverter produces power while the sun is up;
8. normal: it generates.
A plant that is not operating (under construction, not in use, decommissioned) shows that
status instead of any of these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from events.models import Alarm, EventType
from generation import selectors as generation_selectors
from monitoring.models import Collector, InverterState, PowerStation
from web.selectors import StationRow, station_detail, station_rows


class StationState(models.TextChoices):
    COLLECTOR_DOWN = "collector_down", _("Collector down")
    GRID_OUTAGE = "grid_outage", _("Grid outage")
    COMM_ERROR = "comm_error", _("Communication error")
    NOT_GENERATING = "not_generating", _("Not generating")
    NO_DATA = "no_data", _("No data")
    NIGHT = "night", _("Night")
    STOPPED = "stopped", _("Stopped")
    NORMAL = "normal", _("Normal")
    UNDER_CONSTRUCTION = PowerStation.Status.UNDER_CONSTRUCTION.value, _("Under construction")
    NOT_IN_USE = PowerStation.Status.NOT_IN_USE.value, _("Not in use")
    DECOMMISSIONED = PowerStation.Status.DECOMMISSIONED.value, _("Decommissioned")


# The counts at the top of the overview, in the order operators read them.
COUNTED_STATES = [
    StationState.NORMAL,
    StationState.NIGHT,
    StationState.STOPPED,
    StationState.GRID_OUTAGE,
    StationState.COMM_ERROR,
    StationState.NOT_GENERATING,
    StationState.COLLECTOR_DOWN,
    StationState.NO_DATA,
    StationState.UNDER_CONSTRUCTION,
    StationState.NOT_IN_USE,
    StationState.DECOMMISSIONED,
]

ALARM_STATES = {
    EventType.COLLECTOR_DOWN: StationState.COLLECTOR_DOWN,
    EventType.GRID_OUTAGE: StationState.GRID_OUTAGE,
    EventType.COMM_ERROR: StationState.COMM_ERROR,
    EventType.NOT_GENERATING: StationState.NOT_GENERATING,
}


@dataclass
class OverviewRow:
    """One plant on the overview: the shared row plus its state, alarms and yield."""

    shared: StationRow
    state: str
    open_alarms: int
    age_seconds: float | None
    open_codes: list[int] = field(default_factory=list)

    station = property(lambda self: self.shared.station)
    current_kw = property(lambda self: self.shared.current_kw)
    today_kwh = property(lambda self: self.shared.today_kwh)
    last_ts = property(lambda self: self.shared.last_ts)

    @property
    def specific_yield(self) -> float | None:
        capacity = float(self.station.capacity_kwp)
        return round(self.today_kwh / capacity, 3) if capacity else None

    @property
    def state_label(self) -> str:
        return StationState(self.state).label


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


def _state(row: StationRow, *, codes: Counter, collector_down: bool) -> StationState:
    if not row.station.is_operating:
        return StationState(row.station.status)
    for code, state in ALARM_STATES.items():
        if codes.get(code):
            return state
    if collector_down:
        return StationState.COLLECTOR_DOWN
    if row.state == InverterState.GRID_OUTAGE:
        return StationState.GRID_OUTAGE
    if row.state == InverterState.COMM_LOST:
        return StationState.COMM_ERROR
    if row.last_ts is None:
        return StationState.NO_DATA
    if row.state == InverterState.NIGHT:
        return StationState.NIGHT
    if row.current_kw <= 0:
        return StationState.STOPPED
    return StationState.NORMAL


def overview_rows(stations: Iterable[PowerStation], *, now: datetime) -> list[OverviewRow]:
    """One row per station given, in the order given."""
    shared = station_rows(stations, now=now)
    ids = [row.station.id for row in shared]
    down = _collectors_down(ids, now) if ids else set()
    alarms = _open_alarms(ids) if ids else {}
    rows = []
    for row in shared:
        codes = alarms.get(row.station.id, Counter())
        rows.append(
            OverviewRow(
                shared=row,
                state=_state(row, codes=codes, collector_down=row.station.id in down),
                open_alarms=sum(codes.values()),
                age_seconds=(now - row.last_ts).total_seconds() if row.last_ts else None,
                open_codes=sorted(codes),
            )
        )
    return rows


def state_counts(rows: Iterable[OverviewRow]) -> dict[str, int]:
    """Plants per state, every counted state present (zero where none)."""
    counts = Counter(row.state for row in rows)
    return {state.value: counts.get(state.value, 0) for state in COUNTED_STATES}


# --- One plant -----------------------------------------------------------------------------


@dataclass
class InverterLine:
    """An inverter on the plant page: the shared row and the age of its last reading."""

    inverter: object
    status: object
    state: str
    age_seconds: float | None

    @property
    def state_label(self) -> str:
        return InverterState(self.state).label


def plant_overview(station: PowerStation, *, now: datetime) -> dict:
    """A plant page's live part: its overview row, its inverters, its equipment and energy of
    today, this month and this year."""
    detail = station_detail(station, now=now)
    inverters = [
        InverterLine(
            inverter=line.inverter,
            status=line.status,
            state=line.state,
            age_seconds=(now - line.status.last_ts).total_seconds()
            if line.status and line.status.last_ts
            else None,
        )
        for line in detail.inverters
        if line.inverter.is_active
    ]
    return {
        "station": station,
        "row": overview_rows([station], now=now)[0],
        "inverters": inverters,
        "summary": generation_selectors.summary(stations=[station], now=now),
        "collectors": list(station.collectors.all()),
        "sensors": list(station.sensors.all()),
        "boxes": list(station.combiner_boxes.all()),
    }
