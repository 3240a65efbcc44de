"""The database failing mid-batch: nothing half-stored, 503, and a re-send makes it whole.

The failures are real ones raised by the database: a trigger that aborts the statement (the
same error path as a dropped connection or a lock timeout), a table that is not there, and a
database that cannot be reached at all (its file or port is gone). Every collector endpoint
answers each of them 503 in the API's shape with Retry-After, from the token lookup on.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import connections

from monitoring.models import Collector, Command, InverterStatus, PowerStation, StationStatus
from telemetry import store
from telemetry.models import GridReport, InverterReading
from tests.live import free_port
from tests.telemetry.test_ingest import heartbeat, post, reading, recent

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


@contextlib.contextmanager
def unreachable(alias: str):
    """While inside, the database `alias` cannot be connected to: a file in a directory that
    does not exist (SQLite), a port nobody listens on (MariaDB)."""
    connection = connections[alias]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/solarsite/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@contextlib.contextmanager
def missing(alias: str, table: str):
    """While inside, `table` is not there (renamed away and back)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(table + '_away')}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote(table + '_away')} RENAME TO {quote(table)}")


def assert_outage_answer(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "storage_unavailable"
    assert response.json()["detail"] and response.json()["fields"] == {}
    assert int(response["Retry-After"]) > 0


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


def test_an_unreachable_database_at_the_token_lookup_answers_503(client, fleet, token):
    with unreachable("default"):
        assert_outage_answer(post(client, token, batch()))
        assert_outage_answer(heartbeat(client, token, {"uptime_seconds": 5}))
        assert_outage_answer(client.get("/api/v1/collectors/commands",
                                        HTTP_AUTHORIZATION=f"Bearer {token}"))  # fmt: skip
    assert store.inverter_reading_count() == 0
    assert post(client, token, batch()).json()["accepted"] == 41


def test_an_unreachable_readings_database_answers_503(client, fleet, token):
    with unreachable("telemetry"):
        assert_outage_answer(post(client, token, batch()))
    assert not InverterStatus.objects.exists()
    assert post(client, token, batch()).json()["accepted"] == 41


def test_a_failure_while_reading_the_registry_answers_503(client, fleet, token):
    # After the token was found: the registry's first query fails.
    with missing("default", PowerStation._meta.db_table):
        assert_outage_answer(post(client, token, batch()))
    assert store.inverter_reading_count() == 0
    assert post(client, token, batch()).json()["accepted"] == 41


def test_a_failure_of_the_commands_endpoints_answers_503(client, fleet, token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with missing("default", Command._meta.db_table):
        assert_outage_answer(client.get("/api/v1/collectors/commands", **auth))
        assert_outage_answer(client.post("/api/v1/collectors/commands/1/result",
                                         {"succeeded": True}, content_type="application/json",
                                         **auth))  # fmt: skip
    assert client.get("/api/v1/collectors/commands", **auth).json() == {"commands": []}
