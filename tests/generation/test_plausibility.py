"""Figures that cannot be right are flagged with a reason wherever they are shown, and left
out of the fleet's statistics.

Two plants have the same sunny day (tests/generation/sunny_day.py): 600 kWh under 6.3 kWh/m².
R001 is registered with its real 120 kWp: 5.0 kWh/kWp, PR 79.4 %. W001 has 120 kWp of
modules too, but 60 kWp entered: 10.0 kWh/kWp and PR 10.0 / 6.3 = 158.7 %, which no plant
can reach.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils.html import escape
from pypdf import PdfReader

from economics.monthly_report import monthly_report_pdf
from generation.models import GenerationStatistics, StationDailyGeneration
from generation.statistics import period_statistics, statistics_compute
from tests.conftest import make_user
from tests.generation.sunny_day import DAY, compute, sunny_day, sunny_plant

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
PR_ABOVE_100 = (
    "The performance ratio is above 100 %: a plant cannot deliver more than its modules "
    "receive. Check the plant's DC capacity (kWp) and its irradiance sensor."
)


@pytest.fixture
def plants(db):
    right, wrong = sunny_plant("R001"), sunny_plant("W001", kwp="60")
    for plant in (right, wrong):
        sunny_day(*plant, timedelta(minutes=5))
    rows = {plant[0].code: compute(plant[0]) for plant in (right, wrong)}
    statistics_compute(day=DAY)
    return {"right": right[0], "wrong": wrong[0], "rows": rows}


@pytest.fixture
def operator(client, plants):
    client.force_login(make_user("operator", "operator"))
    return client


def test_a_performance_ratio_above_100_percent_is_flagged(plants):
    right, wrong = plants["rows"]["R001"], plants["rows"]["W001"]
    assert round(right.performance_ratio * 100, 1) == 79.4
    assert right.flags == [] and right.plausible
    assert round(wrong.performance_ratio * 100, 1) == 158.7
    assert wrong.flags == ["pr_above_100"] and not wrong.plausible


def test_a_flagged_day_is_left_out_of_the_fleets_statistics(plants):
    fleet = GenerationStatistics.objects.get(date=DAY, scope=GenerationStatistics.FLEET)
    assert (fleet.stations, fleet.yield_avg, fleet.yield_median) == (1, 5.0, 5.0)
    assert (fleet.inverters, fleet.inverter_kwh_avg) == (2, 300.0)
    over_the_month = period_statistics(start=DAY, end=DAY + timedelta(days=29))
    assert (over_the_month.stations, over_the_month.inverters) == (1, 2)
    assert not StationDailyGeneration.objects.get(station_id=plants["wrong"].id).underperforming


def test_the_api_gives_the_flag_with_its_code_and_sentence(operator):
    days = operator.get(
        "/api/v1/stations/W001/generation/days?from=2026-06-01&to=2026-06-01",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert len(days) == 1 and days[0]["performance_ratio"] == pytest.approx(1.5873, abs=1e-4)
    assert days[0]["flags"] == [
        {"code": "pr_above_100", "figures": ["performance_ratio"], "message": PR_ABOVE_100}
    ]
    right = operator.get("/api/v1/stations/R001/generation/days?from=2026-06-01&to=2026-06-01")
    assert right.json()[0]["flags"] == []


def test_the_plant_page_marks_the_figure_and_says_why(operator):
    html = operator.get("/plants/W001/?date=2026-06-01", HTTP_ACCEPT_LANGUAGE="en").content
    page = html.decode()
    assert "158.7 %" in page.split("Performance ratio", 1)[1].split("</dd>", 1)[0]
    assert 'class="flag-mark"' in page and escape(PR_ABOVE_100) in page
    clean = operator.get("/plants/R001/?date=2026-06-01", HTTP_ACCEPT_LANGUAGE="en").content
    assert "flag-mark" not in clean.decode() and "79.4 %" in clean.decode()


def test_the_reports_page_names_the_flagged_days(operator):
    page = operator.get(
        "/generation/reports/?year=2026&month=6", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    note = page.split('data-code="W001"', 1)[1].split("</p>", 1)[0]
    assert "1 day with an implausible figure" in note and escape(PR_ABOVE_100) in note
    assert 'data-code="R001"' not in page


def test_the_export_says_why_beside_the_day(operator):
    response = operator.get(
        "/generation/export/daily.csv", {"from": "2026-06-01", "to": "2026-06-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    header, *rows = csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig")))
    flags = header.index("Implausible figures")
    by_code = {row[1]: row for row in rows if row[0] == "2026-06-01"}
    assert by_code["W001"][flags] == PR_ABOVE_100
    assert by_code["R001"][flags] == ""


def test_the_monthly_report_marks_the_figure_and_lists_the_reason(plants):
    data = monthly_report_pdf(station=plants["wrong"], year=2026, month=6, language="en")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "158.7% *" in text
    assert "Implausible figures (*)" in text
    assert "2026-06-01: The performance ratio is above 100 %" in text
