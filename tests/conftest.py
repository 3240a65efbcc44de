"""Fixtures shared by the whole suite: a small fleet and one user of each role."""

from __future__ import annotations

import importlib
import os
import uuid
from datetime import UTC
from decimal import Decimal

import pytest

from accounts.models import Customer, User
from monitoring.models import Collector, Inverter, PowerStation, Region

PASSWORD = "correct-horse-battery-staple"


def make_station(code: str, *, customer=None, inverters: int = 2, **fields) -> PowerStation:
    defaults = dict(
        name=f"Plant {code}",
        region=Region.JEONNAM,
        latitude=34.8,
        longitude=126.4,
        capacity_kwp=Decimal("100"),
    )
    defaults.update(fields)
    station = PowerStation.objects.create(code=code, customer=customer, **defaults)
    for number in range(1, inverters + 1):
        Inverter.objects.create(station=station, number=number, capacity_kw=Decimal("50"))
    return station


def sunlit(now) -> dict:
    """Coordinates where the sun stands high at `now` (noon on the equator), for tests that
    read the real clock and must see the plant by day whenever they run."""
    utc = now.astimezone(UTC)
    return {"latitude": 0.0, "longitude": _wrap((12 - utc.hour - utc.minute / 60) * 15)}


def dark(now) -> dict:
    """Coordinates where it is midnight at `now`: the sun is far below the horizon."""
    return {**sunlit(now), "longitude": _wrap(sunlit(now)["longitude"] + 180)}


def _wrap(longitude: float) -> float:
    return round((longitude + 180) % 360 - 180, 4)


def make_user(username: str, role: str, **fields) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, **fields)


@pytest.fixture
def fleet(db):
    """Two owners' plants (A and B) and one user of each role."""
    customer_a = Customer.objects.create(name="Customer A")
    customer_b = Customer.objects.create(name="Customer B")
    station_a = make_station("A001", customer=customer_a)
    station_b = make_station("B001", customer=customer_b)
    collector = Collector.objects.create(name="collector-a")
    collector.stations.add(station_a)
    return {
        "station_a": station_a,
        "station_b": station_b,
        "collector_a": collector,
        "owner_a": make_user("owner_a", User.Role.OWNER, customer=customer_a),
        "owner_b": make_user("owner_b", User.Role.OWNER, customer=customer_b),
        "operator": make_user("operator", User.Role.OPERATOR),
        "admin": make_user("admin", User.Role.ADMIN, is_staff=True),
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The production hasher costs ~0.2 s a password by design; the suite hashes hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _seed_rows_after_flush(request):
    """A transactional test flushes every table when it ends, rows that data migrations wrote
    included (pytest-django runs those tests last); put the seeded event types back first."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from django.apps import apps

        for migration in ("0002_event_types", "0003_duplicate_inverter"):
            importlib.import_module(f"events.migrations.{migration}").seed(apps, None)


@pytest.fixture
def server(transactional_db):
    """gunicorn serving the test databases on a free port (tests/live.py); for HTTP end to end."""
    from tests.live import Server

    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client_as(client):
    """The test client logged in as a user (force_login skips the login rules on purpose:
    those have their own tests in tests/accounts)."""

    def log_in(user):
        client.force_login(user)
        return client

    return log_in




@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (throttle counters, cached revenue card sums)."""
    from django.core.cache import cache

    cache.clear()


SHARED_REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(SHARED_REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def shared_cache(settings):
    """A cache shared between processes, as a deployment with REDIS_URL has: the machine's
    Redis under a key prefix of the test's own (FAULTS_REDIS_URL names another; skipped where
    none answers). Yields the prefix."""
    if not _redis_answers():
        pytest.skip(f"no Redis at {SHARED_REDIS_URL}")
    prefix = f"test-fleet-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": SHARED_REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    import redis

    client = redis.Redis.from_url(SHARED_REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
