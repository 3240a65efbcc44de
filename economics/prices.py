"""Which price applies to a day, read once for a whole period.

A day's SMP is that day's average if there is one, else its month's average; with neither,
the price whose period ended last before the day stands in, and the result says so
(`stale`). A day's REC price is its week's; else, likewise, the latest week before it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from economics.models import Market, RecPrice, SmpPrice, week_monday
from monitoring.models import PowerStation, Region


@dataclass(frozen=True)
class Price:
    value: Decimal
    of: date  # the day, month (1st) or week (Monday) the price belongs to
    stale: bool  # True when no price covers the day and an older one stands in


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def station_market(station: PowerStation) -> str:
    return Market.JEJU if station.region == Region.JEJU else Market.MAINLAND


class PriceBook:
    """The prices of [start, end] plus the latest before it, in a fixed number of queries."""

    def __init__(self, *, start: date, end: date) -> None:
        month_start = start.replace(day=1)
        self.daily: dict[str, dict[date, Decimal]] = {m: {} for m in Market.values}
        self.monthly: dict[str, dict[date, Decimal]] = {m: {} for m in Market.values}
        for row in SmpPrice.objects.filter(date__gte=month_start, date__lte=end):
            self._smp_put(row)
        for market in Market.values:
            for period in SmpPrice.Period.values:
                before = SmpPrice.objects.filter(
                    market=market, period=period, date__lt=month_start
                ).order_by("-date")
                for row in before[:1]:
                    self._smp_put(row)
        weeks = RecPrice.objects.filter(week_start__gte=week_monday(start), week_start__lte=end)
        self.rec = {row.week_start: row.won_per_rec for row in weeks}
        latest = RecPrice.objects.filter(week_start__lt=week_monday(start)).order_by("-week_start")
        for row in latest[:1]:
            self.rec[row.week_start] = row.won_per_rec
        # Stand-ins ordered by the last day they cover; a day's price wins a tie over its month's.
        self._smp_known = {
            m: sorted(
                [(_month_end(of), 0, of, value) for of, value in self.monthly[m].items()]
                + [(of, 1, of, value) for of, value in self.daily[m].items()]
            )
            for m in Market.values
        }
        self._rec_known = sorted(self.rec)

    def _smp_put(self, row: SmpPrice) -> None:
        table = self.daily if row.period == SmpPrice.Period.DAY else self.monthly
        table[row.market][row.date] = row.won_per_kwh

    def smp(self, market: str, day: date) -> Price | None:
        if day in self.daily[market]:
            return Price(self.daily[market][day], day, stale=False)
        month = day.replace(day=1)
        if month in self.monthly[market]:
            return Price(self.monthly[market][month], month, stale=False)
        known = self._smp_known[market]
        index = bisect.bisect_left(known, (day,)) - 1
        if index < 0:
            return None
        _end, _rank, of, value = known[index]
        return Price(value, of, stale=True)

    def rec_price(self, day: date) -> Price | None:
        monday = week_monday(day)
        if monday in self.rec:
            return Price(self.rec[monday], monday, stale=False)
        index = bisect.bisect_left(self._rec_known, monday) - 1
        if index < 0:
            return None
        of = self._rec_known[index]
        return Price(self.rec[of], of, stale=True)
