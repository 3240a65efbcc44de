"""The events pages: filters, acknowledging one or many, an alarm's page, my notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Alarm, EventLog, EventType, Notification, Subscription

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def alarm(station, code, *, minutes_ago=10, cleared=False, subject="st:x", **fields):
    now = timezone.now()
    raised = now - timedelta(minutes=minutes_ago)
    created = Alarm.objects.create(
        event_type_id=code, subject=subject, station=station, raised_at=raised,
        cleared_at=raised + timedelta(minutes=10) if cleared else None,
        open_key=None if cleared else f"{code}:{subject}:{station.code}", **fields,
    )  # fmt: skip
    EventLog.objects.create(
        event_type_id=code, kind="raised", at=raised, station=station, alarm=created,
        subject=subject,
    )  # fmt: skip
    return created


@pytest.fixture
def alarms(fleet):
    a, b = fleet["station_a"], fleet["station_b"]
    return {
        **fleet,
        "a_outage": alarm(a, EventType.GRID_OUTAGE),
        "a_comm": alarm(a, EventType.COMM_ERROR, minutes_ago=3000, cleared=True),
        "b_outage": alarm(b, EventType.GRID_OUTAGE, minutes_ago=5),
    }


def ids(response) -> set[int]:
    return {a.id for a in response.context["alarms"]}


def test_filters(client_as, alarms):
    client = client_as(alarms["operator"])
    everything = {alarms[k].id for k in ("a_outage", "a_comm", "b_outage")}
    assert ids(client.get("/events/")) == everything
    assert ids(client.get("/events/?station=A001")) == {alarms["a_outage"].id, alarms["a_comm"].id}
    assert ids(client.get("/events/?code=202")) == {alarms["a_comm"].id}
    assert ids(client.get("/events/?status=cleared")) == {alarms["a_comm"].id}
    assert ids(client.get("/events/?status=open&ack=no")) == {
        alarms["a_outage"].id, alarms["b_outage"].id
    }  # fmt: skip
    today = timezone.localdate()
    recent = client.get(f"/events/?from={today - timedelta(days=1)}&to={today}")
    assert alarms["a_comm"].id not in ids(recent)
    assert client.get("/events/?from=junk&code=x").status_code == 200


def test_an_owner_sees_only_their_alarms_and_no_one_elses_page(client_as, alarms):
    client = client_as(alarms["owner_a"])
    assert ids(client.get("/events/")) == {alarms["a_outage"].id, alarms["a_comm"].id}
    assert client.get("/events/?station=B001").status_code == 404
    assert client.get(f"/events/alarms/{alarms['b_outage'].id}/").status_code == 404
    response = client.post(f"/events/alarms/{alarms['b_outage'].id}/acknowledge/")
    assert response.status_code == 404
    assert Alarm.objects.get(id=alarms["b_outage"].id).acknowledged_at is None


def test_acknowledge_one_row_with_htmx(client_as, alarms):
    client = client_as(alarms["owner_a"])
    target = alarms["a_outage"]
    response = client.post(
        f"/events/alarms/{target.id}/acknowledge/", HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    html = response.content.decode()
    assert html.startswith(f'<tr id="alarm-{target.id}"') and "Acknowledged" in html
    assert "owner_a" in html and "<button" not in html
    target.refresh_from_db()
    assert target.acknowledged_by == alarms["owner_a"]


def test_acknowledge_many_keeps_the_first_acknowledger(client_as, alarms):
    first = alarms["a_outage"]
    Alarm.objects.filter(id=first.id).update(
        acknowledged_by=alarms["admin"], acknowledged_at=timezone.now()
    )
    client = client_as(alarms["operator"])
    response = client.post(
        "/events/acknowledge/",
        {"alarm": [first.id, alarms["b_outage"].id], "next": "/events/?status=open"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response["Location"] == "/events/?status=open"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 alarm acknowledged." in page
    assert Alarm.objects.get(id=first.id).acknowledged_by == alarms["admin"]
    assert Alarm.objects.get(id=alarms["b_outage"].id).acknowledged_by == alarms["operator"]
    # an outside address in "next" is not followed
    response = client.post("/events/acknowledge/", {"alarm": [1], "next": "//evil.example"})
    assert response["Location"] == "/events/"


def test_the_alarm_page_has_a_timeline_and_the_messages_sent(client_as, alarms):
    target = alarms["a_comm"]
    Notification.objects.create(
        channel="sms", recipient="+821012345678", alarm=target, station=target.station,
        transition="raised", subject="s", body="b", status="sent", attempts=1,
        next_attempt_at=target.raised_at, sent_at=target.raised_at,
        idempotency_key="k1",
    )  # fmt: skip
    operator = client_as(alarms["operator"]).get(
        f"/events/alarms/{target.id}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = " ".join(operator.content.decode().split())
    assert "202 Communication error" in html or "202 " in html
    assert [what for _at, what, _who in operator.context["timeline"]] == ["Raised", "Cleared"]
    assert "SMS" in html and "+821012345678" in html and "Sent" in html
    owner = client_as(alarms["owner_a"]).get(f"/events/alarms/{target.id}/")
    assert "+821012345678" not in owner.content.decode()  # owners see the channel, not the address


def test_my_notifications_form(client_as, alarms):
    owner = alarms["owner_a"]
    owner.email, owner.phone = "a@example.com", ""
    owner.save()
    client = client_as(owner)
    page = client.get("/events/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You have no subscription of your own" in page
    form = client.get("/events/notifications/new/")
    assert [s.code for s in form.context["form"].fields["stations"].queryset] == ["A001"]

    refused = client.post(
        "/events/notifications/new/",
        {"is_active": "on", "by_sms": "on", "all_stations": "", "quiet_start": "22:00"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    errors = " ".join(refused.content.decode().split())
    assert "Give both ends of the quiet hours, or neither." in errors
    assert "Your account has no mobile number" in errors
    assert "Pick at least one plant" in errors
    assert not Subscription.objects.exists()

    other = alarms["station_b"].id
    sneaky = client.post("/events/notifications/new/", {"by_email": "on", "stations": [other]})
    assert sneaky.status_code == 200 and not Subscription.objects.exists()

    saved = client.post(
        "/events/notifications/new/",
        {"is_active": "on", "by_email": "on", "stations": [alarms["station_a"].id],
         "event_types": [201, 202], "quiet_start": "22:00", "quiet_end": "07:00"},
    )  # fmt: skip
    assert saved.status_code == 302
    sub = Subscription.objects.get(user=owner)
    assert not sub.all_stations and [s.code for s in sub.stations.all()] == ["A001"]
    assert sorted(t.code for t in sub.event_types.all()) == [201, 202]
    assert str(sub.quiet_start) == "22:00:00"
    page = client.get("/events/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "22:00–07:00" in page and "201, 202" in page

    stranger = client_as(alarms["owner_b"])
    assert stranger.get(f"/events/notifications/{sub.id}/").status_code == 404
    assert stranger.post(f"/events/notifications/{sub.id}/delete/").status_code == 404
    client = client_as(owner)
    assert client.post(f"/events/notifications/{sub.id}/delete/").status_code == 302
    assert not Subscription.objects.exists()
