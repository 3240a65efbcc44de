"""Pages of the fleet, a plant and an inverter. Thin: parse the request, call selectors, render."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import conditional_page, require_POST

from events.selectors import (
    alarms_for,
    open_alarms_by_severity,
    plant_problem_classes,
    station_event_log,
)
from field.commands import CommandRefused, command_cancel, command_queue, station_commands
from generation import plausibility
from generation import selectors as generation_selectors
from monitoring import plant_time
from monitoring.models import Command, Region
from monitoring.states import COUNTED_STATES, PlantState
from monitoring.visibility import stations_visible_to, visible_station_or_404
from telemetry import store
from web import charts
from web.fleet import (
    fleet_figures,
    fleet_filter,
    fleet_query,
    fleet_select,
    map_plant_json,
    plant_overview,
    state_counts,
)
from web.selectors import fleet_rows, station_search
from web.templatetags.solar_format import age, seconds_before

PAGE_SIZE = 100
SEARCH_LIMIT = 10


@login_required
def overview(request):
    """Every plant the user may see, problems first, with the fleet's figures and the state
    counts on top and the plants not operating apart; htmx asks for the figures and the
    table every minute (and on each filter change), so the page never reloads. The map's
    dots come apart (`fleet_map`)."""
    now = timezone.now()
    fleet = fleet_rows(_visible(request), now=now)
    rows = fleet.rows
    counts = state_counts(rows)
    alarms = open_alarms_by_severity([row.station.id for row in rows])
    # a wrong parameter keeps its default here
    query, _wrong = fleet_query(request.GET, default_sort="problems")
    shown = fleet_select(rows, query=query, alarms=alarms)
    plants_url = _plants_url()
    # Kept with each plant's row (web/selectors.py), per language.
    as_html = fleet.shaped(
        ("html", translation.get_language()), partial(_row_html, plants_url=plants_url)
    )
    page = Paginator(
        [row for row in shown if row.is_watched], PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_rows": [_with_age(as_html(row), row, now=now) for row in page],
        "apart": [_with_age(as_html(r), r, now=now) for r in shown if not r.is_watched],
        "figures": fleet_figures(rows, alarms=alarms, now=now),
        "counts": [(s, PlantState(s).label, counts[s]) for s in counts],
        "total": len(rows),
        "shown": len(shown),
        "filters": query.as_filters(),
        "regions": Region.choices,
        "states": [(s.value, s.label) for s in COUNTED_STATES],
        "columns": [
            ("code", _("Code")), ("name", _("Name")), ("state", _("State")),
            ("kw", _("Current kW")), ("kwh", _("Today kWh")), ("yield", _("Today kWh/kWp")),
            ("alarms", _("Open alarms")), ("age", _("Last reading")),
        ],  # fmt: skip
        "now": now,
        "plants_url": plants_url,
        "stations": [r.station for r in rows],  # the revenue card (economics)
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "fleet":
        return render(request, "monitoring/_fleet.html", context)
    return render(request, "monitoring/overview.html", context)


@login_required
@conditional_page
def fleet_map(request):
    """The overview's map as JSON (static/map.js): a dot per plant the overview's filters
    show, in the fleet's order. 10,000 of them make a megabyte, so the overview leaves them
    out and the browser asks apart, and each minute after: the answer has the ETag of its
    body, and a dot changes only with its plant's state, so it is mostly a 304."""
    fleet = fleet_rows(_visible(request), now=timezone.now())
    query, _wrong = fleet_query(request.GET, default_sort="problems")
    # Kept with each plant's row, per language, and made by the server's refresh ahead of
    # the next ask (web/refresh.py): every ask wants every plant's dot.
    on_map = fleet.shaped(
        ("map", translation.get_language()),
        partial(map_plant_json, plants_url=_plants_url()),
        ahead=True,
    )
    dots = b",".join(on_map(row) for row in fleet_filter(fleet.rows, query))
    response = HttpResponse(b"[" + dots + b"]", content_type="application/json")
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def _visible(request):
    return stations_visible_to(request.user).select_related("customer")


def _plants_url() -> str:
    return reverse("plant", args=["-"])[:-2]


# Where a kept row's HTML takes the age of its last reading, which changes with every request.
AGE_SLOT = "\x00age\x00"


def _row_html(row, *, plants_url: str) -> str:
    """A plant's row of the overview's table, but for its age (AGE_SLOT)."""
    context = {"row": row, "plants_url": plants_url, "age": AGE_SLOT}
    return render_to_string("monitoring/_fleet_row.html", context)


def _with_age(html: str, row, *, now) -> str:
    filled = html.replace(AGE_SLOT, escape(age(seconds_before(row.last_ts, now))))
    return mark_safe(filled)  # noqa: S308 - the template's output, and the age escaped


def _picked_date(request, station) -> date:
    today = plant_time.local_date(timezone.now(), station.tz)
    try:
        picked = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today
    return picked if date(2000, 1, 1) <= picked <= today + timedelta(days=1) else today


