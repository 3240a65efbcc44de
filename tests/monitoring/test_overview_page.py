"""The fleet overview: states in words, today's figures, filters, sorting, refresh, roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Alarm, EventType
from monitoring import plant_time
from monitoring.models import Collector, PowerStation, Region
from tests.conftest import dark, make_station, sunlit
from tests.economics.conftest import put_days
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
    # C007, under construction, is listed apart after the operating plants whatever the order
    [("code", "A001", "C007"), ("-code", "C006", "C007"), ("-kw", "A001", "C007"),
     ("age", "C001", "C007"), ("-kwh", "A001", "C007")],
)  # fmt: skip
def test_sorts_by_any_column(client_as, states, sort, first, last):
    codes = list(rows_of(client_as(states["operator"]).get(f"/?sort={sort}")))
    assert codes[0] == first or (sort == "age" and codes[0] in {"C001", "C004"})
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


def _codes_in_order(response) -> list[str]:
    return list(rows_of(response))


def test_problems_come_first_by_default(client_as, states):
    """Open alarms by severity then age, then plants that need a look, then the rest; the
    plant under construction is listed apart, after them."""
    now = timezone.now()
    c001, c002 = PowerStation.objects.get(code="C001"), PowerStation.objects.get(code="C002")
    Alarm.objects.create(
        event_type_id=EventType.GRID_OUTAGE, subject=f"st:{c001.id}", station=c001,
        raised_at=now - timedelta(minutes=10), open_key="201:c001",
    )  # fmt: skip
    Alarm.objects.create(
        event_type_id=EventType.COMM_ERROR, subject=f"st:{c002.id}", station=c002,
        raised_at=now - timedelta(hours=1), open_key="202:c002",
    )  # fmt: skip
    response = client_as(states["operator"]).get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert _codes_in_order(response) == [
        "C001",  # critical alarm
        "C002", "C004",  # warnings, the older first
        "B001", "C003", "C005",  # stopped, collector down, no data: no alarm yet
        "A001", "C006",  # normal, night
        "C007",  # under construction, apart
    ]  # fmt: skip
    html = response.content.decode()
    apart = html.split('class="grid fleet apart"', 1)[1]
    assert 'data-code="C007"' in apart and 'data-code="A001"' not in apart
    assert "Not operating" in html
    # any column still sorts, and "problems first" brings the default back
    by_code = client_as(states["operator"]).get("/?sort=code")
    assert _codes_in_order(by_code)[0] == "A001"
    assert 'href="?sort=problems"' in by_code.content.decode()


def test_an_under_performing_plant_comes_before_the_normal_ones(client_as, fleet):
    now = timezone.now()
    PowerStation.objects.update(**sunlit(now))
    for code, kwh in [("N001", 300.0), ("N002", 320.0), ("N003", 310.0), ("N004", 90.0)]:
        station = make_station(code, **sunlit(now))
        for inverter in station.inverters.all():
            status_set(inverter, at=now - timedelta(minutes=1), ac_kw=20.0, day_kwh=kwh / 2)
    codes = _codes_in_order(client_as(fleet["operator"]).get("/"))
    assert codes.index("N004") < codes.index("N001")  # 0.9 kWh/kWp beside a median of 3.0


def test_the_fleet_figures_on_top(client_as, states):
    now = timezone.now()
    c001 = PowerStation.objects.get(code="C001")
    Alarm.objects.create(
        event_type_id=EventType.GRID_OUTAGE, subject=f"st:{c001.id}", station=c001,
        raised_at=now, open_key="201:c001",
    )  # fmt: skip
    response = client_as(states["operator"]).get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = " ".join(response.content.decode().split())
    figures = html.split('<dl class="figures"', 1)[1].split("</dl>", 1)[0]
    # eight operating plants of 100 kWp and two 50 kW inverters each; C007 is being built
    assert "60.0 kW" in figures and "of 800.0 kWp DC (7.5 %)" in figures
    assert "of 800.0 kW AC (7.5 %)" in figures
    assert "no expected yield yet" in figures  # no day has statistics
    assert '<strong class="n">1</strong> Critical' in figures
    assert '<strong class="n">1</strong> Warning' in figures
    assert '<strong class="n">0</strong> Information' in figures


def test_the_figures_and_the_revenue_card_refresh_with_the_table(client_as, states):
    part = client_as(states["operator"]).get("/?part=fleet", HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert html.lstrip().startswith('<section id="fleet"')
    assert 'class="figures"' in html and "revenue-card" in html


def test_the_revenue_card_follows_the_language(client_as, states):
    """Its sums are cached for minutes; its notes are sentences, in the page's language."""
    a = states["station_a"]
    put_days(a, {plant_time.local_date(timezone.now(), a.tz): 240.0})  # no price yet: a note
    client = client_as(states["operator"])
    korean = client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    card_ko = korean.split("revenue-card", 1)[1].split("</section>", 1)[0]
    card_en = english.split("revenue-card", 1)[1].split("</section>", 1)[0]
    assert "원" in card_ko and "공시되지 않았습니다" in card_ko
    assert "is published" in card_en
    assert not re.search("[\uac00-\ud7a3]", card_en), card_en


