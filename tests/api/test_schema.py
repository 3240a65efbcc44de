"""The OpenAPI schema validates, the docs are served offline, and schemathesis calls every
operation with generated input (a fixed budget): never a 500, every answer as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from solarsite.api_schema import SchemaGenerator

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
EXAMPLES_PER_OPERATION = 8


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


@pytest.fixture
def in_process():
    """Django's test client does the same: closing the connection between requests would end
    the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_calls_never_fail_and_match_the_schema(case, world, in_process):
    case.call_and_validate(
        app=in_process,
        headers={"Authorization": f"Token {world['tokens']['admin']}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
