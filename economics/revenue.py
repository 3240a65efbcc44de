"""The revenue of a plant's day, and the terms (contract, REC weight) it is computed under.

Spot:  won = kWh x SMP + kWh / 1,000 x REC price x REC weight   (1 REC = 1 MWh x weight)
Fixed: won = kWh x the contract's won/kWh (SMP and REC together)
A day no contract covers is valued at spot prices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from economics.models import Contract, InstallationType, Market, PlantEconomics
from economics.prices import Price, PriceBook, station_market
from economics.rec_weights import rec_weight_default
from monitoring.models import PowerStation

WON = Decimal("0.01")
KWH_PER_MWH = Decimal(1000)


def spot_revenue(*, kwh: Decimal, smp: Decimal, rec: Decimal, weight: Decimal) -> Decimal:
    return (kwh * smp + kwh / KWH_PER_MWH * rec * weight).quantize(WON)


def fixed_revenue(*, kwh: Decimal, won_per_kwh: Decimal) -> Decimal:
    return (kwh * won_per_kwh).quantize(WON)


@dataclass(frozen=True)
class DayRevenue:
    date: date
    kwh: float
    won: Decimal | None  # None when a price it needs is not known at all
    kind: str  # Contract.Kind
    smp: Decimal | None = None
    rec: Decimal | None = None
    weight: Decimal | None = None
    fixed: Decimal | None = None


@dataclass
class PriceNotes:
    """What stood in for a missing price, gathered over a period, told in one line each."""

    stale: dict[tuple[str, str, date], list] = field(default_factory=dict)
    unknown: set[tuple[str, str]] = field(default_factory=set)

    def used(self, what: str, market: str, day: date, price: Price | None) -> None:
        if price is None:
            self.unknown.add((what, market))
        elif price.stale:
            span = self.stale.setdefault((what, market, price.of), [day, day, price.value])
            span[0], span[1] = min(span[0], day), max(span[1], day)

    def messages(self) -> list[str]:
        lines = []
        for (what, market, of), (first, last, value) in sorted(self.stale.items()):
            days = f"{first}" if first == last else f"{first} – {last}"
            lines.append(
                _("No %(what)s price for %(days)s%(market)s: used the latest known, of "
                  "%(of)s (%(value)s won).")
                % {"what": what, "days": days, "market": _market_label(market), "of": of,
                   "value": f"{value:,}"}
            )  # fmt: skip
        for what, market in sorted(self.unknown):
            lines.append(
                _("No %(what)s price is published%(market)s yet; revenue of those days is "
                  "left out until it is.")
                % {"what": what, "market": _market_label(market)}
            )  # fmt: skip
        return lines


def _market_label(market: str) -> str:
    return f" ({Market(market).label})" if market else ""


class Terms:
    """Contracts and REC weights of a set of plants, read in two queries."""

    def __init__(self, stations: Iterable[PowerStation]) -> None:
        self.stations = {s.id: s for s in stations}
        self.contracts: dict[int, list[Contract]] = defaultdict(list)
        for contract in Contract.objects.filter(station_id__in=self.stations).order_by("starts_on"):
            self.contracts[contract.station_id].append(contract)
        self.settings = {
            e.station_id: e for e in PlantEconomics.objects.filter(station_id__in=self.stations)
        }

    def contract(self, station_id: int, day: date) -> Contract | None:
        for contract in self.contracts.get(station_id, ()):
            if contract.covers(day):
                return contract
        return None

    def rec_weight(self, station_id: int) -> Decimal:
        return station_rec_weight(
            station=self.stations[station_id], settings=self.settings.get(station_id)
        )


def station_rec_weight(*, station: PowerStation, settings: PlantEconomics | None) -> Decimal:
    """The plant's own weight if one is entered, else the table's for its capacity and type."""
    if settings is not None and settings.rec_weight is not None:
        return settings.rec_weight
    kind = settings.installation_type if settings else InstallationType.GENERAL
    return rec_weight_default(capacity_kw=station.capacity_kwp, installation_type=kind)


def day_revenue(
    *, station_id: int, day: date, kwh: float, terms: Terms, prices: PriceBook, notes: PriceNotes
) -> DayRevenue:
    energy = Decimal(str(round(kwh, 3)))
    contract = terms.contract(station_id, day)
    if contract is not None and contract.kind == Contract.Kind.FIXED:
        price = contract.fixed_won_per_kwh
        won = fixed_revenue(kwh=energy, won_per_kwh=price)
        return DayRevenue(day, kwh, won, Contract.Kind.FIXED, fixed=price)
    market = station_market(terms.stations[station_id])
    smp, rec = prices.smp(market, day), prices.rec_price(day)
    notes.used("SMP", market, day, smp)
    notes.used("REC", "", day, rec)
    weight = terms.rec_weight(station_id)
    if smp is None or rec is None:
        return DayRevenue(day, kwh, None, Contract.Kind.SPOT, weight=weight)
    won = spot_revenue(kwh=energy, smp=smp.value, rec=rec.value, weight=weight)
    return DayRevenue(day, kwh, won, Contract.Kind.SPOT, smp.value, rec.value, weight)
