"""The plant and inverter pages: facts, live table, charts' data, strings, alarms, visibility."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Alarm, EventLog, EventType
from monitoring import plant_time
from telemetry.models import InverterReading
from tests.monitoring.page_data import (
    combiner_box_with_weak_string,
    day_of_readings,
    rollups_compute,
    status_set,
)

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def plant(fleet):
    station = fleet["station_a"]
    now = timezone.now()
    yesterday = plant_time.local_date(now, station.tz) - timedelta(days=1)
    day_of_readings(station, yesterday)
    rollups_compute([station], [yesterday])
    for inverter in station.inverters.all():
        status_set(inverter, at=now - timedelta(minutes=1), ac_kw=25.0, day_kwh=80.0)
    combiner_box_with_weak_string(station, at=now - timedelta(minutes=2))
    inverter = station.inverters.get(number=2)
    alarm = Alarm.objects.create(
        event_type_id=EventType.INVERTER_FAULT, subject=f"inv:{inverter.id}", station=station,
        inverter=inverter, raised_at=now - timedelta(minutes=30), open_key="204:t",
        details={"fault_bits": 1, "faults": ["ground_fault"]},
    )  # fmt: skip
    EventLog.objects.create(
        event_type_id=EventType.INVERTER_FAULT, kind="raised", at=alarm.raised_at,
        station=station, inverter=inverter, alarm=alarm, subject=alarm.subject,
    )  # fmt: skip
    return {**fleet, "station": station, "day": yesterday, "alarm": alarm}


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="chart-data" type="application/json">') + 48
    return json.loads(html[start : html.index("</script>", start)])


def test_the_plant_page_shows_facts_live_inverters_strings_and_alarms(client_as, plant):
    response = client_as(plant["owner_a"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert "A001 Plant A001" in html and "100.00 kWp" in html and "Customer A" in html
    assert "Times in the plant's time zone (Asia/Seoul)." in html
    inverters = html.split('id="inverters"')[1].split("</table>")[0]
    assert inverters.count("<tr class=") == 2
    assert "25.00 kW" in inverters and "80.0 kWh" in inverters and "41.5 °C" in inverters
    assert "Running" in inverters and "1 min ago" in inverters
    assert 'class="weak"' in html and "weak string" in html and "26 %" in html
    assert "204 Inverter fault" in html and "Inverter 2" in html


def test_the_chosen_day_has_curves_irradiance_and_bars(client_as, plant):
    day = plant["day"]
    response = client_as(plant["operator"]).get(f"/plants/A001/?date={day}")
    data = chart_data(response)
    assert len(data["curve"]["inverters"]["1"]) == 144  # every 10 minutes
    assert max(p["y"] for p in data["curve"]["total"]) == pytest.approx(80.0, rel=0.01)
    assert max(p["y"] for p in data["curve"]["irradiance"]) == pytest.approx(1000, rel=0.01)
    noon = next(p for p in data["curve"]["total"] if p["x"] == 12 * 60 + 30)
    assert noon["y"] == pytest.approx(80.0, rel=0.01)  # local time: the sun peaks at 12:30
    assert len(data["hourly"]["kwh"]) == 24 and max(data["hourly"]["kwh"]) > 70
    assert data["daily"]["kwh"][day.day - 1] > 600
    assert data["monthly"]["kwh"][day.month - 1] >= data["daily"]["kwh"][day.day - 1]
    row = response.context["day_row"]
    assert row.performance_ratio is not None and row.kwh > 600


def test_a_day_without_data_is_empty_not_an_error(client_as, plant):
    response = client_as(plant["operator"]).get("/plants/A001/?date=2021-01-01")
    assert response.status_code == 200
    assert chart_data(response)["curve"]["total"] == []
    assert client_as(plant["operator"]).get("/plants/A001/?date=junk").status_code == 200


def test_the_inverter_table_refreshes_alone(client_as, plant):
    response = client_as(plant["operator"]).get(
        "/plants/A001/?part=inverters", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith("<table") and "<html" not in html


def test_another_owners_plant_is_404(client_as, plant):
    client = client_as(plant["owner_b"])
    assert client.get("/plants/A001/").status_code == 404
    assert client.get("/plants/A001/inverters/1/").status_code == 404
    assert client.get("/plants/NOPE/").status_code == 404


def test_the_inverter_page_shows_a_days_readings(client_as, plant):
    day = plant["day"]
    response = client_as(plant["owner_a"]).get(
        f"/plants/A001/inverters/1/?date={day}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert len(response.context["readings"]) == 144
    assert len(chart_data(response)["ac_kw"]) == 144
    html = response.content.decode()
    assert "144 readings on this day; times in Asia/Seoul." in html
    assert "12:30:00" in html  # local clock times in the table
    assert client_as(plant["owner_a"]).get("/plants/A001/inverters/9/").status_code == 404


def test_search_suggests_plants_by_code_name_or_customer(client_as, plant):
    client = client_as(plant["owner_a"])
    hx = {"HTTP_HX_REQUEST": "true"}
    assert "/plants/A001/" in client.get("/search/?q=a00", **hx).content.decode()
    assert "/plants/A001/" in client.get("/search/?q=customer a", **hx).content.decode()
    # owner A does not find owner B's plant
    assert "/plants/B001/" not in client.get("/search/?q=B001", **hx).content.decode()
    operator = client_as(plant["operator"])
    assert "/plants/B001/" in operator.get("/search/?q=plant b", **hx).content.decode()
    page = operator.get("/search/?q=plant")
    assert "<html" in page.content.decode() and len(page.context["found"]) == 2


def test_the_error_classification_names_each_open_problem(client_as, plant):
    """The fixture's inverter fault (a ground fault) and a communication error: counted per
    category in words, the critical ones first."""
    station, now = plant["station"], timezone.now()
    Alarm.objects.create(
        event_type_id=EventType.COMM_ERROR, subject=f"st:{station.id}", station=station,
        raised_at=now, open_key="202:t",
    )  # fmt: skip
    response = client_as(plant["owner_a"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="en")
    html = " ".join(response.content.decode().split())
    panel = html.split('<section class="problems">', 1)[1].split("</section>", 1)[0]
    items = [
        " ".join(re.sub("<[^>]+>", "", item.split(">", 1)[1].split("</li>")[0]).split())
        for item in panel.split("<li")[1:]
    ]
    assert items == ["1 Inverter fault", "1 Ground fault", "1 Communication error"]
    korean = client_as(plant["owner_a"]).get("/plants/A001/").content.decode()
    assert "지락" in korean and "인버터 고장" in korean


def test_the_panel_says_when_nothing_is_open(client_as, plant):
    plant["alarm"].delete()
    html = client_as(plant["owner_a"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="en")
    assert "No open problems." in html.content.decode()


def test_inverters_are_compared_by_todays_specific_yield(client_as, plant):
    one, two = plant["station"].inverters.order_by("number")
    now = timezone.now()
    status_set(one, at=now, ac_kw=25.0, day_kwh=90.0)  # 1.8 kWh/kWp of its 50 kWp
    status_set(two, at=now, ac_kw=5.0, day_kwh=30.0)  # 0.6 kWh/kWp: the weak one
    response = client_as(plant["owner_a"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="en")
    html = " ".join(response.content.decode().split())
    bars = html.split('<table class="grid yields">', 1)[1].split("</table>", 1)[0]
    first, second = bars.split('data-inverter="')[1:]
    assert "1.80 kWh/kWp" in first and 'data-percent="100"' in first
    assert "below the others" not in first
    assert "0.60 kWh/kWp" in second and 'data-percent="33"' in second
    assert "below the others" in second and 'class="weak"' in bars


def test_the_inverter_page_names_device_states_and_faults(client_as, plant):
    inverter = plant["station"].inverters.get(number=1)
    day = plant["day"]
    start, _end = plant_time.day_bounds(day, plant["station"].tz)
    InverterReading.objects.filter(inverter_id=inverter.id, ts=start + timedelta(hours=12)).update(
        state=7, fault_bits=0b10000001
    )
    InverterReading.objects.filter(inverter_id=inverter.id, ts=start + timedelta(hours=13)).update(
        state=4
    )
    response = client_as(plant["owner_a"]).get(
        f"/plants/A001/inverters/1/?date={day}", HTTP_ACCEPT_LANGUAGE="en"
    )
    cells = [
        chunk.split("</td>", 1)[0]
        for chunk in response.content.decode().split('data-label="Device state">')[1:]
    ]
    assert 'Fault · <span class="faults">Ground fault, Over-temperature</span>' in cells
    assert "Generating (MPPT)" in cells
    assert not any(cell.strip().isdigit() for cell in cells)
