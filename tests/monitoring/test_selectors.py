"""Station rows, states and counts that the overview page and the station API both show."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from generation.models import DailyGeneration
from monitoring.models import InverterState, InverterStatus, PowerStation, StationStatus
from monitoring.states import PlantState, comm_status
from tests.conftest import make_station
from web import selectors

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 6, 2, 12, 0, tzinfo=SEOUL)


def status(inverter, *, ago: int, ac_kw: float, state=InverterState.RUNNING, day_kwh=None):
    return InverterStatus.objects.create(
        inverter=inverter, station=inverter.station, last_ts=NOW - timedelta(minutes=ago),
        ac_kw=ac_kw, day_kwh=day_kwh, total_kwh=1000, state=state,
    )  # fmt: skip


def test_rows_give_kw_today_and_state_per_station():
    running = make_station("R001", inverters=2)
    silent = make_station("S001", inverters=1)
    never = make_station("N001", inverters=1)
    one, two = running.inverters.order_by("number")
    status(one, ago=2, ac_kw=20.0, day_kwh=33.0)
    status(two, ago=3, ac_kw=10.5)
    DailyGeneration.objects.create(
        inverter_id=two.id, station_id=running.id, date=NOW.date(), kwh=12.0, computed_at=NOW
    )
    status(silent.inverters.get(), ago=180, ac_kw=5.0)

    rows = {r.station.code: r for r in selectors.station_rows([running, silent, never], now=NOW)}

    assert (rows["R001"].current_kw, rows["R001"].today_kwh) == (30.5, 45.0)
    assert rows["R001"].state == PlantState.NORMAL
    assert (rows["R001"].power_station_status, rows["R001"].comm_status) == (0, 1)
    # Silent past its 60 communication-loss minutes: no kW counted, comm error.
    assert (rows["S001"].current_kw, rows["S001"].state) == (0.0, PlantState.COMM_ERROR)
    assert (rows["S001"].power_station_status, rows["S001"].comm_status) == (1, 0)
    assert rows["N001"].state == PlantState.NO_DATA


def test_grid_outage_outranks_running():
    station = make_station("G001", inverters=1)
    status(station.inverters.get(), ago=1, ac_kw=3.0)
    StationStatus.objects.create(station=station, grid_outage=True, grid_ts=NOW)
    stopped = make_station("T001", inverters=1)
    status(stopped.inverters.get(), ago=1, ac_kw=0.0, state=InverterState.STOPPED)

    rows = selectors.station_rows([station, stopped], now=NOW)

    assert [(row.station.code, row.state) for row in rows] == [
        ("G001", "grid_outage"), ("T001", "stopped"),
    ]  # fmt: skip


def test_an_inverter_moved_to_another_plant_counts_there_before_its_next_reading():
    first = make_station("M001", inverters=1)
    second = make_station("M002", inverters=0)
    inverter = first.inverters.get()
    status(inverter, ago=1, ac_kw=4.0, day_kwh=9.0)  # its status still names the first plant

    inverter.station = second
    inverter.save()
    rows = {r.station.code: r for r in selectors.station_rows([first, second], now=NOW)}

    assert (rows["M002"].current_kw, rows["M002"].today_kwh, rows["M002"].inverters) == (
        4.0, 9.0, 1,
    )  # fmt: skip
    assert rows["M002"].state == PlantState.NORMAL
    assert (rows["M001"].current_kw, rows["M001"].today_kwh, rows["M001"].inverters) == (
        0.0, 0.0, 0,
    )  # fmt: skip


def test_detail_lists_every_inverter_with_its_state_now():
    station = make_station("D001", inverters=2)
    status(station.inverters.get(number=1), ago=1, ac_kw=7.0)

    detail = selectors.station_detail(station, now=NOW)

    assert [(i.inverter.number, i.state) for i in detail.inverters] == [
        (1, InverterState.RUNNING), (2, InverterState.UNKNOWN),
    ]  # fmt: skip
    # An inverter that never reported does not hide the one that runs.
    assert detail.row.current_kw == 7.0 and detail.row.state == PlantState.NORMAL


def test_sleeping_inverters_put_a_plant_at_night_and_silence_counts_only_by_day():
    """The sun is 5 degrees up from about 05:53 to 19:10 here in early June."""
    asleep = make_station("Z001", inverters=1)
    lost = make_station("Z002", inverters=1)
    building = make_station("Z003", inverters=1, status=PowerStation.Status.UNDER_CONSTRUCTION)
    dusk = datetime(2026, 6, 2, 19, 30, tzinfo=SEOUL)
    # Z001 disconnected for the night at 19:30 (0 kW, 0 V); Z002 fell silent at 14:00.
    InverterStatus.objects.create(
        inverter=asleep.inverters.get(), station=asleep, last_ts=dusk, ac_kw=0.0,
        state=InverterState.GRID_OUTAGE,
    )  # fmt: skip
    InverterStatus.objects.create(
        inverter=lost.inverters.get(), station=lost, last_ts=dusk - timedelta(hours=5, minutes=30),
        ac_kw=20.0, state=InverterState.RUNNING,
    )  # fmt: skip

    def states(at):
        return {r.station.code: r.state for r in selectors.station_rows([asleep, lost, building],
                                                                        now=at)}  # fmt: skip

    midnight = datetime(2026, 6, 3, 0, 0, tzinfo=SEOUL)
    assert states(midnight) == {"Z001": "night", "Z002": "comm_error", "Z003": "under_construction"}
    # After sunrise, until it sends its first reading of the day, it is still asleep ...
    assert states(datetime(2026, 6, 3, 6, 10, tzinfo=SEOUL))["Z001"] == "night"
    # ... and lost once it has been silent for its 60 communication-loss minutes of daylight.
    assert states(datetime(2026, 6, 3, 7, 0, tzinfo=SEOUL))["Z001"] == "comm_error"
    assert comm_status("night") == 1
