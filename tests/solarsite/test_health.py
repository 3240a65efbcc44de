"""/healthz: the verdict for anyone (a load balancer, a monitor); which database failed and why
only for administrators and for callers with HEALTHZ_TOKEN."""

from contextlib import contextmanager

import mongomock
import pytest
from django.db import connections

from telemetry import mongo_store
from tests.live import free_port

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@contextmanager
def telemetry_down():
    telemetry = connections["telemetry"]
    saved = telemetry.settings_dict.copy()
    telemetry.close()
    if telemetry.vendor == "sqlite":
        telemetry.settings_dict["NAME"] = "/nonexistent-dir/telemetry.sqlite3"
    else:
        telemetry.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        telemetry.close()
        telemetry.settings_dict.update(saved)


def test_anyone_learns_that_the_site_is_healthy_and_nothing_more(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_anyone_learns_that_a_database_is_down_but_not_the_error(client):
    with telemetry_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_an_administrator_sees_which_database_is_down_and_why(client, fleet):
    client.force_login(fleet["admin"])
    with telemetry_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    databases = response.json()["databases"]
    assert databases["default"] == "ok"
    assert databases["telemetry"].startswith("down: ")


def test_a_monitor_with_the_token_sees_the_details(client, settings):
    settings.HEALTHZ_TOKEN = "monitor-secret-for-tests"
    with_token = client.get("/healthz", HTTP_AUTHORIZATION="Bearer monitor-secret-for-tests")
    assert with_token.json() == {
        "status": "ok", "databases": {"default": "ok", "telemetry": "ok"}
    }  # fmt: skip
    wrong = client.get("/healthz", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.json() == {"status": "ok"}


def test_other_users_see_only_the_verdict(client, fleet):
    client.force_login(fleet["operator"])
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.fixture
def mongodb_store(settings, monkeypatch):
    mongo_store.client_reset()
    monkeypatch.setattr(mongo_store, "MongoClient", mongomock.MongoClient)
    settings.TELEMETRY_STORE = "mongodb"
    settings.MONGODB_URI = "mongodb://mongomock.invalid:27017/ss_health"
    settings.HEALTHZ_TOKEN = "monitor-secret-for-tests"
    yield
    mongo_store.client_reset()


def test_with_the_readings_in_mongodb_it_is_checked_too(client, mongodb_store):
    answer = client.get("/healthz", HTTP_AUTHORIZATION="Bearer monitor-secret-for-tests")
    assert answer.status_code == 200
    assert answer.json()["databases"] == {"default": "ok", "telemetry": "ok", "mongodb": "ok"}


def test_a_mongodb_that_does_not_answer_makes_the_site_unavailable(client, settings):
    mongo_store.client_reset()
    settings.TELEMETRY_STORE = "mongodb"
    settings.MONGODB_URI = f"mongodb://127.0.0.1:{free_port()}/solarsite"
    settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS = 300
    settings.HEALTHZ_TOKEN = "monitor-secret-for-tests"
    try:
        anyone = client.get("/healthz")
        monitor = client.get("/healthz", HTTP_AUTHORIZATION="Bearer monitor-secret-for-tests")
    finally:
        mongo_store.client_reset()
    assert anyone.status_code == 503 and anyone.json() == {"status": "unavailable"}
    databases = monitor.json()["databases"]
    assert databases["default"] == databases["telemetry"] == "ok"
    assert databases["mongodb"].startswith("down: MongoDB: 127.0.0.1:")
