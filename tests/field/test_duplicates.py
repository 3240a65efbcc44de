"""The duplicate-inverter check: serials registered twice, identical readings, alarm 402."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts.models import User
from events.models import Alarm, EventLog, EventType, Notification
from field.duplicates import check_window, duplicates_check, duplicates_find
from monitoring.models import Inverter
from telemetry import store
from tests.conftest import make_station, make_user

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

# 2026-11-26 09:00 in Seoul: the check looks at 2026-11-25 12:00-13:00 there.
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def chief(db):
    return make_user("chief", User.Role.ADMIN, email="chief@example.com")


def store_hour(inverter: Inverter, powers: list[float], *, counter: float | None = 1000.0):
    start, _ = check_window(now=NOW)
    rows = []
    total = counter
    for minute, power in enumerate(powers):
        if total is not None:
            total += power / 60
        values = [inverter.station_id, power] + [None] * 13 + [total, 4, 0]
        rows.append(store.Row(inverter.pk, start + timedelta(minutes=5 * minute), tuple(values)))
    store.readings_upsert(rows={"inverter": rows})


def test_the_window_is_yesterdays_noon_hour_in_the_sites_zone():
    start, end = check_window(now=NOW)
    seoul = ZoneInfo("Asia/Seoul")
    assert (start.astimezone(seoul), end - start) == (
        datetime(2026, 11, 25, 12, 0, tzinfo=seoul), timedelta(hours=1),
    )  # fmt: skip


def test_a_serial_registered_twice_raises_402_for_both_and_tells_administrators(fleet, chief):
    a1 = fleet["station_a"].inverters.get(number=1)
    b2 = fleet["station_b"].inverters.get(number=2)
    Inverter.objects.filter(pk=a1.pk).update(serial="SN-77")
    Inverter.objects.filter(pk=b2.pk).update(serial=" sn-77 ")
    fleet["owner_a"].email = "owner@example.com"
    fleet["owner_a"].save()

    first = duplicates_check(now=NOW)
    again = duplicates_check(now=NOW + timedelta(days=1))

    assert [(f.reason, f.serial, f.labels) for f in first.findings] == [
        ("serial", "SN-77", ["A001-1", "B001-2"])
    ]
    assert (first.raised, again.raised) == (2, 0)  # told once while it lasts
    alarms = Alarm.objects.filter(event_type_id=EventType.DUPLICATE_INVERTER, cleared_at=None)
    assert {a.inverter_id for a in alarms} == {a1.pk, b2.pk}
    assert alarms.first().details["inverters"] == ["A001-1", "B001-2"]
    told = Notification.objects.filter(alarm__in=alarms)
    assert {n.recipient for n in told} == {"chief@example.com"}  # administrators, not owners
    assert told.count() == 2

    Inverter.objects.filter(pk=b2.pk).update(serial="SN-78")
    fixed = duplicates_check(now=NOW + timedelta(days=2))
    assert fixed.cleared == 2
    assert not Alarm.objects.filter(event_type_id=EventType.DUPLICATE_INVERTER, cleared_at=None)
    kinds = EventLog.objects.filter(event_type_id=EventType.DUPLICATE_INVERTER)
    assert sorted(kinds.values_list("kind", flat=True)) == ["cleared"] * 2 + ["raised"] * 2


def test_inverters_with_identical_readings_are_found(fleet, chief):
    station = make_station("C001", inverters=4)
    one, two, three, four = station.inverters.order_by("number")
    curve = [10.0, 12.5, 13.1, 12.9, 11.0, 9.4]
    store_hour(one, curve)
    store_hour(two, curve)  # the same device polled twice
    store_hour(three, [p + 0.2 for p in curve])
    store_hour(four, [0.0] * 6)
    idle = fleet["station_a"].inverters.get(number=1)
    store_hour(idle, [0.0] * 6)  # night-like zeros look alike, and say nothing

    result = duplicates_check(now=NOW)

    assert [(f.reason, f.labels, f.readings) for f in result.findings] == [
        ("identical", ["C001-1", "C001-2"], 6)
    ]
    assert result.raised == 2


def test_clipped_inverters_without_a_counter_are_not_duplicates(fleet):
    station = make_station("C002", inverters=2)
    for inverter in station.inverters.all():
        store_hour(inverter, [50.0] * 6, counter=None)
    assert duplicates_find(now=NOW).findings == []


def test_the_job_prints_its_summary(fleet, chief):
    Inverter.objects.filter(station=fleet["station_a"]).update(serial="SAME")
    out = io.StringIO()
    call_command("run_job", "check_duplicate_inverters", stdout=out)
    assert "1 serials registered twice" in out.getvalue()


def test_the_admin_report_lists_what_the_check_finds(client, fleet, chief):
    Inverter.objects.filter(station=fleet["station_a"]).update(serial="SAME")
    client.force_login(chief)
    page = client.get("/admin/field/duplicateinverterreport/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "SAME" in text and "A001-1" in text and "A001-2" in text
    client.force_login(fleet["operator"])
    assert client.get("/admin/field/duplicateinverterreport/").status_code == 302
