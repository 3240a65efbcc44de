"""manage.py mongo_setup: the MongoDB store's indexes, created once whatever how often it runs,
and by migrate when the store is MongoDB."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import mongomock
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from pymongo.errors import DuplicateKeyError

from telemetry import mongo_store
from tests.live import free_port

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def empty_mongodb(settings, monkeypatch):
    """The MongoDB store on mongomock, with no collection yet."""
    mongo_store.client_reset()
    monkeypatch.setattr(mongo_store, "MongoClient", mongomock.MongoClient)
    settings.MONGODB_URI = "mongodb://mongomock.invalid:27017/ss_setup"
    yield mongo_store.database()
    mongo_store.client_reset()


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("mongo_setup", *args, stdout=out, **options)
    return out.getvalue()


def test_it_creates_each_index_once(empty_mongodb):
    first = run()
    assert "created index inverter_readings.device_ts" in first
    assert first.strip().endswith("MongoDB indexes: 11 created, 0 already in place.")
    assert run().strip() == "MongoDB indexes: 0 created, 11 already in place."
    indexes = empty_mongodb["inverter_readings"].index_information()
    assert indexes["device_ts"]["key"] == [("inverter_id", 1), ("ts", 1)]
    assert indexes["device_ts"]["unique"] is True
    assert indexes["station_ts"]["key"] == [("station_id", 1), ("ts", 1)]
    assert set(empty_mongodb["grid_reports"].index_information()) == {"_id_", "device_ts", "ts"}


def test_the_unique_index_refuses_a_second_document_of_one_reading(empty_mongodb):
    run()
    ts = datetime(2026, 5, 1, 3, tzinfo=UTC)
    empty_mongodb["sensor_readings"].insert_one({"sensor_id": 4, "ts": ts, "value": 1.0})
    with pytest.raises(DuplicateKeyError):
        empty_mongodb["sensor_readings"].insert_one({"sensor_id": 4, "ts": ts, "value": 2.0})


def test_migrate_creates_them_when_the_store_is_mongodb(empty_mongodb, settings):
    call_command("migrate", "telemetry", database="telemetry", verbosity=0)
    assert "device_ts" not in empty_mongodb["inverter_readings"].index_information()
    settings.TELEMETRY_STORE = "mongodb"
    call_command("migrate", "telemetry", database="telemetry", verbosity=0)
    assert "device_ts" in empty_mongodb["inverter_readings"].index_information()


def test_without_a_uri_or_a_server_it_says_what_to_fix(settings):
    settings.MONGODB_URI = ""
    with pytest.raises(CommandError, match="MONGODB_URI is not set; give it the server"):
        run()
    mongo_store.client_reset()
    settings.MONGODB_URI = f"mongodb://127.0.0.1:{free_port()}/solarsite"
    settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS = 300
    try:
        with pytest.raises(CommandError, match="MongoDB did not answer .*check MONGODB_URI"):
            run()
    finally:
        mongo_store.client_reset()
