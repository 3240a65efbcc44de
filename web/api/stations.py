"""Stations, their inverters and key-value settings for API clients. Thin: every read goes
through the visibility rule and a selector the pages use too."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import ProhibitNullCharactersValidator
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response

from generation import selectors as generation_selectors
from monitoring.models import Inverter, KeyValue, PowerStation, Region
from monitoring.states import PlantState
from monitoring.visibility import stations_visible_to, visible_station_or_404
from solarsite.api_errors import ApiError
from solarsite.api_views import MAX_ID, ApiView, QueryMixin, plant_codes
from telemetry import store
from web import selectors
from web.api.accounts import IsAdministratorOrReadOnly
from web.fleet import SORT_KEYS, fleet_query, fleet_select, state_counts

MAX_READING_SPAN = timedelta(days=7)
STATE_HELP = (
    "The plant's state, as the overview page shows it (monitoring/states.py): night means the "
    "sun is down and the inverters asleep; a plant that is not operating shows its status."
)
# The old system's two flags, renamed to snake_case; their values are kept as they were.
POWER_STATION_STATUS = [(0, "normal"), (1, "no AC power")]
POWER_STATION_STATUS_HELP = (
    "The old system's powerstationStatus: 0 normal, 1 when the plant's AC kW is 0."
)
COMM_STATUS = [(0, "communication error"), (1, "communicating")]
COMM_STATUS_HELP = (
    "The old system's commStatus: 0 on a communication error (comm_error, collector_down, "
    "no_data), 1 otherwise. 1 is the good value here and the bad one in power_station_status."
)


class StationRowOut(serializers.Serializer):
    code = serializers.CharField(source="station.code")
    name = serializers.CharField(source="station.name")
    region = serializers.ChoiceField(source="station.region", choices=Region.choices)
    region_label = serializers.CharField(
        source="station.get_region_display", help_text="The region in the user's language."
    )
    status = serializers.ChoiceField(
        source="station.status", choices=PowerStation.Status.choices,
        help_text="Whether the plant is operating (set by an operator).",
    )  # fmt: skip
    status_label = serializers.CharField(
        source="station.get_status_display", help_text="The status in the user's language."
    )
    capacity_kwp = serializers.FloatField(
        source="station.capacity_kwp", help_text="DC capacity: the modules' peak power, kWp."
    )
    capacity_kw = serializers.FloatField(
        source="ac_kw", allow_null=True,
        help_text="AC capacity: the inverters' rated output (or the grid limit), kW.",
    )  # fmt: skip
    dc_ac_ratio = serializers.FloatField(allow_null=True)
    current_kw = serializers.FloatField()
    today_kwh = serializers.FloatField()
    lifetime_kwh = serializers.FloatField()
    state = serializers.ChoiceField(choices=PlantState.choices, help_text=STATE_HELP)
    state_label = serializers.CharField(help_text="The state in the user's language.")
    last_ts = serializers.DateTimeField(allow_null=True)
    inverters = serializers.IntegerField(min_value=0)
    inverters_reporting = serializers.IntegerField(min_value=0)
    grid_outage = serializers.BooleanField(allow_null=True)
    power_station_status = serializers.ChoiceField(
        choices=POWER_STATION_STATUS, help_text=POWER_STATION_STATUS_HELP
    )
    comm_status = serializers.ChoiceField(choices=COMM_STATUS, help_text=COMM_STATUS_HELP)


class FleetQueryIn(serializers.Serializer):
    """The overview page's parameters. The fields only document them: web/fleet.py checks
    them all at once, by the page's rules, so every wrong one is named in the same answer."""

    q = serializers.CharField(required=False, help_text="Part of a plant's code, name or customer.")
    region = serializers.ChoiceField(required=False, choices=Region.choices)
    status = serializers.ChoiceField(required=False, choices=PowerStation.Status.choices)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A customer's number."
    )
    state = serializers.ChoiceField(required=False, choices=PlantState.choices)
    sort = serializers.ChoiceField(
        required=False,
        choices=[key for name in SORT_KEYS for key in (name, f"-{name}")],
        help_text="The order; a leading - reverses it.",
    )

    def to_internal_value(self, data):
        query, wrong = fleet_query(data)
        if "\x00" in data.get("q", ""):  # as every text field of the API (the schema says so)
            wrong["q"] = [str(ProhibitNullCharactersValidator.message)]
        if wrong:
            raise serializers.ValidationError(wrong)
        return {"fleet": query}


