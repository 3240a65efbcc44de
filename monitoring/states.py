"""What state a collector, an inverter and a plant are in now: the one set of rules that
detection (events/detection.py), the pages and the API ask, next to the registry they describe
(as healthchecks' `Check.get_status()` sits on its model). The night rule they build on is
monitoring/night.py.

A plant shows the first of these that applies:

1. its registry status while it is not operating (under construction, not in use,
   decommissioned);
2. what detection has confirmed: an open alarm of collector down, grid outage, communication
   error or not generating, in that order (the caller maps its open alarms to these states);
3. collector down: every collector serving the plant has been silent for
   COLLECTOR_DOWN_MINUTES (`collector_is_down`);
4. grid outage: the site reports one, or an inverter sees no grid;
5. communication error: an inverter is silent for the plant's communication-loss minutes of
   daylight (`inverter_is_silent`);
6. no data: no inverter has ever reported;
7. night: the sun is down at the plant and its inverters are asleep;
8. stopped: no inverter produces power while the sun is up;
9. normal: it generates.
The API gives the state's machine code, the pages its label; both come from `PlantState`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.models import InverterState, PowerStation
from monitoring.night import silent_too_long


class PlantState(models.TextChoices):
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
    PlantState.NORMAL,
    PlantState.NIGHT,
    PlantState.STOPPED,
    PlantState.GRID_OUTAGE,
    PlantState.COMM_ERROR,
    PlantState.NOT_GENERATING,
    PlantState.COLLECTOR_DOWN,
    PlantState.NO_DATA,
    PlantState.UNDER_CONSTRUCTION,
    PlantState.NOT_IN_USE,
    PlantState.DECOMMISSIONED,
]

# Rule 2: the states an open alarm can put a plant in, most urgent first.
ALARMED_STATES = [
    PlantState.COLLECTOR_DOWN,
    PlantState.GRID_OUTAGE,
    PlantState.COMM_ERROR,
    PlantState.NOT_GENERATING,
]

# The inverters' states, most urgent first: a plant is as bad as its worst inverter.
INVERTER_ORDER = [
    InverterState.GRID_OUTAGE,
    InverterState.COMM_LOST,
    InverterState.STOPPED,
    InverterState.RUNNING,
    InverterState.NIGHT,
    InverterState.UNKNOWN,
]


def collector_is_down(*, last_seen: datetime | None, now: datetime) -> bool | None:
    """Silent for COLLECTOR_DOWN_MINUTES (the collector's heartbeat knows no night); None
    when it was never seen, so there is nothing to say about it yet."""
    if last_seen is None:
        return None
    return last_seen <= now - timedelta(minutes=settings.COLLECTOR_DOWN_MINUTES)


def inverter_is_silent(
    *,
    last_ts: datetime | None,
    latitude: float,
    longitude: float,
    comm_loss_minutes: int,
    now: datetime,
) -> bool:
    """Silent for the plant's communication-loss minutes of daylight (monitoring/night.py,
    rule 1); an inverter that never reported is not silent, it is unknown."""
    return last_ts is not None and silent_too_long(
        latitude=latitude, longitude=longitude, last_ts=last_ts, now=now,
        comm_loss_minutes=comm_loss_minutes,
    )  # fmt: skip


def worst_inverter_state(inverter_states: Iterable[str], *, grid_outage: bool | None) -> str:
    """The most urgent of the inverters' states (a reported grid outage counts as one)."""
    states = set(inverter_states)
    if grid_outage:
        states.add(InverterState.GRID_OUTAGE)
    return next((state for state in INVERTER_ORDER if state in states), InverterState.UNKNOWN)


def plant_state(
    *,
    status: str,
    inverter_states: Iterable[str],
    grid_outage: bool | None,
    current_kw: float,
    last_ts: datetime | None,
    collector_down: bool = False,
    alarmed: Iterable[str] = (),
) -> PlantState:
    """The plant's state now, by the rules of the module docstring. `inverter_states` are its
    active inverters' states now (monitoring/night.py), `alarmed` the states its open alarms
    stand for."""
    if status != PowerStation.Status.OPERATING:
        return PlantState(status)
    alarmed = set(alarmed)
    for state in ALARMED_STATES:
        if state in alarmed:
            return state
    if collector_down:
        return PlantState.COLLECTOR_DOWN
    worst = worst_inverter_state(inverter_states, grid_outage=grid_outage)
    if worst == InverterState.GRID_OUTAGE:
        return PlantState.GRID_OUTAGE
    if worst == InverterState.COMM_LOST:
        return PlantState.COMM_ERROR
    if last_ts is None:
        return PlantState.NO_DATA
    if worst == InverterState.NIGHT:
        return PlantState.NIGHT
    if current_kw <= 0:
        return PlantState.STOPPED
    return PlantState.NORMAL


def power_station_status(current_kw: float) -> int:
    """The old API's powerstationStatus: 0 normal, 1 when the plant's AC kW is 0."""
    return 0 if current_kw > 0 else 1


def comm_status(state: str) -> int:
    """The old API's commStatus: 0 on a communication error (the collector's or an inverter's,
    or no data yet), 1 otherwise (asleep at night included)."""
    silent = (PlantState.COMM_ERROR, PlantState.COLLECTOR_DOWN, PlantState.NO_DATA)
    return 0 if state in silent else 1
