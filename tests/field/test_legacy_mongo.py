"""Import from the old MongoDB: collections shaped like the old system's, per-day and per-range
ones included, against mongomock, and against a real server when LEGACY_MONGODB_URI is set (a
scratch database on it is filled and dropped; the named database is never written)."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import mongomock
import pymongo
import pytest
from bson import Decimal128, ObjectId
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import Customer, LoginHistory, User
from events.models import EventLog, EventType, SmsLog
from field.jobs import job_import_legacy
from field.legacy.mongo import MongoSource
from field.legacy.reader import LegacyImportError
from field.legacy.run import legacy_import, legacy_mapping_of
from field.models import ImportedKey
from generation.models import DailyGeneration, HourlyGeneration
from monitoring.models import (
    Collector,
    CombinerBox,
    Inverter,
    KeyValue,
    PowerStation,
    Region,
    Sensor,
    SensorType,
)
from telemetry import store
from telemetry.models import CombinerReading, GridReport, InverterReading, SensorReading

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
SERVER_URI = os.environ.get("LEGACY_MONGODB_URI", "")
SCRATCH = "solarsite_legacy_import_test"


def utc(*args) -> datetime:
    """BSON dates are UTC; pymongo hands them back naive."""
    return datetime(*args)


def fill(db) -> None:
    db.customer.insert_many([
        {"cno": 1, "cname": "해남태양광", "ceo": "Kim", "tel": "061-000-0000"},
        {"cno": 2, "cname": "Gyeonggi Solar"},
    ])  # fmt: skip
    db.users.insert_many([
        {"uid": "op1", "uname": "운영자", "authority": 1, "phone": "010-1234-5678", "useYn": "Y"},
        {"uid": "owner2", "uname": "박주인", "authority": 2, "cno": 2, "useYn": "Y"},
    ])  # fmt: skip
    db.power_station.insert_many([
        {"mcno": "P001", "psname": "해남 1호기 (구)", "cno": 1, "area": "전남", "lat": 34.57,
         "lng": 126.6, "capacity": Decimal128(Decimal("99.50")), "status": 0},
        {"mcno": "P002", "psname": "Yongin", "cno": 2, "area": "경기", "lat": 37.24,
         "lng": 127.18, "capacity": 50, "status": 0},
    ])  # fmt: skip
    db.remote_ip.insert_one({"mcno": "P001", "ip": "203.0.113.7"})
    db.conn_box.insert_one({"mcno": "P001", "cbno": 1, "chCount": 4})
    db.SensorName.insert_one({"mcno": "P001", "sname": "wind-1", "stype": "wind",
                              "stypeName": "풍속계"})  # fmt: skip
    db.key_value.insert_many([{"key": "report.footer", "value": "운영팀"},
                              {"key": "sms.sender", "value": "0612345678"}])  # fmt: skip
    # The big time series, split by day and by range of hours as the old system did.
    db.inverterlog.insert_one(log("P009", 1, utc(2026, 11, 20, 3), 1.0, 1.0))
    db.inverterlog_20261120.insert_many([
        log("P001", 1, utc(2026, 11, 20, 3), 40.0, 1000.0),
        log("P001", 2, utc(2026, 11, 20, 3), 41.0, 2000.0),
    ])  # fmt: skip
    db.inverterlog_20261121.insert_one(log("P001", 1, utc(2026, 11, 21, 3), 42.0, 1100.0))
    db.client_status.insert_one({"mcno": "P001", "status": 0, "dateAt": utc(2026, 11, 20, 2)})
    db.client_status_2026112009_2026112018.insert_one(
        {"mcno": "P001", "status": True, "dateAt": utc(2026, 11, 20, 2, 10)}
    )
    db.conn_box_log_20261120.insert_one(
        {"mcno": "P001", "cbno": 1, "voltage": Decimal128("640.2"), "ch1": 8.1, "ch2": 8.0,
         "ch3": 7.9, "ch4": 8.2, "dateAt": utc(2026, 11, 20, 3)}
    )  # fmt: skip
    db.temprature_20261120.insert_many([
        {"mcno": "P001", "sname": "wind-1", "stype": "wind", "value": 3.5,
         "dateAt": utc(2026, 11, 20, 3)},
        {"mcno": "P001", "sname": "module-1", "stype": "module", "value": 38.5,
         "dateAt": utc(2026, 11, 20, 3)},
    ])  # fmt: skip
    midnight_19th = utc(2026, 11, 18, 15)  # 2026-11-19 00:00 in Seoul
    db.day_generation.insert_one({"mcno": "P001", "invno": 1, "daykw": 250.5,
                                  "dateAt": midnight_19th})  # fmt: skip
    db.day_total_generation.insert_one({"mcno": "P001", "invno": 1, "totkw": 996.0,
                                        "dateAt": midnight_19th})  # fmt: skip
    db.time_generation.insert_one({"mcno": "P001", "invno": 1, "timekw": 40.5,
                                   "dateAt": utc(2026, 11, 19, 3)})  # fmt: skip
    db.Sms_log.insert_one({"idx": 1, "mcno": "P001", "phone": "010-1234-5678",
                           "msg": "[해남 1호기] 리셋 완료", "result": "success",
                           "sendAt": utc(2026, 11, 20, 3, 10)})  # fmt: skip
    db.event_type.insert_one({"code": 150, "ename": "정기점검", "notifyType": "mail"})
    event = {"idx": 7, "mcno": "P001", "invno": 1, "code": 202, "userChecked": 1,
             "dateAt": utc(2026, 11, 20, 3), "clearAt": utc(2026, 11, 20, 3, 30)}  # fmt: skip
    db.event.insert_one(dict(event))
    db.event_log.insert_one(dict(event))  # the same event, kept twice by the old system
    db.login_history.insert_one({"idx": 1, "uid": "op1", "ip": "203.0.113.9",
                                 "loginAt": utc(2026, 11, 19, 0),
                                 "logoutAt": utc(2026, 11, 19, 0, 30)})  # fmt: skip
    db.StaticsInverterAvg.insert_many([{"mcno": "P001", "avg": 1.0}, {"mcno": "P002"}])
    db.StaticsInverterMedian.insert_one({"mcno": "P001", "median": 1.0})
    db.command_queue.insert_one({"mcno": "P001", "invno": 1, "cmd": "reset"})


def log(mcno, invno, at, ackw, totkw, *, written: datetime | None = None) -> dict:
    """An inverter-log document whose _id was made when it was written (by default, at its
    reading time), as the old system's were."""
    return {"_id": object_id(written or at), "mcno": mcno, "invno": invno, "dckw": ackw + 0.5,
            "ackw": Decimal128(str(ackw)), "daykw": ackw * 2, "totkw": totkw, "errCode": 0,
            "dateAt": at}  # fmt: skip


