"""Downloads of generation figures. Thin: parse, check visibility, call exports."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from generation import exports, reporting
from monitoring.visibility import stations_visible_to, visible_station_or_404

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_DAYS = 366


class BadRequest(ValueError):
    pass


def _date(request, name: str, default: date) -> date:
    value = request.GET.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            _("%(name)s must be a date like 2026-06-01, not %(value)s.")
            % {"name": name, "value": value}
        ) from None


@login_required
def export(request, kind: str, fmt: str):
    """/generation/export/<daily|monthly>.<csv|xlsx>?station=CODE&from=&to= (or &year=)."""
    code = request.GET.get("station")
    stations = (
        [visible_station_or_404(request.user, code)]
        if code
        else list(stations_visible_to(request.user))
    )
    today = timezone.localdate()
    try:
        if kind == "daily":
            start = _date(request, "from", today.replace(day=1))
            end = _date(request, "to", today)
            if end < start:
                raise BadRequest(_("'to' must not be before 'from'."))
            if (end - start) > timedelta(days=MAX_DAYS):
                raise BadRequest(_("Export at most %(days)s days at a time.") % {"days": MAX_DAYS})
            table = exports.daily_table(stations=stations, start=start, end=end)
            name = f"generation-daily-{code or 'fleet'}-{start}-{end}"
        else:
            year = request.GET.get("year") or str(today.year)
            if not year.isdigit() or not 2000 <= int(year) <= 2100:
                raise BadRequest(
                    _("year must be a year like 2026, not %(value)s.") % {"value": year}
                )
            table = exports.monthly_table(stations=stations, year=int(year))
            name = f"generation-monthly-{code or 'fleet'}-{year}"
    except BadRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    if fmt == "csv":
        body = exports.csv_bytes(table)
    else:
        body = exports.xlsx_bytes(table, title=name[:31])
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- Reports page -------------------------------------------------------------------------------


def _report_period(request) -> tuple[int, int]:
    today = timezone.localdate()
    year, month = request.GET.get("year", ""), request.GET.get("month", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= today.year + 1 else today.year
    month = int(month) if month.isdigit() and 1 <= int(month) <= 12 else today.month
    return year, month


@login_required
def reports(request):
    """Monthly and yearly generation per plant (and per inverter for one plant), the fleet's
    statistics by region and the under-performing plants of the month. Reads rollups only."""
    year, month = _report_period(request)
    code = request.GET.get("station", "")
    station = visible_station_or_404(request.user, code) if code else None
    stations = [station] if station else list(stations_visible_to(request.user))
    context = {
        "year": year,
        "month": month,
        "station": station,
        "years": list(range(timezone.localdate().year, 2019, -1)),
        "months": list(range(1, 13)),
        "all_stations": stations_visible_to(request.user).only("code", "name").order_by("code"),
        **reporting.report(stations=stations, year=year, month=month, per_inverter=station),
    }
    return render(request, "generation/reports.html", context)
