"""The station list and a plant's day curve are kept between requests (monitoring/changes.py,
web/selectors.py `fleet_rows`) and are never older than the data: every write that changes
them is in the next answer.

Needs a cache shared between processes, as a deployment with REDIS_URL has (the
`shared_cache` fixture of tests/conftest.py). The tests commit, as a server does: the version
is renewed when a write commits.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from events.alarms import alarms_clear, alarms_raise
from events.models import Alarm, EventType
from generation.models import DailyGeneration
from monitoring import plant_time
from monitoring.changes import plants_changed
from monitoring.models import PowerStation
from tests.api.conftest import client_as, token_for
from tests.conftest import sunlit
from web import refresh, selectors
from web.fleet import fleet_figures
from web.pages import plants
from web.templatetags.economics import card_figures

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)

@pytest.fixture
def operator(fleet):
    return client_as(token_for(fleet["operator"]))


def plant(client, code: str) -> dict:
    (row,) = [r for r in client.get("/api/v1/stations").json()["results"] if r["code"] == code]
    return row


def ingest(
    fleet, *, ac_kw: float, seconds_ago: int = 30, outcome: str = "accepted", inverter: int = 1
) -> None:
    """One reading of A001's inverter 1 (the collector's token is issued once: issuing saves
    the collector, which renews the version by itself)."""
    token = fleet.get("token") or fleet.setdefault("token", fleet["collector_a"].issue_token())
    ts = timezone.now().replace(microsecond=0) - timedelta(seconds=seconds_ago)
    item = {"station": "A001", "inverter": inverter, "ts": ts.isoformat(), "ac_kw": ac_kw,
            "day_kwh": 10.0, "total_kwh": 1000.0, "ac_v": [380, 380, 380]}  # fmt: skip
    answer = client_as(None).post(
        "/api/v1/ingest", json.dumps({"readings": [item]}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert answer.json()[outcome] == 1, answer.content


def queries_of(client, path: str) -> int:
    with CaptureQueriesContext(connections["default"]) as default, CaptureQueriesContext(
        connections["telemetry"]
    ) as telemetry:
        assert client.get(path).status_code == 200
    return len(default) + len(telemetry)


def test_rows_are_kept_while_nothing_changes(shared_cache, fleet, operator):
    first = queries_of(operator, "/api/v1/stations")
    again = queries_of(operator, "/api/v1/stations")
    assert again < first  # the rows were not built again
    assert again <= 6  # the token, the login's touch and the plants' ids: no row is read


def test_a_new_reading_is_in_the_next_answer(shared_cache, fleet, operator):
    ingest(fleet, ac_kw=12.5, seconds_ago=60)
    assert plant(operator, "A001")["current_kw"] == 12.5
    assert plant(operator, "A001")["current_kw"] == 12.5  # kept now
    ingest(fleet, ac_kw=30.0)
    assert plant(operator, "A001")["current_kw"] == 30.0


def test_a_renamed_plant_and_a_new_one_are_in_the_next_answer(shared_cache, fleet, operator):
    assert plant(operator, "A001")["name"] != "Renamed"
    station = PowerStation.objects.get(code="A001")
    station.name = "Renamed"
    station.save()
    assert plant(operator, "A001")["name"] == "Renamed"
    PowerStation.objects.create(
        code="C001", name="New", region=station.region, latitude=35, longitude=127,
        capacity_kwp=100,
    )  # fmt: skip
    assert plant(operator, "C001")["name"] == "New"


def test_an_alarm_raised_and_cleared_is_in_the_next_answer(shared_cache, fleet, operator):
    ingest(fleet, ac_kw=20.0)
    before = plant(operator, "A001")["state"]
    station = fleet["station_a"]
    event_type = EventType.objects.get(code=201)  # grid power outage
    (alarm,) = alarms_raise(
        alarms=[Alarm(event_type=event_type, subject=f"station:{station.id}", station=station)],
        now=timezone.now(),
    )
    assert plant(operator, "A001")["state"] == "grid_outage"
    alarms_clear(alarms=[alarm], now=timezone.now())
    assert plant(operator, "A001")["state"] == before


def test_each_set_of_plants_has_its_own_rows(shared_cache, fleet, operator):
    owner = client_as(token_for(fleet["owner_a"]))
    assert [r["code"] for r in owner.get("/api/v1/stations").json()["results"]] == ["A001"]
    codes = [r["code"] for r in operator.get("/api/v1/stations").json()["results"]]
    assert codes == ["A001", "B001"]


def test_without_a_shared_cache_nothing_is_kept(fleet, operator):
    first = queries_of(operator, "/api/v1/stations")
    assert queries_of(operator, "/api/v1/stations") == first
    assert selectors.fleet_rows(PowerStation.objects.all(), now=timezone.now()).rows


def curve_points(client, code: str) -> list[float]:
    body = client.get(f"/api/v1/stations/{code}/generation/curve").json()
    (inverter_1,) = [i for i in body["inverters"] if i["inverter"] == 1]
    return [point["kw"] for point in inverter_1["points"]]


def test_a_new_reading_is_in_the_next_day_curve(shared_cache, fleet, operator):
    ingest(fleet, ac_kw=12.5, seconds_ago=120)
    made = queries_of(operator, "/api/v1/stations/A001/generation/curve")
    assert queries_of(operator, "/api/v1/stations/A001/generation/curve") < made  # kept
    assert curve_points(operator, "A001") == [12.5]
    ingest(fleet, ac_kw=30.0, seconds_ago=60)
    assert curve_points(operator, "A001") == [12.5, 30.0]
    ingest(fleet, ac_kw=20.0, seconds_ago=60, outcome="updated")  # a corrected reading
    assert curve_points(operator, "A001") == [12.5, 20.0]


def test_a_reading_rebuilds_only_its_own_plants_row(shared_cache, fleet):
    fleet["token"] = fleet["collector_a"].issue_token()  # saves the collector: every row's
    stations = PowerStation.objects.order_by("code")
    before = {r.station.code: r for r in selectors.fleet_rows(stations, now=timezone.now()).rows}
    ingest(fleet, ac_kw=12.5)
    after = {r.station.code: r for r in selectors.fleet_rows(stations, now=timezone.now()).rows}
    assert after["A001"].current_kw == 12.5
    assert after["B001"] is before["B001"]  # B001 was not written: its row was not rebuilt


def test_kept_rows_follow_the_clock_between_writes(shared_cache, fleet):
    """An inverter falls silent with no write at all: the kept row changes when a row built
    afresh does, not up to a minute later."""
    station = fleet["station_a"]
    now = timezone.now()
    PowerStation.objects.filter(pk=station.pk).update(**sunlit(now))
    ingest(fleet, ac_kw=12.5, seconds_ago=station.comm_loss_minutes * 60 - 20)
    stations = PowerStation.objects.order_by("code")
    seen = set()
    for seconds in (0, 5, 15, 25, 35, 45):
        later = now + timedelta(seconds=seconds)
        kept = [(r.station.code, r.state, r.current_kw) for r in
                selectors.fleet_rows(stations, now=later).rows]  # fmt: skip
        fresh = [(r.station.code, r.state, r.current_kw) for r in
                 selectors.station_rows(stations, now=later)]  # fmt: skip
        assert kept == fresh, f"{seconds} s later"
        seen.add(kept[0][1])
    assert seen == {"normal", "comm_error"}  # the silence did fall inside the window


def test_the_servers_refresh_leaves_a_request_nothing_to_rebuild(shared_cache, fleet):
    """web/refresh.py: a round of the server's background thread rebuilds what was written
    since, so the next request only reads the plants' ids and versions."""
    fleet["token"] = fleet["collector_a"].issue_token()
    stations = PowerStation.objects.order_by("code").select_related("customer")
    selectors.fleet_rows(stations, now=timezone.now())  # asked for: now watched
    ingest(fleet, ac_kw=12.5)
    rounds: list[int] = []
    thread = threading.Thread(target=lambda: rounds.append(refresh.refresh_round()))
    thread.start()
    thread.join()
    assert rounds and rounds[0] >= 1
    with CaptureQueriesContext(connections["default"]) as default:
        rows = selectors.fleet_rows(stations, now=timezone.now()).rows
    assert [r.current_kw for r in rows if r.station.code == "A001"] == [12.5]
    assert len(default) == 1  # the ids: no row was built again


