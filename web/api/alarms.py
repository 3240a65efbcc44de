"""Alarms, the event log, event types and a user's own notification settings for API clients.
Thin: every read goes through events/selectors.py (which applies the visibility rule), every
acknowledgement through events/acknowledge.py."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, viewsets
from rest_framework.response import Response

from events.acknowledge import alarms_acknowledge
from events.models import Alarm, EventLog, EventType, Subscription
from events.selectors import alarms_for, notify_list, station_event_log
from events.webhooks import webhook_url_validate
from monitoring.visibility import stations_visible_to, visible_station_or_404
from solarsite.api_errors import ApiError
from solarsite.api_schema import ErrorSerializer
from solarsite.api_views import ApiView, QueryMixin, StrictJson, plant_codes
from web.api.accounts import IsAdministratorOrReadOnly
from web.api.stations import visible_stations_named

DEFAULT_NOTIFY_SPAN = timedelta(days=1)
WEBHOOK_URL_PATTERN = (
    r"^(https?://[a-z0-9]{1,30}(\.[a-z0-9]{1,30}){0,3}\.[a-z]{2,10}"
    r"(/[A-Za-z0-9._~/-]{0,100})?)?$"
)


class AlarmOut(serializers.ModelSerializer):
    code = serializers.IntegerField(source="event_type_id")
    event = serializers.CharField(source="event_type.name_en")
    event_ko = serializers.CharField(source="event_type.name_ko")
    severity = serializers.CharField(source="event_type.severity")
    station = serializers.CharField(source="station.code", default=None, allow_null=True)
    inverter = serializers.IntegerField(source="inverter.number", default=None, allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True
    )
    is_open = serializers.BooleanField()

    class Meta:
        model = Alarm
        fields = ["id", "code", "event", "event_ko", "severity", "subject", "station", "inverter",
                  "raised_at", "cleared_at", "is_open", "acknowledged_by", "acknowledged_at",
                  "note", "details"]  # fmt: skip


class PeriodTimes(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601 with an offset.")
    until = serializers.DateTimeField(
        required=False, help_text="ISO 8601 with an offset; after since when both are given."
    )
    station = plant_codes()

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": _("'until' must be after 'since'.")})
        return attrs


class AlarmQuery(PeriodTimes):
    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)
    open = serializers.BooleanField(required=False, allow_null=True, default=None)


class AlarmList(QueryMixin, generics.ListAPIView):
    """Alarms of your plants, newest first; a period selects those open at some moment in it."""

    queryset = Alarm.objects.none()  # for the schema; get_queryset reads
    serializer_class = AlarmOut
    query_serializer = AlarmQuery

    def get_queryset(self):
        codes = self.query.get("station")
        return alarms_for(
            user=self.request.user,
            stations=visible_stations_named(self.request.user, codes) if codes else None,
            acknowledged=self.query.get("acknowledged"),
            is_open=self.query.get("open"),
            since=self.query.get("since"),
            until=self.query.get("until"),
        ).order_by("-raised_at", "-id")


class AcknowledgeIn(StrictJson, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AcknowledgeOut(serializers.Serializer):
    acknowledged = serializers.IntegerField(help_text="How many this call acknowledged.")


class AlarmsAcknowledge(ApiView):
    """Acknowledge several alarms. Alarms already acknowledged keep their first acknowledger;
    ids of alarms you cannot see are ignored."""

    @extend_schema(request=AcknowledgeIn, responses={200: AcknowledgeOut})
    def post(self, request, version=None):
        body = AcknowledgeIn(data=request.data)
        body.is_valid(raise_exception=True)
        count = alarms_acknowledge(
            user=request.user,
            alarm_ids=body.validated_data["ids"],
            note=body.validated_data["note"],
        )
        return Response({"acknowledged": count})


class NoteIn(StrictJson, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AlarmAcknowledge(ApiView):
    """Acknowledge one alarm (404 when you cannot see it)."""

    @extend_schema(request=NoteIn, responses={200: AlarmOut}, operation_id="alarm_acknowledge")
    def post(self, request, alarm_id: int, version=None):
        body = NoteIn(data=request.data)
        body.is_valid(raise_exception=True)
        alarm = alarms_for(user=request.user).filter(id=alarm_id).first()
        if alarm is None:
            raise ApiError(
                "not_found", _("No alarm with this id is visible to you."), status_code=404
            )
        alarms_acknowledge(
            user=request.user, alarm_ids=[alarm.id], note=body.validated_data["note"]
        )
        alarm = alarms_for(user=request.user).get(id=alarm.id)
        return Response(AlarmOut(alarm).data)


class EventOut(serializers.ModelSerializer):
    code = serializers.IntegerField(source="event_type_id")
    event = serializers.CharField(source="event_type.name_en")
    event_ko = serializers.CharField(source="event_type.name_ko")
    station = serializers.CharField(source="station.code", default=None, allow_null=True)
    inverter = serializers.IntegerField(source="inverter.number", default=None, allow_null=True)
    alarm = serializers.IntegerField(source="alarm_id", allow_null=True)

    class Meta:
        model = EventLog
        fields = ["id", "code", "event", "event_ko", "kind", "at", "station", "inverter",
                  "subject", "alarm", "details"]  # fmt: skip


class NotifyList(QueryMixin, generics.ListAPIView):
    """The old "notify" list: events 100-299 in [since, until) (default: the last day)."""

    queryset = EventLog.objects.none()  # for the schema; get_queryset reads
    serializer_class = EventOut
    query_serializer = PeriodTimes

    def get_queryset(self):
        until = self.query.get("until") or timezone.now()
        since = self.query.get("since") or until - DEFAULT_NOTIFY_SPAN
        codes = self.query.get("station")
        return notify_list(
            user=self.request.user,
            since=since,
            until=until,
            stations=visible_stations_named(self.request.user, codes) if codes else None,
        ).order_by("-at", "-id")


class LogQuery(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601 with an offset.")
    until = serializers.DateTimeField(required=False, help_text="ISO 8601 with an offset.")


class StationEventLog(QueryMixin, generics.ListAPIView):
    """Every state change of one plant, newest first."""

    queryset = EventLog.objects.none()  # for the schema; get_queryset reads
    serializer_class = EventOut
    query_serializer = LogQuery

    def get_queryset(self):
        station = visible_station_or_404(self.request.user, self.kwargs["code"])
        return station_event_log(
            user=self.request.user,
            station=station,
            since=self.query.get("since"),
            until=self.query.get("until"),
        ).order_by("-at", "-id")


class EventTypeOut(StrictJson, serializers.ModelSerializer):
    class Meta:
        model = EventType
        fields = ["code", "name_ko", "name_en", "severity", "by_email", "by_sms", "by_webhook",
                  "notify_on_raise", "notify_on_clear"]  # fmt: skip


class EventTypeViewSet(QueryMixin, viewsets.ModelViewSet):
    """Event types: read by everyone logged in, written by administrators."""

    serializer_class = EventTypeOut
    permission_classes = [IsAdministratorOrReadOnly]
    queryset = EventType.objects.order_by("code")
    lookup_field = "code"
    lookup_value_regex = "[0-9]+"
    pagination_class = None

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            raise ApiError(
                "in_use",
                _("Alarms of this event type exist; it can be changed but not deleted."),
                status_code=409,
            ) from None


class VisibleStationCode(serializers.SlugRelatedField):
    """A plant code, among the plants the requesting user may see."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        return stations_visible_to(self.context["request"].user)


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "22:00",
     "nullable": True}
)  # fmt: skip
class LocalTime(serializers.TimeField):
    """A time of day in the site's zone, "22:00" (no offset, so not OpenAPI's format time)."""


