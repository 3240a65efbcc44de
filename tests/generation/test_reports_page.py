"""The reports page: month and year per plant and inverter, statistics, under-performers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.models import StationDailyGeneration
from tests.monitoring.page_data import day_of_readings, rollups_compute

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def reported(fleet):
    day = timezone.localdate() - timedelta(days=1)
    for station in (fleet["station_a"], fleet["station_b"]):
        day_of_readings(station, day)
    rollups_compute([fleet["station_a"], fleet["station_b"]], [day])
    StationDailyGeneration.objects.filter(station_id=fleet["station_b"].id).update(
        underperforming=True
    )
    return {**fleet, "day": day}


def test_operator_report_of_the_month(client_as, reported):
    day = reported["day"]
    response = client_as(reported["operator"]).get(
        f"/generation/reports/?year={day.year}&month={day.month}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert [r["station"].code for r in response.context["month_rows"]] == ["A001", "B001"]
    assert [r["station"].code for r in response.context["underperforming"]] == ["B001"]
    fleet_row = response.context["regions"][0]
    assert fleet_row["scope"] is None and fleet_row["figures"].stations == 2
    html = " ".join(response.content.decode().split())
    assert "Whole fleet" in html and "South Jeolla" in html
    assert "/generation/export/daily.csv?from=" in html
    assert "/generation/export/monthly.xlsx?" in html
    year = response.context["year_rows"][0]
    assert year["months"][day.month - 1] == pytest.approx(year["kwh"])


def test_one_plant_per_inverter(client_as, reported):
    day = reported["day"]
    response = client_as(reported["owner_a"]).get(
        f"/generation/reports/?station=A001&year={day.year}&month={day.month}"
    )
    rows = response.context["inverter_rows"]
    assert [r["inverter"].number for r in rows] == [1, 2]
    assert rows[0]["month_kwh"] > 300 and rows[0]["year_kwh"] >= rows[0]["month_kwh"]
    assert "station=A001" in response.content.decode()


def test_an_owner_reports_only_their_plants(client_as, reported):
    client = client_as(reported["owner_a"])
    day = reported["day"]
    response = client.get(f"/generation/reports/?year={day.year}&month={day.month}")
    assert [r["station"].code for r in response.context["month_rows"]] == ["A001"]
    assert client.get("/generation/reports/?station=B001").status_code == 404
    assert client.get("/generation/reports/?year=abc&month=13").status_code == 200
