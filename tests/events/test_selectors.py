"""The reads pages and the API share, and acknowledging, through the visibility rule."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.module_loading import import_string

from events.acknowledge import alarms_acknowledge
from events.jobs import job_detect_events
from events.models import Alarm, SmsLog
from events.selectors import alarms_for, error_classification, notify_list, station_event_log
from jobs.table import job_named
from tests.events.world import World

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def two_plants(db):
    """Plant P001 with a grid outage and a faulted inverter; plant R001 silent."""
    p, r = World(code="P001"), World(code="R001")
    r.collector.stations.clear()
    r.readings(0)
    for minute in (0, 1, 60, 61):
        p.grid(minute, outage=True)
        p.reading(p.inverters[0], minute, ac_kw=0, grid_outage=True, fault_bits=0b11)
        p.reading(p.inverters[1], minute, ac_kw=0, grid_outage=True, fault_bits=1)
        p.detect(minute)
    return p, r


def test_owner_sees_only_their_alarms(two_plants):
    p, r = two_plants
    assert {a.event_type_id for a in alarms_for(user=p.owner)} == {201, 204}
    assert {a.station for a in alarms_for(user=r.owner)} == {r.station}
    assert alarms_for(user=p.owner, stations=[r.station]).count() == 0
    assert alarms_for(user=p.manager).count() == 5  # an operator sees every plant


def test_filters_open_acknowledged_and_period(two_plants):
    p, r = two_plants
    grid = Alarm.objects.get(event_type_id=201)
    assert alarms_acknowledge(user=p.owner, alarm_ids=[grid.id], note="utility called") == 1
    everyone = p.manager
    assert list(alarms_for(user=everyone, acknowledged=True)) == [grid]
    assert grid not in alarms_for(user=everyone, acknowledged=False)
    Alarm.objects.filter(id=grid.id).update(cleared_at=p.at(30), open_key=None)
    assert grid not in alarms_for(user=everyone, is_open=True)
    assert list(alarms_for(user=everyone, is_open=False)) == [grid]
    assert grid in alarms_for(user=everyone, since=p.at(20), until=p.at(25))
    assert grid not in alarms_for(user=everyone, since=p.at(31), until=p.at(40))
    assert grid not in alarms_for(user=everyone, since=p.at(-20), until=p.at(0))


def test_acknowledging_keeps_the_first_and_respects_visibility(two_plants):
    p, r = two_plants
    ids = list(Alarm.objects.values_list("id", flat=True))
    assert alarms_acknowledge(user=r.owner, alarm_ids=ids, now=r.at(70)) == 2  # only R001's
    assert alarms_acknowledge(user=p.manager, alarm_ids=ids, now=r.at(71)) == 3
    assert alarms_acknowledge(user=p.manager, alarm_ids=ids, now=r.at(72)) == 0
    r_alarm = Alarm.objects.filter(station=r.station).first()
    assert r_alarm.acknowledged_by == r.owner and r_alarm.acknowledged_at == r.at(70)


def test_notify_list_and_station_log(two_plants):
    p, r = two_plants
    listed = notify_list(user=p.manager, since=p.at(0), until=p.at(100))
    assert sorted({e.event_type_id for e in listed}) == [201, 202, 204]
    assert notify_list(user=p.manager, since=p.at(70), until=p.at(100)).count() == 0
    log = station_event_log(user=r.owner, station=r.station)
    assert {(e.event_type_id, e.kind) for e in log} == {(202, "raised")}
    assert station_event_log(user=r.owner, station=p.station).count() == 0


def test_error_classification_counts_open_alarms_and_faults(two_plants):
    p, r = two_plants
    counts = error_classification(user=p.manager)
    assert counts[p.station.id] == {
        "201": 1,
        "204": 2,
        "fault:ground_fault": 2,
        "fault:dc_over_voltage": 1,
    }
    assert counts[r.station.id] == {"202": 2}
    assert r.station.id not in error_classification(user=p.owner)


def test_the_jobs_return_one_line(two_plants):
    p, r = two_plants
    assert import_string(job_named("detect_events").func) is job_detect_events
    summary = job_detect_events()  # the real clock
    assert summary.startswith("4 inverters watched:") and "\n" not in summary


def test_sms_log_is_searchable_in_admin(client, two_plants):
    p, r = two_plants
    SmsLog.objects.create(
        recipient="+821012345678",
        text="[Plant P001] 계통 정전",
        message_type="SMS",
        station=p.station,
        succeeded=True,
        sent_at=p.at(1),
    )
    SmsLog.objects.create(
        recipient="+821055550000",
        text="[Plant R001] 통신 이상",
        message_type="SMS",
        station=r.station,
        succeeded=False,
        sent_at=r.at(62),
    )
    admin = p.manager
    admin.role = admin.Role.ADMIN  # the role decides staff rights
    admin.save()
    client.force_login(admin)
    url = reverse("admin:events_smslog_changelist")
    page = client.get(url, {"q": "R001"}).content.decode()
    assert "+821055550000" in page and "+821012345678" not in page
    assert "계통 정전" in client.get(url, {"q": "정전"}).content.decode()
