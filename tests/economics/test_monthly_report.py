"""The monthly report PDF, read back as text, and its download."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from pypdf import PdfReader

from economics.monthly_report import ReportFontMissing, monthly_report_pdf
from events.models import Alarm
from tests.conftest import PASSWORD
from tests.economics.conftest import MAY_KWH, put_days, put_median

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def may_month(fleet, may_prices):
    station = fleet["station_a"]
    station.name = "햇빛 제1발전소"
    station.save()
    put_days(station, MAY_KWH)
    put_median(station.region, {date(2026, 5, 1): 3.9, date(2026, 5, 2): 3.7})
    inverter = station.inverters.get(number=2)
    Alarm.objects.create(
        event_type_id=203, subject=f"inv:{inverter.id}", station=station, inverter=inverter,
        raised_at=datetime(2026, 5, 4, 3, 0, tzinfo=UTC),
        cleared_at=datetime(2026, 5, 4, 5, 30, tzinfo=UTC),
    )  # fmt: skip
    return station


def test_the_pdf_shows_the_plant_the_months_kwh_and_won_in_korean(may_month):
    text = pdf_text(monthly_report_pdf(station=may_month, year=2026, month=5, language="ko"))
    assert "햇빛 제1발전소" in text
    assert "1,330.5 kWh" in text  # 400 + 380.5 + 300 + 250
    assert "271,047" in text  # won, computed by hand in test_revenue
    assert "월간" in text  # the title is in Korean
    assert "2026-05-04 12:00" in text  # the alarm, in the plant's time (KST)
    assert "2026-05-12" in text and "3.90" in text  # a day's row, the regional median


def test_the_owners_language_is_used(may_month):
    text = pdf_text(monthly_report_pdf(station=may_month, year=2026, month=5, language="en"))
    assert "Monthly report 2026-05" in text and "Generation by day" in text
    assert "271,047 won" in text


def test_a_missing_font_is_a_clear_sentence(may_month, settings):
    settings.REPORT_FONT_PATH = "/nowhere/font.ttf"
    with pytest.raises(ReportFontMissing, match="install Debian's fonts-nanum"):
        monthly_report_pdf(station=may_month, year=2026, month=5, language="ko")


def test_the_owner_downloads_a_past_month_of_their_plant(client, may_month, fleet):
    client.login(username="owner_a", password=PASSWORD)
    url = reverse("economics:monthly-report", args=[may_month.code, 2026, 5])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="report-A001-2026-05.pdf"' in response["Content-Disposition"]
    assert "271,047" in pdf_text(response.content)


def report_status(client, year: int, month: int) -> int:
    return client.get(reverse("economics:monthly-report", args=["A001", year, month])).status_code


def test_others_plants_and_future_months_are_not_found(client, may_month, fleet):
    client.login(username="owner_b", password=PASSWORD)
    assert report_status(client, 2026, 5) == 404
    client.login(username="owner_a", password=PASSWORD)
    assert report_status(client, 2100, 1) == 404
    assert report_status(client, 2026, 13) == 404


def test_anonymous_users_are_sent_to_log_in(client, may_month):
    response = client.get(reverse("economics:monthly-report", args=["A001", 2026, 5]))
    assert response.status_code == 302 and "login" in response["Location"]
