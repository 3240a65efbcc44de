"""Station reads that the pages and the API share: the fleet's rows, one plant's detail, search.

Every function takes stations the caller may see (monitoring.visibility decides) and returns
plain data. Figures (kW now, kWh today) come from generation.selectors.station_now, states
from the latest-status tables, the collectors and the open alarms, ranked by the one rule of
monitoring/states.py; nothing here reads raw readings. A fixed number of queries whatever the
number of stations (the overview lists 1,000).

`fleet_rows` keeps each plant's row in the process between requests, since building 10,000 of
them costs far more than serving them (bench/api.py, bench/soak.py):
1. a row is kept under its plant's data version (monitoring/changes.py: every write that
   changes a plant's row renews it, in every process through the shared cache), so under a
   live fleet a request rebuilds only the plants written since the last one; a change of the
   plant's rolled-up rows alone (the rollup jobs) is taken without a rebuild by a row whose
   kWh today comes from its inverters' own counters (`_stale`);
2. a row is also kept only until the clock alone could change it (`_good_until`): an inverter
   or collector that may fall silent, the sun crossing the daylight line, the plant's local
   midnight; never less than ROW_SECONDS_MIN (detection marks silence once a minute) and
   never more than ROW_SECONDS_MAX;
3. without a shared cache there is no version, and nothing is kept;
4. what a caller makes of a row (the API's JSON shape, the overview's map dot and table line)
   is kept beside it, per language and time zone, so it too is made once per version.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import translation

from events.selectors import ALARM_PLANT_STATES, open_alarm_counts
from generation.selectors import StationNow, inverter_statuses, station_now
from monitoring import plant_time
from monitoring.changes import plant_versions, without_rollups
from monitoring.models import (
    Collector,
    Inverter,
    InverterState,
    InverterStatus,
    PowerStation,
    StationStatus,
)
from monitoring.night import ASLEEP_AFTER, inverter_state_now
from monitoring.solar import DAYLIGHT_ELEVATION_DEG, sun_elevation_deg
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
    inverters_kw: float  # the active inverters' AC capacity summed
    inverters_reporting: int
    grid_outage: bool | None
    open_alarms: int = 0
    open_codes: list[int] = field(default_factory=list)
    uses_daily_rows: bool = True  # today's kWh leans on rolled-up rows (StationNow's)
    # Worked out once, when the row is built: a kept row serves many requests, is mostly built
    # in the server's background (web/refresh.py), and the overview's order and figures read
    # these for every plant of the fleet.
    is_watched: bool = field(init=False)
    capacity_kwp: float = field(init=False)  # DC
    ac_kw: float | None = field(init=False)
    specific_yield: float | None = field(init=False)  # today's kWh per DC kWp

    def __post_init__(self) -> None:
        capacity = float(self.station.capacity_kwp)
        worked_out = {
            "is_watched": self.station.is_watched,
            "capacity_kwp": capacity,
            "ac_kw": self.station.ac_kw(self.inverters_kw),
            "specific_yield": round(self.today_kwh / capacity, 3) if capacity else None,
        }
        for name, value in worked_out.items():
            object.__setattr__(self, name, value)  # frozen: set once, here

    @cached_property
    def state_label(self) -> str:
        return PlantState(self.state).label

    @cached_property
    def dc_ac_ratio(self) -> float | None:
        return self.station.dc_ac_ratio(self.inverters_kw)

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


def station_rows(stations: Iterable[PowerStation], *, now: datetime) -> list[StationRow]:
    """Per station, in the order given: kW now, kWh today, its state, its open alarms."""
    return [row for row, _until in _rows_built(stations, now=now)]


def _rows_built(stations: Iterable[PowerStation], *, now: datetime, earlier=None):
    """station_rows, each with the moment until which the clock alone cannot change it.
    `earlier` are the stations' last rows when their registry has not changed since: their
    inverters' count and capacity are taken from them instead of read again."""
    stations = list(stations)
    ids = [s.id for s in stations]
    if not ids:
        return []
    if earlier is None:
        counts, capacities = _active_inverters(ids)
    else:
        counts = {r.station.id: r.inverters for r in earlier}
        capacities = {r.station.id: r.inverters_kw for r in earlier}
    statuses = inverter_statuses(ids)
    figures = station_now(stations=stations, now=now, statuses=statuses)
    by_station: dict[int, list[tuple[datetime | None, str]]] = defaultdict(list)
    for status in statuses:
        by_station[status.station_id].append((status.last_ts, status.state))
    grid = _grid_outages(ids)
    collectors_seen = _collectors_last_seen(ids)
    alarms = open_alarm_counts(ids)
    today = plant_time.today_bounds(stations, now=now)
    built = []
    for station in stations:
        inverters = by_station.get(station.id, [])
        states = [_state_now(ts, state, station=station, now=now) for ts, state in inverters]
        if len(states) < counts.get(station.id, 0):
            states.append(InverterState.UNKNOWN)  # an inverter that never reported
        codes = alarms.get(station.id, Counter())
        now_figures: StationNow = figures[station.id]
        seen = collectors_seen.get(station.id, [])
        state = plant_state(
            status=station.status, inverter_states=states, grid_outage=grid.get(station.id),
            current_kw=now_figures.current_kw, last_ts=now_figures.last_ts,
            collector_down=_collectors_down(seen, now=now),
            alarmed={ALARM_PLANT_STATES[c] for c in codes if c in ALARM_PLANT_STATES},
        )  # fmt: skip
        row = StationRow(
            station=station,
            current_kw=now_figures.current_kw,
            today_kwh=now_figures.today_kwh,
            lifetime_kwh=now_figures.lifetime_kwh,
            state=state.value,
            last_ts=now_figures.last_ts,
            inverters=counts.get(station.id, 0),
            inverters_kw=capacities.get(station.id, 0.0),
            inverters_reporting=now_figures.reporting,
            grid_outage=grid.get(station.id),
            open_alarms=sum(codes.values()),
            open_codes=sorted(codes),
            # an active inverter that never reported would be counted from its daily rows
            uses_daily_rows=now_figures.uses_daily_rows or len(states) > len(inverters),
        )
        midnight = today[station.id][1]
        built.append((row, _good_until(station, inverters, seen, midnight=midnight, now=now)))
    return built


