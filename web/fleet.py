"""The fleet list, as the overview page and the API's station list show it: one query of the
parameters, one selection, one order.

    fleet_query(params)              -> FleetQuery and the parameters that were wrong
    fleet_select(rows, query=...)    -> the rows that match, in the order asked for
    fleet_filter(rows, query)        -> the rows that match, in the order given (the map's)
    fleet_figures(rows, alarms=...)  -> the figures over the top of the overview
    map_plant(row, plants_url=...)   -> one plant on the overview's map (as JSON: map_plant_json)

The overview's default order is "problems" (`problem_key`): plants with open alarms first,
by their worst severity and then the age of its oldest alarm; then plants in a state that
needs a look or under-performing today; then the rest; plants not operating (under
construction, not in use, decommissioned) last, and the page shows them apart.

Both take the rows of web/selectors.py (every plant the user may see, with its state), so the
page and the API can never disagree on what a filter or a sort means. The page falls back to
the default of a wrong parameter (a link from an old bookmark still shows the fleet); the API
answers 400 naming it.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

import orjson
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from events.models import Severity
from events.selectors import SEVERITY_ORDER, OpenAlarms, open_alarms_by_severity
from generation import selectors as generation_selectors
from monitoring.models import InverterState, PowerStation, Region
from monitoring.states import COUNTED_STATES, PlantState
from solarsite.api_views import MAX_ID, whole_number
from telemetry.refusals import refusal_rates_last_day
from web.selectors import StationRow, station_detail

SORT_KEYS = {
    "code": lambda r: r.station.code,
    "name": lambda r: r.station.name,
    "region": lambda r: r.station.get_region_display(),
    "state": lambda r: COUNTED_STATES.index(r.state) if r.state in COUNTED_STATES else 99,
    "kw": lambda r: r.current_kw,
    "kwh": lambda r: r.today_kwh,
    "yield": lambda r: r.specific_yield or 0,
    "alarms": lambda r: r.open_alarms,
    "age": lambda r: -r.last_ts.timestamp() if r.last_ts else float("inf"),  # newest first
    "problems": None,  # needs the open alarms and the fleet's yields: `problem_key`
}
# States that need a look even without an alarm; normal and night do not.
QUIET_STATES = {PlantState.NORMAL, PlantState.NIGHT}
# Under-performing today needs this many normal plants to take a median from.
MIN_PLANTS_FOR_MEDIAN = 3
FLEET_PARAMETERS = ("q", "region", "status", "customer", "state", "sort")


@dataclass(frozen=True)
class FleetQuery:
    text: str = ""
    region: str = ""
    status: str = ""
    customer: int | None = None
    state: str = ""
    sort: str = "code"

    def as_filters(self) -> dict:
        return {"q": self.text, "region": self.region, "state": self.state, "sort": self.sort}


def fleet_query(
    params: Mapping[str, str], *, default_sort: str = "code"
) -> tuple[FleetQuery, dict[str, list[str]]]:
    """The fleet parameters of a request, and a sentence for each one that is wrong (which
    then keeps its default)."""
    errors: dict[str, list[str]] = {}

    def choice(name: str, allowed) -> str:
        value = params.get(name, "")
        if value and value not in allowed:
            errors[name] = [
                _("%(value)s is not one of %(allowed)s.")
                % {"value": value[:40], "allowed": ", ".join(allowed)}
            ]
            return ""
        return value

    customer = whole_number(params.get("customer", ""))
    if params.get("customer") and not (customer and customer <= MAX_ID):
        errors["customer"] = [_("customer must be a customer's number.")]
        customer = None
    sort = params.get("sort", "") or default_sort
    if sort.lstrip("-") not in SORT_KEYS:
        errors["sort"] = [
            _("sort must be one of %(keys)s, with a leading - for the reverse order.")
            % {"keys": ", ".join(SORT_KEYS)}
        ]
        sort = default_sort
    query = FleetQuery(
        text=params.get("q", "").strip(),
        region=choice("region", Region.values),
        status=choice("status", PowerStation.Status.values),
        customer=customer,
        state=choice("state", PlantState.values),
        sort=sort,
    )
    return query, errors


def _matches(row: StationRow, query: FleetQuery) -> bool:
    station = row.station
    if query.region and station.region != query.region:
        return False
    if query.status and station.status != query.status:
        return False
    if query.customer is not None and station.customer_id != query.customer:
        return False
    if query.state and row.state != query.state:
        return False
    if query.text:
        customer = station.customer.name if station.customer else ""
        haystack = f"{station.code} {station.name} {customer}".casefold()
        return query.text.casefold() in haystack
    return True


def fleet_select(
    rows: Iterable[StationRow],
    *,
    query: FleetQuery,
    alarms: Mapping[int, OpenAlarms] | None = None,
) -> list[StationRow]:
    """The rows that match every filter of the query, in its order (`-key` reverses). The
    problems order reads the open alarms unless the caller has them already."""
    shown = fleet_filter(rows, query)
    key = SORT_KEYS[query.sort.lstrip("-")]
    if key is None:
        if alarms is None:
            alarms = open_alarms_by_severity([row.station.id for row in shown])
        key = problem_key(shown, alarms=alarms)
    shown.sort(key=key, reverse=query.sort.startswith("-"))
    return shown


def fleet_filter(rows: Iterable[StationRow], query: FleetQuery) -> list[StationRow]:
    """The rows that match every filter of the query, in the order given."""
    return [row for row in rows if _matches(row, query)]


def problem_key(rows: list[StationRow], *, alarms: Mapping[int, OpenAlarms]):
    """The problems-first order as a sort key (see the module's docstring)."""
    weak = underperforming_today(rows)

    def key(row: StationRow) -> tuple:
        station = row.station
        if not row.is_watched:
            return (3, 0, 0.0, station.code)
        found = alarms.get(station.id)
        if found is not None:
            rank = SEVERITY_ORDER.index(found.worst)
            return (0, rank, found.oldest_worst.timestamp(), station.code)
        if row.state not in QUIET_STATES or station.id in weak:
            return (1, COUNTED_STATES.index(row.state), 0.0, station.code)
        return (2, 0, 0.0, station.code)

    return key


def underperforming_today(rows: Iterable[StationRow]) -> set[int]:
    """Ids of normal plants whose specific yield so far today is below UNDERPERFORMING_SHARE
    of the median of the normal plants shown (the rule of generation/statistics.py, on the
    running day)."""
    normal = [r for r in rows if r.state == PlantState.NORMAL and r.specific_yield is not None]
    if len(normal) < MIN_PLANTS_FOR_MEDIAN:
        return set()
    median = statistics.median(r.specific_yield for r in normal)
    floor = settings.UNDERPERFORMING_SHARE * median
    return {r.station.id for r in normal if r.specific_yield < floor}


def state_counts(rows: Iterable[StationRow]) -> dict[str, int]:
    """Plants per state, every counted state present (zero where none)."""
    counts = Counter(row.state for row in rows)
    return {state.value: counts.get(state.value, 0) for state in COUNTED_STATES}


@dataclass(frozen=True)
class FleetFigures:
    """The overview's top line, over the operating plants shown."""

    current_kw: float
    dc_kwp: float
    ac_kw: float
    today_kwh: float
    expected_kwh: float | None  # by now; None until a day has statistics
    month_kwh: float
    alarms: list[tuple[str, str, int]]  # (severity, its label, open alarms), worst first

    @property
    def dc_share(self) -> float | None:
        return self.current_kw / self.dc_kwp if self.dc_kwp else None

    @property
    def ac_share(self) -> float | None:
        return self.current_kw / self.ac_kw if self.ac_kw else None

    @property
    def expected_share(self) -> float | None:
        return self.today_kwh / self.expected_kwh if self.expected_kwh else None


def fleet_figures(
    rows: list[StationRow], *, alarms: Mapping[int, OpenAlarms], now: datetime
) -> FleetFigures:
    """kW now against the installed DC and AC capacity, today's kWh against what the plants
    should have made by now, this month's kWh and the open alarms by severity. Plants not
    operating count for their alarms only. A fixed number of queries, whatever the fleet."""
    operating = [r for r in rows if r.is_watched]
    today = sum(r.today_kwh for r in operating)
    expected, earlier_days = _rollup_figures([r.station for r in operating], now=now)
    by_severity: Counter = Counter()
    shown = {row.station.id for row in rows}
    for station_id, found in alarms.items():
        if station_id in shown:
            by_severity.update(found.by_severity)
    return FleetFigures(
        current_kw=round(sum(r.current_kw for r in operating), 3),
        dc_kwp=round(sum(r.capacity_kwp for r in operating), 3),
        ac_kw=round(sum(r.ac_kw or 0.0 for r in operating), 3),
        today_kwh=round(today, 3),
        expected_kwh=expected,
        month_kwh=round(earlier_days + today, 3),
        alarms=[(s.value, Severity(s).label, by_severity.get(s.value, 0)) for s in SEVERITY_ORDER],
    )


# What the overview's figures read from the rollups and the daily statistics (and the revenue
# card, web/templatetags/economics.py) changes only when the rollup jobs write them, and the
# expected share of the day in 5-minute steps: a fleet of 10,000 plants reads them once per
# step, not on every refresh of every operator's page. Made by a step's first request, they
# cost it 150-250 ms at 10,000 plants; the server's refresh (web/refresh.py) makes the next
# step's in the last FIGURES_AHEAD_SECONDS of a step instead (`figures_ahead`).
FIGURES_STEP_SECONDS = 300
FIGURES_AHEAD_SECONDS = 30


def figures_step(now: datetime) -> int:
    """The step of the kept figures that `now` falls in."""
    return int(now.timestamp() // FIGURES_STEP_SECONDS)


def next_figures_moment(now: datetime) -> datetime | None:
    """A moment of the next step when that step starts within FIGURES_AHEAD_SECONDS."""
    soon = now + timedelta(seconds=FIGURES_AHEAD_SECONDS)
    return soon if figures_step(soon) != figures_step(now) else None


def _rollup_figures(stations: list[PowerStation], *, now: datetime) -> tuple[float | None, float]:
    """kWh expected by now and kWh of the month's earlier days (generation.selectors), kept
    for the step of `now` as of the moment that made them."""
    key = f"fleet-figures:{figures_step(now)}:{stations_digest(stations)}"
    found = cache.get(key)
    if found is None:
        found = (
            generation_selectors.expected_kwh_by_now(stations=stations, now=now),
            generation_selectors.month_to_date_kwh(stations=stations, now=now),
        )
        cache.set(key, found, 2 * FIGURES_STEP_SECONDS)
    return found


def figures_ahead(rows: list[StationRow], *, now: datetime) -> None:
    """For the server's refresh: the next step's rollup figures of the plants that
    `fleet_figures` sums, made before a request of that step asks for them."""
    soon = next_figures_moment(now)
    if soon is not None:
        _rollup_figures([r.station for r in rows if r.is_watched], now=soon)


def stations_digest(stations: Iterable[PowerStation]) -> str:
    """A short name for a set of stations, for the keys of values kept per set."""
    return _ids_digest(tuple(sorted(s.id for s in stations)))


@lru_cache(maxsize=32)  # an overview of 10,000 plants names its set twice a request
def _ids_digest(ids: tuple[int, ...]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def map_plant_json(row: StationRow, *, plants_url: str) -> bytes:
    """map_plant encoded: the map's data joins 10,000 of them, each kept with its row."""
    return orjson.dumps(map_plant(row, plants_url=plants_url))


def map_plant(row: StationRow, *, plants_url: str) -> dict:
    """One plant on the overview map (static/map.js): where it stands, its state, its page."""
    return {
        "code": row.station.code,
        "name": row.station.name,
        "lat": row.station.latitude,
        "lon": row.station.longitude,
        "state": row.state,
        "label": str(row.state_label),
        "url": f"{plants_url}{quote(row.station.code)}/",
    }


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
    """A plant page's live part: its row, its inverters, its equipment and energy of today,
    this month and this year."""
    detail = station_detail(station, now=now)
    collectors = list(station.collectors.all())
    rates = refusal_rates_last_day(collector_ids=[c.pk for c in collectors], now=now)
    for collector in collectors:
        collector.refusal_rate = rates.get(collector.pk)
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
        "row": detail.row,
        "inverters": inverters,
        "summary": generation_selectors.summary(stations=[station], now=now),
        "collectors": collectors,
        "sensors": list(station.sensors.all()),
        "boxes": list(station.combiner_boxes.all()),
    }
