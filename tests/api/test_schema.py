"""The OpenAPI schema validates, the docs are served offline, and schemathesis calls every
operation with generated input (a fixed budget) as an operator, an owner and an administrator,
with every check it has: never a 500, every answer as documented, schema-valid input accepted
and schema-violating input refused."""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, is_check_class, load_all_checks

from events.models import EventType
from solarsite.api_schema import SchemaGenerator

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
EXAMPLES_PER_OPERATION = 30


def test_the_schema_validates_and_documents_every_error_shape():
    schema = SchemaGenerator(api_version="v1").get_schema(request=None, public=True)
    validate_schema(schema)
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) > 40
    for operation in operations:
        assert "400" in operation["responses"] and "404" in operation["responses"]


def test_swagger_ui_is_served_from_our_own_static_files(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.content
    assert client.get("/api/schema/?format=json").json()["info"]["title"] == "solarsite API"


schema = schemathesis.openapi.from_dict(
    SchemaGenerator(api_version="v1").get_schema(request=None, public=True)
)
# In process: the checks that send a second request (without the token, with another method)
# reach the same application.
schema.app = WSGIHandler()


def _backwards_or_too_long(query: dict, start: str, end: str, parse, longest: timedelta) -> bool:
    try:
        first, last = parse(query[start]), parse(query[end])
        return last <= first or last - first > longest
    except (KeyError, TypeError, ValueError):
        return False


@schema.hook
def filter_case(ctx, case):
    """Rules between parameters, which OpenAPI can state in words only (the schema does): a
    generated case that breaks one is not "schema-valid input". Each rule has its own case in
    test_contract.py."""
    # An empty value is the same as none (the schema's allowEmptyValue).
    query = {name: value for name, value in (case.query or {}).items() if value != ""}
    body = case.body if isinstance(case.body, dict) else {}
    path = case.operation.path
    if path == "/api/v1/revenue/customer" and not query.get("customer"):
        return False  # operators must name the customer; owners need not
    if path.startswith("/api/v1/revenue") or path.endswith("/revenue"):
        today = timezone.localdate()
        query.setdefault("to", today.isoformat())
        query.setdefault("from", today.replace(day=1).isoformat())
        longest = timedelta(days=3 * 366)
    else:
        longest = timedelta(days=366)
    if path.endswith("/commands") and case.method == "POST" and not _command_is_whole(body):
        return False
    if not _references_exist(body):
        return False
    return not (
        _backwards_or_too_long(query, "since", "until", datetime.fromisoformat, timedelta(days=7))
        or _backwards_or_too_long(query, "from", "to", date.fromisoformat, longest)
    )


# Cases are made while the tests are collected, without a database: the seeded types.
SEEDED_EVENT_TYPES = {
    value for name, value in vars(EventType).items() if name.isupper() and isinstance(value, int)
}


def _references_exist(body: dict) -> bool:
    """A body names event types and plants by code: they must exist (and the plant be one the
    caller sees: A001 is every role's)."""
    codes = body.get("event_types")
    if isinstance(codes, list) and codes:
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
            return True  # not schema-valid anyway: negative data, left as it is
        if not set(codes) <= SEEDED_EVENT_TYPES:
            return False
    stations = body.get("stations")
    if not isinstance(stations, list) or not all(isinstance(s, str) for s in stations):
        return True
    return set(stations) <= {"A001"}


def _command_is_whole(body: dict) -> bool:
    """A command's kind decides its other fields (the schema says which in words)."""
    kind = body.get("kind")
    if kind == "restart_collector":
        return body.get("inverter") is None and not body.get("params")
    if kind == "set_power_limit":
        params = body.get("params")
        return body.get("inverter") is not None and isinstance(params, dict) and set(
            params
        ) == {"percent"}
    return body.get("inverter") is not None and not body.get("params")


@pytest.fixture
def public_dns(monkeypatch):
    """The network's edge: every host name a generated webhook address holds resolves to one
    public address (the webhook check refuses a name that does not resolve)."""

    def dns(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("1.2.3.4", port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", dns)


@pytest.fixture
def in_process():
    """Django's test client does the same: closing the connection between requests would end
    the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


load_all_checks()
# Every check schemathesis has that judges one response (the class-based ones need a stateful run).
ALL_CHECKS = [check for check in CHECKS.get_all() if not is_check_class(check)]


@pytest.mark.parametrize("role", ["operator", "owner_a", "admin"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_calls_never_fail_and_match_the_schema(
    case, role, world, in_process, public_dns
):
    case.call_and_validate(
        # In process there is no HTTP client to undo gzip (test_polling.py checks it).
        headers={"Authorization": f"Token {world['tokens'][role]}", "Accept-Encoding": "identity"},
        checks=ALL_CHECKS,
    )