def test_the_servers_refresh_makes_the_map_dots_of_the_rows_it_rebuilds(
    shared_cache, fleet, client, monkeypatch
):
    """Every overview shows every plant's dot: the refresh makes them with the rows it
    rebuilds, so the next request makes none (web/refresh.py, item 2)."""
    fleet["token"] = fleet["collector_a"].issue_token()
    client.force_login(fleet["operator"])
    assert client.get("/map/").status_code == 200  # asked for: now watched
    ingest(fleet, ac_kw=12.5)
    thread = threading.Thread(target=refresh.refresh_round)
    thread.start()
    thread.join()
    made: list = []
    monkeypatch.setattr(plants, "map_plant_json", lambda row, **_: made.append(row) or b"{}")
    dots = client.get("/map/").json()
    assert made == []  # every dot was made already
    assert {d["code"] for d in dots} == {"A001", "B001"}


def test_the_servers_refresh_makes_the_next_steps_figures_before_a_request_asks(
    shared_cache, fleet
):
    """web/refresh.py, item 3: the fleet's kWh of the month and the revenue card are kept per
    5-minute step; made by the step's first request, they cost it a month of daily rows."""
    station = fleet["station_a"]
    DailyGeneration.objects.create(
        inverter_id=station.inverters.first().id, station_id=station.id,
        date=date(2026, 6, 3), kwh=40.0, computed_at=timezone.now(),
    )  # fmt: skip
    step_starts = datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    stations = PowerStation.objects.order_by("code")
    rows = selectors.station_rows(stations, now=step_starts - timedelta(minutes=1))
    later = step_starts + timedelta(seconds=5)

    def figures_and_card():
        with translation.override("en"):
            return (
                fleet_figures(rows, alarms={}, now=later).month_kwh,
                card_figures(list(stations), today=later.date(), now=later),
            )

    with CaptureQueriesContext(connections["default"]) as early:
        refresh.figures_ahead(rows, now=step_starts - timedelta(seconds=40))
    assert len(early) == 0  # not yet in the step's last seconds
    refresh.figures_ahead(rows, now=step_starts - timedelta(seconds=10))
    with CaptureQueriesContext(connections["default"]) as asked:
        kept = figures_and_card()
    assert len(asked) == 0
    cache.clear()
    assert kept == figures_and_card()  # what the step's first request would have made
    assert kept[0] == 40.0


