"""POST /api/v1/ingest with the readings in MongoDB: stored there and only there, counted as
with SQL, late hours marked in SQL, and a MongoDB that fails or cannot be reached is a 503
after which the collector's re-send makes the batch whole."""

from __future__ import annotations

from datetime import timedelta

import mongomock
import pytest
from django.utils import timezone
from pymongo.errors import AutoReconnect

from monitoring.models import Collector, InverterStatus
from telemetry import mongo_store, store
from telemetry.models import InverterReading
from tests.live import free_port
from tests.telemetry.test_ingest import post, reading, recent
from tests.telemetry.test_ingest_failures import assert_outage_answer, batch

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def token(fleet):
    return fleet["collector_a"].issue_token()


def test_a_batch_is_stored_in_mongodb_and_a_resend_is_counted_duplicate(
    client, fleet, token, mongomock_store
):
    answer = post(client, token, batch()).json()
    assert (answer["accepted"], answer["duplicate"], answer["updated"]) == (41, 0, 0)
    inverter = fleet["station_a"].inverters.get(number=1)
    now = timezone.now()
    stored = store.inverter_readings(inverter_id=inverter.pk, start=now - timedelta(hours=1),
                                     end=now)  # fmt: skip
    assert len(stored) == 20 and stored[0].ac_kw == 12.3 and stored[0].ac_v3 == 379.9
    assert InverterReading.objects.count() == 0  # nothing in the SQL table
    assert InverterStatus.objects.get(inverter=inverter).last_ts == stored[-1].ts

    again = post(client, token, batch()).json()
    assert (again["accepted"], again["duplicate"], again["updated"]) == (0, 41, 0)
    corrected = post(client, token, {"readings": [reading(recent(0), ac_kw=1.5)]}).json()
    assert (corrected["accepted"], corrected["duplicate"], corrected["updated"]) == (0, 0, 1)


def test_a_late_reading_in_mongodb_marks_its_hour_in_sql(client, fleet, token, mongomock_store):
    late = (timezone.now() - timedelta(hours=3)).replace(minute=10, second=0, microsecond=0)
    response = post(client, token, {"readings": [reading(late.isoformat())]})
    assert response.json()["accepted"] == 1
    (mark,) = store.dirty_hours(limit=5)
    assert mark.hour_start == late.replace(minute=0)
    assert post(client, token, {"readings": [reading(late.isoformat())]}).json()["duplicate"] == 1


def test_a_failure_after_part_of_the_batch_is_written_is_made_whole_by_the_resend(
    client, fleet, token, mongomock_store, monkeypatch
):
    # The inverter readings are written, then the grid reports' insert fails (as a dropped
    # connection would): MongoDB keeps what was written, the collector is told 503.
    insert_many = mongomock.Collection.insert_many

    def grid_fails(collection, documents, *args, **kwargs):
        if collection.name == "grid_reports":
            raise AutoReconnect("simulated: connection lost")
        return insert_many(collection, documents, *args, **kwargs)

    monkeypatch.setattr(mongomock.Collection, "insert_many", grid_fails)
    assert_outage_answer(post(client, token, batch()))
    assert Collector.objects.get(pk=fleet["collector_a"].pk).last_seen is None
    assert not InverterStatus.objects.exists()

    assert store.inverter_reading_count() == 40  # written, but pending
    monkeypatch.setattr(mongomock.Collection, "insert_many", insert_many)
    answer = post(client, token, batch()).json()
    assert (answer["accepted"], answer["duplicate"]) == (41, 0)  # as if the first never was
    assert store.inverter_reading_count() == 40
    assert InverterStatus.objects.count() == 2
    assert post(client, token, batch()).json()["duplicate"] == 41


def test_late_readings_of_a_half_written_batch_are_marked_by_the_resend(
    client, fleet, token, mongomock_store, monkeypatch
):
    # The first try writes the late inverter readings to MongoDB, then fails: its transaction
    # of late-hour marks is rolled back. The re-send must still mark the hour.
    late = (timezone.now() - timedelta(hours=3)).replace(minute=10, second=0, microsecond=0)
    body = {"readings": [reading(late.isoformat())],
            "grid": [{"station": "A001", "ts": late.isoformat(), "outage": False}]}  # fmt: skip
    insert_many = mongomock.Collection.insert_many

    def grid_fails(collection, documents, *args, **kwargs):
        if collection.name == "grid_reports":
            raise AutoReconnect("simulated: connection lost")
        return insert_many(collection, documents, *args, **kwargs)

    monkeypatch.setattr(mongomock.Collection, "insert_many", grid_fails)
    assert_outage_answer(post(client, token, body))
    assert store.dirty_hours(limit=5) == []
    monkeypatch.setattr(mongomock.Collection, "insert_many", insert_many)
    assert post(client, token, body).json()["accepted"] == 2
    (mark,) = store.dirty_hours(limit=5)
    assert mark.hour_start == late.replace(minute=0)


def test_an_unreachable_mongodb_is_a_503_and_stores_nothing(client, fleet, token, settings):
    mongo_store.client_reset()
    settings.TELEMETRY_STORE = "mongodb"
    settings.MONGODB_URI = f"mongodb://127.0.0.1:{free_port()}/solarsite"
    settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS = 300
    try:
        assert_outage_answer(post(client, token, batch()))
        with pytest.raises(store.StoreUnavailable, match="MongoDB: 127.0.0.1:"):
            store.inverter_reading_count()
        with pytest.raises(store.StoreUnavailable):  # a generator fails when it is read
            list(store.counter_rows(inverter_ids=[1], start=timezone.now(), end=timezone.now()))
    finally:
        mongo_store.client_reset()
    assert not InverterStatus.objects.exists()
    assert Collector.objects.get(pk=fleet["collector_a"].pk).last_seen is None
