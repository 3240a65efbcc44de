"""The database failing mid-batch: nothing half-stored, 503, and a re-send makes it whole.

The failure is a real one raised by the database: a trigger that aborts the statement, the
same error path as a dropped connection or a lock timeout.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import connections

from generation import store
from generation.models import GridReport, InverterReading
from monitoring.models import Collector, InverterStatus, StationStatus
from tests.monitoring.test_ingest import post, reading, recent

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


@contextlib.contextmanager
def failing(alias: str, table: str, event: str = "INSERT", when: str = "1 = 1"):
    """While inside, an `event` on `table` for a row matching `when` fails in the database."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                f"CREATE TRIGGER fail_test BEFORE {event} ON {table} FOR EACH ROW "
                f"BEGIN IF {when} THEN "
                "SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'simulated failure'; END IF; END"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER fail_test BEFORE {event} ON {table} WHEN {when} "
                "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER fail_test")


@pytest.fixture
def token(fleet):
    return fleet["collector_a"].issue_token()


def batch() -> dict:
    return {
        "readings": [reading(recent(m), inverter=n) for m in range(20) for n in (1, 2)],
        "grid": [{"station": "A001", "ts": recent(19), "outage": False}],
    }


def test_a_failure_after_half_the_batch_is_written_stores_none_of_it(client, fleet, token):
    # The inverter readings are written before the grid reports; the grid insert fails.
    with failing("telemetry", GridReport._meta.db_table):
        response = post(client, token, batch())
    assert response.status_code == 503
    assert response.json()["error"] == "storage_unavailable"
    assert response["Retry-After"]
    assert store.inverter_reading_count() == 0
    assert not InverterStatus.objects.exists() and not StationStatus.objects.exists()
    assert Collector.objects.get(pk=fleet["collector_a"].pk).last_seen is None

    answer = post(client, token, batch()).json()
    assert (answer["accepted"], answer["duplicate"]) == (41, 0)


def test_a_failure_inside_one_insert_stores_none_of_it(client, fleet, token):
    # Fails on the first row of inverter 2, after inverter 1's first row went in, inside the
    # single statement that writes the inverter readings.
    inverter = fleet["station_a"].inverters.get(number=2)
    when = f"NEW.inverter_id = {inverter.pk}"
    with failing("telemetry", InverterReading._meta.db_table, when=when):
        response = post(client, token, batch())
    assert response.status_code == 503
    assert InverterReading.objects.count() == 0
    assert post(client, token, batch()).json()["accepted"] == 41


def test_a_failure_of_the_latest_state_is_repaired_by_the_resend(client, fleet, token):
    # Readings commit first; the status update then fails. The readings are kept (the re-send
    # finds them as duplicates) and the re-send brings the latest state up to date.
    InverterStatus.objects.create(inverter=fleet["station_a"].inverters.get(number=1),
                                  station=fleet["station_a"])  # fmt: skip
    with failing("default", InverterStatus._meta.db_table, "UPDATE"):
        response = post(client, token, batch())
    assert response.status_code == 503
    status = InverterStatus.objects.get()
    assert status.last_ts is None  # rolled back with the rest of the default transaction
    assert not StationStatus.objects.exists()

    answer = post(client, token, batch()).json()
    assert (answer["accepted"], answer["duplicate"]) == (0, 41)
    status.refresh_from_db()
    assert status.state == "running" and status.last_ts is not None
    assert StationStatus.objects.get().grid_outage is False
