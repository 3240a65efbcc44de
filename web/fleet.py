"""The fleet list, as the overview page and the API's station list show it: one query of the
parameters, one selection, one order.

    fleet_query(params)              -> FleetQuery and the parameters that were wrong
    fleet_select(rows, query=...)    -> the rows that match, in the order asked for

Both take the rows of web/selectors.py (every plant the user may see, with its state), so the
page and the API can never disagree on what a filter or a sort means. The page falls back to
the default of a wrong parameter (a link from an old bookmark still shows the fleet); the API
answers 400 naming it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from generation import selectors as generation_selectors
from monitoring.models import InverterState, PowerStation, Region
from monitoring.states import COUNTED_STATES, PlantState
from solarsite.api_views import MAX_ID, whole_number
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
    "age": lambda r: r.age_seconds if r.age_seconds is not None else float("inf"),
}
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


def fleet_query(params: Mapping[str, str]) -> tuple[FleetQuery, dict[str, list[str]]]:
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
    sort = params.get("sort", "") or "code"
    if sort.lstrip("-") not in SORT_KEYS:
        errors["sort"] = [
            _("sort must be one of %(keys)s, with a leading - for the reverse order.")
            % {"keys": ", ".join(SORT_KEYS)}
        ]
        sort = "code"
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


def fleet_select(rows: Iterable[StationRow], *, query: FleetQuery) -> list[StationRow]:
    """The rows that match every filter of the query, in its order (`-key` reverses)."""
    shown = [row for row in rows if _matches(row, query)]
    shown.sort(key=SORT_KEYS[query.sort.lstrip("-")], reverse=query.sort.startswith("-"))
    return shown


def state_counts(rows: Iterable[StationRow]) -> dict[str, int]:
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
    """A plant page's live part: its row, its inverters, its equipment and energy of today,
    this month and this year."""
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
        "row": detail.row,
        "inverters": inverters,
        "summary": generation_selectors.summary(stations=[station], now=now),
        "collectors": list(station.collectors.all()),
        "sensors": list(station.sensors.all()),
        "boxes": list(station.combiner_boxes.all()),
    }

