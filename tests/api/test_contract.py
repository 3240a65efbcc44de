"""The schema is a contract a client is generated from: one English document whatever the
caller's language, a version package tools accept, and each rule a client can break either
stated in it or answered as the API's 4xx. Every bad parameter schemathesis once found is a
case of its own here."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
HANGUL = re.compile("[\uac00-\ud7a3]")


def schema_text(client, language: str | None) -> str:
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    answer = client.get("/api/schema/?format=json", **headers)
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_schema_is_the_same_english_document_in_every_language(client, settings):
    korean = schema_text(client, "ko")
    assert schema_text(client, "en") == korean
    assert schema_text(client, None) == korean
    assert schema_text(Client(), "ko-KR,ko;q=0.9") == korean
    assert not HANGUL.findall(korean)


def test_the_schema_version_is_semantic(client):
    version = json.loads(schema_text(client, "ko"))["info"]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version


def test_answers_stay_in_the_users_language(as_role):
    korean = as_role("owner_a").get("/api/v1/stations?region=mars", HTTP_ACCEPT_LANGUAGE="ko")
    english = as_role("owner_a").get("/api/v1/stations?region=mars", HTTP_ACCEPT_LANGUAGE="en")
    assert HANGUL.search(korean.json()["detail"])
    assert not HANGUL.search(english.json()["detail"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/stations"),
        ("put", "/api/v1/stations/A001?regoin=x"),
        ("post", "/api/v1/me?unknown=1"),
        ("patch", "/api/v1/alarms/acknowledge"),
        ("delete", "/api/v1/stations/A001/commands"),
        ("post", "/api/v1/revenue"),
    ],
)
def test_an_undeclared_method_is_a_405_in_the_error_shape(as_role, method, path):
    answer = getattr(as_role("operator"), method)(path, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 405
    assert answer.json()["error"] == "method_not_allowed"
    assert answer["Content-Type"] == "application/json"


@pytest.mark.parametrize("debug", [True, False])
def test_an_address_nobody_routes_is_json_in_every_setting(client, settings, debug):
    settings.DEBUG = debug
    answer = client.get("/api/v1/nowhere", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": "not_found",
        "detail": "No endpoint has this address: /api/v1/nowhere",
        "fields": {},
    }
    # The pages keep Django's HTML.
    assert client.get("/nowhere")["Content-Type"].startswith("text/html")


@pytest.mark.urls("tests.api.failing_urls")
def test_a_failure_outside_an_api_view_is_json_under_debug(db, settings):
    settings.DEBUG = True
    answer = Client(raise_request_exception=False).get(
        "/api/v1/broken-plain", HTTP_ACCEPT_LANGUAGE="en", HTTP_ACCEPT="text/html"
    )
    assert answer.status_code == 500
    assert answer.json()["error"] == "server_error"


def test_a_refused_host_under_api_is_json(client, settings):
    settings.ALLOWED_HOSTS = ["solar.example"]
    answer = client.get("/api/v1/stations", HTTP_HOST="evil.example")
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/stations?customer=9999999999999999999", "customer"),
        ("/api/v1/stations?customer=%C2%B2", "customer"),
        ("/api/v1/stations?customer=-1", "customer"),
        ("/api/v1/revenue/customer?customer=9999999999999999999", "customer"),
        ("/api/v1/revenue/customer?customer=%C2%B2", "customer"),
        ("/api/v1/stations?page=0", "page"),
        ("/api/v1/stations?page_size=0", "page_size"),
        ("/api/v1/stations?page_size=1001", "page_size"),
        ("/api/v1/customers?page=9999999999999999999", "page"),
        ("/api/v1/stations/search?q=A&limit=51", "limit"),
        ("/api/v1/generation/daily?from=2026-06-02&to=2026-06-01", "to"),
        ("/api/v1/generation/run-time?from=2024-01-01&to=2026-01-01", "to"),
        ("/api/v1/stations/A001/power?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z",
         "until"),
        ("/api/v1/alarms?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z", "until"),
        ("/api/v1/stations/A001/revenue?from=2026-06-02&to=2026-06-01", "to"),
        ("/api/v1/revenue/customer", "customer"),
        ("/api/v1/stations/A001/commands?state=sideways", "state"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(as_role, path, field):
    answer = as_role("operator").get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["error"] in ("invalid_parameter", "invalid")
    assert field in body["fields"]


def test_set_power_limit_without_an_inverter_is_a_400_naming_it(as_role):
    answer = as_role("operator").post(
        "/api/v1/stations/A001/commands",
        {"kind": "set_power_limit", "params": {"percent": 50}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert "inverter" in answer.json()["fields"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/alarms/acknowledge", {"ids": [1], "note": 0}, "note"),
        ("/api/v1/alarms/acknowledge", {"ids": ["1"]}, "ids"),
        ("/api/v1/alarms/acknowledge", {"ids": [True]}, "ids"),
        ("/api/v1/me/notification-settings", {"is_active": 0}, "is_active"),
        ("/api/v1/stations/A001/commands", {"kind": "read_now", "inverter": "1"}, "inverter"),
        ("/api/v1/stations/A001/commands",
         {"kind": "read_now", "inverter": 9999999999999999999}, "inverter"),
    ],
)  # fmt: skip
def test_a_body_value_of_the_wrong_json_type_is_refused_not_coerced(as_role, path, body, field):
    answer = as_role("operator").post(path, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"]


def test_an_empty_query_value_is_the_same_as_leaving_it_out(as_role):
    client = as_role("operator")
    assert (
        client.get("/api/v1/stations?region=&sort=&page=").json()
        == client.get("/api/v1/stations").json()
    )


@pytest.mark.parametrize(
    "path",
    ["/api/v1/stations?q=A%00", "/api/v1/stations/search?q=A%00",
     "/api/v1/generation/daily?station=A%00"],
)  # fmt: skip
def test_a_nul_character_in_a_text_parameter_is_refused_as_the_schema_says(as_role, path):
    answer = as_role("operator").get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json()["fields"]


def test_a_true_or_false_filter_refuses_anything_else(as_role):
    answer = as_role("admin").get("/api/v1/users?manager=-58800", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"manager": ["manager must be true or false."]}


def test_a_code_already_taken_is_a_409_conflict(as_role):
    body = {"code": 999, "name_ko": "시험", "name_en": "Test"}
    answer = as_role("admin").post("/api/v1/event-types", body, format="json")
    assert answer.status_code == 409
    assert answer.json()["error"] == "conflict" and "code" in answer.json()["fields"]


def test_a_setting_cannot_be_set_to_null(as_role):
    answer = as_role("admin").put("/api/v1/keyvalue/notice", {"value": None}, format="json")
    assert answer.status_code == 400 and "value" in answer.json()["fields"]
