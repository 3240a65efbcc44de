"""Revenue over the API. Thin: parse, check visibility, call economics/selectors.py.

Plain DRF views on the default authentication, permissions and exception handler.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from economics.selectors import (
    PERIODS,
    customer_revenue,
    revenue_by,
    station_revenue,
    stations_revenue_today_and_month,
)
from monitoring.visibility import stations_visible_to, visible_station_or_404
from solarsite.api_views import MAX_ID, whole_number

MAX_DAYS = 3 * 366


def period_parse(params) -> dict:
    """?from=&to=&by= into dates and a grouping; ValidationError naming each bad field."""
    today = timezone.localdate()
    values, problems = {}, {}
    for name, default in (("from", today.replace(day=1)), ("to", today)):
        raw = params.get(name)
        try:
            values[name] = date.fromisoformat(raw) if raw else default
        except ValueError:
            problems[name] = [
                _("%(name)s must be a date like 2026-05-01, not %(value)s.")
                % {"name": name, "value": raw}
            ]
    by = params.get("by") or "day"
    if by not in PERIODS:
        problems["by"] = [_("by must be day, month or year, not %(value)s.") % {"value": by}]
    if not problems and values["to"] < values["from"]:
        problems["to"] = [_("'to' must not be before 'from'.")]
    if not problems and values["to"] - values["from"] > timedelta(days=MAX_DAYS):
        problems["from"] = [_("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS}]
    if problems:
        raise ValidationError(problems)
    return {"start": values["from"], "end": values["to"], "by": by}


PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 1st of month)"),
    OpenApiParameter(
        "to", OpenApiTypes.DATE,
        description=f"Last day (default: today); not before from, at most {MAX_DAYS} days after "
        "it.",
    ),  # fmt: skip
    OpenApiParameter("by", OpenApiTypes.STR, enum=list(PERIODS), description="Grouping"),
]


def _periods(rows: list[dict]) -> list[dict]:
    return [{"period": r["period"], "kwh": r["kwh"], "won": round(r["won"])} for r in rows]


def _window(start: date, end: date) -> dict:
    return {"from": start.isoformat(), "to": end.isoformat()}


class StationRevenueView(APIView):
    """A plant's revenue in won per day, month or year, from its daily generation."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, **kwargs):
        station = visible_station_or_404(request.user, code)
        q = period_parse(request.query_params)
        revenue = station_revenue(station=station, start=q["start"], end=q["end"])
        return Response({
            "station": station.code, **_window(q["start"], q["end"]), "by": q["by"],
            "currency": "KRW", "kwh": revenue.kwh, "won": round(revenue.won),
            "complete": revenue.complete,
            "periods": _periods(revenue_by(revenue.days, by=q["by"])), "notes": revenue.notes,
        })  # fmt: skip


class RevenueSummaryView(APIView):
    """Today's and this month's won of every plant the caller sees, and their totals."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, **kwargs):
        stations = list(stations_visible_to(request.user))
        today = timezone.localdate()
        figures, notes = stations_revenue_today_and_month(stations, today=today)
        rows = [
            {"station": s.code, "name": s.name, "today_won": round(figures[s.id].today_won),
             "month_won": round(figures[s.id].month_won)}
            for s in stations
        ]  # fmt: skip
        return Response({
            "date": today.isoformat(), "currency": "KRW",
            "today_won": sum(r["today_won"] for r in rows),
            "month_won": sum(r["month_won"] for r in rows), "stations": rows, "notes": notes,
        })  # fmt: skip


class CustomerRevenueView(APIView):
    """A customer's revenue, per period and plant: an owner's own customer; operators and
    administrators name one with ?customer=<id>."""

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter(
                "customer", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="The customer's number: required for operators and "
                "administrators; an owner may leave it out or name their own.",
            ),  # fmt: skip
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, **kwargs):
        customer = _customer_visible_or_404(request.user, request.query_params.get("customer"))
        q = period_parse(request.query_params)
        result = customer_revenue(
            customer=customer, start=q["start"], end=q["end"], by=q["by"],
            stations=stations_visible_to(request.user),
        )  # fmt: skip
        return Response({
            "customer": customer.name, **_window(q["start"], q["end"]), "by": q["by"],
            "currency": "KRW", "kwh": result["kwh"], "won": round(result["won"]),
            "periods": _periods(result["periods"]),
            "stations": [{"station": p["station"].code, "kwh": p["kwh"], "won": round(p["won"])}
                         for p in result["stations"]],
            "notes": result["notes"],
        })  # fmt: skip


def _customer_visible_or_404(user, wanted: str | None) -> Customer:
    if user.sees_all_stations:
        if not wanted:
            raise ValidationError({"customer": [_("Name the customer: ?customer=<id>.")]})
        number = whole_number(wanted)
        if number is None or not 1 <= number <= MAX_ID:
            raise ValidationError({"customer": [_("customer must be a customer's number.")]})
        customer = Customer.objects.filter(pk=number).first()
    else:
        own = wanted in (None, "", str(user.customer_id))
        customer = user.customer if own else None
    if customer is None:
        raise NotFound(_("No customer with this id is visible to you."))
    return customer
