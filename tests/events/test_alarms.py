"""The alarm lifecycle detection and the duplicate check share: the open-key rule, the event
log, and who is told of which change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from events.alarms import AlarmsChanged, alarms_clear, alarms_notify, alarms_raise
from events.models import Alarm, EventLog, EventType, Notification

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)


def outage(station, **fields) -> Alarm:
    return Alarm(
        event_type_id=EventType.GRID_OUTAGE, subject=f"st:{station.id}", station=station, **fields
    )


@pytest.fixture
def owner_a(fleet):
    owner = fleet["owner_a"]
    owner.email = "owner-a@example.com"
    owner.save()
    return owner


def test_a_raise_opens_the_alarm_and_logs_it(fleet):
    [alarm] = alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW)
    alarm.refresh_from_db()
    assert alarm.is_open and alarm.raised_at == NOW
    assert alarm.open_key == f"{EventType.GRID_OUTAGE}:st:{fleet['station_a'].id}"
    [entry] = EventLog.objects.filter(alarm=alarm)
    assert (entry.kind, entry.at, entry.subject) == ("raised", NOW, alarm.subject)


def test_raising_an_open_alarm_again_rolls_the_whole_pass_back(fleet):
    alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW)
    with pytest.raises(AlarmsChanged), transaction.atomic():
        alarms_raise(alarms=[outage(fleet["station_b"])], now=NOW + timedelta(minutes=1))
        alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW + timedelta(minutes=1))
    assert Alarm.objects.count() == 1  # station B's raise went with the pass
    assert EventLog.objects.count() == 1


def test_a_clear_closes_the_alarm_logs_it_and_frees_the_subject(fleet):
    [alarm] = alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW)
    later = NOW + timedelta(minutes=5)
    [cleared] = alarms_clear(alarms=[alarm], now=later)
    cleared.refresh_from_db()
    assert not cleared.is_open and cleared.cleared_at == later and cleared.open_key is None
    kinds = list(EventLog.objects.filter(alarm=alarm).order_by("at").values_list("kind", flat=True))
    assert kinds == ["raised", "cleared"]
    [again] = alarms_raise(alarms=[outage(fleet["station_a"])], now=later)
    assert again.pk != alarm.pk and again.is_open


def test_clearing_an_alarm_another_pass_cleared_rolls_the_pass_back(fleet):
    [alarm] = alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW)
    stale = Alarm.objects.get(pk=alarm.pk)  # what a second pass read
    alarms_clear(alarms=[alarm], now=NOW + timedelta(minutes=1))
    with pytest.raises(AlarmsChanged), transaction.atomic():
        alarms_clear(alarms=[stale], now=NOW + timedelta(minutes=2))
    assert EventLog.objects.filter(kind="cleared").count() == 1


def test_who_is_told_follows_the_event_type(fleet, owner_a):
    EventType.objects.filter(code=EventType.GRID_OUTAGE).update(notify_on_clear=False)
    [alarm] = alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW)
    assert alarms_notify(raised=[alarm], now=NOW) == 1
    [told] = Notification.objects.filter(channel="email")
    assert told.recipient == "owner-a@example.com" and told.transition == "raised"

    alarms_clear(alarms=[alarm], now=NOW + timedelta(minutes=5))
    assert alarms_notify(cleared=[alarm], now=NOW + timedelta(minutes=5)) == 0


def test_a_storm_alarm_is_told_in_the_summary_only(fleet, owner_a):
    [alarm] = alarms_raise(alarms=[outage(fleet["station_a"], storm=True)], now=NOW)
    assert alarms_notify(raised=[alarm], now=NOW) == 0
    alarms_clear(alarms=[alarm], now=NOW + timedelta(minutes=5))
    assert alarms_notify(cleared=[alarm], now=NOW + timedelta(minutes=5)) == 0
    assert not Notification.objects.exists()


def test_people_replace_the_subscriptions(fleet, owner_a):
    chief = fleet["admin"]
    chief.email = "chief@example.com"
    chief.save()
    [alarm] = alarms_raise(alarms=[outage(fleet["station_a"])], now=NOW)
    alarms_notify(raised=[alarm], now=NOW, people=[chief])
    assert set(Notification.objects.values_list("recipient", flat=True)) == {"chief@example.com"}
