"""Helpers for the economics tests: plant daily rows as the generation app writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from economics.models import RecPrice, SmpPrice
from generation.models import GenerationStatistics, StationDailyGeneration

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (msgids); the Korean report asks for "ko" itself."""
    with translation.override("en"):
        yield


def put_days(station, days: dict[date, float], **fields) -> None:
    capacity = float(station.capacity_kwp)
    StationDailyGeneration.objects.bulk_create(
        [
            StationDailyGeneration(
                station_id=station.id,
                date=day,
                region=station.region,
                capacity_kwp=capacity,
                inverters=2,
                kwh=kwh,
                specific_yield=round(kwh / capacity, 4),
                availability=fields.get("availability", 0.98),
                completeness=1.0,
                computed_at=timezone.now(),
            )
            for day, kwh in days.items()
        ]
    )


def put_median(region: str, days: dict[date, float]) -> None:
    GenerationStatistics.objects.bulk_create(
        [
            GenerationStatistics(
                date=day, scope=region, inverters=10, stations=5, yield_median=value,
                computed_at=timezone.now(),
            )
            for day, value in days.items()
        ]
    )  # fmt: skip


def smp(market: str, when: date, won: str, *, monthly: bool = False) -> None:
    SmpPrice.objects.create(
        market=market,
        period=SmpPrice.Period.MONTH if monthly else SmpPrice.Period.DAY,
        date=when,
        won_per_kwh=Decimal(won),
    )


def rec(monday: date, won: str) -> None:
    RecPrice.objects.create(week_start=monday, won_per_rec=Decimal(won))


@pytest.fixture
def may_prices(db):
    """May 2026: daily SMP on the 1st and 2nd, the month's average for the rest; REC for the
    weeks of 27 April and 4 May only (the week of 11 May is missing)."""
    smp("mainland", date(2026, 5, 1), "120.00")
    smp("mainland", date(2026, 5, 2), "130.00")
    smp("mainland", date(2026, 5, 1), "110.00", monthly=True)
    smp("jeju", date(2026, 5, 1), "90.00", monthly=True)
    rec(date(2026, 4, 27), "70000")
    rec(date(2026, 5, 4), "72000")


MAY_KWH = {
    date(2026, 5, 1): 400.0,
    date(2026, 5, 2): 380.5,
    date(2026, 5, 4): 300.0,
    date(2026, 5, 12): 250.0,
}


from tests.events.conftest import smtp  # noqa: E402, F401  (aiosmtpd on a free port)
