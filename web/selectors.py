"""Station reads that the pages and the API share: the fleet's rows, one plant's detail, search.

Every function takes stations the caller may see (monitoring.visibility decides) and returns
plain data. Figures (kW now, kWh today) come from generation.selectors.station_now, states
from the latest-status tables, the collectors and the open alarms, ranked by the one rule of
monitoring/states.py; nothing here reads raw readings. A fixed number of queries whatever the
number of stations (the overview lists 1,000).

`fleet_rows` keeps the rows of a set of stations in the process between requests, since
building 1,000 of them costs far more than serving them (bench/api.py):
1. the key is the fleet's data version (monitoring/changes.py: every write that changes a row
   renews it, in every process through the shared cache), the set of stations asked for, and
   the clock's FLEET_ROWS_SECONDS window (a state also changes with time alone: an inverter
   falls silent, the sun sets);
2. without a shared cache there is no version, and nothing is kept;
3. a few sets are kept (an operator's whole fleet and some owners'; monitoring/changes.py
   `kept`), the least recently used dropped first;
4. what a caller makes of the rows (the API's JSON shape) is kept beside them, per language
   and time zone, so it too is made once per version.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet, prefetch_related_objects

from events.selectors import ALARM_PLANT_STATES, open_alarm_counts
from generation.selectors import StationNow, station_now
from monitoring.changes import fleet_version, kept
from monitoring.models import (
    Collector,
    Inverter,
    InverterState,
    InverterStatus,
    PowerStation,
    StationStatus,
)
from monitoring.night import inverter_state_now
from monitoring.states import (
    PlantState,
    collector_is_down,
    comm_status,
    plant_state,
    power_station_status,
)
from telemetry import store


def inverter_state(status: InverterStatus | None, *, station: PowerStation, now: datetime) -> str:
    """The state an inverter is in now: its stored state, comm_lost once it is silent for the
    plant's communication-loss minutes of daylight (detection stores that only once a
    minute), or asleep at night (monitoring/night.py)."""
    if status is None:
        return InverterState.UNKNOWN
    return _state_now(status.last_ts, status.state, station=station, now=now)


def _state_now(last_ts: datetime | None, state: str, *, station: PowerStation, now: datetime):
    return inverter_state_now(
        state=state, last_ts=last_ts, latitude=station.latitude, longitude=station.longitude,
        comm_loss_minutes=station.comm_loss_minutes, now=now,
    )  # fmt: skip


@dataclass(frozen=True)
class StationRow:
    """One plant as the overview, the plant page and the API show it."""

    station: PowerStation
    current_kw: float
    today_kwh: float
    lifetime_kwh: float
    state: str  # a PlantState
    last_ts: datetime | None
    inverters: int
    inverters_reporting: int
    grid_outage: bool | None
    open_alarms: int = 0
    open_codes: list[int] = field(default_factory=list)
    age_seconds: float | None = None

    @property
    def state_label(self) -> str:
        return PlantState(self.state).label

    @property
    def specific_yield(self) -> float | None:
        capacity = float(self.station.capacity_kwp)
        return round(self.today_kwh / capacity, 3) if capacity else None

    @property
    def power_station_status(self) -> int:
        return power_station_status(self.current_kw)

    @property
    def comm_status(self) -> int:
        return comm_status(self.state)


@dataclass(frozen=True)
class InverterRow:
    inverter: Inverter
    status: InverterStatus | None
    state: str


@dataclass(frozen=True)
class StationDetail:
    row: StationRow
    inverters: list[InverterRow] = field(default_factory=list)


def _statuses(station_ids: list[int]) -> dict[int, list[tuple[datetime | None, str]]]:
    """(last_ts, state) of each active inverter with a status, per station id (tuples, not
    model instances: the overview asks for 1,000 plants at a time)."""
    by_station: dict[int, list] = {sid: [] for sid in station_ids}
    for station_id, last_ts, state in InverterStatus.objects.filter(
        station_id__in=station_ids, inverter__is_active=True
    ).values_list("station_id", "last_ts", "state"):
        by_station[station_id].append((last_ts, state))
    return by_station


def station_rows(stations: Iterable[PowerStation], *, now: datetime) -> list[StationRow]:
    """Per station, in the order given: kW now, kWh today, its state, its open alarms."""
    stations = list(stations)
    ids = [s.id for s in stations]
    if not ids:
        return []
    figures = station_now(stations=stations, now=now)
    statuses = _statuses(ids)
    counts = _active_inverter_counts(ids)
    grid = _grid_outages(ids)
    down = stations_with_collectors_down(ids, now=now)
    alarms = open_alarm_counts(ids)
    rows = []
    for station in stations:
        states = [
            _state_now(last_ts, state, station=station, now=now)
            for last_ts, state in statuses[station.id]
        ]
        if len(states) < counts.get(station.id, 0):
            states.append(InverterState.UNKNOWN)  # an inverter that never reported
        codes = alarms.get(station.id, Counter())
        now_figures: StationNow = figures[station.id]
        state = plant_state(
            status=station.status, inverter_states=states, grid_outage=grid.get(station.id),
            current_kw=now_figures.current_kw, last_ts=now_figures.last_ts,
            collector_down=station.id in down,
            alarmed={ALARM_PLANT_STATES[c] for c in codes if c in ALARM_PLANT_STATES},
        )  # fmt: skip
        last_ts = now_figures.last_ts
        rows.append(
            StationRow(
                station=station,
                current_kw=now_figures.current_kw,
                today_kwh=now_figures.today_kwh,
                lifetime_kwh=now_figures.lifetime_kwh,
                state=state.value,
                last_ts=last_ts,
                inverters=counts.get(station.id, 0),
                inverters_reporting=now_figures.reporting,
                grid_outage=grid.get(station.id),
                open_alarms=sum(codes.values()),
                open_codes=sorted(codes),
                age_seconds=(now - last_ts).total_seconds() if last_ts else None,
            )
        )
    return rows


# --- The fleet's rows, kept between requests ----------------------------------------------
FLEET_ROWS_SECONDS = 10  # detection marks silence once a minute; the overview shows seconds


@dataclass
class FleetRows:
    """station_rows of a set of stations, and what callers made of them (item 4 above)."""

    rows: list[StationRow]
    _shapes: dict[Hashable, dict[int, object]] = field(default_factory=dict)

    def shaped(self, key: Hashable, shape: Callable[[StationRow], object]):
        """`shape`, remembered per row under `key` for as long as these rows are kept."""
        made = self._shapes.setdefault(key, {})

        def shaped_row(row: StationRow):
            found = made.get(id(row))
            if found is None:
                found = made[id(row)] = shape(row)
            return found

        return shaped_row


def fleet_rows(stations: QuerySet[PowerStation], *, now: datetime) -> FleetRows:
    """station_rows of these stations in the queryset's order, kept as the module docstring
    says: the same rows as station_rows, never older than the latest write."""
    version = fleet_version()
    if version is None:
        return FleetRows(station_rows(stations, now=now))
    ids = tuple(stations.prefetch_related(None).values_list("id", flat=True))
    key = ("fleet rows", version, int(now.timestamp() // FLEET_ROWS_SECONDS), ids)
    return kept(key, lambda: FleetRows(station_rows(stations, now=now)))


def stations_with_collectors_down(station_ids: list[int], *, now: datetime) -> set[int]:
    """Stations all of whose active collectors that were ever seen are down (one query)."""
    seen: dict[int, list[bool]] = defaultdict(list)
    links = Collector.stations.through.objects.filter(
        powerstation_id__in=station_ids, collector__is_active=True
    ).values_list("powerstation_id", "collector__last_seen")
    for station_id, last_seen in links:
        down = collector_is_down(last_seen=last_seen, now=now)
        if down is not None:
            seen[station_id].append(down)
    return {station_id for station_id, down in seen.items() if down and all(down)}


def _active_inverter_counts(ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for station_id in Inverter.objects.filter(station_id__in=ids, is_active=True).values_list(
        "station_id", flat=True
    ):
        counts[station_id] = counts.get(station_id, 0) + 1
    return counts


def _grid_outages(ids: list[int]) -> dict[int, bool | None]:
    return dict(
        StationStatus.objects.filter(station_id__in=ids).values_list("station_id", "grid_outage")
    )


def station_detail(station: PowerStation, *, now: datetime) -> StationDetail:
    """One plant's row and each of its inverters with its latest status and state now."""
    # The inverters once, for their states and for the capacities that share them out.
    prefetch_related_objects([station], "inverters")
    (row,) = station_rows([station], now=now)
    statuses = {s.inverter_id: s for s in InverterStatus.objects.filter(station_id=station.id)}
    inverters = [
        InverterRow(
            inverter=inverter,
            status=statuses.get(inverter.id),
            state=inverter_state(statuses.get(inverter.id), station=station, now=now),
        )
        for inverter in sorted(station.inverters.all(), key=lambda i: i.number)
    ]
    return StationDetail(row=row, inverters=inverters)


