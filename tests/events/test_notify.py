"""Notifications: who is told, by e-mail through a real SMTP server and by SMS through a local
stand-in for Solapi, with retries, quiet hours, escalation, and never a message twice."""

from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from django.db import connections

from events.escalation import send_notifications
from events.models import Alarm, EventType, Notification, SmsLog, Subscription
from events.sms import sms_byte_length, sms_type
from tests.conftest import make_user
from tests.events.servers import WebhookReceiver
from tests.events.world import World

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def outage(world: World, start: int = 0, *, minutes: int = 2) -> None:
    world.grid_outage(start, minutes=minutes)


def grid_back(world: World, start: int, *, minutes: int = 2) -> None:
    for minute in range(start, start + minutes):
        world.grid(minute, outage=False)
        world.readings(minute)
        world.detect(minute)


def test_owner_and_manager_get_e_mail_in_their_language(world, smtp):
    smtp.start()
    outage(world)
    result = send_notifications(now=world.at(2))
    assert result.sent == 3  # owner: e-mail and SMS (console); manager: e-mail
    assert len(smtp.inbox.messages) == 2 and len(set(smtp.inbox.connections)) == 1

    [to_owner] = smtp.inbox.to("owner-p001@example.com")
    assert to_owner["Subject"] == "[Plant P001] 계통 정전"
    text = to_owner.get_body(("plain",)).get_content()
    html = to_owner.get_body(("html",)).get_content()
    assert "발전소: P001 Plant P001" in text and "전체 발전소" in text
    assert "계통 정전" in html and "<table>" in html
    alarm = Alarm.objects.get(event_type_id=EventType.GRID_OUTAGE)
    assert f"http://127.0.0.1:8000/events/alarms/{alarm.id}/" in text  # that alarm's page

    [to_manager] = smtp.inbox.to("manager-p001@example.com")
    assert to_manager["Subject"] == "[Plant P001] Grid power outage"
    assert "Plant: P001 Plant P001" in to_manager.get_body(("plain",)).get_content()

    grid_back(world, 5)
    send_notifications(now=world.at(7))
    subjects = [m["Subject"] for m in smtp.inbox.to("owner-p001@example.com")]
    assert subjects == ["[Plant P001] 계통 정전", "[Plant P001] 계통 정전: 해제"]


def test_sms_through_solapi_with_a_signed_request(world, smtp, solapi):
    smtp.start()
    outage(world)
    send_notifications(now=world.at(2))
    assert solapi.rejected == []
    [message] = solapi.received
    assert message["to"] == "01012345678" and message["from"] == "0212345678"
    assert message["type"] == "SMS" and message["text"].startswith("[Plant P001] 계통 정전")
    [log] = SmsLog.objects.all()
    [delivered] = solapi.delivered
    assert log.succeeded and log.provider_message_id == delivered["messageId"]
    assert log.station == world.station and log.text == message["text"]
    assert message["customFields"]["notification"].startswith(f"{log.notification_id}:")


def test_a_long_sms_goes_as_lms(world, smtp, solapi):
    world.station.name = "아주 긴 이름을 가진 전라남도 해안가의 태양광 발전소 제이호기 남쪽 단지"
    world.station.save()
    smtp.start()
    outage(world)
    send_notifications(now=world.at(2))
    [message] = solapi.received
    assert sms_byte_length(message["text"]) > 90
    assert message["type"] == "LMS"
    assert message["subject"].startswith("[아주 긴") and sms_byte_length(message["subject"]) <= 40


def test_sms_byte_count_is_euc_kr():
    assert sms_byte_length("정전") == 4 and sms_byte_length("ok") == 2
    assert sms_type("가" * 45) == "SMS" and sms_type("가" * 46) == "LMS"


def test_a_wrong_secret_is_refused_and_given_up(world, smtp, solapi, settings):
    settings.SOLAPI_API_SECRET = "not-the-secret"
    smtp.start()
    outage(world)
    result = send_notifications(now=world.at(2))
    assert solapi.received == [] and solapi.rejected == ["signature does not match"]
    sms = Notification.objects.get(channel="sms")
    assert sms.status == "gave_up" and "SignatureDoesNotMatch" in sms.last_error
    assert result.gave_up == 1


