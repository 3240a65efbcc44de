"""The client's address behind a reverse proxy: taken from the proxy's header only when the
request comes from a configured proxy, so the lockout, the throttles and the login history
count clients, and nobody dodges them by writing their own X-Forwarded-For."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import LoginHistory
from solarsite.middleware import client_address

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    return settings


def login_from(peer: str, **headers) -> str:
    """Log in once (wrongly) and answer the address the login history recorded."""
    APIClient().post(
        "/api/v1/auth/login",
        {"username": "someone", "password": "wrong"},
        format="json",
        REMOTE_ADDR=peer,
        **headers,
    )
    return LoginHistory.objects.order_by("-id").values_list("address", flat=True).first()


def test_without_trusted_proxies_the_header_is_ignored(db):
    assert login_from("198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.5") == "198.51.100.9"


def test_a_request_from_a_trusted_proxy_names_its_client(behind_proxy):
    assert login_from(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5") == "203.0.113.5"


def test_a_client_that_is_not_a_proxy_cannot_name_another(behind_proxy):
    assert login_from("198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.5") == "198.51.100.9"


def test_x_real_ip_when_configured(behind_proxy):
    behind_proxy.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert login_from(PROXY, HTTP_X_REAL_IP="203.0.113.8") == "203.0.113.8"
    assert login_from(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5") == PROXY


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("203.0.113.5", "203.0.113.5"),
        # what the client wrote itself stays left of what our proxies appended
        ("6.6.6.6, 203.0.113.5", "203.0.113.5"),
        ("203.0.113.5, 10.0.0.7", "203.0.113.5"),  # through two of our proxies
        ("2001:db8::1", "2001:db8::1"),
        ("not-an-address", PROXY),
        ("6.6.6.6, garbage, 10.0.0.7", "10.0.0.7"),
        ("10.0.0.8, 10.0.0.7", "10.0.0.8"),  # nothing but proxies: the farthest one
    ],
)
def test_the_client_is_the_rightmost_address_that_is_not_a_proxy(header, client):
    assert client_address(remote=PROXY, forwarded=header, proxies=("10.0.0.0/24",)) == client


def test_clients_behind_one_proxy_are_throttled_each_on_their_own(behind_proxy):
    behind_proxy.API_THROTTLE_RATES = {**behind_proxy.API_THROTTLE_RATES, "anon": "2/min"}
    client = APIClient()

    def call(address):
        return client.get(
            "/api/v1/stations", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address
        ).status_code

    assert [call("203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert call("203.0.113.2") == 401


def test_a_client_cannot_dodge_the_throttle_with_its_own_header(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "2/min"}
    client = APIClient()
    answers = [
        client.get("/api/v1/stations", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    assert answers == [401, 401, 429]