def test_the_api_lists_problems_first_too(client_as, states):
    answer = client_as(states["operator"]).get("/api/v1/stations?sort=problems")
    assert answer.status_code == 200
    codes = [row["code"] for row in answer.json()["results"]]
    assert codes[0] == "C004" and codes[-1] == "C007"  # its alarm first; being built last


def map_of(client, query: str = "", **headers):
    return client.get(f"{reverse('fleet-map')}?{query}", **headers)


def test_the_map_shows_a_dot_per_plant_the_filters_show(client_as, states):
    PowerStation.objects.filter(code="A001").update(name="</script><script>alert(1)</script>")
    client = client_as(states["operator"])
    page = client.get("/").content.decode()
    assert "<script>alert(1)" not in page  # the dots come apart, as JSON
    answer = map_of(client, HTTP_ACCEPT_LANGUAGE="en")
    assert answer["Content-Type"] == "application/json"
    dots = {dot["code"]: dot for dot in answer.json()}
    assert len(dots) == 9
    assert dots["A001"]["name"] == "</script><script>alert(1)</script>"
    assert dots["C001"]["state"] == "grid_outage" and dots["C001"]["label"] == "Grid outage"
    assert dots["C001"]["url"] == "/plants/C001/"
    outages = map_of(client, "state=grid_outage&sort=-kw&page=2").json()
    assert [dot["code"] for dot in outages] == ["C001"]
    assert {dot["code"] for dot in map_of(client_as(states["owner_a"])).json()} == {"A001"}


def test_the_map_answers_not_modified_until_a_dot_changes(client_as, states):
    client = client_as(states["operator"])
    first = map_of(client)
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, no-cache"
    assert map_of(client, HTTP_IF_NONE_MATCH=etag).status_code == 304
    now = timezone.now()
    for inverter in states["station_b"].inverters.all():
        status_set(inverter, at=now, ac_kw=0.0)
    grid_set(states["station_b"], at=now, outage=True)
    changed = map_of(client, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert {d["code"]: d["state"] for d in changed.json()}["B001"] == "grid_outage"


def test_the_map_asks_a_visitor_to_log_in(client):
    answer = map_of(client)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_kept_row_tells_the_age_of_its_reading_as_of_each_request(
    client_as, states, shared_cache, monkeypatch
):
    """The rows are kept between requests (web/selectors.py), the age they show is not."""
    now = timezone.now()
    for inverter in states["station_a"].inverters.all():
        status_set(inverter, at=now - timedelta(seconds=100), ac_kw=30.0, day_kwh=120.0)
    client = client_as(states["operator"])

    def a001() -> tuple[str, int]:
        with CaptureQueriesContext(connections["telemetry"]) as telemetry:
            row = rows_of(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))["A001"]
        return row, len(telemetry)

    first, first_queries = a001()
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=40))
    later, later_queries = a001()
    assert "1 min ago" in first and "2 min ago" in later
    assert later_queries < first_queries  # the row was kept: its readings were not read again