def test_outage_of_the_providers_delays_messages_and_delivers_each_once(world, smtp, solapi):
    solapi.failing = True  # the SMS provider answers 500; the mail server is not running
    outage(world)
    first = send_notifications(now=world.at(2))
    # A dead peer is tried once per run: the first e-mail fails, the second is left untouched.
    assert first.sent == 0 and first.retrying == 2
    assert "Could not reach the mail server" in first.summary
    tried, untouched = Notification.objects.filter(channel="email").order_by("-attempts")
    assert "Could not reach the mail server" in tried.last_error and tried.attempts == 1
    assert (untouched.status, untouched.attempts, untouched.last_error) == ("pending", 0, "")
    assert Notification.objects.get(channel="sms").attempts == 1

    send_notifications(now=world.at(2.5))  # the untouched e-mail's turn; the others back off
    assert Notification.objects.filter(attempts=2).count() == 0
    assert set(Notification.objects.values_list("status", "attempts")) == {("pending", 1)}

    smtp.start()
    solapi.failing = False
    sent = [send_notifications(now=world.at(minute)).sent for minute in (3, 4, 10, 25)]
    assert sent == [2, 1, 0, 0]  # each as its backoff ends, then nothing more
    assert len(smtp.inbox.to("owner-p001@example.com")) == 1
    assert len(smtp.inbox.to("manager-p001@example.com")) == 1
    assert len(solapi.received) == 1
    assert [log.succeeded for log in SmsLog.objects.order_by("sent_at", "id")] == [False, True]


