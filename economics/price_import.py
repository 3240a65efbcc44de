"""Prices from a CSV file: every line checked first, then all stored in one transaction.

The format (a header line, then one price per line; UTF-8, a BOM is fine):

    kind,market,date,price
    smp,mainland,2026-05-01,120.50     the SMP of one day (won/kWh)
    smp,jeju,2026-05,98.10             a month's average SMP: the date is YYYY-MM
    rec,,2026-04-27,71500              a week's REC spot price (won/REC); any day of the
                                       week, stored under its Monday

A price that already exists for the same market and period is replaced. One bad line stops
the import with a sentence per bad line and nothing stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from economics.models import Market, RecPrice, SmpPrice, week_monday

HEADER = ["kind", "market", "date", "price"]
MAX_PRICE = Decimal("10000000")


class PriceFileError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PriceLine:
    kind: str  # "smp" or "rec"
    market: str
    period: str  # SmpPrice.Period, or "week"
    date: date
    price: Decimal


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int

    def __str__(self) -> str:
        return _("%(created)s prices added, %(updated)s replaced.") % {
            "created": self.created,
            "updated": self.updated,
        }


def price_lines_parse(text: str) -> list[PriceLine]:
    """Every line of the file as a PriceLine; PriceFileError listing every bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != HEADER:
        raise PriceFileError(
            [_("Line 1: the header must be %(header)s.") % {"header": ",".join(HEADER)}]
        )
    lines, problems, seen = [], [], {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        try:
            line = _line_parse(cells)
        except ValueError as exc:
            problems.append(_("Line %(number)s: %(problem)s") % {"number": number, "problem": exc})
            continue
        key = (line.kind, line.market, line.period, line.date)
        if key in seen and seen[key][0] != line.price:
            problems.append(
                _("Line %(number)s: a different price for the same period is on line %(first)s.")
                % {"number": number, "first": seen[key][1]}
            )
            continue
        seen.setdefault(key, (line.price, number))
        lines.append(line)
    if problems:
        raise PriceFileError(problems)
    return lines


def _line_parse(cells: list[str]) -> PriceLine:
    if len(cells) != len(HEADER):
        raise ValueError(
            _("expected 4 fields (kind,market,date,price), found %(count)s.")
            % {"count": len(cells)}
        )
    kind, market, when, price = (cell.strip() for cell in cells)
    kind, market = kind.lower(), market.lower()
    value = _price_parse(price)
    if kind == "smp":
        if market not in Market.values:
            raise ValueError(
                _("the market must be mainland or jeju, not '%(market)s'.") % {"market": market}
            )
        if len(when) == 7:
            return PriceLine(kind, market, SmpPrice.Period.MONTH, _date_parse(when + "-01"), value)
        return PriceLine(kind, market, SmpPrice.Period.DAY, _date_parse(when), value)
    if kind == "rec":
        if market:
            raise ValueError(_("a REC price has no market: leave the field empty."))
        return PriceLine(kind, "", "week", week_monday(_date_parse(when)), value)
    raise ValueError(_("the kind must be smp or rec, not '%(kind)s'.") % {"kind": kind})


def _date_parse(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            _("'%(value)s' is not a date like 2026-05-01 (or 2026-05 for a month).")
            % {"value": value}
        ) from None


def _price_parse(value: str) -> Decimal:
    try:
        price = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("'%(value)s' is not a price in won.") % {"value": value}) from None
    if not price.is_finite() or price < 0 or price >= MAX_PRICE:
        raise ValueError(
            _("the price must be between 0 and 10,000,000 won, not %(value)s.") % {"value": value}
        )
    return price.quantize(Decimal("0.01"))


def prices_import(*, text: str) -> ImportResult:
    """Check the whole file, then store all of it or nothing."""
    lines = price_lines_parse(text)
    created = updated = 0
    with transaction.atomic():
        for line in lines:
            if line.kind == "smp":
                _, made = SmpPrice.objects.update_or_create(
                    market=line.market,
                    period=line.period,
                    date=line.date,
                    defaults={"won_per_kwh": line.price},
                )
            else:
                _, made = RecPrice.objects.update_or_create(
                    week_start=line.date, defaults={"won_per_rec": line.price}
                )
            created, updated = created + made, updated + (not made)
    return ImportResult(created=created, updated=updated)
