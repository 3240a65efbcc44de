"""A year of made-up SMP and REC prices for the demo, so its revenue is not 0 won everywhere.

The figures are invented, not KPX's: a daily SMP per market that wanders around a seasonal
level (dearer in winter and in August, when demand peaks) and a weekly REC price drifting
around 72,000 won. The same day always gets the same price, and loading them again changes
nothing. A key-value row (`demo.prices`) says they are made up, for whoever finds them in
the admin; a real site imports KPX's published figures instead (docs/revenue.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from economics.models import Market, RecPrice, SmpPrice, week_monday
from monitoring.models import KeyValue

MADE_UP_KEY = "demo.prices"
MADE_UP_NOTE = "Made-up SMP and REC prices for the demo; not published by KPX."


@dataclass(frozen=True)
class DemoPrices:
    smp_days: int
    rec_weeks: int
    first: date
    last: date


def _wobble(seed: int, n: int) -> float:
    """A repeatable number in [-1, 1] for (seed, n), smooth enough day to day."""
    return math.sin(n * 0.37 + seed) * 0.6 + math.sin(n * 1.91 + 2 * seed) * 0.4


def smp_of(market: str, day: date) -> Decimal:
    """The demo's SMP of a day, won/kWh: about 105-165, Jeju a little dearer."""
    n = day.toordinal()
    season = math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)  # 1 in mid-January
    summer_peak = math.exp(-(((day.timetuple().tm_yday - 220) / 20) ** 2))  # August
    base = 132 + 18 * season + 14 * summer_peak + (6 if market == Market.JEJU else 0)
    return Decimal(str(round(base + 9 * _wobble(1 if market == Market.MAINLAND else 2, n), 2)))


def rec_of(week_start: date) -> Decimal:
    """The demo's REC price of a week, won per REC: about 66,000-78,000."""
    n = week_start.toordinal() // 7
    return Decimal(str(round(72000 + 5500 * _wobble(3, n), -1)))


def demo_prices_seed(*, today: date, days: int = 366) -> DemoPrices:
    """Daily SMP of both markets and weekly REC prices from `days` before today to today;
    prices already there (imported or entered) are kept."""
    first = today - timedelta(days=days - 1)
    wanted = [first + timedelta(days=i) for i in range(days)]
    have = set(
        SmpPrice.objects.filter(period=SmpPrice.Period.DAY, date__gte=first).values_list(
            "market", "date"
        )
    )
    smp = [
        SmpPrice(market=market, period=SmpPrice.Period.DAY, date=day,
                 won_per_kwh=smp_of(market, day))
        for day in wanted for market in Market.values if (market, day) not in have
    ]  # fmt: skip
    SmpPrice.objects.bulk_create(smp)
    weeks = sorted({week_monday(day) for day in wanted})
    have_weeks = set(
        RecPrice.objects.filter(week_start__in=weeks).values_list("week_start", flat=True)
    )
    rec = [RecPrice(week_start=w, won_per_rec=rec_of(w)) for w in weeks if w not in have_weeks]
    RecPrice.objects.bulk_create(rec)
    KeyValue.objects.update_or_create(
        key=MADE_UP_KEY,
        defaults={"value": {"made_up": True, "note": MADE_UP_NOTE,
                            "from": first.isoformat(), "to": today.isoformat()}},
    )  # fmt: skip
    return DemoPrices(smp_days=len(smp), rec_weeks=len(rec), first=first, last=today)
