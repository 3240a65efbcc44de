"""Remote commands for collectors: fetch the commands to carry out, report their outcome.

CollectorAPIViews like the ingest's (bearer token, the API's error shape, 503 on any database
failure); the rules are in field/commands.py.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from field.commands import CommandRefused, command_result, commands_hand_out
from monitoring.models import Command
from telemetry.api import CollectorAPIView, error_response
from telemetry.ingest import is_text


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
