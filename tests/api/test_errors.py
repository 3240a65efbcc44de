"""Every 4xx has one shape, and bad query parameters say which and why."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def get(as_role, path, role="owner_a"):
    return as_role(role).get(path, HTTP_ACCEPT_LANGUAGE="en")


def test_an_unknown_query_parameter_is_named_with_what_the_endpoint_takes(as_role):
    answer = get(as_role, "/api/v1/stations?regoin=jeonnam")

    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "unknown_parameter"
    assert list(body["fields"]) == ["regoin"]
    assert body["detail"].startswith("Unknown query parameter regoin; this endpoint takes: ")
    assert "region" in body["detail"]


def test_a_bad_date_says_which_parameter_and_the_format(as_role):
    answer = get(as_role, "/api/v1/generation/daily?from=June&station=A001")

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_parameter"
    assert answer.json()["fields"] == {
        "from": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
    }


def test_a_period_backwards_or_too_long_is_refused(as_role):
    backwards = get(as_role, "/api/v1/generation/daily?from=2026-06-02&to=2026-06-01")
    assert backwards.json()["fields"] == {"to": ["'to' must not be before 'from'."]}
    long = get(as_role, "/api/v1/generation/run-time?from=2024-01-01&to=2026-01-01")
    assert long.json()["fields"] == {"to": ["Ask for at most 366 days at a time."]}


def test_a_bad_filter_value_is_named(as_role):
    answer = get(as_role, "/api/v1/stations?region=atlantis")
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["region"]


def test_a_plant_you_cannot_see_is_a_404_naming_the_code(as_role):
    answer = get(as_role, "/api/v1/generation/summary?station=B001&station=Z999")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": "not_found",
        "detail": "No plant with code B001, Z999 is visible to you.",
        "fields": {"station": ["B001", "Z999"]},
    }
    detail = get(as_role, "/api/v1/stations/B001")
    assert detail.json()["detail"] == "No plant with this code is visible to you."


def test_a_missing_key_is_a_404_with_a_sentence(as_role):
    answer = get(as_role, "/api/v1/keyvalue/nothing-here")
    assert (answer.status_code, answer.json()["detail"]) == (
        404, "No setting has the key nothing-here."
    )  # fmt: skip


def test_a_body_that_is_not_json_says_so(as_role):
    answer = as_role("admin").generic(
        "PUT", "/api/v1/keyvalue/x", "{not json", content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_json"


def test_readings_need_a_range_with_offsets(as_role):
    missing = get(as_role, "/api/v1/stations/A001/inverters/1/readings")
    assert set(missing.json()["fields"]) == {"since", "until"}
    too_long = get(
        as_role,
        "/api/v1/stations/A001/inverters/1/readings"
        "?since=2026-06-01T00:00:00Z&until=2026-06-30T00:00:00Z",
    )
    assert too_long.json()["fields"] == {"until": ["Ask for at most 7 days of readings at a time."]}


def test_the_ingest_keeps_its_codes_in_the_shared_shape(db):
    from rest_framework.test import APIClient

    answer = APIClient().post("/api/v1/ingest", {}, format="json")
    assert answer.status_code == 401
    assert answer.json()["error"] == "missing_token"
    assert set(answer.json()) == {"error", "detail", "fields"}


def test_sentences_are_korean_unless_the_client_asks_for_english(as_role):
    answer = as_role("owner_a").get("/api/v1/stations?regoin=x")
    assert answer.json()["detail"].startswith("알 수 없는 매개변수 regoin.")
    missing = as_role("owner_a").get("/api/v1/keyvalue/none")
    assert missing.json()["detail"] == "키 none 설정이 없습니다."
