"""The fleet overview: states in words, today's figures, filters, sorting, refresh, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Alarm, EventType
from monitoring.models import Collector, PowerStation, Region
from tests.conftest import dark, make_station, sunlit
from tests.monitoring.page_data import grid_set, status_set

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def rows_of(response) -> dict[str, str]:
    """code -> the row's text, as a person reads the table."""
    html = response.content.decode()
    rows = {}
    for chunk in html.split('data-code="')[1:]:
        code = chunk.split('"', 1)[0]
        rows[code] = " ".join(chunk.split("</tr>", 1)[0].split())
    return rows


@pytest.fixture
def states(fleet):
    """Plants in each state; A001 (owner A's) runs. They stand where the sun is up now, but
    C006, where it is midnight, and C007 is still being built."""
    now = timezone.now()
    PowerStation.objects.update(**sunlit(now))
    a, b = fleet["station_a"], fleet["station_b"]
    for inverter in a.inverters.all():
        status_set(inverter, at=now - timedelta(minutes=2), ac_kw=30.0, day_kwh=120.0)
    for inverter in b.inverters.all():
        status_set(inverter, at=now - timedelta(minutes=3), ac_kw=0.0, day_kwh=50.0)
    outage = make_station("C001", region=Region.JEJU, **sunlit(now))
    for inverter in outage.inverters.all():
        status_set(inverter, at=now, ac_kw=0.0)
    grid_set(outage, at=now, outage=True)
    silent = make_station("C002", name="조용한 발전소", **sunlit(now))
    for inverter in silent.inverters.all():
        status_set(inverter, at=now - timedelta(hours=3), ac_kw=20.0)
    down = make_station("C003", **sunlit(now))
    collector = Collector.objects.create(name="down", last_seen=now - timedelta(hours=1))
    collector.stations.add(down)
    for inverter in down.inverters.all():
        status_set(inverter, at=now - timedelta(minutes=70), ac_kw=10.0)
    idle = make_station("C004", **sunlit(now))
    for inverter in idle.inverters.all():
        status_set(inverter, at=now, ac_kw=0.0)
    Alarm.objects.create(
        event_type_id=EventType.NOT_GENERATING, subject=f"inv:{idle.inverters.first().id}",
        station=idle, inverter=idle.inverters.first(), raised_at=now, open_key="203:x",
    )  # fmt: skip
    make_station("C005", **sunlit(now))  # never reported
    asleep = make_station("C006", **dark(now))
    for inverter in asleep.inverters.all():  # quiet since dusk, at 0 V: asleep, not an outage
        status_set(inverter, at=now - timedelta(hours=5), ac_kw=0.0, state="grid_outage")
    building = make_station("C007", status=PowerStation.Status.UNDER_CONSTRUCTION, **sunlit(now))
    for inverter in building.inverters.all():
        status_set(inverter, at=now, ac_kw=0.0)
    return fleet


def test_operator_sees_every_plant_with_its_state_in_words(client_as, states):
    response = client_as(states["operator"]).get("/", HTTP_ACCEPT_LANGUAGE="en")
    rows = rows_of(response)
    assert set(rows) == {"A001", "B001", "C001", "C002", "C003", "C004", "C005", "C006", "C007"}
    assert "Normal" in rows["A001"] and "60.0 kW" in rows["A001"] and "240.0 kWh" in rows["A001"]
    assert "2.40 kWh/kWp" in rows["A001"] and "2 min ago" in rows["A001"]
    assert "Stopped" in rows["B001"] and "0.0 kW" in rows["B001"]
    assert "Grid outage" in rows["C001"]
    assert "Communication error" in rows["C002"]
    assert "Collector down" in rows["C003"]
    assert "Not generating" in rows["C004"] and ">1</a>" in rows["C004"]
    assert "No data" in rows["C005"] and "never" in rows["C005"]
    assert "Night" in rows["C006"] and "Stopped" not in rows["C006"]
    assert "Under construction" in rows["C007"] and "Stopped" not in rows["C007"]
    counts = response.context["counts"]
    assert {state: n for state, _label, n in counts} == {
        "normal": 1, "night": 1, "stopped": 1, "grid_outage": 1, "comm_error": 1,
        "not_generating": 1, "collector_down": 1, "no_data": 1, "under_construction": 1,
        "not_in_use": 0, "decommissioned": 0,
    }  # fmt: skip


