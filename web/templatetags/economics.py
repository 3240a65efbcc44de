"""{% load economics %}{% revenue_card stations %}: today's and this month's won, for any page.

`stations` is what the page already shows (one plant or the visible fleet); the card reads
economics.selectors only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from economics.selectors import stations_revenue_today_and_month
from monitoring.models import PowerStation
from web.fleet import FIGURES_STEP_SECONDS, figures_step, next_figures_moment, stations_digest

register = template.Library()

# Revenue comes from the plants' daily rows, which the rollup jobs rewrite at most every few
# minutes; reading a month of them for a whole fleet on every overview request would cost more
# than the rest of the page, so the card's sums are kept per step of the overview's figures
# (web/fleet.py), and the server's refresh makes the next step's ahead (`card_ahead`).


@register.inclusion_tag("economics/revenue_card.html")
def revenue_card(stations, today=None) -> dict:
    if isinstance(stations, PowerStation):
        stations = [stations]
    stations = list(stations)
    today = today or timezone.localdate()
    today_won, month_won, notes = card_figures(stations, today=today, now=timezone.now())
    return {
        "today_won": today_won,
        "month_won": month_won,
        "notes": notes,
        "station": stations[0] if len(stations) == 1 else None,
        "report_months": past_months(today, count=12),
    }


def card_figures(stations: list[PowerStation], *, today, now) -> tuple[Decimal, Decimal, list[str]]:
    """Today's and this month's won of these plants together, and the price notes (kept for
    the step of `now`).

    The notes are sentences in the page's language, so the language is part of the key: an
    English page never gets the Korean notes cached for a Korean one."""
    digest = stations_digest(stations)
    step = figures_step(now)
    key = f"revenue-card:{translation.get_language()}:{today.isoformat()}:{step}:{digest}"
    cached = cache.get(key)
    if cached is None:
        figures, notes = stations_revenue_today_and_month(stations, today=today)
        cached = (
            sum((f.today_won for f in figures.values()), Decimal(0)),
            sum((f.month_won for f in figures.values()), Decimal(0)),
            notes,
        )
        cache.set(key, cached, 2 * FIGURES_STEP_SECONDS)
    return cached


def card_ahead(stations: list[PowerStation], *, now) -> None:
    """For the server's refresh: the next step's card of these plants, in each language of the
    site, made before a request of that step asks for it."""
    soon = next_figures_moment(now)
    if soon is None:
        return
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            card_figures(stations, today=timezone.localdate(soon), now=soon)


def past_months(today, *, count: int) -> list:
    """The 1st of each of the `count` months before today's, newest first."""
    months, first = [], today.replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months