def station_search(stations: QuerySet[PowerStation], *, query: str, limit: int = 20):
    """Plants whose code, name or customer's name contains the text, by code: the page's
    search, its suggestions and the API's autocomplete."""
    query = query.strip()
    if not query:
        return stations.none()
    return (
        stations.filter(
            Q(code__icontains=query) | Q(name__icontains=query)
            | Q(customer__name__icontains=query)
        )
        .select_related("customer")
        .order_by("code")[:limit]
    )  # fmt: skip


def combiner_history(
    station: PowerStation, *, number: int, start: datetime, end: datetime
) -> list[store.CombinerReadingRow] | None:
    """One combiner box's readings (voltage and each string's current) in [start, end), oldest
    first; None when the plant has no box with this number."""
    box = station.combiner_boxes.filter(number=number).first()
    if box is None:
        return None
    return store.combiner_readings(box_id=box.id, start=start, end=end)


def sensor_history(station: PowerStation, *, start: datetime, end: datetime) -> list[dict]:
    """Each sensor of a plant (irradiance, module and ambient temperature) with its readings in
    [start, end), oldest first: [{"sensor", "points": [(ts, value)]}]."""
    sensors = list(station.sensors.order_by("name", "id"))
    points: dict[int, list] = {sensor.id: [] for sensor in sensors}
    for sensor_id, ts, value in store.sensor_points(
        sensor_ids=list(points), start=start, end=end
    ):
        points[sensor_id].append((ts, value))
    return [{"sensor": sensor, "points": points[sensor.id]} for sensor in sensors]
