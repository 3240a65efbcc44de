"""The lockout after failed logins (accounts/lockout.py), as a person trying to log in meets it:
a user id from one address locks first, with growing delays; the user id everywhere or one
address for every user id only at much higher counts. The parallel case runs against a live
server in test_lockout_live.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import time_format

from accounts.models import LoginFailureCount, LoginHistory
from accounts.sessions import expire_logins, login_attempt
from tests.conftest import PASSWORD

Failure = LoginHistory.Failure
WRONG = "Wrong user id or password."
HOME, CAFE, ATTACKER = "192.0.2.10", "198.51.100.7", "203.0.113.66"


def attempt(username, password=PASSWORD, *, address=HOME, now=None):
    return login_attempt(
        username=username,
        password=password,
        address=address,
        channel=LoginHistory.Channel.WEB,
        now=now,
    )


def locked_until(when) -> str:
    return f"Too many failed attempts, try again at {time_format(timezone.localtime(when), 'H:i')}."


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def limits(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_MAX_FAILURES_PER_USER = 50
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 50
    settings.LOGIN_LOCKOUT_MINUTES = 1
    settings.LOGIN_LOCKOUT_MAX_MINUTES = 8
    return settings


def test_failures_lock_the_user_id_from_that_address_and_say_until_when(fleet, limits):
    start = timezone.now()
    messages = [attempt("operator", "wrong", now=start).message for _ in range(3)]
    assert messages == [WRONG, WRONG, locked_until(start + timedelta(minutes=1))]

    # The right password does not help from that address while it is locked...
    locked = attempt("operator", now=start + timedelta(seconds=30))
    assert not locked.ok and locked.message == locked_until(start + timedelta(minutes=1))
    assert locked.login.failure == Failure.LOCKED
    # ...and it is let in once the lock has passed.
    assert attempt("operator", now=start + timedelta(minutes=1, seconds=1)).ok


def test_a_stranger_cannot_lock_the_administrator_out(fleet, limits):
    now = timezone.now()
    for _ in range(10):
        attempt("admin", "guess", address=ATTACKER, now=now)
    assert attempt("admin", "guess", address=ATTACKER, now=now).message.startswith("Too many")

    at_the_office = attempt("admin", address=HOME, now=now)

    assert at_the_office.ok


def test_each_failure_after_a_lock_doubles_it_up_to_the_longest(fleet, limits):
    now = timezone.now()
    for _ in range(3):
        attempt("owner_a", "wrong", now=now)
    lengths = []
    for _ in range(5):
        now = now + timedelta(minutes=9)  # past any lock
        refused = attempt("owner_a", "wrong", now=now)
        lengths.append(round((refused.until - now).total_seconds() / 60))
        assert refused.message == locked_until(refused.until)
    assert lengths == [2, 4, 8, 8, 8]


def test_attempts_refused_while_locked_do_not_make_the_lock_longer(fleet, limits):
    now = timezone.now()
    for _ in range(3):
        attempt("owner_a", "wrong", now=now)
    first_lock = LoginFailureCount.objects.get(scope="pair").locked_until
    for seconds in range(1, 20):
        attempt("owner_a", "wrong", now=now + timedelta(seconds=seconds))
    assert LoginFailureCount.objects.get(scope="pair").locked_until == first_lock
    assert LoginHistory.objects.filter(failure=Failure.WRONG_PASSWORD).count() == 3


def test_the_user_id_locks_everywhere_only_at_a_much_higher_count(fleet, limits):
    limits.LOGIN_MAX_FAILURES_PER_USER = 6
    now = timezone.now()
    for number in range(6):
        attempt("operator", "wrong", address=f"198.51.100.{number}", now=now)
    from_home = attempt("operator", address=HOME, now=now)
    assert not from_home.ok and from_home.message.startswith("Too many failed attempts")
    # A lock of the user id is not one of the address: others log in from there.
    assert attempt("owner_a", address=HOME, now=now).ok


def test_failures_from_one_address_lock_that_address_for_every_user_id(fleet, limits):
    limits.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    now = timezone.now()
    for number in range(4):
        attempt(f"probe{number}", "x", address=ATTACKER, now=now)
    from_there = attempt("operator", address=ATTACKER, now=now)
    assert not from_there.ok and from_there.message.startswith("Too many failed attempts")
    assert attempt("operator", address=CAFE, now=now).ok


def test_an_unknown_user_id_locks_like_a_real_one(db, limits):
    now = timezone.now()
    messages = [attempt("ghost", "x", now=now).message for _ in range(3)]
    assert messages == [WRONG, WRONG, locked_until(now + timedelta(minutes=1))]
    assert set(LoginHistory.objects.values_list("failure", flat=True)) == {Failure.UNKNOWN_USER}


def test_user_ids_are_counted_whatever_their_case(fleet, limits):
    now = timezone.now()
    for name in ("Operator", "OPERATOR", "operator"):
        outcome = attempt(name, "wrong", now=now)
    assert outcome.message.startswith("Too many failed attempts")


def test_a_successful_login_starts_the_count_over(fleet, limits):
    now = timezone.now()
    attempt("owner_a", "wrong", now=now)
    attempt("owner_a", "wrong", now=now)
    assert attempt("owner_a", now=now).ok
    later = [attempt("owner_a", "wrong", now=now).message for _ in range(2)]
    assert later == [WRONG, WRONG]


def test_a_refusal_after_a_right_password_forgives_the_attempt(fleet, limits):
    """A disabled account or a concurrent login is refused, but the password was right."""
    fleet["owner_b"].is_active = False
    fleet["owner_b"].save()
    now = timezone.now()
    for _ in range(5):
        assert attempt("owner_b", now=now).message.startswith("Account disabled")


def test_a_count_is_forgotten_a_day_after_its_last_failure(fleet, limits):
    now = timezone.now()
    attempt("owner_a", "wrong", now=now)
    attempt("owner_a", "wrong", now=now)
    next_day = now + timedelta(days=1, minutes=1)
    messages = [attempt("owner_a", "wrong", now=next_day).message for _ in range(2)]
    assert messages == [WRONG, WRONG]


def test_an_administrator_unlocks_a_count_in_the_admin(fleet, limits, client):
    now = timezone.now()
    for _ in range(3):
        attempt("owner_a", "wrong", now=now)
    assert attempt("owner_a", now=now).message.startswith("Too many")
    client.force_login(fleet["admin"])
    page = client.get("/admin/accounts/loginfailurecount/", HTTP_ACCEPT_LANGUAGE="en")
    assert "owner_a" in page.content.decode()

    response = client.post(
        "/admin/accounts/loginfailurecount/",
        {"action": "unlock", "_selected_action": list(
            LoginFailureCount.objects.filter(scope="pair").values_list("pk", flat=True)
        )},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert "Unlocked 1 count." in response.content.decode()
    assert attempt("owner_a", now=now).ok


def test_the_expiry_job_deletes_counts_idle_for_a_day_unless_locked(fleet, limits):
    now = timezone.now()
    long_ago = now - timedelta(days=1, minutes=1)
    attempt("owner_a", "wrong", address=CAFE, now=long_ago)
    for _ in range(3):
        attempt("operator", "wrong", now=now)

    summary = expire_logins(now=now)

    # owner_a's counts (pair, user id) and the café's address are gone; the operator's stay.
    assert summary.endswith(", forgot 3 old failed-login count(s)")
    assert set(LoginFailureCount.objects.values_list("scope", "username", "address")) == {
        ("pair", "operator", HOME), ("user", "operator", ""), ("address", "", HOME),
    }  # fmt: skip