class StationList(QueryMixin, generics.ListAPIView):
    """Plants you may see, filtered and ordered like the overview page: current kW, today's
    kWh, state (with its label), old status flags."""

    serializer_class = StationRowOut
    query_serializer = FleetQueryIn

    def get_queryset(self):
        return self.visible(self.request.user)

    @staticmethod
    def visible(user):
        return stations_visible_to(user).order_by("code").select_related("customer")

    def list(self, request, *args, **kwargs):
        fleet = selectors.fleet_rows(self.get_queryset(), now=timezone.now())
        page = self.paginate_queryset(fleet_select(fleet.rows, query=self.query["fleet"]))
        shape = fleet.shaped(
            ("api", get_language(), timezone.get_current_timezone_name()), station_row_data
        )
        return self.get_paginated_response([shape(row) for row in page])


def station_row_data(row: selectors.StationRow) -> dict:
    """StationRowOut's shape written out by hand: a page of 1,000 plants through the
    serializer costs more than reading them (test_endpoints compares the two)."""
    station = row.station
    return {
        "code": station.code,
        "name": station.name,
        "region": station.region,
        "region_label": str(station.get_region_display()),
        "status": station.status,
        "status_label": str(station.get_status_display()),
        "capacity_kwp": float(station.capacity_kwp),
        "capacity_kw": row.ac_kw,
        "dc_ac_ratio": row.dc_ac_ratio,
        "current_kw": row.current_kw,
        "today_kwh": row.today_kwh,
        "lifetime_kwh": row.lifetime_kwh,
        "state": str(row.state),
        "state_label": str(row.state_label),
        "last_ts": timezone.localtime(row.last_ts).isoformat() if row.last_ts else None,
        "inverters": row.inverters,
        "inverters_reporting": row.inverters_reporting,
        "grid_outage": row.grid_outage,
        "power_station_status": row.power_station_status,
        "comm_status": row.comm_status,
    }


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(help_text="Part of a plant's code, name or customer's name.")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)


class StationBriefOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField()


class StationSearch(ApiView):
    """Autocomplete: plants whose code, name or customer's name contains q (the page's
    search)."""

    query_serializer = SearchQuery

    @extend_schema(responses={200: StationBriefOut(many=True)})
    def get(self, request, version=None):
        found = selectors.station_search(
            stations_visible_to(request.user), query=self.query["q"], limit=self.query["limit"]
        )
        return Response(StationBriefOut(found, many=True).data)


class OverviewQuery(serializers.Serializer):
    station = plant_codes()


class OverviewOut(serializers.Serializer):
    stations = serializers.IntegerField()
    capacity_kwp = serializers.FloatField()
    current_kw = serializers.FloatField()
    today_kwh = serializers.FloatField()
    month_kwh = serializers.FloatField()
    year_kwh = serializers.FloatField()
    lifetime_kwh = serializers.FloatField()
    states = serializers.DictField(child=serializers.IntegerField())


class StationOverview(ApiView):
    """The overview summary of many plants at once: totals and how many are in each state
    (the overview page's states: normal, night, stopped, grid outage, communication error,
    not generating, collector down, no data, under construction, not in use,
    decommissioned)."""

    query_serializer = OverviewQuery

    @extend_schema(responses={200: OverviewOut})
    def get(self, request, version=None):
        codes = self.query.get("station")
        chosen = StationList.visible(request.user)
        if codes:
            visible_stations_named(request.user, codes)  # a code not visible is a 404
            chosen = chosen.filter(code__in=codes)
        now = timezone.now()
        # The fleet's kept rows (web/selectors.py), shared with the list and the overview page.
        rows = selectors.fleet_rows(chosen, now=now).rows
        stations = [row.station for row in rows]
        total = generation_selectors.summary(stations=stations, now=now)
        return Response(
            {
                "stations": len(stations),
                "capacity_kwp": float(sum(s.capacity_kwp for s in stations)),
                **vars(total),
                # The same states and counts as the overview page's.
                "states": state_counts(rows),
            }
        )


def visible_stations_named(user, codes: list[str] | None) -> list[PowerStation]:
    """The visible stations with these codes (all visible ones when None); an unknown or
    invisible code is a 404 naming it, so a typo is never a silently smaller total."""
    visible = stations_visible_to(user)
    if not codes:
        return list(visible)
    found = list(visible.filter(code__in=codes))
    missing = sorted(set(codes) - {s.code for s in found})
    if missing:
        raise ApiError(
            "not_found",
            _("No plant with code %(codes)s is visible to you.") % {"codes": ", ".join(missing)},
            status_code=404,
            fields={"station": missing},
        )
    return found


