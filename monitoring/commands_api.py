"""The remote-command API: operators queue, list and cancel; collectors fetch and report.

Thin: parse, call monitoring/commands.py, answer. The operators' views use the project's
default authentication, permissions and exception handler; the collectors' views are
CollectorAPIViews (bearer token, the API's error shape, 503 on any database failure) like
the ingest.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.commands import (
    CommandRefused,
    command_cancel,
    command_queue,
    command_result,
    commands_hand_out,
    station_commands,
)
from monitoring.models import Command
from monitoring.visibility import visible_station_or_404
from telemetry.api import CollectorAPIView, error_response
from telemetry.ingest import is_text

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
    requested_by = serializers.CharField(source="requested_by.username", default=None)
    collector = serializers.CharField(source="collector.name", default=None)
    history = CommandEventSerializer(many=True)

    class Meta:
        model = Command
        fields = [
            "id", "station", "inverter", "kind", "params", "state", "attempts", "requested_by",
            "collector", "created_at", "expires_at", "sent_at", "finished_at", "result",
            "history",
        ]  # fmt: skip


class CommandRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Command.Kind.choices)
    inverter = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    params = serializers.DictField(required=False, default=dict)
    ttl_minutes = serializers.IntegerField(required=False, allow_null=True)


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


# --- the collectors' side ----------------------------------------------------------------------
def command_for_collector(command: Command) -> dict:
    return {
        "id": command.pk,
        "station": command.station.code,
        "inverter": command.inverter.number if command.inverter_id else None,
        "kind": command.kind,
        "params": command.params,
        "expires_at": command.expires_at.isoformat(),
        "attempt": command.attempts,
    }


class CollectorCommandsView(CollectorAPIView):
    @extend_schema(
        responses={200: dict},
        summary="Fetch the commands to carry out now (they are marked sent to this collector)",
    )
    def get(self, request, version=None):
        commands = commands_hand_out(collector=request.auth)
        return Response({"commands": [command_for_collector(c) for c in commands]})


class CollectorCommandResultView(CollectorAPIView):
    @extend_schema(
        request=dict,
        responses={200: dict},
        summary='Report a command\'s outcome: {"succeeded": true, "message": "..."}',
    )
    def post(self, request, command_id: int, version=None):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            return error_response(
                "not_an_object", _("The body must be a JSON object."), status.HTTP_400_BAD_REQUEST
            )
        succeeded, message = body.get("succeeded"), body.get("message", "")
        if not isinstance(succeeded, bool):
            return error_response(
                "invalid_field",
                _("succeeded must be true or false."),
                status.HTTP_400_BAD_REQUEST,
            )
        if not isinstance(message, str) or not is_text(message):
            return error_response(
                "invalid_field", _("message must be text."), status.HTTP_400_BAD_REQUEST
            )
        try:
            command = command_result(
                collector=request.auth,
                command_id=command_id,
                succeeded=succeeded,
                message=message,
            )
        except CommandRefused as error:
            return error_response(error.code, error.message, error.status)
        return Response({"id": command.pk, "state": command.state})
