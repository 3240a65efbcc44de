"""One active login per user id, the way Korean business sites do it: a login refused as
concurrent, after a right password, may end the other login (browser or token) and go on;
the other side is told why on its next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken, LoginHistory, User
from tests.accounts.test_login_pages import browser, log_in, page_text
from tests.api.conftest import client_as
from tests.conftest import PASSWORD

EndReason = LoginHistory.EndReason
pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
TAKEN_OVER = (
    "You were logged out: your user id logged in elsewhere and ended this login. "
    "If that was not you, change your password."
)
BUTTON = "End the other login and log in here"


@pytest.fixture(autouse=True)
def refuse_and_english(fleet, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    User.objects.update(language="en")


def api_login(username, password=PASSWORD, device="phone", **body):
    return APIClient().post(
        "/api/v1/auth/login",
        {"username": username, "password": password, "device": device, **body},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def take_over(client):
    return client.post("/accounts/login/", {"take_over": "1", "next": "/"})


def test_a_second_browser_ends_the_first_login_and_the_first_is_told_why(fleet):
    first, second = browser(), browser(address="198.51.100.20")
    log_in(first, "operator")

    refused = log_in(second, "operator")
    assert "You are already logged in elsewhere." in page_text(refused)
    assert BUTTON in page_text(refused)

    assert take_over(second).url == "/"
    assert second.get("/").status_code == 200
    after = first.get("/", follow=True)
    assert after.redirect_chain[-1][0].startswith("/accounts/login/")
    assert TAKEN_OVER in page_text(after)
    reasons = list(LoginHistory.objects.order_by("id").values_list("failure", "end_reason"))
    assert reasons == [("", EndReason.TAKEN_OVER), ("concurrent", ""), ("", "")]


def test_a_wrong_password_offers_nothing_and_ends_nothing(fleet):
    first, second = browser(), browser(address="198.51.100.20")
    log_in(first, "operator")

    refused = log_in(second, "operator", "wrong")
    assert "Wrong user id or password." in page_text(refused)
    assert BUTTON not in page_text(refused)
    # Posting the button anyway, without an offer, logs nobody in.
    forged = take_over(second)
    assert "That offer has expired: log in again." in page_text(second.get(forged.url))
    assert first.get("/").status_code == 200
    assert LoginHistory.objects.filter(ended_at__isnull=False).count() == 0


def test_the_offer_lasts_two_minutes(fleet):
    log_in(browser(), "operator")
    second = browser(address="198.51.100.20")
    log_in(second, "operator")
    refused = LoginHistory.objects.get(failure="concurrent")
    refused.logged_in_at -= timedelta(minutes=2, seconds=1)
    refused.save()

    response = take_over(second)

    assert "That offer has expired: log in again." in page_text(second.get(response.url))
    assert LoginHistory.objects.filter(end_reason=EndReason.TAKEN_OVER).count() == 0


def test_a_password_changed_since_the_refusal_voids_the_offer(fleet):
    log_in(browser(), "operator")
    second = browser(address="198.51.100.20")
    log_in(second, "operator")
    operator = User.objects.get(username="operator")
    operator.set_password("changed-by-the-owner-meanwhile")
    operator.save()

    response = take_over(second)

    assert "That offer has expired: log in again." in page_text(second.get(response.url))
    assert not LoginHistory.objects.filter(succeeded=True, ended_at__isnull=True).exists()


def test_a_browser_that_takes_over_ends_the_users_token(fleet):
    token = api_login("operator").json()["token"]
    client = browser()
    log_in(client, "operator")
    take_over(client)

    answer = client_as(token).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")

    assert (answer.status_code, answer.json()["error"]) == (401, "token_taken_over")
    assert answer.json()["detail"] == TAKEN_OVER


def test_the_api_is_refused_with_a_hint_and_force_ends_the_browser_login(fleet):
    first = browser()
    log_in(first, "operator")

    refused = api_login("operator")
    assert (refused.status_code, refused.json()["error"]) == (401, "login_concurrent")
    assert '"force": true' in refused.json()["detail"]

    forced = api_login("operator", force=True)
    assert forced.status_code == 200
    assert client_as(forced.json()["token"]).get("/api/v1/me").status_code == 200
    assert TAKEN_OVER in page_text(first.get("/", follow=True))


def test_force_ends_another_devices_token(fleet):
    phone = api_login("operator", device="phone").json()["token"]
    tablet = api_login("operator", device="tablet", force=True).json()["token"]

    answer = client_as(phone).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")

    assert (answer.status_code, answer.json()["error"]) == (401, "token_taken_over")
    assert client_as(tablet).get("/api/v1/me").status_code == 200


def test_force_with_a_wrong_password_ends_nothing(fleet):
    phone = api_login("operator", device="phone").json()["token"]

    answer = api_login("operator", "wrong", device="tablet", force=True)

    assert (answer.status_code, answer.json()["error"]) == (401, "login_failed")
    assert client_as(phone).get("/api/v1/me").status_code == 200


def test_the_same_device_logging_in_again_replaces_its_token_under_refuse(fleet):
    first = api_login("operator", device="phone").json()["token"]

    again = api_login("operator", device="phone")

    assert again.status_code == 200
    assert client_as(again.json()["token"]).get("/api/v1/me").status_code == 200
    assert client_as(first).get("/api/v1/me").json()["error"] == "invalid_token"
    assert ApiToken.objects.filter(user=fleet["operator"]).count() == 1
    reasons = list(LoginHistory.objects.order_by("id").values_list("end_reason", flat=True))
    assert reasons == [EndReason.REPLACED, ""]


def test_another_device_is_still_refused_while_the_first_is_live(fleet):
    api_login("operator", device="phone")
    refused = api_login("operator", device="tablet")
    assert (refused.status_code, refused.json()["error"]) == (401, "login_concurrent")
