"""Revenue that pages, the API, exports and the monthly report share.

Everything is computed from the generation app's plant daily rows (generation/selectors.py),
so late data and recomputed days flow through; never from raw readings. Every function takes
stations the caller may see (monitoring.visibility decides) and reads a fixed number of rows
sets whatever the size of the fleet: the daily rows, the contracts, the plant settings, and
the prices (economics/prices.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from accounts.models import Customer
from economics.prices import PriceBook
from economics.revenue import DayRevenue, PriceNotes, Terms, day_revenue
from generation import selectors as generation_selectors
from monitoring.models import PowerStation

PERIODS = ("day", "month", "year")


@dataclass
class Revenue:
    """A set of days' revenue: the days themselves, their totals and the price notes."""

    days: list[DayRevenue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def kwh(self) -> float:
        return round(sum(d.kwh for d in self.days), 3)

    @property
    def won(self) -> Decimal:
        return sum((d.won for d in self.days if d.won is not None), Decimal(0))

    @property
    def complete(self) -> bool:
        """False when a day's price was not known at all, so its revenue is left out."""
        return all(d.won is not None for d in self.days)


def stations_daily_revenue(
    *, stations: Iterable[PowerStation], start: date, end: date
) -> tuple[dict[int, list[DayRevenue]], list[str]]:
    """Per plant, the revenue of each day in [start, end] that has a daily row; and the notes."""
    stations = list(stations)
    terms = Terms(stations)
    prices = PriceBook(start=start, end=end)
    notes = PriceNotes()
    per_station: dict[int, list[DayRevenue]] = defaultdict(list)
    rows = generation_selectors.station_daily_kwh(station_ids=terms.stations, start=start, end=end)
    for station_id, day, kwh in rows:
        per_station[station_id].append(
            day_revenue(
                station_id=station_id, day=day, kwh=kwh, terms=terms, prices=prices, notes=notes
            )
        )
    return dict(per_station), notes.messages()


def station_revenue(*, station: PowerStation, start: date, end: date) -> Revenue:
    """One plant's revenue day by day over [start, end]."""
    per_station, notes = stations_daily_revenue(stations=[station], start=start, end=end)
    return Revenue(days=per_station.get(station.id, []), notes=notes)


def revenue_by(days: Iterable[DayRevenue], *, by: str) -> list[dict]:
    """Days summed per day, month ("2026-05") or year ("2026"), in order."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}.")
    groups: dict[str, dict] = {}
    for day in days:
        key = {"day": day.date.isoformat(), "month": f"{day.date:%Y-%m}", "year": f"{day.date:%Y}"}[
            by
        ]
        group = groups.setdefault(key, {"period": key, "kwh": 0.0, "won": Decimal(0)})
        group["kwh"] += day.kwh
        if day.won is not None:
            group["won"] += day.won
    for group in groups.values():
        group["kwh"] = round(group["kwh"], 3)
    return [groups[key] for key in sorted(groups)]


def stations_revenue_total(
    *, stations: Iterable[PowerStation], start: date, end: date
) -> tuple[dict[int, Decimal], list[str]]:
    """Per plant, its won over [start, end] (a reports page's column); and the notes."""
    stations = list(stations)
    per_station, notes = stations_daily_revenue(stations=stations, start=start, end=end)
    totals = {s.id: Revenue(days=per_station.get(s.id, [])).won for s in stations}
    return totals, notes


@dataclass(frozen=True)
class TodayAndMonth:
    today_won: Decimal
    month_won: Decimal


def stations_revenue_today_and_month(
    stations: Iterable[PowerStation], *, today: date
) -> tuple[dict[int, TodayAndMonth], list[str]]:
    """Per plant, the won of `today` (its running daily row) and of its month so far."""
    stations = list(stations)
    per_station, notes = stations_daily_revenue(
        stations=stations, start=today.replace(day=1), end=today
    )
    result = {}
    for station in stations:
        days = per_station.get(station.id, [])
        month = sum((d.won for d in days if d.won is not None), Decimal(0))
        today_won = sum((d.won for d in days if d.date == today and d.won is not None), Decimal(0))
        result[station.id] = TodayAndMonth(today_won=today_won, month_won=month)
    return result, notes


def customer_revenue(
    *,
    customer: Customer,
    start: date,
    end: date,
    by: str = "month",
    stations: Iterable[PowerStation] | None = None,
) -> dict:
    """A customer's plants over [start, end]: per period summed, and per plant in total.

    `stations` narrows to plants the caller may see; by default all of the customer's.
    """
    chosen = PowerStation.objects.filter(customer=customer)
    if stations is not None:
        chosen = chosen.filter(id__in=[s.id for s in stations])
    chosen = list(chosen)
    per_station, notes = stations_daily_revenue(stations=chosen, start=start, end=end)
    all_days = [day for days in per_station.values() for day in days]
    plants = []
    for station in chosen:
        revenue = Revenue(days=per_station.get(station.id, []))
        plants.append({"station": station, "kwh": revenue.kwh, "won": revenue.won})
    total = Revenue(days=all_days)
    return {
        "periods": revenue_by(all_days, by=by),
        "stations": plants,
        "kwh": total.kwh,
        "won": total.won,
        "notes": notes,
    }


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