_made = itertools.count()


def object_id(at: datetime) -> ObjectId:
    """An ObjectId made at `at` (UTC), unique: its seconds, then a counter."""
    seconds = int(at.replace(tzinfo=UTC).timestamp())
    return ObjectId(seconds.to_bytes(4, "big") + bytes(5) + next(_made).to_bytes(3, "big"))


@pytest.fixture(params=["mongomock", "server"])
def old_mongo(request):
    """The old MongoDB: mongomock, or a scratch database on the server at LEGACY_MONGODB_URI."""
    if request.param == "mongomock":
        client = mongomock.MongoClient()
    elif not SERVER_URI:
        pytest.skip("set LEGACY_MONGODB_URI to also run against a real MongoDB server")
    else:
        client = pymongo.MongoClient(SERVER_URI, serverSelectionTimeoutMS=5000)
    client.drop_database(SCRATCH)
    db = client[SCRATCH]
    fill(db)
    yield db
    client.drop_database(SCRATCH)


@pytest.fixture
def mysql_imported(db):
    """What the MySQL import brought before: a customer, plant P001 and its inverters."""
    customer = Customer.objects.create(name="해남태양광", contact_person="Kim",
                                       phone="061-000-0000")  # fmt: skip
    ImportedKey.objects.create(table="customer", old_key="1", object_id=customer.pk)
    station = PowerStation.objects.create(
        code="P001", name="해남 1호기", customer=customer, region=Region.JEONNAM,
        latitude=34.57, longitude=126.6, capacity_kwp=Decimal("99.50"),
    )  # fmt: skip
    for number in (1, 2):
        Inverter.objects.create(station=station, number=number, capacity_kw=50)
    return station


def run(db, **options):
    mapping = legacy_mapping_of("mongodb")
    source = MongoSource(db, time_zone=mapping.time_zone)
    with translation.override("en"):
        summaries = legacy_import(source=source, mapping=mapping, **options)
    return {s.table: s for s in summaries}