# --- The fleet's rows, kept between requests ----------------------------------------------
ROW_SECONDS_MIN = 10  # detection marks silence once a minute; the overview shows seconds
ROW_SECONDS_MAX = 60
# The sun's elevation changes by at most 15 degrees an hour (the Earth's turn), so it cannot
# cross the daylight line sooner than its distance from it at this rate (with a margin).
SUN_DEGREES_PER_SECOND = 0.3 / 60


def _good_until(
    station: PowerStation, inverters, collectors_seen, *, midnight: datetime, now: datetime
) -> datetime:
    """The first moment at which the clock alone may change the row (item 2 above): the
    deadlines of the rules of monitoring/night.py and monitoring/states.py that are still
    ahead, the sun's nearest possible crossing of the daylight line, the plant's midnight."""
    elevation = sun_elevation_deg(station.latitude, station.longitude, now)
    ahead = [
        now + timedelta(seconds=abs(elevation - DAYLIGHT_ELEVATION_DEG) / SUN_DEGREES_PER_SECOND),
        midnight,
    ]
    silence = timedelta(minutes=station.comm_loss_minutes)
    collector_down = timedelta(minutes=settings.COLLECTOR_DOWN_MINUTES)
    for last_ts, _state in inverters:
        if last_ts is not None:
            ahead += [last_ts + silence, last_ts + ASLEEP_AFTER]
    ahead += [last_seen + collector_down for last_seen in collectors_seen if last_seen]
    first = min((moment for moment in ahead if moment > now), default=now)
    lower = now + timedelta(seconds=ROW_SECONDS_MIN)
    return min(max(first, lower), now + timedelta(seconds=ROW_SECONDS_MAX))


