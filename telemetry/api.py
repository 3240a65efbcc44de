"""The collectors' API: ingest and heartbeat. Thin: authenticate, parse, call, answer.

Every error has the API's one shape (solarsite/api_errors.py):
`{"error": "<machine code>", "detail": "<one sentence>", "fields": {...}}`.

What a collector can count on from every endpoint here (ingest, heartbeat, commands):
- a body is read only up to the ingest's byte limit (413 `body_too_large` past it), as JSON
  whatever its nesting (400 `too_deep`, not a crash);
- a database failure anywhere, the token lookup included, is a 503 `storage_unavailable`
  with Retry-After: nothing was half-stored, and sending the same body again is safe;
- nothing else answers 5xx, and no answer fails to render after its data was committed.
"""

from __future__ import annotations

import itertools
import json
import logging

import orjson
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.models import Collector
from solarsite.api_errors import ApiError, database_unavailable, error_response
from solarsite.api_renderers import JSONRenderer
from telemetry.ingest import (
    MAX_INTEGER_DIGITS,
    BatchError,
    ItemProblem,
    StorageUnavailable,
    batch_max_bytes,
    collector_heartbeat,
    heartbeat_check,
    reading_ingest,
)

log = logging.getLogger(__name__)
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


class CollectorJSONParser(BaseParser):
    """The collectors' JSON, read so that no body can crash the endpoint:

    1. a body over the ingest's byte limit is refused by its Content-Length, or as soon as
       more than the limit arrives, without reading the rest (Django's own upload limit,
       DATA_UPLOAD_MAX_MEMORY_SIZE, is never reached: DRF's JSONParser would go through it);
    2. NaN and Infinity are accepted, so such a value is refused item by item, not the batch;
    3. an integer longer than Python reads (MAX_INTEGER_DIGITS) stands in as 10^4300, so it
       too is refused item by item, as out of range, instead of failing the whole body;
    4. nesting deeper than the parser can follow is a 400 `too_deep`, not a RecursionError.

    orjson reads a batch in a third of the standard library's time. It refuses NaN and a
    byte-order mark, reads an integer past 64 bits as a float and follows nesting a little
    deeper than the standard library: each would change the answer. So a body that may hold
    any of these (`_plain_for_orjson`), or that orjson refuses, is read by the standard
    library with the rules above, and every body gets the same answer either way.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = batch_max_bytes()
        request = (parser_context or {}).get("request")
        if request is not None and content_length(request.META) > limit:
            raise body_too_large(limit)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise body_too_large(limit)
        if _plain_for_orjson(body):
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                pass
        try:
            return json.loads(body.decode("utf-8-sig"), parse_int=_parse_int)
        except RecursionError:
            raise ApiError(
                "too_deep",
                _("The body is nested too deeply; items are flat JSON objects."),
            ) from None
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError among them
            raise exceptions.ParseError(str(error)) from None


# Every digit as "0", every other byte as a space: a run of 19 digits is one bytes.find away
# (a regular expression over a body of numbers takes ten times as long).
_DIGITS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_DIGITS = b"0" * 19
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# A batch is 4 deep ({"readings": [{"ac_v": [...]}]}); the standard library stops near 1,000.
_PLAIN_DEPTH = 32


def _plain_for_orjson(body: bytes) -> bool:
    """True if orjson reads `body` as the standard library with `_parse_int` would: no run
    of 19 digits (an integer that may not fit 64 bits) and no nesting past _PLAIN_DEPTH.
    Brackets inside strings count too, and a count that drops below zero sends the body to
    the standard library; only a body built to hide its depth behind a closing bracket in a
    string at every level reaches orjson, whose own limit (1,024 levels) then answers it.
    Both scans run in C, in about a tenth of the parse."""
    if body.translate(_DIGITS).find(_LONG_DIGITS) >= 0:
        return False
    brackets = body.translate(None, _NOT_BRACKETS)
    if not brackets:
        return True
    depths = list(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)))
    return max(depths) <= _PLAIN_DEPTH and min(depths) >= 0


def _parse_int(digits: str) -> int:
    if len(digits) <= MAX_INTEGER_DIGITS:
        return int(digits)
    return -(10**MAX_INTEGER_DIGITS) if digits.startswith("-") else 10**MAX_INTEGER_DIGITS


def content_length(meta: dict) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        "body_too_large",
        _("The body is larger than %(limit)d bytes; send smaller batches.") % {"limit": limit},
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class CollectorAPIView(APIView):
    authentication_classes = [CollectorTokenAuthentication]
    permission_classes = [IsCollector]
    parser_classes = [CollectorJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            # Django reads no body without a length: the batch would arrive empty, and be lost.
            raise ApiError(
                "length_required",
                _("Send the body with a Content-Length header, not in chunks."),
                status_code=status.HTTP_411_LENGTH_REQUIRED,
            )

    def handle_exception(self, exc):
        # From the token lookup to the last write: any database failure is the outage answer.
        if isinstance(exc, DatabaseError | StorageUnavailable):
            log.warning("%s: database failure, answered 503: %s", self.request.path, exc)
            return storage_unavailable()
        return super().handle_exception(exc)

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
        try:
            result = reading_ingest(
                collector=request.auth, payload=request.data, remote_address=self.remote_address()
            )
        except BatchError as error:
            return error_response(error.code, error.message, error.status)
        return Response(result.as_dict())


class HeartbeatView(CollectorAPIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        summary="Tell the server the collector is alive",
    )
    def post(self, request, version=None):
        now = timezone.now()
        try:
            fields = heartbeat_check(body=request.data, now=now)
        except ItemProblem as problem:
            if not problem.field:
                return error_response(problem.code, problem.message, status.HTTP_400_BAD_REQUEST)
            return field_error(problem.field, problem.message)
        collector_heartbeat(
            collector=request.auth, remote_address=self.remote_address(), now=now, **fields
        )
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
    return database_unavailable(
        _("The database is unavailable; send the batch again (nothing is ever stored twice).")
    )
