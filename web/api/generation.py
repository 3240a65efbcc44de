"""Generation figures for API clients: one plant's day, periods, summary, statistics,
exports. Thin: visibility first, then the selectors and exports the pages use."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from generation import selectors
from monitoring import plant_time
from monitoring.changes import kept, plant_version
from monitoring.models import Region
from monitoring.visibility import visible_station_or_404
from solarsite.api_views import ApiView, PeriodQuery, plant_codes
from web import exports
from web.api.stations import visible_stations_named


class DayQuery(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text="The plant's local day; today if absent."
    )


def _day(query: dict, station) -> date:
    return query.get("date") or plant_time.local_date(timezone.now(), station.tz)


class CurvePoint(serializers.Serializer):
    ts = serializers.DateTimeField()
    kw = serializers.FloatField(allow_null=True)


class InverterCurve(serializers.Serializer):
    inverter = serializers.IntegerField()
    points = CurvePoint(many=True)


class CurveOut(serializers.Serializer):
    date = serializers.DateField()
    total = CurvePoint(many=True)
    inverters = InverterCurve(many=True)


def _points(pairs) -> list[dict]:
    """Written out by hand: a day curve has thousands of points, and building them through
    CurvePoint costs several times more than the query (CurveOut documents the same shape)."""
    zone = timezone.get_current_timezone()
    return [{"ts": ts.astimezone(zone).isoformat(), "kw": kw} for ts, kw in pairs]


class DayCurve(ApiView):
    """AC power through a plant's local day, the plant total and per inverter."""

    query_serializer = DayQuery

    @extend_schema(responses={200: CurveOut})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        day = _day(self.query, station)

        def answer() -> dict:
            curve = selectors.power_curve(station=station, day=day)
            return {
                "date": day.isoformat(),
                "total": _points(curve["total"]),
                "inverters": [
                    {"inverter": n, "points": _points(p)} for n, p in curve["inverters"].items()
                ],
            }

        # Kept until the plant's data changes (monitoring/changes.py): a day of 1-minute
        # points costs far more to read and write out than to serve again.
        plant = plant_version(station.id)
        if plant is None:
            return Response(answer())
        zone = timezone.get_current_timezone_name()
        return Response(kept(("day curve", plant, station.id, day, zone), answer))


class HourOut(serializers.Serializer):
    hour_start = serializers.DateTimeField()
    local_hour = serializers.IntegerField()
    kwh = serializers.FloatField()
    complete = serializers.BooleanField()
    estimated = serializers.BooleanField()


class InverterKwh(serializers.Serializer):
    ts = serializers.DateTimeField()
    kwh = serializers.FloatField()


class InverterHours(serializers.Serializer):
    inverter = serializers.IntegerField()
    hours = InverterKwh(many=True)


class HourlyOut(serializers.Serializer):
    date = serializers.DateField()
    hours = HourOut(many=True)
    inverters = InverterHours(many=True)


class Hourly(ApiView):
    """kWh per local hour of a plant's day, summed and per inverter, from the hourly rollups."""

    query_serializer = DayQuery

    @extend_schema(responses={200: HourlyOut})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        day = _day(self.query, station)
        hourly = selectors.hourly_generation(station=station, day=day)
        fields = ("hour_start", "local_hour", "kwh", "complete", "estimated")
        data = {
            "date": day,
            "hours": [dict(zip(fields, hour, strict=True)) for hour in hourly["hours"]],
            "inverters": [
                {"inverter": n, "hours": [{"ts": ts, "kwh": kwh} for ts, kwh in rows]}
                for n, rows in sorted(hourly["inverters"].items())
            ],
        }
        return Response(HourlyOut(data).data)


class FlagOut(serializers.Serializer):
    code = serializers.CharField(help_text="A machine code, e.g. pr_above_100.")
    figures = serializers.ListField(
        child=serializers.CharField(), help_text="The figures it marks, e.g. performance_ratio."
    )
    message = serializers.CharField(help_text="Why, in one sentence in the user's language.")


