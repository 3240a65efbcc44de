"""Tokens for API clients: the web login's rules, expiry after idle minutes, logout, one per
device, revocation by an administrator, and throttled login attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, LoginHistory
from tests.api.conftest import client_as
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def login(username: str, password: str = PASSWORD, device: str = "phone", **extra):
    return APIClient().post(
        "/api/v1/auth/login",
        {"username": username, "password": password, "device": device},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def test_login_answers_a_token_that_opens_me_with_my_plants(fleet):
    response = login("owner_a")

    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expires_after_idle_minutes"] == 40
    me = client_as(token).get("/api/v1/me").json()
    assert (me["username"], me["role"], [s["code"] for s in me["stations"]]) == (
        "owner_a", "owner", ["A001"]
    )  # fmt: skip
    record = LoginHistory.objects.get(user=fleet["owner_a"])
    assert (record.channel, record.succeeded, record.ended_at) == ("api", True, None)
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key_hash=token).exists()
    assert ApiToken.objects.get().key_hash == ApiToken.hash_key(token)


def test_an_unknown_user_id_and_a_wrong_password_get_the_same_answer(fleet):
    wrong = login("owner_a", "wrong")
    unknown = login("nobody", "wrong")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {
        "error": "login_failed", "detail": "Wrong user id or password.", "fields": {},
    }  # fmt: skip
    # The login history keeps the exact cause for administrators.
    assert list(LoginHistory.objects.order_by("id").values_list("channel", "failure")) == [
        ("api", "wrong_password"), ("api", "unknown_user"),
    ]  # fmt: skip


def test_failures_lock_with_the_time_to_come_back(fleet, settings):
    settings.LOGIN_MAX_FAILURES = 2
    settings.LOGIN_LOCKOUT_MINUTES = 1
    login("owner_a", "wrong")
    locked = login("owner_a", "wrong")
    assert locked.json()["error"] == "login_locked"
    assert locked.json()["detail"].startswith("Too many failed attempts, try again at ")
    assert 0 < int(locked["Retry-After"]) <= 60
    # Even the right password is refused while locked.
    assert login("owner_a").json()["error"] == "login_locked"


def test_a_missing_field_is_named(fleet):
    response = APIClient().post("/api/v1/auth/login", {"username": "owner_a"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["password"]


def test_logout_ends_the_token_and_its_login(fleet):
    token = login("owner_a").json()["token"]
    client = client_as(token)

    assert client.post("/api/v1/auth/logout").status_code == 204

    assert LoginHistory.objects.get(user=fleet["owner_a"]).end_reason == "logout"
    answer = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_token")


def test_a_token_idle_past_the_limit_expires_and_says_so(fleet, settings):
    token = login("owner_a").json()["token"]
    LoginHistory.objects.update(last_seen_at=timezone.now() - timedelta(minutes=41))

    answer = client_as(token).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 401
    assert answer.json()["error"] == "token_expired"
    assert answer.json()["detail"] == "You were logged out after 40 minutes without activity."
    assert LoginHistory.objects.get().end_reason == "expired"


def test_use_keeps_a_token_alive(fleet):
    token = login("owner_a").json()["token"]
    LoginHistory.objects.update(last_seen_at=timezone.now() - timedelta(minutes=39))

    assert client_as(token).get("/api/v1/me").status_code == 200

    seen = LoginHistory.objects.get().last_seen_at
    assert timezone.now() - seen < timedelta(minutes=1)


def test_a_device_logging_in_again_replaces_only_its_own_token(fleet, settings):
    settings.CONCURRENT_LOGIN = "replace"
    first = login("operator", device="phone").json()["token"]
    second = login("operator", device="phone").json()["token"]

    assert client_as(first).get("/api/v1/me").json()["error"] == "invalid_token"
    assert client_as(second).get("/api/v1/me").status_code == 200
    assert ApiToken.objects.filter(user=fleet["operator"]).count() == 1
    assert list(LoginHistory.objects.order_by("id").values_list("end_reason", flat=True)) == [
        "replaced", "",
    ]  # fmt: skip


def test_an_administrator_revokes_a_token_in_the_admin(fleet, client):
    token = login("owner_a").json()["token"]
    client.force_login(fleet["admin"])

    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [ApiToken.objects.get().pk]},
        follow=True,
    )

    assert response.status_code == 200
    answer = client_as(token).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert (answer.status_code, answer.json()["error"]) == (401, "token_admin")
    assert answer.json()["detail"] == "An administrator ended your login."


def test_a_disabled_user_token_stops_working(fleet):
    token = login("owner_a").json()["token"]
    fleet["owner_a"].is_active = False
    fleet["owner_a"].save()
    assert client_as(token).get("/api/v1/me").json()["error"] == "inactive"


def test_sessions_work_for_the_pages_own_calls(fleet, client):
    client.force_login(fleet["owner_b"])
    assert [s["code"] for s in client.get("/api/v1/stations").json()["results"]] == ["B001"]


def test_login_attempts_are_throttled_per_address(fleet, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "login": "3/min"}
    for _ in range(3):
        assert login("owner_a", "wrong").status_code == 401

    answer = login("owner_a")

    assert answer.status_code == 429
    assert answer.json()["error"] == "throttled"
    assert int(answer["Retry-After"]) > 0
    # The throttled attempt never reached the login rules.
    assert LoginHistory.objects.count() == 3


def test_anonymous_calls_are_throttled(db, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "2/min"}
    client = APIClient()
    assert [client.get("/api/v1/stations").status_code for _ in range(3)] == [401, 401, 429]
    # Guessing tokens counts as anonymous too.
    guess = client.get("/api/v1/stations", HTTP_AUTHORIZATION="Token guess")
    assert guess.status_code == 429
