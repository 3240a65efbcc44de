"""The one error shape of the whole API: {"error": code, "detail": sentence, "fields": {...}}.

DRF's exceptions, Django's Http404 and PermissionDenied all end here, so a client parses one
shape for every 4xx. `fields` maps a field or query parameter to its sentences (empty when the
error is not about one field).

Failures answer in the same shape: a body over Django's upload limit is a 413, a database
that cannot be reached (connection lost, lock wait timeout) a 503 with Retry-After, and any
other unexpected error a 500 `server_error`, logged with its traceback. Errors raised outside
an API view (in a middleware) reach `server_error`, which answers JSON under /api/ too.

Under DEBUG Django answers a URL nobody routes, and an error outside a view, with its own
HTML debug page instead of calling those handlers; `ApiJsonErrorsMiddleware` turns any such
HTML error under /api/ into the same shape, so a client never parses HTML in any setting.
"""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.response import Response

log = logging.getLogger("django.request")
RETRY_AFTER_SECONDS = 30


class ApiError(exceptions.APIException):
    """An error a view raises with its own code, sentence and optional fields."""

    def __init__(self, code: str, detail: str, *, status_code: int = 400, fields=None):
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"error": code, "detail": str(detail), "fields": fields or {}}


def error_response(code: str, detail: str, status_code: int, *, fields=None, **headers):
    return Response(error_body(code, detail, fields), status=status_code, headers=headers)


def error_sentences(detail) -> list[str]:
    if isinstance(detail, dict):
        return [
            f"{key}: {text}" for key, value in detail.items() for text in error_sentences(value)
        ]
    if isinstance(detail, list):
        return [text for item in detail for text in error_sentences(item)]
    return [str(detail)]


def _validation(exc: exceptions.ValidationError) -> tuple[str, str, dict]:
    detail = exc.detail
    if isinstance(detail, dict):
        fields = {
            key: error_sentences(value)
            for key, value in detail.items()
            if key != "non_field_errors"
        }
        general = error_sentences(detail.get("non_field_errors", []))
        sentences = general + [f"{key}: {texts[0]}" for key, texts in fields.items()]
        return "invalid", " ".join(sentences) or _("The request is not valid."), fields
    return "invalid", " ".join(error_sentences(detail)), {}


def _only_codes(codes) -> set[str]:
    if isinstance(codes, dict):
        return {c for value in codes.values() for c in _only_codes(value)}
    if isinstance(codes, list):
        return {c for value in codes for c in _only_codes(value)}
    return {codes}


def database_unavailable(detail: str | None = None) -> Response:
    """503 with Retry-After: the database cannot be reached now; the same request may be sent
    again."""
    return error_response(
        "storage_unavailable",
        detail or _("The database is unavailable; try again in a minute."),
        503,
        **{"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unexpected(exc, context) -> Response:
    """An exception no view turned into an answer: still the API's shape, never HTML."""
    request = context.get("request")
    path = request.path if request is not None else "?"
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            "body_too_large", _("The body is too large for this endpoint."), 413
        )
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("%s: database unavailable: %s", path, exc)
        return database_unavailable()
    log.error("Unexpected error in an API view: %s", path, exc_info=exc)
    return error_response("server_error", _("Something went wrong on the server; it is logged."),
                          500)  # fmt: skip


def api_exception_handler(exc, context):
    if not isinstance(exc, exceptions.APIException | Http404 | PermissionDenied):
        return _unexpected(exc, context)
    if isinstance(exc, Http404):
        message = str(exc) if exc.args else _("Not found.")
        exc = ApiError("not_found", message, status_code=404)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    fields: dict = {}
    if isinstance(exc, ApiError):
        code, detail, fields = exc.error_code, str(exc.detail), exc.fields
    elif isinstance(exc, exceptions.ParseError):
        code = "invalid_json"
        detail = _("The body is not valid JSON: %(error)s") % {"error": exc.detail}
    elif isinstance(exc, exceptions.ValidationError):
        code, detail, fields = _validation(exc)
        if _only_codes(exc.get_codes()) == {"unique"}:
            # A value another row already holds: the request was right, the state conflicts.
            exc.status_code = 409
            code = "conflict"
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        detail = str(exc.detail)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return error_response(code, detail, exc.status_code, fields=fields, **headers)


def not_found(request, exception=None):
    """Django's 404 for a URL no route matches: JSON in the API's shape under /api/."""
    if request.path.startswith("/api/"):
        body = error_body("not_found", _("No endpoint has this address: %(path)s") % {
            "path": request.path
        })  # fmt: skip
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)


def server_error(request):
    """Django's 500 (an error outside a view, e.g. in a middleware): JSON under /api/, with
    the database's outage as 503 as the API views answer it."""
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    if isinstance(sys.exc_info()[1], DatabaseError):
        body = error_body("storage_unavailable", _("The database is unavailable; try again in a "
                                                   "minute."))  # fmt: skip
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    body = error_body("server_error", _("Something went wrong on the server; it is logged."))
    return JsonResponse(body, status=500)


# The code of an error answer Django made itself (not an API view), by status.
DJANGO_ERROR_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    500: "server_error",
}


def _django_error_sentence(status: int, path: str) -> str:
    if status == 404:
        return _("No endpoint has this address: %(path)s") % {"path": path}
    if status == 405:
        return _("This endpoint does not take this method.")
    if status == 413:
        return _("The body is too large for this endpoint.")
    if status >= 500:
        return _("Something went wrong on the server; it is logged.")
    return _("The request is not valid.")


class ApiJsonErrorsMiddleware:
    """An error page Django rendered under /api/ (its DEBUG pages, a refused Host header)
    becomes the API's JSON shape with the same status. The browsable API and the docs page,
    which are HTML by design, are not errors and pass unchanged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "accepted_renderer", None)
        ):
            status = response.status_code
            body = error_body(
                DJANGO_ERROR_CODES.get(status, "server_error" if status >= 500 else "invalid"),
                _django_error_sentence(status, request.path),
            )
            json_response = JsonResponse(body, status=status)
            for header in ("Retry-After", "Allow", "WWW-Authenticate"):
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response
