"""The collectors' API: ingest and heartbeat. Thin: authenticate, parse, call, answer.

Every error has the API's one shape (solarsite/api_errors.py):
`{"error": "<machine code>", "detail": "<one sentence>", "fields": {...}}`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.ingest import (
    BatchError,
    ItemProblem,
    StorageUnavailable,
    collector_heartbeat,
    parse_timestamp,
    reading_ingest,
)
from monitoring.models import Collector
from solarsite.api_errors import error_response

# A generous 1 KB per item: a body bigger than this cannot be a valid batch.
BYTES_PER_ITEM = 1000
RETRY_AFTER_SECONDS = 30
INGEST_EXAMPLE = {
    "readings": [{"station": "D001", "inverter": 1, "ts": "2026-11-26T10:00:00+09:00",
                  "ac_kw": 12.3, "dc_kw": 12.9, "day_kwh": 40.1, "total_kwh": 123456.7}],
    "combiner_boxes": [{"station": "D001", "box": 1, "ts": "2026-11-26T10:00:00+09:00",
                        "voltage": 640.2, "currents": [8.1, 8.0, 7.9]}],
    "sensors": [{"station": "D001", "sensor": "poa", "ts": "2026-11-26T10:00:00+09:00",
                 "value": 812.0}],
    "grid": [{"station": "D001", "ts": "2026-11-26T10:00:00+09:00", "outage": False}],
}  # fmt: skip


class CollectorTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`, checked against Collector.token_hash."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header must be 'Bearer <token>'."), code="invalid_token"
            )
        token = parts[1].decode("latin-1")
        collector = Collector.objects.filter(token_hash=Collector.hash_token(token)).first()
        if collector is None or not token:
            raise exceptions.AuthenticationFailed(
                _("This collector token is not known; issue one with manage.py collector_token."),
                code="invalid_token",
            )
        if not collector.is_active:
            raise exceptions.PermissionDenied(
                _("Collector %(name)s is disabled; an administrator can enable it again.")
                % {"name": collector.name},
                code="collector_disabled",
            )
        return (AnonymousUser(), collector)

    def authenticate_header(self, request):
        return 'Bearer realm="collectors"'


class CollectorTokenScheme(OpenApiAuthenticationExtension):
    target_class = CollectorTokenAuthentication
    name = "collectorToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class IsCollector(BasePermission):
    def has_permission(self, request, view):
        if isinstance(request.auth, Collector):
            return True
        raise exceptions.NotAuthenticated(
            _("Send the collector's token as 'Authorization: Bearer <token>'."),
            code="missing_token",
        )


class LenientJSONParser(JSONParser):
    """Accepts NaN and Infinity, so such a value is refused item by item, not the batch."""

    strict = False


class CollectorAPIView(APIView):
    authentication_classes = [CollectorTokenAuthentication]
    permission_classes = [IsCollector]
    parser_classes = [LenientJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes: list = []

    def remote_address(self) -> str | None:
        return self.request.META.get("REMOTE_ADDR") or None


class IngestView(CollectorAPIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        summary="Store a batch of readings from a collector",
        description="See the README's Telemetry section for the body and the error codes.",
        examples=[
            OpenApiExample("batch", request_only=True, value=INGEST_EXAMPLE),
            OpenApiExample(
                "answer",
                response_only=True,
                value={"accepted": 1, "duplicate": 0, "updated": 0, "rejected": 0, "errors": []},
            ),
        ],
    )
    def post(self, request, version=None):
        limit = settings.INGEST_MAX_ITEMS * BYTES_PER_ITEM
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            return error_response(
                "body_too_large",
                _("The body is larger than %(limit)d bytes; send smaller batches.")
                % {"limit": limit},
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            result = reading_ingest(
                collector=request.auth, payload=request.data, remote_address=self.remote_address()
            )
        except BatchError as error:
            return error_response(error.code, error.message, error.status)
        except StorageUnavailable:
            return storage_unavailable()
        return Response(result.as_dict())


class HeartbeatView(CollectorAPIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        summary="Tell the server the collector is alive",
    )
    def post(self, request, version=None):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            return error_response(
                "not_an_object", _("The body must be a JSON object."), status.HTTP_400_BAD_REQUEST
            )
        version_text = body.get("software_version", "")
        uptime = body.get("uptime_seconds")
        clock = body.get("clock")
        if not isinstance(version_text, str):
            return field_error("software_version", _("software_version must be text."))
        if uptime is not None and (
            isinstance(uptime, bool) or not isinstance(uptime, int) or uptime < 0
        ):
            return field_error("uptime_seconds", _("uptime_seconds must be a whole number >= 0."))
        site_clock = None
        if clock is not None:
            try:
                site_clock = parse_timestamp(clock)
            except ItemProblem:
                return field_error(
                    "clock", _("clock must be an ISO 8601 time with an offset, or epoch seconds.")
                )
        now = timezone.now()
        try:
            collector_heartbeat(
                collector=request.auth,
                remote_address=self.remote_address(),
                software_version=version_text,
                uptime_seconds=uptime,
                site_clock=site_clock,
                now=now,
            )
        except StorageUnavailable:
            return storage_unavailable()
        return Response(
            {
                "server_time": now.isoformat(),
                "clock_offset_seconds": request.auth.clock_offset_seconds,
            }
        )


def field_error(field: str, detail: str) -> Response:
    return error_response(
        "invalid_field", detail, status.HTTP_400_BAD_REQUEST, fields={field: [detail]}
    )


def storage_unavailable() -> Response:
    return error_response(
        "storage_unavailable",
        _("The database is unavailable; send the batch again (nothing is ever stored twice)."),
        status.HTTP_503_SERVICE_UNAVAILABLE,
        **{"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