def test_an_owner_sees_only_their_plants(client_as, states):
    response = client_as(states["owner_a"]).get("/")
    assert set(rows_of(response)) == {"A001"}
    assert response.context["total"] == 1


def test_korean_by_default(client_as, states):
    response = client_as(states["operator"]).get("/")
    assert "정상" in rows_of(response)["A001"]
    assert "통신 오류" in rows_of(response)["C002"]


def test_filters_by_region_state_and_text(client_as, states):
    client = client_as(states["operator"])
    assert set(rows_of(client.get("/?region=jeju"))) == {"C001"}
    assert set(rows_of(client.get("/?state=stopped"))) == {"B001"}
    assert set(rows_of(client.get("/?q=조용한"))) == {"C002"}
    assert set(rows_of(client.get("/?q=customer b"))) == {"B001"}
    empty = client.get("/?q=nothing-like-this", HTTP_ACCEPT_LANGUAGE="en")
    assert "No plant matches these filters." in empty.content.decode()
    # an unknown filter value is ignored, not an error
    assert client.get("/?state=bogus&region=mars&sort=nope").status_code == 200


@pytest.mark.parametrize(
    "sort, first, last",
    [("code", "A001", "C007"), ("-code", "C007", "A001"), ("-kw", "A001", None),
     ("age", "C001", "C005"), ("-kwh", "A001", None)],
)  # fmt: skip
def test_sorts_by_any_column(client_as, states, sort, first, last):
    codes = list(rows_of(client_as(states["operator"]).get(f"/?sort={sort}")))
    assert codes[0] == first or (sort == "age" and codes[0] in {"C001", "C004", "C007"})
    if last:
        assert codes[-1] == last


def test_the_table_refreshes_itself_every_minute(client_as, states):
    client = client_as(states["operator"])
    page = client.get("/?state=stopped").content.decode()
    assert 'hx-trigger="every 60s"' in page
    assert "part=fleet" in page and "state=stopped" in page
    part = client.get("/?state=stopped&part=fleet", HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert html.lstrip().startswith('<section id="fleet"') and "<html" not in html
    assert set(rows_of(part)) == {"B001"}


def test_the_page_needs_a_login(client, states):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_administrators_get_the_admin_link(client_as, states):
    assert 'href="/admin/"' in client_as(states["admin"]).get("/").content.decode()
    assert 'href="/admin/"' not in client_as(states["operator"]).get("/").content.decode()


def _fleet_of(start: int, count: int) -> None:
    now = timezone.now()
    for i in range(start, start + count):
        station = make_station(f"Q{i:04d}", inverters=2)
        for inverter in station.inverters.all():
            status_set(inverter, at=now, ac_kw=float(i % 3))
        if i % 5 == 0:
            Alarm.objects.create(
                event_type_id=EventType.GRID_OUTAGE, subject=f"st:{station.id}", station=station,
                raised_at=now, open_key=f"201:st:{station.id}",
            )  # fmt: skip
        collector = Collector.objects.create(name=f"c{i}", last_seen=now)
        collector.stations.add(station)


def _queries(client, start: int, count: int) -> int:
    _fleet_of(start, count)
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["telemetry"]) as telemetry,
    ):
        response = client.get(reverse("home"))
    assert response.status_code == 200 and response.context["total"] >= count
    return len(default) + len(telemetry)


def test_the_query_count_does_not_grow_with_the_fleet(client_as, fleet):
    client = client_as(fleet["operator"])
    client.get("/")  # session and user cached like on every later request
    ten = _queries(client, 0, 10)
    hundred = _queries(client, 10, 90)  # 100 plants now (and the fleet's two)
    assert ten == hundred