def snapshot() -> dict:
    """Every row the import writes, as values (ids included: nothing may be re-created)."""
    return {
        model.__name__: sorted(map(repr, model.objects.values_list()))
        for model in (Customer, User, PowerStation, Inverter, Collector, CombinerBox, Sensor,
                      SensorType, KeyValue, SmsLog, EventType, EventLog, LoginHistory,
                      InverterReading, CombinerReading, SensorReading, GridReport,
                      DailyGeneration, HourlyGeneration)
    }  # fmt: skip


def test_every_collection_comes_across_per_day_and_per_range_ones_included(
    old_mongo, mysql_imported
):
    result = run(old_mongo)

    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Gyeonggi Solar",
                                                                       "해남태양광"]  # fmt: skip
    assert User.objects.get(username="op1").phone == "+821012345678"
    assert PowerStation.objects.get(code="P002").customer.name == "Gyeonggi Solar"
    assert Collector.objects.get(name="legacy-P001").remote_address == "203.0.113.7"
    assert CombinerBox.objects.get(station__code="P001", number=1).channels == 4
    inverter = Inverter.objects.get(station__code="P001", number=1)
    assert list(
        InverterReading.objects.filter(inverter_id=inverter.pk).values_list("ts", "ac_kw")
    ) == [(datetime(2026, 11, 20, 3, tzinfo=UTC), 40.0),
          (datetime(2026, 11, 21, 3, tzinfo=UTC), 42.0)]  # fmt: skip
    log = result["mongo_inverterlog"]
    assert (log.read, log.inserted) == (4, 3) and log.skipped == {"unknown inverter": 1}
    assert list(GridReport.objects.order_by("ts").values_list("ts", "outage")) == [
        (datetime(2026, 11, 20, 2, tzinfo=UTC), False),
        (datetime(2026, 11, 20, 2, 10, tzinfo=UTC), True),
    ]
    assert CombinerReading.objects.get().currents == [8.1, 8.0, 7.9, 8.2]
    sensors = dict(Sensor.objects.values_list("name", "kind"))
    assert sensors == {"wind-1": "wind", "module-1": "module_temp"}
    assert SensorType.objects.get(code="wind").name == "풍속계"
    assert sorted(SensorReading.objects.values_list("value", flat=True)) == [3.5, 38.5]
    day = DailyGeneration.objects.get(inverter_id=inverter.pk)
    assert (day.date, day.kwh, day.total_kwh_end) == (date(2026, 11, 19), 250.5, 996.0)
    assert HourlyGeneration.objects.get().hour_start == datetime(2026, 11, 19, 3, tzinfo=UTC)
    assert SmsLog.objects.get().recipient == "+821012345678"
    assert EventType.objects.get(code=150).by_email
    # `event` and `event_log` hold the same old event: one record, raised and cleared.
    assert sorted(EventLog.objects.values_list("kind", flat=True)) == ["cleared", "raised"]
    assert result["mongo_event_log"].unchanged == 1
    login = LoginHistory.objects.get()
    assert login.imported and login.ended_at == datetime(2026, 11, 19, 0, 30, tzinfo=UTC)
    assert KeyValue.objects.get(key="report.footer").value == "운영팀"
    assert result["mongo_statics_inverter_avg"].skipped == {
        "recomputed by solarsite from the daily generation": 2
    }
    assert result["mongo_command_queue"].skipped == {
        "old commands are not sent again; queue new ones in solarsite": 1
    }


