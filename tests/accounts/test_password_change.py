"""A changed or reset password ends every login and API token of its user, wherever it was
changed; they are told why. (The browser that changed its own password on the password page
stays logged in: test_login_pages.py.)"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import LoginHistory, User
from tests.accounts.test_login_pages import browser, log_in, page_text
from tests.api.conftest import client_as
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
NEW_PASSWORD = "a-new-and-long-passphrase-42"
LOGGED_OUT = "You were logged out because your password was changed. Log in with the new one."


class QuickPBKDF2(PBKDF2PasswordHasher):
    """A cheap stand-in for a newer hasher, to make Django upgrade a stored hash at login."""

    algorithm = "quick_pbkdf2"
    iterations = 1000


@pytest.fixture(autouse=True)
def english(fleet):
    User.objects.update(language="en")


def token_for(username: str, device: str) -> str:
    answer = APIClient().post(
        "/api/v1/auth/login",
        {"username": username, "password": PASSWORD, "device": device},
        format="json",
    )
    return answer.json()["token"]


def token_answer(token: str):
    answer = client_as(token).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    return answer.status_code, answer.json().get("error"), answer.json().get("detail")


def test_an_administrator_resetting_a_password_logs_the_users_browser_out(fleet):
    owner = browser()
    log_in(owner, "owner_a")
    admin = browser(address="198.51.100.30")
    log_in(admin, "admin")

    response = admin.post(
        f"/admin/accounts/user/{fleet['owner_a'].pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        follow=True,
    )

    assert response.status_code == 200
    after = owner.get("/", follow=True)
    assert after.redirect_chain[-1][0].startswith("/accounts/login/")
    assert LOGGED_OUT in page_text(after)
    # The administrator's own login is not touched.
    assert admin.get("/admin/").status_code == 200


def test_an_administrator_resetting_a_password_ends_the_users_token(fleet):
    token = token_for("owner_a", "phone")
    admin = browser(address="198.51.100.30")
    log_in(admin, "admin")

    admin.post(
        f"/admin/accounts/user/{fleet['owner_a'].pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert token_answer(token) == (401, "token_password_changed", LOGGED_OUT)


def test_changepassword_on_the_command_line_ends_the_users_logins(fleet, monkeypatch):
    token = token_for("owner_a", "phone")
    # changepassword asks twice at the terminal.
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass",
        lambda prompt="": NEW_PASSWORD,
    )

    call_command("changepassword", "owner_a", stdout=None)

    assert token_answer(token)[:2] == (401, "token_password_changed")


@pytest.mark.parametrize("change", ["set_password", "set_unusable_password"])
def test_a_password_set_in_code_ends_the_logins(fleet, change):
    token = token_for("owner_a", "phone")
    user = User.objects.get(username="owner_a")
    if change == "set_password":
        user.set_password(NEW_PASSWORD)
    else:
        user.set_unusable_password()

    user.save()

    assert token_answer(token)[:2] == (401, "token_password_changed")
    assert LoginHistory.objects.get(succeeded=True).end_reason == "password_changed"


def test_saving_a_user_without_a_new_password_ends_nothing(fleet):
    token = token_for("owner_a", "phone")
    user = User.objects.get(username="owner_a")
    user.first_name = "Renamed"
    user.save()
    assert client_as(token).get("/api/v1/me").status_code == 200


def test_a_hash_upgraded_at_login_is_not_a_password_change(fleet, settings):
    phone = token_for("owner_a", "phone")
    settings.PASSWORD_HASHERS = [
        "tests.accounts.test_password_change.QuickPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    second = APIClient().post(
        "/api/v1/auth/login",
        {"username": "owner_a", "password": PASSWORD, "device": "tablet"},
        format="json",
    )

    assert User.objects.get(username="owner_a").password.startswith("quick_pbkdf2$")
    assert second.json()["error"] == "login_concurrent"
    assert client_as(phone).get("/api/v1/me").status_code == 200