def test_retries_end_in_gave_up(world, smtp, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    outage(world)
    minute = 2
    for _ in range(12):
        send_notifications(now=world.at(minute))
        minute += 10
    rows = Notification.objects.filter(channel="email")
    assert {(r.status, r.attempts) for r in rows} == {("gave_up", 3)}


@pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)
def test_two_senders_at_once_deliver_each_message_once(smtp, solapi):
    smtp.start()
    plants = [World(code=f"T{n:03}") for n in range(6)]
    for plant in plants:
        outage(plant)
    queued = Notification.objects.count()
    assert queued == 18  # per plant: owner e-mail and SMS, manager e-mail

    start = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            start.wait()
            results.append(send_notifications(now=plants[0].at(2)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.sent for r in results) == queued
    assert len(smtp.inbox.messages) == 12 and len(solapi.received) == 6
    assert Notification.objects.filter(status="sent").count() == queued


def test_quiet_hours_hold_sms_except_critical(smtp, solapi, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    world = World(inverters=1)
    Subscription.objects.create(
        user=world.owner, by_email=False, by_sms=True, quiet_start=time(12, 30), quiet_end=time(14)
    )
    world.collector.stations.clear()
    world.readings(0)  # 12:00 in Seoul, then silence
    world.detect(60)
    world.detect(61)  # 202 communication error (a warning) at 13:01, inside the quiet hours
    held = Notification.objects.get(alarm__event_type_id=202, channel="sms")
    assert held.next_attempt_at == world.at(120)  # 14:00 in Seoul
    outage(world, 62)  # 201 grid outage is critical: not held
    urgent = Notification.objects.get(alarm__event_type_id=201, channel="sms")
    assert urgent.next_attempt_at == world.at(63)

    smtp.start()
    send_notifications(now=world.at(63))
    assert ["계통 정전" in m["text"] for m in solapi.received] == [True]
    send_notifications(now=world.at(119))
    assert len(solapi.received) == 1
    send_notifications(now=world.at(120))  # the 202 raised and cleared, held until now
    assert sorted("통신 이상" in m["text"] for m in solapi.received) == [False, True, True]


def test_a_subscription_replaces_the_default(world, smtp):
    smtp.start()
    sub = Subscription.objects.create(user=world.owner, by_email=True)
    sub.event_types.set([EventType.objects.get(code=202)])
    operator = make_user("watcher", "operator", email="watcher@example.com")
    Subscription.objects.create(user=operator, by_email=True)
    outsider = make_user("outsider", "owner", email="outsider@example.com")
    Subscription.objects.create(user=outsider, by_email=True)  # may not see this plant
    outage(world)
    send_notifications(now=world.at(2))
    assert smtp.inbox.to("owner-p001@example.com") == []  # only 202 wanted
    assert len(smtp.inbox.to("watcher@example.com")) == 1
    assert smtp.inbox.to("outsider@example.com") == []
    assert len(smtp.inbox.to("manager-p001@example.com")) == 1


def test_event_type_channels_decide(world, smtp, solapi):
    EventType.objects.filter(code=201).update(by_sms=False, notify_on_clear=False)
    smtp.start()
    outage(world)
    grid_back(world, 3)
    send_notifications(now=world.at(5))
    assert solapi.received == []
    assert [m["Subject"] for m in smtp.inbox.to("owner-p001@example.com")] == [
        "[Plant P001] 계통 정전"
    ]


def test_escalation_to_the_manager_then_the_administrators(world, smtp, admin_user, settings):
    settings.ESCALATE_MINUTES = 30
    smtp.start()
    outage(world)
    send_notifications(now=world.at(2))
    alarm = Alarm.objects.get()
    assert send_notifications(now=world.at(30)).escalated == 0
    assert send_notifications(now=world.at(31)).escalated == 1
    assert [m["Subject"].strip() for m in smtp.inbox.to("manager-p001@example.com")][-1] == (
        "[Plant P001] Grid power outage: still unacknowledged"
    )
    assert smtp.inbox.to("chief@example.com") == []
    assert send_notifications(now=world.at(61)).escalated == 1
    [to_admin] = smtp.inbox.to("chief@example.com")
    assert to_admin["Subject"].strip() == "[Plant P001] 계통 정전: 미확인 지속"
    assert send_notifications(now=world.at(200)).escalated == 0
    assert Alarm.objects.get(id=alarm.id).escalation_level == 2


def test_an_acknowledged_alarm_is_not_escalated(world, smtp, settings):
    from events.acknowledge import alarm_acknowledge

    smtp.start()
    outage(world)
    assert alarm_acknowledge(user=world.manager, alarm=Alarm.objects.get())
    assert send_notifications(now=world.at(100)).escalated == 0


def test_webhook_posts_signed_json(world, settings):
    settings.WEBHOOK_SECRET = "hook-secret-for-tests"
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # the receiver is on loopback
    receiver = WebhookReceiver(settings.WEBHOOK_SECRET)
    try:
        operator = make_user("integrator", "operator")
        Subscription.objects.create(user=operator, by_email=False, webhook_url=receiver.url)
        outage(world)
        send_notifications(now=world.at(2))
        [payload] = receiver.bodies
        assert payload["code"] == 201 and payload["event"] == "raised"
        assert payload["station_id"] == world.station.id
        assert Notification.objects.get(channel="webhook").status == "sent"
    finally:
        receiver.close()


def test_queueing_twice_never_doubles_a_message(world):
    from events.notify import Transition, transitions_enqueue

    outage(world)
    alarm = Alarm.objects.get()
    before = Notification.objects.count()
    again = transitions_enqueue(
        [Transition.of_alarm(alarm, "raised", at=world.at(1))], now=world.at(1) + timedelta(1)
    )
    assert again == 0 and Notification.objects.count() == before


def test_command_completed_goes_by_sms_to_the_registered_phone(world, solapi, smtp):
    from events.notify import event_record

    smtp.start()
    entry = event_record(
        code=401,
        station=world.station,
        inverter=world.inverters[0],
        details={"command": "reset"},
        now=world.at(0),
    )
    assert entry.kind == "info"
    send_notifications(now=world.at(0))
    [message] = solapi.received
    assert message["to"] == "01012345678" and "명령 완료" in message["text"]
    assert "인버터 1" in message["text"]
    assert smtp.inbox.messages == []  # 401 goes by SMS only, unless changed in admin