@dataclass
class KeptRow:
    """A plant's row, the version and moment it holds until, and what callers made of it."""

    row: StationRow
    version: str
    until: datetime
    shapes: dict[Hashable, object] = field(default_factory=dict)


@dataclass
class FleetRows:
    """The rows of a set of stations in order, and what callers made of them (item 4)."""

    kept: list[KeptRow]
    kind: Hashable = None

    @property
    def rows(self) -> list[StationRow]:
        return [k.row for k in self.kept]

    def shaped(self, key: Hashable, shape: Callable[[StationRow], object], *, ahead=False):
        """`shape`, remembered per row under `key` for as long as the row is kept. `ahead`: a
        shape that every request makes of every row (the overview's map), which the server's
        refresh then also makes of each row it rebuilds, in the language active now."""
        if ahead and self.kind is not None:
            asked = (shape, translation.get_language(), time.monotonic())
            _ahead.setdefault(self.kind, {})[key] = asked
        by_row = {id(k.row): k for k in self.kept}

        def shaped_row(row: StationRow):
            kept_row = by_row[id(row)]
            found = kept_row.shapes.get(key)
            if found is None:
                found = kept_row.shapes[key] = shape(row)
            return found

        return shaped_row


# Per kind of queryset (what it selects and prefetches along), each plant's kept row and the
# shapes asked ahead, with their language and when; the sets of stations asked for lately.
_kept_rows: dict[Hashable, dict[int, KeptRow]] = {}
_ahead: dict[Hashable, dict[Hashable, tuple[Callable, str, float]]] = {}
_locks: dict[Hashable, threading.Lock] = {}
_asked: dict[str, tuple[QuerySet[PowerStation], float]] = {}


def fleet_rows(stations: QuerySet[PowerStation], *, now: datetime) -> FleetRows:
    """station_rows of these stations in the queryset's order, kept as the module docstring
    says: the same rows as station_rows, never older than the latest write."""
    kept = rows_refresh(stations, now=now)
    if kept is None:
        return FleetRows([KeptRow(row, "", now) for row in station_rows(stations, now=now)])
    _asked[str(stations.query)] = (stations.all(), time.monotonic())
    return FleetRows(kept, _kind(stations))


def sets_asked(*, within: float) -> list[QuerySet[PowerStation]]:
    """The sets of stations whose rows a request asked for in the last `within` seconds (the
    server's refresh keeps them fresh between requests: web/refresh.py)."""
    cutoff = time.monotonic() - within
    for key, (_stations, asked) in list(_asked.items()):
        if asked < cutoff:
            _asked.pop(key, None)
    return [stations.all() for stations, _asked_at in list(_asked.values())]


def rows_refresh(
    stations: QuerySet[PowerStation], *, now: datetime, ahead_within: float | None = None
) -> list[KeptRow] | None:
    """Rebuild the stations' kept rows that are stale (item 1 and 2 above); their kept rows
    in the queryset's order, or None without a shared cache. With `ahead_within`, also make
    of each row rebuilt the shapes asked ahead in the last that many seconds."""
    ids = list(stations.prefetch_related(None).values_list("id", flat=True))
    versions = plant_versions(ids)
    if versions is None:
        return None
    kind = _kind(stations)
    kept = _kept_rows.setdefault(kind, {})
    with _locks.setdefault(kind, threading.Lock()):  # one rebuild at a time: see web/refresh.py
        rows, built = _stale_rebuilt(stations, ids, versions, kept=kept, now=now)
        if ahead_within is not None:
            _shapes_made(built, kind=kind, within=ahead_within)
        return rows


def _kind(stations: QuerySet[PowerStation]) -> Hashable:
    return (str(stations.query.select_related), tuple(stations._prefetch_related_lookups))


