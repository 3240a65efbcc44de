"""Revenue on the plant page, the overview and the reports page, as an owner sees them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from economics.models import week_monday
from tests.conftest import PASSWORD
from tests.economics.conftest import MAY_KWH, put_days, rec, smp

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def today_prices(fleet):
    """Today 100 kWh at A, 50 at B: 100 x 100 + 0.1 x 50,000 x 1.2 = 16,000 won at A."""
    today = timezone.localdate()
    smp("mainland", today.replace(day=1), "100", monthly=True)
    rec(week_monday(today), "50000")
    put_days(fleet["station_a"], {today: 100.0})
    put_days(fleet["station_b"], {today: 50.0})
    return today


def card(html: str) -> str:
    return re.search(r'<section class="card revenue-card".*?</section>', html, re.S).group(0)


def test_the_plant_page_shows_todays_and_the_months_won(client, fleet, today_prices):
    client.login(username="owner_a", password=PASSWORD)
    html = card(client.get(reverse("plant", args=["A001"])).content.decode())
    assert html.count("16,000") == 2  # today, and the month so far
    last_month = (today_prices.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert f"/economics/report/A001/{last_month}.pdf" in html


def test_the_overview_adds_up_only_the_owners_plants(client, fleet, today_prices):
    client.login(username="owner_a", password=PASSWORD)
    assert card(client.get(reverse("home")).content.decode()).count("16,000") == 2
    client.login(username="operator", password=PASSWORD)
    # B: 50 x 100 + 0.05 x 50,000 x 1.2 = 8,000; the fleet: 24,000
    assert card(client.get(reverse("home")).content.decode()).count("24,000") == 2


def test_the_reports_page_has_the_months_revenue_per_plant(client, fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    client.login(username="owner_a", password=PASSWORD)
    html = client.get(reverse("generation:reports"), {"year": 2026, "month": 5}).content.decode()
    assert '<td data-label="수익(원)" class="num revenue">271,047</td>' in html