class InverterOut(serializers.Serializer):
    number = serializers.IntegerField(source="inverter.number")
    maker = serializers.CharField(source="inverter.maker")
    model = serializers.CharField(source="inverter.model")
    serial = serializers.CharField(source="inverter.serial")
    capacity_kw = serializers.FloatField(source="inverter.capacity_kw", help_text="AC, kW.")
    capacity_kwp = serializers.FloatField(
        source="inverter.dc_kwp", help_text="DC: the modules wired to it, kWp."
    )
    dc_ac_ratio = serializers.FloatField(source="inverter.dc_ac_ratio")
    phases = serializers.IntegerField(source="inverter.phases")
    is_active = serializers.BooleanField(source="inverter.is_active")
    state = serializers.CharField()
    last_ts = serializers.DateTimeField(source="status.last_ts", default=None, allow_null=True)
    ac_kw = serializers.FloatField(source="status.ac_kw", default=None, allow_null=True)
    dc_kw = serializers.FloatField(source="status.dc_kw", default=None, allow_null=True)
    day_kwh = serializers.FloatField(source="status.day_kwh", default=None, allow_null=True)
    total_kwh = serializers.FloatField(source="status.total_kwh", default=None, allow_null=True)
    temp_c = serializers.FloatField(source="status.temp_c", default=None, allow_null=True)
    fault_bits = serializers.IntegerField(source="status.fault_bits", default=None, allow_null=True)


class StationDetailOut(StationRowOut):
    address = serializers.CharField(source="station.address")
    postal_code = serializers.CharField(source="station.postal_code", help_text="Empty if unknown.")
    province = serializers.CharField(source="station.province", help_text="Empty if unknown.")
    city = serializers.CharField(source="station.city", help_text="Empty if unknown.")
    latitude = serializers.FloatField(source="station.latitude")
    longitude = serializers.FloatField(source="station.longitude")
    time_zone = serializers.CharField(source="station.time_zone")
    installed_on = serializers.DateField(source="station.installed_on", allow_null=True)
    inverter_list = serializers.SerializerMethodField()

    @extend_schema_field(InverterOut(many=True))
    def get_inverter_list(self, row):
        return InverterOut(self.context["inverters"], many=True).data


class StationDetail(ApiView):
    """One plant: its row and each inverter's realtime values."""

    @extend_schema(responses={200: StationDetailOut})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        detail = selectors.station_detail(station, now=timezone.now())
        return Response(StationDetailOut(detail.row, context={"inverters": detail.inverters}).data)


class StatusOut(serializers.Serializer):
    code = serializers.CharField(source="station.code")
    state = serializers.ChoiceField(choices=PlantState.choices, help_text=STATE_HELP)
    state_label = serializers.CharField(help_text="The state in the user's language.")
    current_kw = serializers.FloatField()
    last_ts = serializers.DateTimeField(allow_null=True)
    power_station_status = serializers.ChoiceField(
        choices=POWER_STATION_STATUS, help_text=POWER_STATION_STATUS_HELP
    )
    comm_status = serializers.ChoiceField(choices=COMM_STATUS, help_text=COMM_STATUS_HELP)


class StationStatusView(ApiView):
    """A plant's state and the old system's status flags: power_station_status 0 normal / 1
    when AC kW is 0; comm_status 0 on a communication error."""

    @extend_schema(responses={200: StatusOut})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        (row,) = selectors.station_rows([station], now=timezone.now())
        return Response(StatusOut(row).data)


class InverterList(ApiView):
    """A plant's inverters with their realtime values, by number."""

    @extend_schema(responses={200: InverterOut(many=True)})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        detail = selectors.station_detail(station, now=timezone.now())
        return Response(InverterOut(detail.inverters, many=True).data)


def inverter_of(user, code: str, number: int) -> tuple[PowerStation, Inverter]:
    station = visible_station_or_404(user, code)
    inverter = get_object_or_404(Inverter, station=station, number=number)
    return station, inverter


class InverterDetail(ApiView):
    """One inverter and its realtime values."""

    @extend_schema(responses={200: InverterOut})
    def get(self, request, code: str, number: int, version=None):
        station, inverter = inverter_of(request.user, code, number)
        detail = selectors.station_detail(station, now=timezone.now())
        (row,) = [r for r in detail.inverters if r.inverter.id == inverter.id]
        return Response(InverterOut(row).data)