@extend_schema_field(
    {
        "type": "string",
        "format": "uri",
        "pattern": WEBHOOK_URL_PATTERN,
        "description": "An http(s) address of a host name that resolves to a public address; "
        "empty for none.",
    }
)
class WebhookUrl(serializers.URLField):
    """Its schema is a plain subset of what the model's validators take (Django's URL rule and
    the webhook check), so a client generated from it never builds a refused address."""


class SubscriptionOut(StrictJson, serializers.ModelSerializer):
    stations = VisibleStationCode(
        many=True, required=False, help_text="Codes of plants you may see (GET stations)."
    )
    webhook_url = WebhookUrl(
        required=False, allow_blank=True, max_length=200,
        validators=[webhook_url_validate],
    )  # fmt: skip
    quiet_start = LocalTime(required=False, allow_null=True, format="%H:%M")
    quiet_end = LocalTime(required=False, allow_null=True, format="%H:%M")
    event_types = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=EventType.objects.all(),
        help_text="Codes of existing event types (GET event-types); all when empty.",
    )  # fmt: skip

    class Meta:
        model = Subscription
        fields = ["id", "all_stations", "stations", "event_types", "by_email", "by_sms",
                  "webhook_url", "quiet_start", "quiet_end", "is_active"]  # fmt: skip


class MySubscriptions(QueryMixin, viewsets.ModelViewSet):
    """My notification settings: which plants and events reach me, how, and quiet hours."""

    queryset = Subscription.objects.none()  # for the schema; get_queryset reads
    serializer_class = SubscriptionOut
    pagination_class = None

    def get_queryset(self):
        return (
            Subscription.objects.filter(user=self.request.user)
            .prefetch_related("stations", "event_types")
            .order_by("id")
        )

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)
