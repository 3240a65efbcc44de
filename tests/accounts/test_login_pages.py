"""The login and logout pages, idle expiry and concurrent logins as a browser sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import LoginHistory, User
from accounts.sessions import expire_logins
from tests.conftest import PASSWORD

EndReason = LoginHistory.EndReason
# The home page after a login is the fleet overview, which reads today's rollups (telemetry).
pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture(autouse=True)
def english_speakers(fleet):
    """These users chose English, so pages after login are in English."""
    User.objects.update(language="en")


def browser(language="en", address="192.0.2.10") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address, HTTP_USER_AGENT="Firefox")


def log_in(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def page_text(response) -> str:
    return response.content.decode()


def test_logging_in_shows_the_plants_and_records_the_login(fleet):
    client = browser()
    response = log_in(client, "owner_a")
    assert response.status_code == 302 and response.url == "/"
    home = client.get("/")
    assert "A001" in page_text(home) and "B001" not in page_text(home)
    login = LoginHistory.objects.get(username="owner_a")
    assert login.is_active and login.address == "192.0.2.10" and login.user_agent == "Firefox"
    assert login.session_key == client.session.session_key


def test_a_failed_login_says_why_in_english_and_in_korean(fleet):
    english = log_in(browser("en"), "owner_a", "wrong")
    assert english.status_code == 200
    assert "Wrong user id or password." in page_text(english)
    korean = log_in(browser("ko"), "nobody", "wrong")
    assert "아이디 또는 비밀번호가 올바르지 않습니다." in page_text(korean)


def test_the_login_page_greets_in_korean_by_default_and_switches_to_english(fleet):
    client = Client()
    assert "로그인" in page_text(client.get("/accounts/login/"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in" in page_text(client.get("/accounts/login/"))


def test_the_users_language_is_chosen_at_login(fleet):
    client = browser("ko")
    log_in(client, "owner_a")
    assert "Plants" in page_text(client.get("/"))
    User.objects.filter(username="owner_b").update(language="ko")
    other = browser("en")
    log_in(other, "owner_b")
    assert "발전소" in page_text(other.get("/"))


def test_switching_language_is_remembered_for_the_next_login(fleet):
    client = browser("en")
    log_in(client, "owner_a")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    assert "발전소" in page_text(client.get("/"))
    assert User.objects.get(username="owner_a").language == "ko"


def test_logout_ends_the_login(fleet):
    client = browser()
    log_in(client, "operator")
    response = client.post("/accounts/logout/", follow=True)
    assert "You are logged out." in page_text(response)
    login = LoginHistory.objects.get(username="operator")
    assert login.end_reason == EndReason.LOGOUT and login.ended_at is not None


def test_an_idle_login_expires_and_the_next_page_says_so(fleet, settings):
    client = browser()
    log_in(client, "operator")
    LoginHistory.objects.update(last_seen_at=timezone.now() - timedelta(minutes=41))
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "You were logged out after 40 minutes without activity." in page_text(response)
    assert LoginHistory.objects.get().end_reason == EndReason.EXPIRED


def test_a_login_ended_by_the_expiry_job_is_logged_out_on_the_next_page(fleet):
    client = browser()
    log_in(client, "operator")
    LoginHistory.objects.update(last_seen_at=timezone.now() - timedelta(minutes=45))
    assert expire_logins().startswith("ended 1 login(s)")
    response = client.get("/", follow=True)
    assert "You were logged out after 40 minutes without activity." in page_text(response)


def test_activity_keeps_a_login_alive(fleet):
    client = browser()
    log_in(client, "operator")
    thirty_minutes_ago = timezone.now() - timedelta(minutes=30)
    LoginHistory.objects.update(last_seen_at=thirty_minutes_ago)
    assert client.get("/").status_code == 200
    assert LoginHistory.objects.get().last_seen_at > thirty_minutes_ago


def test_refuse_turns_away_a_second_browser(fleet, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    first, second = browser(), browser(address="198.51.100.20")
    log_in(first, "operator")
    response = log_in(second, "operator")
    assert "You are already logged in elsewhere." in page_text(response)
    assert first.get("/").status_code == 200
    first.post("/accounts/logout/")
    assert log_in(second, "operator").status_code == 302


def test_logging_in_again_from_the_same_browser_is_not_refused(fleet, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    client = browser()
    log_in(client, "operator")
    assert log_in(client, "operator").status_code == 302
    reasons = list(
        LoginHistory.objects.order_by("logged_in_at").values_list("end_reason", flat=True)
    )
    assert reasons == [EndReason.LOGOUT, ""]


def test_a_login_whose_session_is_gone_does_not_hold_the_user_out(fleet, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    log_in(browser(), "operator")
    Session.objects.all().delete()  # what Django does when an administrator resets a password
    assert log_in(browser(), "operator").status_code == 302


def test_replace_logs_the_older_browser_out_and_tells_it_why(fleet, settings):
    settings.CONCURRENT_LOGIN = "replace"
    first, second = browser(), browser(address="198.51.100.20")
    log_in(first, "operator")
    assert log_in(second, "operator").status_code == 302
    response = first.get("/", follow=True)
    assert "the same user id logged in elsewhere" in page_text(response)
    assert second.get("/").status_code == 200


def test_an_administrator_ends_a_login_from_the_admin(fleet):
    user = browser()
    log_in(user, "owner_a")
    admin = browser(address="198.51.100.30")
    log_in(admin, "admin")
    login = LoginHistory.objects.get(username="owner_a")
    response = admin.post(
        "/admin/accounts/loginhistory/",
        {"action": "end_logins", "_selected_action": [login.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Ended 1 login." in page_text(response)
    login.refresh_from_db()
    assert login.end_reason == EndReason.ADMIN
    after = user.get("/", follow=True)
    assert "An administrator ended your login." in page_text(after)


@pytest.mark.parametrize("username", ["operator", "owner_a"])
def test_the_admin_site_logs_in_through_our_login_page(fleet, username):
    client = browser()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=%2Fadmin%2F")
    log_in(client, username)
    response = client.get("/admin/", follow=True)
    assert "who may not open that page" in page_text(response)


def test_changing_the_password_keeps_the_login_and_follows_its_new_session(fleet):
    client = browser()
    log_in(client, "operator")
    page = client.get("/accounts/password/")
    assert "Change password" in page_text(page) and "Django administration" not in page_text(page)
    new_password = "a-new-and-long-passphrase-42"
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert "Your password was changed." in page_text(response)
    assert client.get("/").status_code == 200
    login = LoginHistory.objects.get(username="operator")
    assert login.is_active and login.session_key == client.session.session_key