def test_importing_again_gives_the_same_rows(old_mongo, mysql_imported):
    run(old_mongo)
    first = snapshot()

    again = run(old_mongo)
    assert snapshot() == first
    assert all(s.inserted == s.updated == 0 for s in again.values())
    # After the high-water mark, less ID_OVERLAP: only the last day's document is read again.
    assert (again["mongo_inverterlog"].read, again["mongo_inverterlog"].unchanged) == (1, 1)

    reread = run(old_mongo, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert snapshot() == first
    assert all(s.inserted == s.updated == s.disagreed == 0 for s in reread.values())
    assert reread["mongo_inverterlog"].unchanged == 3


def test_a_new_document_in_a_new_day_collection_is_read_incrementally(
    old_mongo, mysql_imported
):
    run(old_mongo)
    old_mongo.inverterlog_20261122.insert_one(log("P001", 2, utc(2026, 11, 22, 3), 5.0, 2100.0))
    # Written by another of the old system's writers a minute before the last document read,
    # but stored after this import's last run: within ID_OVERLAP, so it is not missed.
    late = utc(2026, 11, 21, 3) - timedelta(minutes=1)
    old_mongo.inverterlog_20261121.insert_one(log("P001", 2, late, 6.0, 2050.0))

    again = run(old_mongo)["mongo_inverterlog"]
    assert (again.read, again.inserted, again.unchanged) == (3, 2, 1)
    assert InverterReading.objects.count() == 5


def test_mysql_wins_and_each_disagreement_is_counted(old_mongo, mysql_imported):
    inverter = Inverter.objects.get(station__code="P001", number=1)
    store.readings_upsert(rows={"inverter": [
        store.Row(inverter.pk, datetime(2026, 11, 20, 3, tzinfo=UTC),
                  (mysql_imported.pk, 39.0) + (None,) * (len(store.INVERTER.values) - 2)),
    ]})  # fmt: skip
    KeyValue.objects.create(key="sms.sender", value="01099998888")

    result = run(old_mongo)

    station = result["mongo_power_station"]
    assert (station.inserted, station.disagreed) == (1, 1)
    assert PowerStation.objects.get(code="P001").name == "해남 1호기"  # MySQL's name kept
    log = result["mongo_inverterlog"]
    assert (log.inserted, log.disagreed) == (2, 1)
    kept = InverterReading.objects.get(inverter_id=inverter.pk, ts=datetime(2026, 11, 20, 3,
                                                                           tzinfo=UTC))  # fmt: skip
    assert kept.ac_kw == 39.0
    assert result["mongo_customer"].unchanged == 1  # the same customer in both: no disagreement
    assert result["mongo_key_value"].skipped == {"conflict: kept the value set in solarsite": 1}
    assert KeyValue.objects.get(key="sms.sender").value == "01099998888"


def test_the_command_reads_the_old_mongodb_and_prints_the_summary(
    old_mongo, mysql_imported, settings, capsys
):
    settings.LEGACY_DATABASE_URL = ""
    settings.LEGACY_MONGODB_URI = f"mongodb://old-host:27017/{SCRATCH}"
    with mongomock.patch(servers=(("old-host", 27017),)):
        client = pymongo.MongoClient(settings.LEGACY_MONGODB_URI)
        fill(client[SCRATCH])
        with translation.override("en"):
            call_command("import_legacy", "--source", "mongodb", verbosity=1)
            line = job_import_legacy()
    out = capsys.readouterr()
    assert "mongo_inverterlog" in out.out and "Import finished." in out.out
    assert "mongo_power_station: 1 records differ from those already imported; kept" in out.out
    assert "mongo_inverterlog" in out.err  # the progress bar
    assert "0 inserted, 0 updated" in line and line.endswith("(MongoDB)")


def test_a_dry_run_counts_but_changes_nothing(old_mongo, mysql_imported):
    before = snapshot()
    result = run(old_mongo, dry_run=True)
    assert result["mongo_inverterlog"].inserted == 3
    assert snapshot() == before
    assert not ImportedKey.objects.exclude(table="customer").exists()
    assert run(old_mongo)["mongo_inverterlog"].inserted == 3  # the marks did not move either


def test_a_dry_run_of_readings_is_refused_when_readings_live_in_mongodb(
    old_mongo, mysql_imported, settings
):
    settings.TELEMETRY_STORE = "mongodb"  # MongoDB's writes cannot be rolled back
    before = snapshot()
    with pytest.raises(LegacyImportError, match="A dry run cannot take back readings"):
        run(old_mongo, dry_run=True)
    assert snapshot() == before
    # Tables without readings can still be tried.
    assert run(old_mongo, dry_run=True, tables=["mongo_power_station"])


@pytest.mark.parametrize(
    ("uri", "sentence"),
    [
        ("mongodb://127.0.0.1:1/", "LEGACY_MONGODB_URI must name the old database"),
        ("mongodb://127.0.0.1:1/solar", "Cannot connect to the old MongoDB at LEGACY_MONGODB_URI"),
    ],
)
def test_the_command_says_what_is_wrong_with_the_old_mongodb(settings, uri, sentence):
    settings.LEGACY_MONGODB_URI = uri
    with translation.override("en"), pytest.raises(CommandError, match=sentence):
        call_command("import_legacy", "--source", "mongodb", verbosity=0)