@login_required
def plant(request, code: str):
    station = visible_station_or_404(request.user, code)
    now = timezone.now()
    detail = plant_overview(station, now=now)
    if request.headers.get("HX-Request") and request.GET.get("part") == "inverters":
        return render(request, "monitoring/_inverters.html", detail)
    day = _picked_date(request, station)
    month_start = day.replace(day=1)
    month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    daily = generation_selectors.daily_generation(
        stations=[station], start=month_start, end=month_end
    )
    monthly = generation_selectors.monthly_generation(stations=[station], year=day.year)
    curve = generation_selectors.power_curve(station=station, day=day)
    hourly = generation_selectors.hourly_generation(station=station, day=day)
    irradiance = charts.irradiance_points(station=station, day=day)
    day_row = generation_selectors.station_day(station=station, day=day)
    month_row = next(
        iter(generation_selectors.month_report(stations=[station], year=day.year, month=day.month)),
        None,
    )
    boxes = charts.combiner_strings(boxes=detail["boxes"], now=now)
    context = {
        **detail,
        "day": day,
        "today": plant_time.local_date(now, station.tz),
        "day_row": day_row,
        "day_flags": plausibility.flags_explained(day_row.flags) if day_row else [],
        "day_marks": plausibility.figure_marks(day_row.flags) if day_row else {},
        "month_row": month_row,
        "boxes": boxes,
        "heatmap": charts.combiner_heatmap(boxes),
        "inverter_yields": charts.inverter_yields(detail["inverters"]),
        "problem_classes": plant_problem_classes(
            user=request.user, station=station, language=translation.get_language() or "ko"
        ),
        "open_alarms": alarms_for(user=request.user, stations=[station], is_open=True)[:50],
        "recent_events": station_event_log(user=request.user, station=station)[:20],
        "commands": station_commands(station, limit=20),
        "command_form": CommandForm() if request.user.sees_all_stations else None,
        "chart_data": {
            "curve": charts.curve_series(curve, irradiance, tz=station.tz),
            "hourly": charts.hourly_series(hourly),
            "daily": charts.daily_series(daily, month_start, month_end),
            "monthly": charts.monthly_series(monthly),
        },
    }
    return render(request, "monitoring/plant.html", context)


@login_required
def inverter(request, code: str, number: int):
    station = visible_station_or_404(request.user, code)
    inverter = station.inverters.filter(number=number).first()
    if inverter is None:
        raise Http404("No such inverter in this plant.")
    day = _picked_date(request, station)
    start, end = plant_time.day_bounds(day, station.tz)
    readings = store.inverter_readings(inverter_id=inverter.id, start=start, end=end)
    context = {
        "station": station,
        "inverter": inverter,
        "day": day,
        "readings": readings,
        "chart_data": charts.reading_series(readings, tz=station.tz),
    }
    return render(request, "monitoring/inverter.html", context)


@login_required
def search(request):
    """Plants by code, name or customer. htmx gets the suggestion list; a browser the page."""
    text = request.GET.get("q", "").strip()
    limit = SEARCH_LIMIT if request.headers.get("HX-Request") else 200
    found = list(station_search(stations_visible_to(request.user), query=text, limit=limit))
    template = "monitoring/_suggestions.html" if request.headers.get("HX-Request") else (
        "monitoring/search.html"
    )  # fmt: skip
    return render(request, template, {"q": text, "found": found})


class CommandForm(forms.Form):
    # "Read now" by default: valid for the whole plant, which the inverter list starts with.
    kind = forms.ChoiceField(
        label=_("Command"), choices=Command.Kind.choices, initial=Command.Kind.READ_NOW
    )
    inverter = forms.IntegerField(label=_("Inverter"), required=False, min_value=1)
    percent = forms.FloatField(
        label=_("Power limit (%)"), required=False, min_value=0, max_value=100
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Command.Kind.SET_POWER_LIMIT and data.get("percent") is None:
            self.add_error("percent", _("Set active-power limit needs the limit in per cent."))
        return data

    def params(self) -> dict:
        percent = self.cleaned_data.get("percent")
        is_limit = self.cleaned_data["kind"] == Command.Kind.SET_POWER_LIMIT
        return {"percent": percent} if is_limit and percent is not None else {}


@login_required
@require_POST
def plant_command_queue(request, code: str):
    station = visible_station_or_404(request.user, code)
    form = CommandForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for field in form.errors.values() for e in field)
        messages.error(request, errors)
    else:
        try:
            command_queue(
                user=request.user,
                station=station,
                kind=form.cleaned_data["kind"],
                inverter_number=form.cleaned_data["inverter"],
                params=form.params(),
            )
            messages.success(request, _("The command is queued for the plant's collector."))
        except CommandRefused as error:
            messages.error(request, error.message)
    return redirect(reverse("plant", args=[station.code]) + "#commands")


@login_required
@require_POST
def plant_command_cancel(request, code: str, command_id: int):
    station = visible_station_or_404(request.user, code)
    command = get_object_or_404(Command, pk=command_id, station=station)
    try:
        command_cancel(user=request.user, command=command)
        messages.success(request, _("The command is cancelled."))
    except CommandRefused as error:
        messages.error(request, error.message)
    return redirect(reverse("plant", args=[station.code]) + "#commands")
