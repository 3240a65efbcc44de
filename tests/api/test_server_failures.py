"""The server's own failures under /api/: JSON in the API's shape, never an HTML page.

The database failures are real (a database that cannot be connected to); the unexpected
errors come from two views that fail as a bug would, added by a test URLconf to the project's.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import client_as, token_for
from tests.telemetry.test_ingest_failures import assert_outage_answer, unreachable

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


def test_an_unreachable_database_answers_503_on_the_public_api(fleet):
    api = client_as(token_for(fleet["owner_a"]))
    with unreachable("default"):
        response = api.get("/api/v1/stations", HTTP_ACCEPT_LANGUAGE="en")
    assert_outage_answer(response)
    assert api.get("/api/v1/stations").status_code == 200


def test_a_database_failure_in_a_middleware_answers_json_under_api(fleet):
    browser = Client(raise_request_exception=False)
    browser.force_login(fleet["owner_a"])  # the session is read from the database
    with unreachable("default"):
        api = browser.get("/api/v1/stations")
        page = browser.get("/")
    assert_outage_answer(api)
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.urls("tests.api.failing_urls")
@pytest.mark.parametrize("path", ["/api/v1/broken", "/api/v1/broken-plain"])
def test_an_unexpected_error_is_a_json_500_and_is_logged(db, path, caplog):
    response = Client(raise_request_exception=False).get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert response.json() == {
        "error": "server_error",
        "detail": "Something went wrong on the server; it is logged.",
        "fields": {},
    }
    assert "RuntimeError: a bug" in caplog.text


def test_a_lone_surrogate_echoed_by_a_validation_error_still_renders(fleet):
    api = client_as(token_for(fleet["operator"]))
    response = api.post("/api/v1/stations/A001/commands", '{"kind": "\\ud800"}',
                        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["fields"] == {"kind": ['"\ud800" is not a valid choice.']}


def test_a_body_over_djangos_upload_limit_is_a_json_413(fleet, settings):
    # The public API reads JSON through Django's upload limit (the collectors' endpoints have
    # their own, larger one): past it, the API's shape, not Django's HTML 400.
    api = client_as(token_for(fleet["operator"]))
    body = '{"kind": "read_now", "pad": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE) + '"}'
    response = api.post("/api/v1/stations/A001/commands", body,
                        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