def _stale_rebuilt(stations, ids, versions, *, kept: dict[int, KeptRow], now: datetime):
    """The kept rows in the order of `ids`, with the stale ones rebuilt, and those rebuilt."""
    stale = [
        i for i in ids
        # the common case inline (10,000 plants a request), the rest in _stale
        if not ((k := kept.get(i)) and k.version == versions[i] and k.until > now)
        and _stale(k, versions[i], now=now)
    ]  # fmt: skip
    # A plant whose registry is unchanged (the every-plant part of its version) keeps its
    # station and inverters: only what its readings, alarms and collectors say is read again.
    earlier = [
        kept[i].row for i in stale if i in kept and _registry(kept[i]) == _registry(versions[i])
    ]
    new = len(stale) - len(earlier)
    built = _rows_built([r.station for r in earlier], now=now, earlier=earlier)
    if new == len(ids):
        built += _rows_built(stations, now=now)  # the set's own query, not 10,000 ids
    elif new:
        again = {r.station.id for r in earlier}
        built += _rows_built(stations.filter(id__in=[i for i in stale if i not in again]), now=now)
    made = [KeptRow(row, versions[row.station.id], until) for row, until in built]
    kept.update((k.row.station.id, k) for k in made)
    return [kept[i] for i in ids if i in kept], made  # not a plant deleted since its id was read


def _shapes_made(kept_rows: list[KeptRow], *, kind: Hashable, within: float) -> None:
    cutoff = time.monotonic() - within
    for key, (shape, language, asked) in list(_ahead.get(kind, {}).items()):
        if asked < cutoff:
            _ahead[kind].pop(key, None)
            continue
        with translation.override(language):
            for kept_row in kept_rows:
                kept_row.shapes[key] = shape(kept_row.row)


def _stale(kept_row: KeptRow | None, version: str, *, now: datetime) -> bool:
    """Rebuild the row: it is not kept, or its plant changed, or the clock may change it. A
    change of the plant's rolled-up rows only matters to a row that reads them: any other
    takes the new version as it stands."""
    if kept_row is None or kept_row.until <= now:
        return True
    if kept_row.version == version:
        return False
    if kept_row.row.uses_daily_rows or without_rollups(kept_row.version) != without_rollups(
        version
    ):
        return True
    kept_row.version = version
    return False


def _registry(version: KeptRow | str) -> str:
    """The every-plant part of a plant's version (monitoring/changes.py)."""
    return (version.version if isinstance(version, KeptRow) else version).partition("/")[0]


def _collectors_last_seen(station_ids: list[int]) -> dict[int, list[datetime | None]]:
    """Per station, when each of its active collectors was last seen (one query)."""
    seen: dict[int, list[datetime | None]] = defaultdict(list)
    for station_id, last_seen in Collector.stations.through.objects.filter(
        powerstation_id__in=station_ids, collector__is_active=True
    ).values_list("powerstation_id", "collector__last_seen"):
        seen[station_id].append(last_seen)
    return seen


def _collectors_down(seen: list[datetime | None], *, now: datetime) -> bool:
    """All of the plant's active collectors that were ever seen are down."""
    down = [collector_is_down(last_seen=s, now=now) for s in seen]
    down = [d for d in down if d is not None]
    return bool(down) and all(down)


def _active_inverters(ids: list[int]) -> tuple[dict[int, int], dict[int, float]]:
    """Per station, how many active inverters it has and their AC capacity summed."""
    counts: dict[int, int] = defaultdict(int)
    capacities: dict[int, float] = defaultdict(float)
    for station_id, capacity_kw in Inverter.objects.filter(
        station_id__in=ids, is_active=True
    ).values_list("station_id", "capacity_kw"):
        counts[station_id] += 1
        capacities[station_id] += float(capacity_kw)
    return counts, capacities


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
    for sensor_id, ts, value in store.sensor_points(sensor_ids=list(points), start=start, end=end):
        points[sensor_id].append((ts, value))
    return [{"sensor": sensor, "points": points[sensor.id]} for sensor in sensors]
