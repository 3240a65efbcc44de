"""Polling clients: an ETag on the station list, a station and the overview, a 304 when
nothing changed, and gzip when the client accepts it (never on the login's token)."""

from __future__ import annotations

import gzip
import json

import pytest
from django.utils import timezone

from monitoring.models import InverterStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
POLLED = ["/api/v1/stations", "/api/v1/stations/A001", "/api/v1/stations/overview"]


@pytest.mark.parametrize("path", POLLED)
def test_an_unchanged_answer_is_a_304_without_a_body(world, as_role, path):
    client = as_role("owner_a")
    first = client.get(path)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    assert {"Accept-Language", "Authorization", "Cookie"} <= {
        h.strip() for h in first["Vary"].split(",")
    }
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_changed_plant_changes_the_etag(world, as_role):
    client = as_role("owner_a")
    first = client.get("/api/v1/stations/A001")
    InverterStatus.objects.filter(station=world["station_a"]).update(
        ac_kw=30.0, last_ts=timezone.now()
    )
    again = client.get("/api/v1/stations/A001", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again.json()["current_kw"] == 30.0


def test_another_language_is_another_answer(world, as_role):
    client = as_role("owner_a")
    korean = client.get("/api/v1/stations", HTTP_ACCEPT_LANGUAGE="ko")
    english = client.get(
        "/api/v1/stations", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=korean["ETag"]
    )
    assert english.status_code == 200
    assert english.json()["results"][0]["state_label"] != korean.json()["results"][0][
        "state_label"
    ]


def test_json_is_compressed_when_the_client_accepts_it(world, as_role):
    client = as_role("operator")
    plain = client.get("/api/v1/stations")
    packed = client.get("/api/v1/stations", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    # A compressed answer's ETag is weak, and still revalidates.
    assert packed["ETag"].startswith('W/"')
    again = client.get(
        "/api/v1/stations", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]
    )
    assert again.status_code == 304


def test_the_login_token_is_never_compressed_nor_cached(world, client):
    # The same device as the world's token: logging in again replaces it, never refused.
    answer = client.post(
        "/api/v1/auth/login",
        {"username": world["owner_b"].username, "password": PASSWORD, "device": "test",
         "pad": "x" * 300},
        content_type="application/json",
        HTTP_ACCEPT_ENCODING="gzip",
    )  # fmt: skip
    assert answer.status_code == 200
    assert "Content-Encoding" not in answer and "ETag" not in answer
    assert answer["Cache-Control"] == "no-store"
    assert answer.json()["token"]


def test_pages_are_not_compressed(world, client):
    client.force_login(world["operator"])
    page = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200
    assert "Content-Encoding" not in page
