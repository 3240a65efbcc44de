"""Remote commands for operators: queue, list and cancel (the collectors' side: field/api.py).

Thin: parse, call field/commands.py, answer, with the project's default authentication,
permissions and exception handler.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import APIView

from field.commands import (
    MAX_TTL_MINUTES,
    CommandRefused,
    command_cancel,
    command_queue,
    station_commands,
)
from monitoring.models import Command
from monitoring.visibility import visible_station_or_404
from solarsite.api_views import MAX_ID, StrictJson

LIST_LIMIT = 200


class CommandEventSerializer(serializers.Serializer):
    state = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.SerializerMethodField()
    message = serializers.CharField()

    def get_by(self, event) -> str:
        if event.user_id:
            return event.user.username
        return event.collector.name if event.collector_id else ""


class CommandSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.code")
    inverter = serializers.IntegerField(source="inverter.number", allow_null=True, default=None)
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, allow_null=True
    )
    collector = serializers.CharField(source="collector.name", default=None, allow_null=True)
    history = CommandEventSerializer(many=True)

    class Meta:
        model = Command
        fields = [
            "id", "station", "inverter", "kind", "params", "state", "attempts", "requested_by",
            "collector", "created_at", "expires_at", "sent_at", "finished_at", "result",
            "history",
        ]  # fmt: skip


@extend_schema_field(
    {"type": "integer", "minimum": 1, "maximum": MAX_TTL_MINUTES, "nullable": True}
)
class TtlMinutes(serializers.IntegerField):
    """Its range is field.commands' rule, which says it in its own sentence."""


class CommandRequestSerializer(StrictJson, serializers.Serializer):
    """The kind decides the rest: reset_inverter, read_now and set_power_limit need the
    inverter, restart_collector takes none; only set_power_limit takes params."""

    kind = serializers.ChoiceField(choices=Command.Kind.choices)
    inverter = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID,
        help_text="The inverter's number: required for "
        f"{', '.join(Command.INVERTER_KINDS)}; left out for the others.",
    )  # fmt: skip
    params = serializers.DictField(
        required=False, default=dict,
        help_text='Only for set_power_limit, and then exactly {"percent": <0 to 100>}.',
    )  # fmt: skip
    ttl_minutes = TtlMinutes(
        required=False, allow_null=True,
        help_text="Minutes the command may wait for the collector; the site's default when "
        "absent.",
    )  # fmt: skip


def refused(error: CommandRefused) -> exceptions.APIException:
    """The business refusal as the DRF exception the project's handler renders."""
    if error.field:
        return serializers.ValidationError(
            {error.field: [ErrorDetail(error.message, code=error.code)]}
        )
    if error.status == status.HTTP_403_FORBIDDEN:
        return exceptions.PermissionDenied(error.message, code=error.code)
    exception = exceptions.APIException(error.message, code=error.code)
    exception.status_code = error.status
    return exception


class StationCommandsView(APIView):
    """GET: a plant's commands, newest first (owners see their own plants' too).
    POST: queue a command (operators and administrators)."""

    @extend_schema(responses=CommandSerializer(many=True), summary="A plant's remote commands")
    def get(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        state = request.query_params.get("state")
        commands = station_commands(station)
        if state:
            if state not in Command.State.values:
                raise serializers.ValidationError(
                    {"state": [_("state must be one of: %(states)s.")
                               % {"states": ", ".join(Command.State.values)}]}
                )  # fmt: skip
            commands = commands.filter(state=state)
        return Response(CommandSerializer(commands[:LIST_LIMIT], many=True).data)

    @extend_schema(
        request=CommandRequestSerializer,
        responses={201: CommandSerializer},
        summary="Queue a remote command for a plant or one of its inverters",
    )
    def post(self, request, code: str, version=None):
        station = visible_station_or_404(request.user, code)
        body = CommandRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            command = command_queue(
                user=request.user,
                station=station,
                kind=data["kind"],
                inverter_number=data.get("inverter"),
                params=data.get("params"),
                ttl_minutes=data.get("ttl_minutes"),
            )
        except CommandRefused as error:
            raise refused(error) from None
        command = station_commands(station).get(pk=command.pk)
        return Response(CommandSerializer(command).data, status=status.HTTP_201_CREATED)


class StationCommandView(APIView):
    """DELETE: cancel a queued command (operators and administrators)."""

    @extend_schema(responses={200: CommandSerializer}, summary="Cancel a queued command")
    def delete(self, request, code: str, command_id: int, version=None):
        station = visible_station_or_404(request.user, code)
        command = get_object_or_404(Command, pk=command_id, station=station)
        try:
            command_cancel(user=request.user, command=command)
        except CommandRefused as error:
            raise refused(error) from None
        return Response(CommandSerializer(station_commands(station).get(pk=command.pk)).data)