def test_a_rollup_rebuilds_only_the_rows_whose_kwh_today_leans_on_it(shared_cache, fleet):
    """A001's inverters report their own day counters; B001's never reported, so its kWh today
    is its daily rows'. The hourly rollup writes B001's and stamps both plants' rollups."""
    fleet["token"] = fleet["collector_a"].issue_token()
    for number in (1, 2):
        ingest(fleet, ac_kw=12.5, inverter=number)
    stations = PowerStation.objects.order_by("code")
    before = {r.station.code: r for r in selectors.fleet_rows(stations, now=timezone.now()).rows}
    b001 = fleet["station_b"]
    today = plant_time.local_date(timezone.now(), b001.tz)
    for inverter in b001.inverters.all():
        DailyGeneration.objects.create(
            inverter_id=inverter.id, station_id=b001.id, date=today, kwh=7.5,
            computed_at=timezone.now(),
        )  # fmt: skip
    plants_changed(station_ids=[fleet["station_a"].id, b001.id], rollups=True)
    after = {r.station.code: r for r in selectors.fleet_rows(stations, now=timezone.now()).rows}
    assert after["A001"] is before["A001"]  # its counters, not the rollups, say its kWh today
    assert before["B001"].today_kwh == 0 and after["B001"].today_kwh == 15.0
