"""{% load economics %}{% revenue_card stations %}: today's and this month's won, for any page.

`stations` is what the page already shows (one plant or the visible fleet); the card reads
economics.selectors only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils import timezone

from economics.selectors import stations_revenue_today_and_month
from monitoring.models import PowerStation

register = template.Library()


@register.inclusion_tag("economics/revenue_card.html")
def revenue_card(stations, today=None) -> dict:
    if isinstance(stations, PowerStation):
        stations = [stations]
    stations = list(stations)
    today = today or timezone.localdate()
    figures, notes = stations_revenue_today_and_month(stations, today=today)
    return {
        "today_won": sum((f.today_won for f in figures.values()), Decimal(0)),
        "month_won": sum((f.month_won for f in figures.values()), Decimal(0)),
        "notes": notes,
        "station": stations[0] if len(stations) == 1 else None,
        "report_months": past_months(today, count=12),
    }


def past_months(today, *, count: int) -> list:
    """The 1st of each of the `count` months before today's, newest first."""
    months, first = [], today.replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months