class StationDayOut(serializers.Serializer):
    date = serializers.DateField()
    kwh = serializers.FloatField()
    specific_yield = serializers.FloatField(help_text="kWh per DC kWp.")
    capacity_kwp = serializers.FloatField(help_text="DC capacity that day.")
    capacity_kw = serializers.FloatField(allow_null=True, help_text="AC capacity that day.")
    peak_kw = serializers.FloatField(allow_null=True)
    peak_at = serializers.DateTimeField(allow_null=True)
    run_hours = serializers.FloatField()
    daylight_hours = serializers.FloatField(help_text="Hours with the sun 5 degrees up.")
    availability = serializers.FloatField(allow_null=True, help_text="A share: 0.98 is 98 %.")
    completeness = serializers.FloatField(help_text="Daylight with data, a share.")
    poa_kwh_m2 = serializers.FloatField(allow_null=True)
    performance_ratio = serializers.FloatField(allow_null=True, help_text="A share.")
    zero_filled = serializers.BooleanField()
    underperforming = serializers.BooleanField()
    flags = FlagOut(many=True, help_text="Figures that cannot be right, and why; [] if none.")


class StationDays(ApiView):
    """A plant's days over from..to (default: this month): energy, yield, peak, run time,
    availability, completeness, insolation, performance ratio, and the flags of figures that
    cannot be right (a flagged figure is shown, but is no plant's normal)."""

    query_serializer = PeriodQuery

    @extend_schema(responses={200: StationDayOut(many=True)})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        start, end = _period(self.query)
        days = selectors.station_days(station=station, start=start, end=end)
        return Response(StationDayOut(days, many=True).data)


class StationsQuery(serializers.Serializer):
    station = plant_codes()


class StationsPeriodQuery(StationsQuery, PeriodQuery):
    pass


class DayKwh(serializers.Serializer):
    date = serializers.DateField()
    kwh = serializers.FloatField()
    zero_filled = serializers.BooleanField()


class InverterDays(serializers.Serializer):
    inverter = serializers.CharField(help_text="CODE-N")
    days = serializers.ListField(child=serializers.DictField())


class DailyOut(serializers.Serializer):
    days = DayKwh(many=True)
    inverters = InverterDays(many=True)


def _period(query: dict) -> tuple[date, date]:
    today = timezone.localdate()
    return query.get("from") or today.replace(day=1), query.get("to") or today


class Daily(ApiView):
    """kWh per day over from..to (default: this month), summed and per inverter."""

    query_serializer = StationsPeriodQuery

    @extend_schema(responses={200: DailyOut})
    def get(self, request, version=None):
        stations = visible_stations_named(request.user, self.query.get("station"))
        start, end = _period(self.query)
        daily = selectors.daily_generation(stations=stations, start=start, end=end)
        labels = selectors.inverter_numbers(stations)
        data = {
            "days": [{"date": d, "kwh": round(k, 3), "zero_filled": z}
                     for d, k, z in daily["days"]],
            "inverters": [
                {"inverter": labels.get(i, str(i)),
                 "days": [{"date": d.isoformat(), "kwh": round(k, 3)} for d, k in rows]}
                for i, rows in sorted(daily["inverters"].items())
            ],
        }  # fmt: skip
        return Response(data)


class YearQuery(StationsQuery):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)


class MonthlyOut(serializers.Serializer):
    year = serializers.IntegerField()
    months = serializers.DictField(child=serializers.FloatField())
    inverters = serializers.DictField(child=serializers.DictField(child=serializers.FloatField()))


class Monthly(ApiView):
    """kWh per month of a year (default: this year), summed and per inverter (CODE-N)."""

    query_serializer = YearQuery

    @extend_schema(responses={200: MonthlyOut})
    def get(self, request, version=None):
        stations = visible_stations_named(request.user, self.query.get("station"))
        year = self.query.get("year") or timezone.localdate().year
        monthly = selectors.monthly_generation(stations=stations, year=year)
        labels = selectors.inverter_numbers(stations)
        data = {
            "year": year,
            "months": {str(m): round(k, 3) for m, k in monthly["months"].items()},
            "inverters": {
                labels.get(i, str(i)): {str(m): round(k, 3) for m, k in months.items()}
                for i, months in monthly["inverters"].items()
            },
        }
        return Response(data)


