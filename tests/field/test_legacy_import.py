"""Import from the old MySQL schema: a real MariaDB database built from field/legacy/schema.sql."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import MySQLdb
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from accounts.models import Customer, LoginHistory, User
from events.models import EventLog, EventType, SmsLog
from field.jobs import job_import_legacy
from field.legacy.mapping import legacy_mapping_load
from field.legacy.reader import LegacyImportError, legacy_connect, legacy_schema_create
from field.legacy.readings import readings_store
from field.legacy.run import legacy_import
from field.models import ImportMark
from generation.models import DailyGeneration, HourlyGeneration
from monitoring.models import (
    Collector,
    CombinerBox,
    Inverter,
    KeyValue,
    PostalArea,
    PowerStation,
    Region,
    Sensor,
    SensorType,
)
from telemetry.models import CombinerReading, DirtyHour, GridReport, InverterReading, SensorReading

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def legacy():
    """An old-schema database on the same MariaDB server as the test databases."""
    if connection.vendor != "mysql":
        pytest.skip("the old schema is MySQL: run with DATABASE_URL=mysql://... to test the import")
    params = connection.settings_dict
    name = params["NAME"].removeprefix("test_") + "_legacy"
    server = dict(host=params["HOST"] or "127.0.0.1", port=int(params["PORT"] or 3306),
                  user=params["USER"], password=params["PASSWORD"] or "")  # fmt: skip
    admin = MySQLdb.connect(**server, charset="utf8mb4", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    db = MySQLdb.connect(**server, database=name, charset="utf8mb4", autocommit=True)
    legacy_schema_create(db)
    fill(db)
    url = f"mysql://{server['user']}:{server['password']}@{server['host']}:{server['port']}/{name}"
    yield Legacy(db, url)
    db.close()
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


class Legacy:
    def __init__(self, db, url):
        self.db = db
        self.url = url

    def sql(self, statement: str, params=()) -> None:
        with self.db.cursor() as cursor:
            cursor.execute(statement, params)

    def run(self, **options):
        source = legacy_connect(self.url)
        try:
            summaries = legacy_import(source=source, mapping=legacy_mapping_load(), **options)
        finally:
            source.close()
        return {s.table: s for s in summaries}


def log_row(mcno, invno, at, ackw, totkw):
    return (mcno, invno, ackw + 0.5, ackw, 600.1, 21.5, 380.1, 380.2, 379.9, 18.6, 18.7, 18.5,
            60.0, 0.99, 41.2, ackw * 2, totkw, 1, 0, at)  # fmt: skip


LOG_INSERT = (
    "INSERT INTO inverterlog (mcno, invno, dckw, ackw, dcv, dca, acv_r, acv_s, acv_t, aca_r, "
    "aca_s, aca_t, hz, pf, temp, daykw, totkw, isRun, errCode, dateAt) VALUES "
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def fill(db) -> None:
    with db.cursor() as c:
        c.executemany(
            "INSERT INTO customer (cno, cname, ceo, tel) VALUES (%s, %s, %s, %s)",
            [(1, "해남태양광", "Kim", "061-000-0000"), (2, "Gyeonggi Solar", None, None)],
        )
        c.executemany(
            "INSERT INTO users (uid, upw, uname, authority, phone, email, cno) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                ("admin1", "*old-hash*", "관리자", 0, None, "admin@example.com", None),
                ("op1", "*old-hash*", "운영자", 1, "010-1234-5678", None, None),
                ("owner1", "*old-hash*", "김주인", 2, "010 9876 5432", None, 1),
                ("owner2", "*old-hash*", "박주인", 2, "02-123-4567", None, 2),
            ],
        )
        c.executemany(
            "INSERT INTO powerstation (mcno, psname, cno, manager, area, addr, lat, lng, capacity,"
            " status, installDate) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                ("P001", "해남 1호기", 1, "op1", "전남", "Haenam", 34.57, 126.6, 99.5, 0,
                 "2019-04-01"),
                ("P002", "Yongin", 2, "owner1", "경기", None, 37.24, 127.18, 50, 2, None),
                ("P003", "Mystery", 2, None, "화성", None, 37.2, 126.8, 10, 0, None),
            ],
        )  # fmt: skip
        c.executemany(
            "INSERT INTO inverter (mcno, invno, maker, model, serial, capacity, phase) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                ("P001", 1, "Hanwha", "HSI-50K", "SN-1", 50, 3),
                ("P001", 2, "Hanwha", "HSI-50K", "SN-2", 50, None),
                ("P002", 1, "Dasstech", "DSP-50K", "SN-3", 50, 3),
                ("P003", 1, "X", "Y", "SN-4", 10, 3),
            ],
        )
        c.executemany(
            LOG_INSERT,
            [
                log_row("P001", 1, "2026-11-20 12:00:00", 40.0, 1000.0),
                log_row("P001", 2, "2026-11-20 12:00:00", 41.0, 2000.0),
                log_row("P002", 1, "2026-11-20 12:00:00", 30.0, 3000.0),
                log_row("P001", 1, "2026-11-20 12:05:00", 42.0, 1003.5),
                log_row("P001", 1, "2026-11-20 12:05:00", 42.0, 1003.5),  # sent twice
                log_row("P009", 1, "2026-11-20 12:00:00", 1.0, 1.0),  # no such plant
            ],
        )
        c.execute("INSERT INTO remoteip (mcno, ip) VALUES ('P001', '203.0.113.7')")
        c.execute(
            "INSERT INTO connboxlog (mcno, cbno, voltage, ch1, ch2, ch3, ch4, dateAt) "
            "VALUES ('P001', 1, 640.2, 8.1, 8.0, 7.9, 8.2, '2026-11-20 12:00:00')"
        )
        c.execute(
            "INSERT INTO temperature (mcno, sname, stype, value, dateAt) "
            "VALUES ('P001', 'module-1', 'module', 38.5, '2026-11-20 12:00:00')"
        )
        fill_generation_and_events(c)
        fill_reference_and_history(c)


def fill_reference_and_history(c) -> None:
    """The tables besides the logs: grid status, sensors, postal data, settings, logins."""
    c.execute("UPDATE powerstation SET zipcode = '59021' WHERE mcno = 'P001'")
    c.execute("UPDATE powerstation SET zipcode = '99999' WHERE mcno = 'P002'")
    c.executemany(
        "INSERT INTO zipcode (zipcode, sido, gugun, dong) VALUES (%s, %s, %s, %s)",
        [("59021", "전라남도", "해남군", "해남읍"), ("59021", "전라남도", "해남군", "삼산면"),
         ("16950", "경기도", "용인시", None), ("", "nowhere", None, None)],  # fmt: skip
    )
    c.executemany(
        "INSERT INTO client_status (mcno, status, dateAt) VALUES (%s, %s, %s)",
        [("P001", 0, "2026-11-20 11:00:00"), ("P001", 1, "2026-11-20 11:10:00"),
         ("P001", 0, "2026-11-20 11:40:00"), ("P009", 1, "2026-11-20 11:10:00"),
         ("P002", 7, "2026-11-20 11:10:00")],  # fmt: skip
    )
    c.executemany(
        "INSERT INTO sensorname (mcno, sname, stype, stypeName) VALUES (%s, %s, %s, %s)",
        [("P001", "module-1", "module", "모듈온도"), ("P001", "poa-1", "poa", "경사일사량"),
         ("P001", "wind-1", "wind", "풍속계"), ("P009", "x", "poa", None)],  # fmt: skip
    )
    c.executemany(
        "INSERT INTO key_value (`key`, `value`) VALUES (%s, %s)",
        [("report.footer", "해남태양광 운영팀"), ("sms.sender", "0612345678"),
         ("already.same", "1")],  # fmt: skip
    )
    c.executemany(
        "INSERT INTO login_history (uid, ip, loginAt, logoutAt) VALUES (%s, %s, %s, %s)",
        [("op1", "203.0.113.9", "2026-11-19 09:00:00", "2026-11-19 09:30:00"),
         ("owner1", "not-an-ip", "2026-11-19 10:00:00", None),
         ("ghost", "203.0.113.10", "2026-11-19 11:00:00", None)],  # fmt: skip
    )


def fill_generation_and_events(c) -> None:
    c.executemany(
        "INSERT INTO daygeneration (mcno, invno, daykw, dateAt) VALUES (%s, %s, %s, %s)",
        [("P001", 1, 250.5, "2026-11-19"), ("P001", 2, 260.0, "2026-11-19"),
         ("P009", 1, 1.0, "2026-11-19")],  # fmt: skip
    )
    c.executemany(
        "INSERT INTO daytotalgeneration (mcno, invno, totkw, dateAt) VALUES (%s, %s, %s, %s)",
        [("P001", 1, 996.0, "2026-11-19"), ("P001", 1, 745.5, "2026-11-18")],
    )
    c.execute(
        "INSERT INTO timegeneration (mcno, invno, timekw, dateAt) "
        "VALUES ('P001', 1, 40.5, '2026-11-19 12:00:00')"
    )
    c.executemany(
        "INSERT INTO smslog (mcno, phone, msg, result, sendAt) VALUES (%s, %s, %s, %s, %s)",
        [("P001", "010-1234-5678", "[해남 1호기] 리셋 완료", "success", "2026-11-20 12:10:00"),
         (None, "02-123-4567", "test", "fail", "2026-11-20 12:11:00")],  # fmt: skip
    )
    c.executemany(
        "INSERT INTO events (code, ename, notifyType) VALUES (%s, %s, %s)",
        [(202, "통신이상", "sms"), (150, "정기점검", "mail")],
    )
    c.executemany(
        "INSERT INTO eventlog (mcno, invno, code, userChecked, dateAt, clearAt) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        [("P001", 1, 202, 1, "2026-11-20 12:00:00", "2026-11-20 12:30:00"),
         ("P001", None, 101, 0, "2026-11-20 07:00:00", None),
         ("P001", 1, 999, 0, "2026-11-20 08:00:00", None)],  # fmt: skip
    )


def test_first_import_brings_over_the_registry(legacy):
    result = legacy.run()

    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Gyeonggi Solar",
        "해남태양광",
    ]
    users = {u.username: u for u in User.objects.all()}
    assert users["admin1"].role == "admin" and users["op1"].role == "operator"
    assert users["op1"].phone == "+821012345678"
    assert users["owner1"].customer.name == "해남태양광"
    assert users["owner2"].phone == ""  # a landline is no SMS target
    assert not users["owner1"].has_usable_password()
    p001 = PowerStation.objects.get(code="P001")
    assert (p001.name, p001.region, p001.capacity_kwp) == ("해남 1호기", Region.JEONNAM,
                                                           Decimal("99.50"))  # fmt: skip
    assert p001.customer.name == "해남태양광" and p001.manager.username == "op1"
    assert p001.installed_on.isoformat() == "2019-04-01"
    p002 = PowerStation.objects.get(code="P002")
    assert p002.status == "under_construction" and p002.manager is None  # owner1 is no operator
    assert not PowerStation.objects.filter(code="P003").exists()
    assert result["powerstation"].skipped == {"invalid region": 1}
    assert sorted(Inverter.objects.values_list("station__code", "number", "phases")) == [
        ("P001", 1, 3),
        ("P001", 2, 3),  # the mapping's default for a missing phase count
        ("P002", 1, 3),
    ]
    assert result["inverter"].skipped == {"unknown station": 1}
    assert result["users"].notes["phone not a mobile number; left blank"] == 1
    collector = Collector.objects.get(name="legacy-P001")
    assert collector.remote_address == "203.0.113.7"
    assert list(collector.stations.values_list("code", flat=True)) == ["P001"]


def test_first_import_brings_over_the_logs_in_utc(legacy):
    result = legacy.run()

    log = result["inverterlog"]
    assert (log.read, log.inserted, log.updated, log.unchanged) == (6, 4, 0, 0)
    assert log.skipped == {"unknown inverter": 1, "same device and time twice in the old table": 1}
    inverter = Inverter.objects.get(station__code="P001", number=1)
    reading = InverterReading.objects.get(
        inverter_id=inverter.id,
        ts=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),  # 12:00 in Seoul
    )
    assert (reading.ac_kw, reading.dc_kw, reading.total_kwh, reading.day_kwh) == (
        40.0, 40.5, 1000.0, 80.0)  # fmt: skip
    assert (reading.ac_v1, reading.ac_a3, reading.pf, reading.fault_bits) == (380.1, 18.5, 0.99, 0)
    assert reading.station_id == inverter.station_id
    box = CombinerBox.objects.get(station__code="P001", number=1)
    assert box.channels == 4
    assert CombinerReading.objects.get(box_id=box.id).currents == [8.1, 8.0, 7.9, 8.2]
    sensor = Sensor.objects.get(station__code="P001", name="module-1")
    assert sensor.kind == Sensor.Kind.MODULE_TEMP
    assert SensorReading.objects.get(sensor_id=sensor.id).value == 38.5


def test_importing_again_changes_nothing(legacy):
    legacy.run()
    counts = (Customer.objects.count(), User.objects.count(), PowerStation.objects.count(),
              Inverter.objects.count(), InverterReading.objects.count())  # fmt: skip

    again = legacy.run()

    assert counts == (Customer.objects.count(), User.objects.count(),
                      PowerStation.objects.count(), Inverter.objects.count(),
                      InverterReading.objects.count())  # fmt: skip
    for table in ("customer", "users", "powerstation", "inverter"):
        assert again[table].inserted == again[table].updated == 0, table
    assert again["inverterlog"].read == 0  # after the high-water mark


def test_since_rereads_and_counts_the_same_rows_as_unchanged(legacy):
    legacy.run()

    again = legacy.run(tables=["inverterlog"], since=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))

    log = again["inverterlog"]
    assert (log.read, log.inserted, log.updated, log.unchanged) == (6, 0, 0, 4)
    assert InverterReading.objects.count() == 4


def test_changed_and_new_rows_are_imported_incrementally(legacy):
    legacy.run()
    legacy.sql("UPDATE powerstation SET psname = 'Haenam One' WHERE mcno = 'P001'")
    legacy.sql("UPDATE users SET phone = '010-5555-6666' WHERE uid = 'owner2'")
    with legacy.db.cursor() as cursor:
        cursor.execute(LOG_INSERT, log_row("P001", 2, "2026-11-20 12:05:00", 43.0, 2003.6))

    result = legacy.run()

    assert result["powerstation"].updated == 1
    assert PowerStation.objects.get(code="P001").name == "Haenam One"
    assert User.objects.get(username="owner2").phone == "+821055556666"
    log = result["inverterlog"]
    assert (log.read, log.inserted) == (1, 1)
    assert InverterReading.objects.count() == 5


def test_a_corrected_log_row_is_updated_when_reread(legacy):
    legacy.run()
    legacy.sql("UPDATE inverterlog SET ackw = 39.5 WHERE mcno = 'P001' AND invno = 1 "
               "AND dateAt = '2026-11-20 12:00:00'")  # fmt: skip

    result = legacy.run(tables=["inverterlog"], since=datetime(2026, 11, 20, 0, 0, tzinfo=UTC))

    assert result["inverterlog"].updated == 1
    inverter = Inverter.objects.get(station__code="P001", number=1)
    assert (
        InverterReading.objects.get(
            inverter_id=inverter.id, ts=datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
        ).ac_kw
        == 39.5
    )


def test_dry_run_counts_but_changes_nothing(legacy):
    result = legacy.run(dry_run=True)

    assert result["inverterlog"].inserted == 4
    assert result["powerstation"].inserted == 2
    assert not PowerStation.objects.exists()
    assert not InverterReading.objects.exists()
    assert not ImportMark.objects.exists()


def test_a_table_missing_from_the_old_database_is_reported(legacy):
    legacy.sql("DROP TABLE connboxlog")

    result = legacy.run(tables=["connboxlog", "customer"])

    assert result["connboxlog"].status == "missing"
    assert result["customer"].inserted == 2


def test_command_prints_a_summary_with_the_reasons(legacy, settings, capsys):
    settings.LEGACY_DATABASE_URL = legacy.url

    call_command("import_legacy")

    out, err = capsys.readouterr()
    assert "inverterlog" in err  # the progress bar
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line.strip()}
    assert lines["inverterlog"][:5] == ["6", "4", "0", "0", "2"]
    assert "inverterlog: skipped 1, unknown inverter (e.g. idx=6)" in out
    assert "powerstation: skipped 1, invalid region" in out
    assert "daygeneration: skipped 1, unknown inverter (e.g. mcno=P009 invno=1" in out
    assert "daytotalgeneration: skipped 1, no daily generation for that day" in out


def test_command_refuses_an_unknown_table(legacy, settings):
    settings.LEGACY_DATABASE_URL = legacy.url
    with pytest.raises(CommandError, match="Mapped tables: customer, users"):
        call_command("import_legacy", tables=["customers"])


def test_command_without_a_legacy_database_says_what_to_set(settings):
    settings.LEGACY_DATABASE_URL = ""
    with pytest.raises(CommandError, match="LEGACY_DATABASE_URL is not set"):
        call_command("import_legacy")


def test_command_with_a_bad_since(legacy, settings):
    settings.LEGACY_DATABASE_URL = legacy.url
    with pytest.raises(CommandError, match="--since yesterday"):
        call_command("import_legacy", since="yesterday")


def test_readings_store_counts_and_never_doubles():
    at = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    rows = [
        {"inverter_id": 7, "station_id": 1, "ts": at, "ac_kw": 10.0, "total_kwh": 5.0},
        {"inverter_id": 8, "station_id": 1, "ts": at, "ac_kw": 11.0, "total_kwh": 6.0},
    ]
    assert readings_store(model=InverterReading, rows=rows) == {
        "inserted": 2, "updated": 0, "unchanged": 0}  # fmt: skip

    rows[1] = {**rows[1], "ac_kw": 12.5}
    assert readings_store(model=InverterReading, rows=rows) == {
        "inserted": 0, "updated": 1, "unchanged": 1}  # fmt: skip
    assert InverterReading.objects.count() == 2
    assert InverterReading.objects.get(inverter_id=8, ts=at).ac_kw == 12.5


def test_job_without_a_legacy_database_does_nothing(settings):
    settings.LEGACY_DATABASE_URL = ""
    assert job_import_legacy() == (
        "legacy import: neither LEGACY_DATABASE_URL nor LEGACY_MONGODB_URI is set; nothing to do"
    )


def test_job_imports_and_says_how_much(legacy, settings):
    settings.LEGACY_DATABASE_URL = legacy.url

    first = job_import_legacy()
    second = job_import_legacy()

    assert first == (
        "legacy import: 54 rows read from 19 tables, 40 inserted, 2 updated, 12 skipped"
    )
    # The registry and the day/hour figures are re-read within their overlap; logs only after
    # their mark.
    assert second == (
        "legacy import: 27 rows read from 19 tables, 0 inserted, 0 updated, 5 skipped"
    )
    assert InverterReading.objects.count() == 4


def test_a_second_run_while_one_is_going_is_refused(legacy):
    ImportMark.objects.create(table="__running__", value={"started": "now"})
    with pytest.raises(LegacyImportError, match="still running"):
        legacy.run(tables=["customer"])
    assert not Customer.objects.exists()


def test_generation_figures_go_to_the_rollup_tables(legacy):
    result = legacy.run()

    inverter = Inverter.objects.get(station__code="P001", number=1)
    day = DailyGeneration.objects.get(inverter_id=inverter.id, date=date(2026, 11, 19))
    assert (day.kwh, day.total_kwh_end, day.readings, day.zero_filled) == (250.5, 996.0, 0, False)
    assert result["daygeneration"].inserted == 2
    assert result["daygeneration"].skipped == {"unknown inverter": 1}
    assert result["daytotalgeneration"].updated == 1
    assert result["daytotalgeneration"].skipped == {
        "no daily generation for that day (import it first)": 1
    }
    hour = HourlyGeneration.objects.get(inverter_id=inverter.id)
    assert hour.hour_start == datetime(2026, 11, 19, 3, 0, tzinfo=UTC)  # 12:00 in Seoul
    assert (hour.local_date, hour.local_hour, hour.kwh) == (date(2026, 11, 19), 12, 40.5)

    again = legacy.run()
    assert (again["daygeneration"].inserted, again["daygeneration"].unchanged) == (0, 2)
    assert DailyGeneration.objects.count() == 2


def test_a_day_computed_from_our_readings_is_kept(legacy):
    legacy.run()
    inverter = Inverter.objects.get(station__code="P001", number=1)
    DailyGeneration.objects.filter(inverter_id=inverter.id).update(kwh=251.0, readings=288)
    legacy.sql("UPDATE daygeneration SET daykw = 300 WHERE invno = 1")

    result = legacy.run(tables=["daygeneration"], since=datetime(2026, 11, 1, tzinfo=UTC))

    assert DailyGeneration.objects.get(inverter_id=inverter.id).kwh == 251.0
    assert result["daygeneration"].notes == {"kept: computed from our own readings": 1}


def test_imported_readings_mark_their_hours_for_the_rollups(legacy):
    legacy.run()
    inverter = Inverter.objects.get(station__code="P001", number=1)
    assert DirtyHour.objects.filter(
        inverter_id=inverter.id, hour_start=datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    ).exists()


def test_sms_log_event_types_and_event_log(legacy):
    result = legacy.run()

    sms = {s.recipient: s for s in SmsLog.objects.all()}
    assert sms["+821012345678"].text == "[해남 1호기] 리셋 완료"
    assert sms["+821012345678"].succeeded and sms["+821012345678"].station.code == "P001"
    assert sms["02-123-4567"].succeeded is False and sms["02-123-4567"].station is None
    comm = EventType.objects.get(code=202)
    assert (comm.name_en, comm.by_email, comm.by_sms) == ("Communication error", False, True)
    assert EventType.objects.get(code=150).name_ko == "정기점검"
    entries = EventLog.objects.filter(details__legacy__isnull=False).order_by("at")
    assert [(e.event_type_id, e.kind) for e in entries] == [
        (101, "info"), (202, "raised"), (202, "cleared"),
    ]  # fmt: skip
    assert entries[1].details["acknowledged"] is True
    assert entries[1].inverter.number == 1
    assert result["eventlog"].skipped == {
        "unknown event code (import the event types first)": 1
    }

    again = legacy.run(since=datetime(2026, 11, 1, tzinfo=UTC))
    assert EventLog.objects.filter(details__legacy__isnull=False).count() == 3
    assert SmsLog.objects.count() == 2
    assert again["smslog"].unchanged == 2 and again["eventlog"].unchanged == 2


@pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)
def test_outside_a_transaction_logs_are_written_while_the_next_chunk_is_read(legacy):
    """The job and the command run outside any transaction: there a second thread writes."""
    first = legacy.run()
    again = legacy.run(tables=["inverterlog"], since=datetime(2026, 11, 1, tzinfo=UTC))

    assert (first["inverterlog"].read, first["inverterlog"].inserted) == (6, 4)
    assert first["inverterlog"].skipped == {
        "unknown inverter": 1, "same device and time twice in the old table": 1,
    }  # fmt: skip
    assert InverterReading.objects.count() == 4
    assert ImportMark.objects.get(table="inverterlog").value == {"type": "value", "value": 6}
    assert (again["inverterlog"].unchanged, again["inverterlog"].inserted) == (4, 0)
    assert DirtyHour.objects.exists()


def test_grid_outage_status_becomes_grid_reports(legacy):
    result = legacy.run()

    p001 = PowerStation.objects.get(code="P001")
    assert list(
        GridReport.objects.filter(station_id=p001.id).order_by("ts").values_list("ts", "outage")
    ) == [
        (datetime(2026, 11, 20, 2, 0, tzinfo=UTC), False),
        (datetime(2026, 11, 20, 2, 10, tzinfo=UTC), True),
        (datetime(2026, 11, 20, 2, 40, tzinfo=UTC), False),
    ]
    status = result["client_status"]
    assert (status.read, status.inserted) == (5, 3)
    assert status.skipped == {"unknown station": 1, "unknown outage status": 1}
    assert legacy.run()["client_status"].read == 0


def test_sensor_names_and_types_come_across_and_unknown_types_are_added(legacy):
    result = legacy.run()

    sensors = dict(Sensor.objects.filter(station__code="P001").values_list("name", "kind"))
    assert sensors == {"module-1": "module_temp", "poa-1": "poa_irradiance", "wind-1": "wind"}
    assert list(SensorType.objects.values_list("code", "name")) == [("wind", "풍속계")]
    assert result["sensorname"].notes["sensor types added"] == 1
    assert result["sensorname"].skipped == {"unknown station": 1}
    again = legacy.run(since=datetime(2026, 1, 1, tzinfo=UTC))["sensorname"]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_postal_reference_data_gives_plants_a_structured_address(legacy):
    result = legacy.run()

    assert PostalArea.objects.count() == 3
    assert result["zipcode"].skipped == {"no postal code or province": 1}
    p001 = PowerStation.objects.get(code="P001")
    assert (p001.postal_code, p001.province, p001.city) == ("59021", "전라남도", "해남군")
    p002 = PowerStation.objects.get(code="P002")
    assert (p002.postal_code, p002.province, p002.city) == ("99999", "", "")
    assert result["powerstation"].notes["postal code not in the postal reference data"] == 1
    assert legacy.run()["zipcode"].read == 0


def test_key_value_settings_never_overwrite_solarsite_settings(legacy):
    KeyValue.objects.create(key="sms.sender", value="01099998888")  # set in solarsite
    KeyValue.objects.create(key="already.same", value="1")
    result = legacy.run()

    assert KeyValue.objects.get(key="report.footer").value == "해남태양광 운영팀"
    assert KeyValue.objects.get(key="sms.sender").value == "01099998888"
    kv = result["key_value"]
    assert (kv.read, kv.inserted, kv.unchanged) == (3, 1, 1)
    assert kv.skipped == {"conflict: kept the value set in solarsite": 1}
    assert kv.examples["conflict: kept the value set in solarsite"] == [
        "sms.sender: '01099998888' kept, old '0612345678'"
    ]
    # A value the import wrote follows the old database; once changed in solarsite, it is kept.
    legacy.sql("UPDATE key_value SET `value` = '운영팀' WHERE `key` = 'report.footer'")
    legacy.run(tables=["key_value"])
    assert KeyValue.objects.get(key="report.footer").value == "운영팀"
    KeyValue.objects.filter(key="report.footer").update(value="changed here")
    legacy.sql("UPDATE key_value SET `value` = '다시' WHERE `key` = 'report.footer'")
    again = legacy.run(tables=["key_value"])["key_value"]
    assert KeyValue.objects.get(key="report.footer").value == "changed here"
    assert again.skipped["conflict: kept the value set in solarsite"] == 2


def test_command_reports_key_value_conflicts(legacy, settings, capsys):
    KeyValue.objects.create(key="sms.sender", value="01099998888")
    settings.LEGACY_DATABASE_URL = legacy.url
    call_command("import_legacy", "--tables", "key_value")
    out = capsys.readouterr().out
    assert "key_value: skipped 1, conflict: kept the value set in solarsite" in out
    assert "sms.sender: '01099998888' kept, old '0612345678'" in out


def test_login_history_comes_across_marked_as_imported_and_ended(legacy):
    result = legacy.run()

    logins = {h.username: h for h in LoginHistory.objects.all()}
    assert set(logins) == {"op1", "owner1"}
    assert all(h.imported and h.succeeded and h.ended_at for h in logins.values())
    op1 = logins["op1"]
    assert (op1.address, op1.logged_in_at, op1.ended_at, op1.end_reason) == (
        "203.0.113.9", datetime(2026, 11, 19, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 19, 0, 30, tzinfo=UTC), "logout")  # fmt: skip
    assert logins["owner1"].address is None and logins["owner1"].end_reason == "expired"
    assert result["login_history"].skipped == {"unknown user": 1}
    assert result["login_history"].notes["address not an IP address; left blank"] == 1
    again = legacy.run(since=datetime(2026, 1, 1, tzinfo=UTC))["login_history"]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert LoginHistory.objects.count() == 2


def test_then_the_old_mongodb_adds_only_what_mysql_lacked_and_counts_disagreements(
    legacy, settings
):
    """Both old databases, in the job's order: the MySQL rows win over MongoDB's copies."""
    import mongomock

    settings.LEGACY_DATABASE_URL = legacy.url
    settings.LEGACY_MONGODB_URI = "mongodb://old-host:27017/solar"
    utc = datetime  # BSON dates: UTC, naive
    with mongomock.patch(servers=(("old-host", 27017),)):
        import pymongo

        mongo = pymongo.MongoClient(settings.LEGACY_MONGODB_URI)["solar"]
        mongo.power_station.insert_one(
            {"mcno": "P001", "psname": "해남 1호기 (MongoDB)", "cno": 1, "area": "전남",
             "lat": 34.57, "lng": 126.6, "capacity": 99.5, "status": 0}
        )  # fmt: skip
        reading = {"mcno": "P001", "invno": 1, "dckw": 40.5, "ackw": 40.0, "dcv": 600.1,
                   "dca": 21.5, "acv_r": 380.1, "acv_s": 380.2, "acv_t": 379.9, "aca_r": 18.6,
                   "aca_s": 18.7, "aca_t": 18.5, "hz": 60.0, "pf": 0.99, "temp": 41.2,
                   "daykw": 80.0, "totkw": 1000.0, "errCode": 0}  # fmt: skip
        mongo.inverterlog_20261120.insert_many([
            {**reading, "dateAt": utc(2026, 11, 20, 3, 0)},  # MySQL's, the same
            {**reading, "ackw": 99.0, "dateAt": utc(2026, 11, 20, 3, 5)},  # MySQL's, differing
            {**reading, "dateAt": utc(2026, 11, 20, 3, 10)},  # only in MongoDB
        ])  # fmt: skip
        mongo.event_log.insert_one({"idx": 2, "mcno": "P001", "invno": None, "code": 101,
                                    "userChecked": 0, "dateAt": utc(2026, 11, 19, 22)})  # fmt: skip
        mongo.Sms_log.insert_one({"idx": 1, "mcno": "P001", "phone": "010-1234-5678",
                                  "msg": "다른 내용", "result": "success",
                                  "sendAt": utc(2026, 11, 20, 3, 10)})  # fmt: skip

        line = job_import_legacy()

    mysql_line, mongo_line = line.split("; ")
    assert mysql_line.startswith("legacy import: 54 rows read from 19 tables")
    assert mongo_line.endswith("3 disagreements (MongoDB)")
    assert PowerStation.objects.get(code="P001").name == "해남 1호기"
    inverter = Inverter.objects.get(station__code="P001", number=1)
    assert list(
        InverterReading.objects.filter(inverter_id=inverter.pk).order_by("ts")
        .values_list("ts", "ac_kw")
    ) == [(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), 40.0),
          (datetime(2026, 11, 20, 3, 5, tzinfo=UTC), 42.0),
          (datetime(2026, 11, 20, 3, 10, tzinfo=UTC), 40.0)]  # fmt: skip
    assert SmsLog.objects.get(recipient="+821012345678").text == "[해남 1호기] 리셋 완료"
    assert EventLog.objects.filter(details__legacy__isnull=False).count() == 3  # no copy added