class ReadingOut(serializers.Serializer):
    ts = serializers.DateTimeField()
    ac_kw = serializers.FloatField(allow_null=True)
    dc_kw = serializers.FloatField(allow_null=True)
    dc_v = serializers.FloatField(allow_null=True)
    dc_a = serializers.FloatField(allow_null=True)
    ac_v1 = serializers.FloatField(allow_null=True)
    ac_v2 = serializers.FloatField(allow_null=True)
    ac_v3 = serializers.FloatField(allow_null=True)
    ac_a1 = serializers.FloatField(allow_null=True)
    ac_a2 = serializers.FloatField(allow_null=True)
    ac_a3 = serializers.FloatField(allow_null=True)
    freq_hz = serializers.FloatField(allow_null=True)
    pf = serializers.FloatField(allow_null=True)
    temp_c = serializers.FloatField(allow_null=True)
    day_kwh = serializers.FloatField(allow_null=True)
    total_kwh = serializers.FloatField(allow_null=True)
    state = serializers.IntegerField(allow_null=True)
    fault_bits = serializers.IntegerField(allow_null=True)


class InverterLatest(ApiView):
    """The newest stored reading of one inverter."""

    @extend_schema(responses={200: ReadingOut})
    def get(self, request, code: str, number: int, version=None):
        _station, inverter = inverter_of(request.user, code, number)
        reading = store.latest_inverter_readings(inverter_ids=[inverter.id]).get(inverter.id)
        if reading is None:
            raise ApiError(
                "no_readings", _("This inverter has sent no reading yet."), status_code=404
            )
        return Response(ReadingOut(reading).data)


class RangeQuery(serializers.Serializer):
    since = serializers.DateTimeField(help_text="Start, ISO 8601 with an offset (inclusive).")
    until = serializers.DateTimeField(
        help_text="End, ISO 8601 with an offset (exclusive); after since, and at most 7 days "
        "after it."
    )

    def validate(self, attrs):
        if attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": _("'until' must be after 'since'.")})
        if attrs["until"] - attrs["since"] > MAX_READING_SPAN:
            raise serializers.ValidationError(
                {"until": _("Ask for at most %(days)s days of readings at a time.")
                 % {"days": MAX_READING_SPAN.days}}
            )  # fmt: skip
        return attrs


class InverterReadings(ApiView):
    """One inverter's readings in [since, until), oldest first (at most 7 days)."""

    query_serializer = RangeQuery

    @extend_schema(responses={200: ReadingOut(many=True)})
    def get(self, request, code: str, number: int, version=None):
        _station, inverter = inverter_of(request.user, code, number)
        readings = store.inverter_readings(
            inverter_id=inverter.id, start=self.query["since"], end=self.query["until"]
        )
        return Response(ReadingOut(readings, many=True).data)


class FiguresOut(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    sum = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class PowerFiguresOut(serializers.Serializer):
    inverter = serializers.IntegerField()
    ac_kw = FiguresOut()
    dc_kw = FiguresOut()


class StationPower(ApiView):
    """DC and AC kW of each inverter over [since, until): average, sum and median."""

    query_serializer = RangeQuery

    @extend_schema(responses={200: PowerFiguresOut(many=True)})
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        figures = generation_selectors.power_figures(
            station=station, start=self.query["since"], end=self.query["until"]
        )
        rows = [{"inverter": number, **kinds} for number, kinds in figures.items()]
        return Response(PowerFiguresOut(rows, many=True).data)


class KeyValueOut(serializers.ModelSerializer):
    class Meta:
        model = KeyValue
        fields = ["key", "value", "updated_at"]
        read_only_fields = ["key", "updated_at"]


@extend_schema_field(
    {"anyOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {}},
               {"type": "string"}, {"type": "number"}, {"type": "boolean"}],
     "description": "Any JSON value but null."}
)  # fmt: skip
class AnyJsonButNull(serializers.JSONField):
    pass


class KeyValueIn(serializers.Serializer):
    value = AnyJsonButNull()


class KeyValueView(ApiView):
    """A key-value setting: read by anyone logged in, written by administrators."""

    permission_classes = [IsAdministratorOrReadOnly]

    @extend_schema(responses={200: KeyValueOut})
    def get(self, request, key: str, version=None):
        item = KeyValue.objects.filter(key=key).first()
        if item is None:
            raise ApiError(
                "not_found", _("No setting has the key %(key)s.") % {"key": key}, status_code=404
            )
        return Response(KeyValueOut(item).data)

    @extend_schema(request=KeyValueIn, responses={200: KeyValueOut})
    def put(self, request, key: str, version=None):
        body = KeyValueIn(data=request.data)
        body.is_valid(raise_exception=True)
        if len(key) > 100:
            raise ApiError("invalid", _("A key is at most 100 characters."), fields={"key": []})
        item, _created = KeyValue.objects.update_or_create(
            key=key, defaults={"value": body.validated_data["value"]}
        )
        return Response(KeyValueOut(item).data)
