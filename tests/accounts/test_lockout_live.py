"""The lockout under real parallel guessing: threads against a live gunicorn server, behind a
trusted proxy that names the client in X-Forwarded-For."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from accounts.models import LoginHistory, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "telemetry"])
ATTACKER, OFFICE = "203.0.113.66", "192.0.2.10"
GUESSES = 16


@pytest.fixture
def proxied_env(monkeypatch):
    """gunicorn with 16 request threads, trusting 127.0.0.1 (this test) as its reverse proxy."""
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--threads 8")
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "5")
    monkeypatch.setenv("API_THROTTLE_LOGIN", "1000/min")


@pytest.fixture
def proxied_server(proxied_env, server):
    return server


@pytest.fixture
def administrator(settings):
    # The server checks passwords with the production hashers, not the suite's fast one.
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    return User.objects.create_user(username="boss", password=PASSWORD, role=User.Role.ADMIN)


def log_in(server, password: str, *, address: str, device: str, start=None) -> httpx.Response:
    if start is not None:
        start.wait()
    return httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "boss", "password": password, "device": device},
        headers={"X-Forwarded-For": f"{address}, 127.0.0.1", "Accept-Language": "en"},
        timeout=120,
    )


def test_sixteen_parallel_wrong_passwords_get_five_checks_and_the_owner_still_logs_in(
    proxied_server, administrator
):
    start = threading.Barrier(GUESSES)
    with ThreadPoolExecutor(GUESSES) as pool:
        answers = list(
            pool.map(
                lambda n: log_in(proxied_server, f"guess-{n}", address=ATTACKER,
                                 device=f"d{n}", start=start),
                range(GUESSES),
            )
        )  # fmt: skip

    codes = Counter((answer.status_code, answer.json()["error"]) for answer in answers)
    checks = LoginHistory.objects.filter(failure=LoginHistory.Failure.WRONG_PASSWORD)
    print(f"\n{GUESSES} parallel wrong passwords against a limit of 5: {checks.count()} checked, "
          f"answers {dict(codes)}")  # fmt: skip
    assert checks.count() == 5
    assert codes == {(401, "login_failed"): 4, (401, "login_locked"): 12}
    # The addresses recorded are the client's, from the trusted proxy's header.
    assert set(LoginHistory.objects.values_list("address", flat=True)) == {ATTACKER}

    # The attacker locked only themselves: the administrator logs in from the office.
    office = log_in(proxied_server, PASSWORD, address=OFFICE, device="desk")
    assert office.status_code == 200 and office.json()["user"] == "boss"
