"""What the old system served beside the plant list: the error classification, a combiner
box's history, the sensors' readings, a plant's grid outages and its inverters' lifetime
counters at each day's end. Thin: the visibility rule,
then the shared selectors (readings only through telemetry/store.py's read functions)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from events.selectors import error_classification, grid_outages
from generation import selectors as generation_selectors
from monitoring import plant_time
from monitoring.models import Sensor
from monitoring.visibility import visible_station_or_404
from solarsite.api_errors import ApiError
from solarsite.api_views import ApiView, PeriodQuery, plant_codes
from web import selectors
from web.api.stations import RangeQuery, visible_stations_named


class ClassificationQuery(serializers.Serializer):
    station = plant_codes()


class ClassificationOut(serializers.Serializer):
    station = serializers.CharField(help_text="The plant's code.")
    counts = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        help_text='Open alarms per category: an event code ("201" grid outage, "202" '
        'communication error, ...) or, for inverter faults, each fault by name '
        '("fault:ground_fault"); an inverter with two faults counts under both.',
    )


class ErrorClassification(ApiView):
    """The old "error classification" (monitoring_error_get): each plant's open problems
    counted per category, faults by name; plants without an open alarm are left out."""

    query_serializer = ClassificationQuery

    @extend_schema(responses={200: ClassificationOut(many=True)})
    def get(self, request, version=None):
        stations = visible_stations_named(request.user, self.query.get("station"))
        counts = error_classification(user=request.user, stations=stations)
        rows = [
            {"station": station.code, "counts": counts[station.id]}
            for station in sorted(stations, key=lambda s: s.code)
            if counts.get(station.id)
        ]
        return Response(ClassificationOut(rows, many=True).data)


class CombinerReadingOut(serializers.Serializer):
    ts = serializers.DateTimeField()
    voltage = serializers.FloatField(allow_null=True, help_text="DC bus voltage, V.")
    currents = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Each string's current, A, by channel (null: not measured).",
    )


class CombinerHistory(ApiView):
    """One combiner box's string currents and voltage over [since, until), oldest first (at
    most 7 days)."""

    query_serializer = RangeQuery

    @extend_schema(responses={200: CombinerReadingOut(many=True)})
    def get(self, request, code: str, number: int, version=None):
        station = visible_station_or_404(request.user, code)
        readings = selectors.combiner_history(
            station, number=number, start=self.query["since"], end=self.query["until"]
        )
        if readings is None:
            raise ApiError(
                "not_found",
                _("Plant %(code)s has no combiner box %(number)s.")
                % {"code": station.code, "number": number},
                status_code=404,
            )
        return Response(CombinerReadingOut(readings, many=True).data)


class SensorPointOut(serializers.Serializer):
    ts = serializers.DateTimeField()
    value = serializers.FloatField(allow_null=True)


class SensorHistoryOut(serializers.Serializer):
    name = serializers.CharField(source="sensor.name")
    kind = serializers.ChoiceField(source="sensor.kind", choices=Sensor.Kind.choices)
    kind_label = serializers.CharField(
        source="sensor.kind_label", help_text="The kind and its unit, in the user's language."
    )
    points = SensorPointOut(many=True)


class SensorHistory(ApiView):
    """Each sensor of a plant (irradiance in W/m², module and ambient temperature in °C) with
    its readings over [since, until), oldest first (at most 7 days)."""

    query_serializer = RangeQuery

    @extend_schema(responses={200: SensorHistoryOut(many=True)})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        sensors = selectors.sensor_history(
            station, start=self.query["since"], end=self.query["until"]
        )
        rows = [
            {**row, "points": [{"ts": ts, "value": value} for ts, value in row["points"]]}
            for row in sensors
        ]
        return Response(SensorHistoryOut(rows, many=True).data)


class OutageQuery(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601 with an offset.")
    until = serializers.DateTimeField(
        required=False, help_text="ISO 8601 with an offset; after since when both are given."
    )

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": _("'until' must be after 'since'.")})
        return attrs


class OutageOut(serializers.Serializer):
    began_at = serializers.DateTimeField(source="raised_at")
    ended_at = serializers.DateTimeField(
        source="cleared_at", allow_null=True, help_text="null while the outage goes on."
    )
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True
    )
    alarm = serializers.IntegerField(source="id", help_text="The outage's alarm.")


class GridOutages(ApiView):
    """A plant's grid outages, newest first; with a period, those that were on at some moment
    in it."""

    query_serializer = OutageQuery

    @extend_schema(responses={200: OutageOut(many=True)})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        outages = grid_outages(
            user=request.user,
            station=station,
            since=self.query.get("since"),
            until=self.query.get("until"),
        )
        return Response(OutageOut(outages, many=True).data)


class CounterDayOut(serializers.Serializer):
    date = serializers.DateField()
    total_kwh = serializers.FloatField(
        allow_null=True, help_text="The lifetime counter at the day's end, kWh."
    )


class InverterCountersOut(serializers.Serializer):
    inverter = serializers.IntegerField(help_text="The inverter's number.")
    days = CounterDayOut(many=True)


class DayEndCounters(ApiView):
    """Each inverter's lifetime counter at the end of each of the plant's local days over
    from..to (the old daytotalgeneration; default: this month), from the daily rollups."""

    query_serializer = PeriodQuery

    @extend_schema(responses={200: InverterCountersOut(many=True)})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        today = plant_time.local_date(timezone.now(), station.tz)
        counters = generation_selectors.day_end_counters(
            station=station,
            start=self.query.get("from") or today.replace(day=1),
            end=self.query.get("to") or today,
        )
        rows = [
            {"inverter": number, "days": [{"date": d, "total_kwh": t} for d, t in days]}
            for number, days in counters.items()
        ]
        return Response(InverterCountersOut(rows, many=True).data)
