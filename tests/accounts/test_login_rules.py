"""The login rules of accounts.sessions, as the login page and the API use them (the lockout has
its own tests in test_lockout.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import time_format

from accounts.models import LoginHistory
from accounts.sessions import expire_logins, login_attempt
from tests.conftest import PASSWORD, make_user

Failure = LoginHistory.Failure


def attempt(username, password=PASSWORD, *, address="192.0.2.10", now=None):
    return login_attempt(
        username=username,
        password=password,
        address=address,
        user_agent="pytest",
        channel=LoginHistory.Channel.API,
        now=now,
    )


def hhmm(when):
    return time_format(timezone.localtime(when), "H:i")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


def test_a_successful_attempt_opens_a_login_in_the_history(fleet):
    outcome = attempt("operator")
    assert outcome.ok and outcome.user == fleet["operator"]
    row = LoginHistory.objects.get()
    assert (row.user, row.username, row.address, row.user_agent) == (
        fleet["operator"],
        "operator",
        "192.0.2.10",
        "pytest",
    )
    assert row.channel == "api" and row.succeeded and row.is_active
    assert row.last_seen_at == row.logged_in_at
    fleet["operator"].refresh_from_db()
    assert fleet["operator"].last_login == row.logged_in_at


def test_unknown_user_and_wrong_password_say_the_same_but_record_the_cause(fleet):
    unknown = attempt("nobody")
    wrong = attempt("operator", "not-the-password")
    assert not unknown.ok and not wrong.ok
    assert unknown.message == wrong.message == "Wrong user id or password."
    causes = dict(LoginHistory.objects.values_list("username", "failure"))
    assert causes == {"nobody": Failure.UNKNOWN_USER, "operator": Failure.WRONG_PASSWORD}
    assert LoginHistory.objects.get(username="operator").user == fleet["operator"]


def test_a_disabled_account_is_named_only_to_someone_with_the_password(fleet):
    operator = fleet["operator"]
    operator.is_active = False
    operator.save()
    assert attempt("operator", "guess").message == "Wrong user id or password."
    outcome = attempt("operator")
    assert not outcome.ok
    assert outcome.message.startswith("Account disabled")
    assert outcome.login.failure == Failure.INACTIVE


def test_refuse_keeps_the_first_login_and_says_until_when(fleet, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    settings.LOGIN_IDLE_MINUTES = 40
    now = timezone.now()
    first = attempt("operator", now=now)
    second = attempt("operator", now=now + timedelta(minutes=5))
    assert not second.ok and second.login.failure == Failure.CONCURRENT
    until = hhmm(now + timedelta(minutes=40))
    assert second.message == (
        'You are already logged in elsewhere. Send the login again with "force": true to end '
        f"that login and log in here, or try again after {until}."
    )
    first.login.refresh_from_db()
    assert first.login.is_active


def test_refuse_lets_a_user_in_once_the_first_login_went_idle(fleet, settings):
    settings.CONCURRENT_LOGIN = "refuse"
    now = timezone.now()
    first = attempt("operator", now=now)
    later = now + timedelta(minutes=settings.LOGIN_IDLE_MINUTES + 1)
    assert attempt("operator", now=later).ok
    first.login.refresh_from_db()
    assert first.login.end_reason == LoginHistory.EndReason.EXPIRED
    assert first.login.ended_at == now + timedelta(minutes=settings.LOGIN_IDLE_MINUTES)


def test_replace_ends_the_older_login(fleet, settings):
    settings.CONCURRENT_LOGIN = "replace"
    first = attempt("operator")
    second = attempt("operator")
    assert second.ok
    first.login.refresh_from_db()
    assert first.login.end_reason == LoginHistory.EndReason.REPLACED
    assert not first.login.is_active and second.login.is_active


def test_expire_logins_ends_only_idle_logins(fleet, settings):
    now = timezone.now()
    idle = attempt("operator", now=now - timedelta(minutes=41)).login
    fresh = attempt("owner_a", now=now - timedelta(minutes=39)).login

    summary = expire_logins(now=now)

    assert summary.startswith("ended 1 login(s) idle for more than 40 minutes, ")
    idle.refresh_from_db()
    fresh.refresh_from_db()
    assert idle.end_reason == "expired" and idle.ended_at == now - timedelta(minutes=1)
    assert fresh.is_active
    assert expire_logins(now=now).startswith("ended 0 login(s) idle for more than 40 minutes")


def test_expire_logins_also_drops_expired_sessions(db):
    from django.contrib.sessions.models import Session

    now = timezone.now()
    Session.objects.create(session_key="old" * 8, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="new" * 8, session_data="", expire_date=now + timedelta(1))
    expire_logins()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 8]


@pytest.mark.django_db
def test_expire_logins_is_the_job_in_the_job_table():
    from django.utils.module_loading import import_string

    from jobs.table import job_named

    job = import_string(job_named("expire_logins").func)
    assert job().startswith("ended 0 login(s) idle for more than")


@pytest.mark.django_db
def test_the_same_rule_counts_attempts_of_every_channel(settings):
    settings.CONCURRENT_LOGIN = "refuse"
    make_user("both", "operator")
    assert attempt("both").ok
    web = login_attempt(
        username="both", password=PASSWORD, address=None, channel=LoginHistory.Channel.WEB
    )
    assert not web.ok and web.login.failure == Failure.CONCURRENT