class SummaryOut(serializers.Serializer):
    current_kw = serializers.FloatField()
    today_kwh = serializers.FloatField()
    month_kwh = serializers.FloatField()
    year_kwh = serializers.FloatField()
    lifetime_kwh = serializers.FloatField()


class Summary(ApiView):
    """Current kW, today, this month, this year and lifetime kWh of the plants."""

    query_serializer = StationsQuery

    @extend_schema(responses={200: SummaryOut})
    def get(self, request, version=None):
        stations = visible_stations_named(request.user, self.query.get("station"))
        return Response(vars(selectors.summary(stations=stations)))


class RunTimeOut(serializers.Serializer):
    station = serializers.CharField()
    hours = serializers.FloatField()


class RunTime(ApiView):
    """Hours each plant generated over from..to (default: this month)."""

    query_serializer = StationsPeriodQuery

    @extend_schema(responses={200: RunTimeOut(many=True)})
    def get(self, request, version=None):
        stations = visible_stations_named(request.user, self.query.get("station"))
        start, end = _period(self.query)
        hours = selectors.run_time(stations=stations, start=start, end=end)
        rows = [{"station": s.code, "hours": hours.get(s.id, 0.0)} for s in stations]
        return Response(sorted(rows, key=lambda r: r["station"]))


class RegionOut(serializers.Serializer):
    region = serializers.CharField()
    stations = serializers.IntegerField()
    average_kw = serializers.FloatField()
    kw_per_kwp = serializers.FloatField()


class RegionalAverage(ApiView):
    """Per region: plants reporting, their average current kW and kW per kWp installed."""

    query_serializer = StationsQuery

    @extend_schema(responses={200: RegionOut(many=True)})
    def get(self, request, version=None):
        stations = visible_stations_named(request.user, self.query.get("station"))
        regions = selectors.regional_current_average(stations=stations)
        return Response([{"region": name, **figures} for name, figures in regions.items()])


class StatisticsQuery(PeriodQuery):
    region = serializers.ChoiceField(choices=Region.choices, required=False)


class StatisticsOut(serializers.Serializer):
    inverters = serializers.IntegerField()
    inverter_kwh_avg = serializers.FloatField(allow_null=True)
    inverter_kwh_median = serializers.FloatField(allow_null=True)
    stations = serializers.IntegerField()
    yield_avg = serializers.FloatField(allow_null=True)
    yield_median = serializers.FloatField(allow_null=True)


class Statistics(ApiView):
    """Average and median kWh per inverter and specific yield per plant, fleet or region, over
    from..to (default: this month). Fleet-wide figures, the same for every user."""

    query_serializer = StatisticsQuery

    @extend_schema(responses={200: StatisticsOut})
    def get(self, request, version=None):
        start, end = _period(self.query)
        figures = selectors.statistics_over(start=start, end=end, region=self.query.get("region"))
        return Response(StatisticsOut(figures).data)


class ExportQuery(StationsPeriodQuery):
    kind = serializers.ChoiceField(choices=["daily", "monthly"], default="daily")
    type = serializers.ChoiceField(choices=list(exports.CONTENT_TYPES), default="csv")
    year = serializers.IntegerField(
        min_value=exports.YEARS[0], max_value=exports.YEARS[1], required=False
    )


class Export(ApiView):
    """Daily (from..to) or monthly (year) generation per plant as CSV or XLSX."""

    query_serializer = ExportQuery

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
        }
    )
    def get(self, request, version=None):
        codes = self.query.get("station") or []
        stations = visible_stations_named(request.user, codes)
        label = codes[0] if len(codes) == 1 else "fleet"
        kind, fmt = self.query["kind"], self.query["type"]
        if kind == "daily":
            start, end = _period(self.query)
            return exports.export_download(
                stations=stations, kind=kind, fmt=fmt, label=label, start=start, end=end
            )
        year = self.query.get("year") or timezone.localdate().year
        return exports.export_download(
            stations=stations, kind=kind, fmt=fmt, label=label, year=year
        )
