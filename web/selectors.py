"""Station reads that the pages and the API share: lists, states, one plant's detail.

Every function takes stations the caller may see (monitoring.visibility decides) and returns
plain data. Figures (kW now, kWh today) come from generation.selectors.station_now, states
from the latest-status tables; nothing here reads raw readings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet, prefetch_related_objects

from generation.selectors import StationNow, station_now
from monitoring.models import (
    Inverter,
    InverterState,
    InverterStatus,
    PowerStation,
    StationStatus,
)
from monitoring.night import inverter_state_now

# A station's state is the most urgent state among its inverters, in this order: a plant
# whose inverters are all asleep is at night (monitoring/night.py).
STATE_ORDER = [
    InverterState.GRID_OUTAGE,
    InverterState.COMM_LOST,
    InverterState.STOPPED,
    InverterState.RUNNING,
    InverterState.NIGHT,
    InverterState.UNKNOWN,
]


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


def station_state(
    inverter_states: Iterable[str], *, grid_outage: bool | None, status: str = ""
) -> str:
    """The plant's state: its registry status while it is not operating (under construction,
    not in use, decommissioned), else the most urgent of its inverters' (STATE_ORDER)."""
    if status and status != PowerStation.Status.OPERATING:
        return status
    states = set(inverter_states)
    if grid_outage:
        states.add(InverterState.GRID_OUTAGE)
    for state in STATE_ORDER:
        if state in states:
            return state
    return InverterState.UNKNOWN


def power_station_status(current_kw: float) -> int:
    """The old API's powerstationStatus: 0 normal, 1 when the plant's AC kW is 0."""
    return 0 if current_kw > 0 else 1


def comm_status(state: str) -> int:
    """The old API's commStatus: 0 on a communication error, 1 otherwise (asleep at night
    included)."""
    return 0 if state in (InverterState.COMM_LOST, InverterState.UNKNOWN) else 1


@dataclass(frozen=True)
class StationRow:
    station: PowerStation
    current_kw: float
    today_kwh: float
    lifetime_kwh: float
    state: str
    last_ts: datetime | None
    inverters: int
    inverters_reporting: int
    grid_outage: bool | None

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
    """Per station, in the order given: kW now, kWh today, state, inverters reporting.

    A fixed number of queries whatever the number of stations (the overview lists 1,000).
    """
    stations = list(stations)
    ids = [s.id for s in stations]
    figures = station_now(stations=stations, now=now)
    statuses = _statuses(ids)
    counts = _active_inverter_counts(ids)
    grid = _grid_outages(ids)
    rows = []
    for station in stations:
        states = [
            _state_now(last_ts, state, station=station, now=now)
            for last_ts, state in statuses[station.id]
        ]
        if len(states) < counts.get(station.id, 0):
            states.append(InverterState.UNKNOWN)  # an inverter that never reported
        rows.append(_row(station, figures[station.id], states, counts, grid))
    return rows


def _row(station, now_figures: StationNow, states, counts, grid) -> StationRow:
    return StationRow(
        station=station,
        current_kw=now_figures.current_kw,
        today_kwh=now_figures.today_kwh,
        lifetime_kwh=now_figures.lifetime_kwh,
        state=station_state(states, grid_outage=grid.get(station.id), status=station.status),
        last_ts=now_figures.last_ts,
        inverters=counts.get(station.id, 0),
        inverters_reporting=now_figures.reporting,
        grid_outage=grid.get(station.id),
    )


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
    """Autocomplete: stations whose code or name contains the text, by code."""
    query = query.strip()
    if not query:
        return stations.none()
    return stations.filter(Q(code__icontains=query) | Q(name__icontains=query)).order_by("code")[
        :limit
    ]
