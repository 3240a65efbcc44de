"""manage.py telemetry_copy: the readings of one store copied into the other, page by page,
idempotent, resumable after a failure, with a progress bar and a summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import mongomock
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from pymongo.errors import AutoReconnect

from monitoring.models import KeyValue
from telemetry import store
from telemetry.models import CombinerReading, GridReport, InverterReading, SensorReading
from tests.telemetry.test_store_contract import STATION, inverter_row

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield

START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
STAMPS = [START + timedelta(minutes=10 * k) for k in range(6)]


@pytest.fixture
def readings_in_sql(mongomock_store, settings):
    """The site on SQL with readings of every kind; an empty MongoDB beside it."""
    settings.TELEMETRY_STORE = "sql"
    store.readings_upsert(rows={
        "inverter": [inverter_row(i, ts, float(k), day_kwh=k / 2, total_kwh=100.0 + k)
                     for i in (1, 2, 3) for k, ts in enumerate(STAMPS)],
        "combiner": [store.Row(4, ts, (STATION, 600.0, [8.0, None])) for ts in STAMPS],
        "sensor": [store.Row(5, ts, (STATION, 700.5)) for ts in STAMPS],
        "grid": [store.Row(STATION, ts, (k == 3,)) for k, ts in enumerate(STAMPS)],
    })  # fmt: skip


def copy(*args: str, **options) -> str:
    """The command's output (its progress bar goes to the process's stderr)."""
    out = io.StringIO()
    call_command("telemetry_copy", *args, stdout=out, **options)
    return out.getvalue()


def everything(name: str) -> list:
    """Every read of the store `name` over the test's readings."""
    end = STAMPS[-1] + timedelta(seconds=1)
    with store.store_chosen(name):
        return [
            store.station_inverter_readings(station_id=STATION, start=START, end=end),
            store.combiner_readings(box_id=4, start=START, end=end),
            store.sensor_points(sensor_ids=[5], start=START, end=end),
            list(store.counter_rows(inverter_ids=[1, 2, 3], start=START, end=end)),
            store.latest_inverter_readings(inverter_ids=[1, 2, 3]),
            store.readings_page(kind="grid", after=None, since=None, limit=100),
        ]


def test_the_copy_gives_mongodb_the_same_readings_and_says_what_it_did(readings_in_sql, capsys):
    out = copy("--from", "sql", "--to", "mongodb", "--chunk", "4")
    err = capsys.readouterr().err
    assert out.splitlines() == [
        "inverter: 18 read from sql; in mongodb 18 new, 0 already there, 0 replaced",
        "combiner: 6 read from sql; in mongodb 6 new, 0 already there, 0 replaced",
        "sensor: 6 read from sql; in mongodb 6 new, 0 already there, 0 replaced",
        "grid: 6 read from sql; in mongodb 6 new, 0 already there, 0 replaced",
        "The site still reads and writes sql: set TELEMETRY_STORE=mongodb and restart to use "
        "the copy.",
    ]
    progress = [line.split() for line in err.splitlines() if line.startswith("inverter ")]
    assert [p[2] for p in progress] == ["4/18", "8/18", "12/18", "16/18", "18/18"]
    assert everything("mongodb") == everything("sql")
    assert everything("sql")[0]  # not two empty stores
    assert not KeyValue.objects.filter(key__startswith="telemetry_copy.").exists()


def test_a_second_copy_writes_nothing_and_since_reads_only_the_recent(readings_in_sql):
    copy("--from", "sql", "--to", "mongodb")
    again = copy("--from", "sql", "--to", "mongodb", "--kinds", "inverter")
    assert again.splitlines()[0] == (
        "inverter: 18 read from sql; in mongodb 0 new, 18 already there, 0 replaced"
    )
    with store.store_chosen("sql"):
        store.readings_upsert(rows={"inverter": [inverter_row(2, STAMPS[5], 99.0)]})
    since = copy("--from", "sql", "--to", "mongodb", "--kinds", "inverter",
                    "--since", STAMPS[4].isoformat())  # fmt: skip
    assert since.splitlines()[0] == (
        "inverter: 6 read from sql; in mongodb 0 new, 5 already there, 1 replaced"
    )
    assert everything("mongodb") == everything("sql")


def test_an_interrupted_copy_goes_on_from_its_last_page(readings_in_sql, monkeypatch):
    insert_many = mongomock.Collection.insert_many
    calls = []

    def second_page_fails(collection, documents, *args, **kwargs):
        calls.append(len(documents))
        if len(calls) == 2:
            raise AutoReconnect("simulated: connection lost")
        return insert_many(collection, documents, *args, **kwargs)

    monkeypatch.setattr(mongomock.Collection, "insert_many", second_page_fails)
    with pytest.raises(CommandError, match="Nothing is lost: run the same command again"):
        copy("--from", "sql", "--to", "mongodb", "--chunk", "5")
    with store.store_chosen("mongodb"):
        assert store.readings_count(kind="inverter") == 5

    monkeypatch.setattr(mongomock.Collection, "insert_many", insert_many)
    out = copy("--from", "sql", "--to", "mongodb", "--chunk", "5")
    assert out.splitlines()[0] == (
        "inverter: 13 read from sql (went on after 1 2026-06-01 00:40:00); "
        "in mongodb 13 new, 0 already there, 0 replaced"
    )
    assert everything("mongodb") == everything("sql")


def test_the_copy_back_to_sql_gives_the_same_readings(readings_in_sql):
    copy("--from", "sql", "--to", "mongodb")
    expected = everything("sql")
    for model in (InverterReading, CombinerReading, SensorReading, GridReport):
        model.objects.all().delete()
    out = copy("--from", "mongodb", "--to", "sql")
    assert "grid: 6 read from mongodb; in sql 6 new" in out
    assert everything("sql") == expected


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "sql", "--to", "sql"], "--from and --to name the same store"),
        (["--from", "sql", "--to", "mongodb", "--since", "June"],
         "--since June is not a date or time; write 2026-01-31"),
        (["--from", "sql", "--to", "mongodb", "--chunk", "0"], "--chunk must be at least 1."),
    ],
)  # fmt: skip
def test_a_wrong_request_is_refused_with_what_to_write(mongomock_store, args, message):
    with pytest.raises(CommandError, match=message):
        copy(*args)


def test_without_mongodb_uri_it_says_so(settings):
    settings.MONGODB_URI = ""
    with pytest.raises(CommandError, match="MONGODB_URI is not set"):
        copy("--from", "sql", "--to", "mongodb")


def test_the_summary_speaks_the_site_language(readings_in_sql):
    with translation.override("ko"):
        out = copy("--from", "sql", "--to", "mongodb", "--kinds", "sensor")
    assert out.splitlines()[0] == (
        "sensor: sql에서 6건 읽음; mongodb에 새로 6건, 이미 있음 0건, 바꿈 0건"
    )
