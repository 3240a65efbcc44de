"""Remote commands: operators queue, list and cancel; collectors fetch and report; jobs expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from events.escalation import send_notifications
from events.models import EventLog, EventType, Notification
from field.commands import (
    command_queue,
    command_result,
    commands_expire,
    commands_hand_out,
    station_commands,
)
from monitoring.models import Collector, Command
from tests.events.servers import SOLAPI_KEY, SOLAPI_SECRET, SolapiStandIn

URL = "/api/v1/stations/{code}/commands"
FETCH = "/api/v1/collectors/commands"
RESULT = "/api/v1/collectors/commands/{id}/result"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def site(fleet):
    fleet["token"] = fleet["collector_a"].issue_token()
    return fleet


def as_user(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}


def queue(client, code="A001", **body):
    return client.post(URL.format(code=code), body, content_type="application/json")


# --- operators ---------------------------------------------------------------------------------
def test_an_operator_queues_a_reset_and_sees_it_in_the_list(client, site):
    as_user(client, site["operator"])

    response = queue(client, kind="reset_inverter", inverter=2)

    assert response.status_code == 201
    body = response.json()
    assert (body["station"], body["inverter"], body["kind"], body["state"]) == (
        "A001", 2, "reset_inverter", "queued",
    )  # fmt: skip
    assert body["requested_by"] == "operator"
    assert [(h["state"], h["by"]) for h in body["history"]] == [("queued", "operator")]
    listed = client.get(URL.format(code="A001")).json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_an_owner_may_look_but_not_command(client, site):
    operator_client = as_user(client, site["operator"])
    queue(operator_client, kind="restart_collector")
    as_user(client, site["owner_a"])

    assert client.get(URL.format(code="A001")).status_code == 200
    refused = queue(client, kind="restart_collector")
    assert refused.status_code == 403
    assert "operators and administrators" in refused.content.decode()
    command = Command.objects.get()
    delete = client.delete(URL.format(code="A001") + f"/{command.id}")
    assert delete.status_code == 403
    assert Command.objects.get().state == Command.State.QUEUED


def test_an_owner_gets_404_for_a_plant_of_someone_else(client, site):
    as_user(client, site["owner_b"])
    assert client.get(URL.format(code="A001")).status_code == 404
    assert queue(client, kind="restart_collector").status_code == 404


def test_anonymous_requests_are_refused(client, site):
    assert client.get(URL.format(code="A001")).status_code in (401, 403)
    assert not Command.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "sentence"),
    [
        ({"kind": "format_disk"}, "kind", "format_disk"),
        ({"kind": "reset_inverter"}, "inverter", "needs the inverter number"),
        ({"kind": "reset_inverter", "inverter": 9}, "inverter", "has no inverter 9"),
        ({"kind": "restart_collector", "inverter": 1}, "inverter", "whole plant"),
        ({"kind": "set_power_limit", "inverter": 1}, "params", '"percent"'),
        ({"kind": "set_power_limit", "inverter": 1, "params": {"percent": 140}}, "params",
         "0 to 100"),
        ({"kind": "reset_inverter", "inverter": 1, "params": {"hard": True}}, "params",
         "takes no parameters"),
        ({"kind": "read_now", "ttl_minutes": 0}, "ttl_minutes", "from 1 to 1440"),
    ],
)  # fmt: skip
def test_bad_requests_say_what_is_wrong(client, site, body, field, sentence):
    as_user(client, site["admin"])
    response = queue(client, **body)
    assert response.status_code == 400
    text = str(response.json())
    assert field in text and sentence in text
    assert not Command.objects.exists()


def test_a_second_identical_command_while_one_waits_is_refused(client, site):
    as_user(client, site["operator"])
    assert queue(client, kind="reset_inverter", inverter=1).status_code == 201
    again = queue(client, kind="reset_inverter", inverter=1)
    assert again.status_code == 409
    assert "already waiting" in again.content.decode()
    assert queue(client, kind="reset_inverter", inverter=2).status_code == 201


def test_cancel_while_queued_but_not_once_sent(client, site):
    as_user(client, site["operator"])
    first = queue(client, kind="reset_inverter", inverter=1).json()
    second = queue(client, kind="reset_inverter", inverter=2).json()

    cancelled = client.delete(URL.format(code="A001") + f"/{first['id']}")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    commands_hand_out(collector=site["collector_a"])
    too_late = client.delete(URL.format(code="A001") + f"/{second['id']}")
    assert too_late.status_code == 409
    assert "Only a queued command" in too_late.content.decode()
    # The same reset may be asked again once the first is finished.
    assert queue(client, kind="reset_inverter", inverter=1).status_code == 201


# --- collectors --------------------------------------------------------------------------------
def test_a_collector_fetches_each_command_once(client, site):
    command = command_queue(
        user=site["operator"], station=site["station_a"], kind="set_power_limit",
        inverter_number=1, params={"percent": 60},
    )  # fmt: skip

    first = client.get(FETCH, **bearer(site["token"]))
    second = client.get(FETCH, **bearer(site["token"]))

    assert first.status_code == 200
    assert first.json()["commands"] == [
        {"id": command.id, "station": "A001", "inverter": 1, "kind": "set_power_limit",
         "params": {"percent": 60}, "expires_at": command.expires_at.isoformat(), "attempt": 1}
    ]  # fmt: skip
    assert second.json()["commands"] == []
    command.refresh_from_db()
    assert (command.state, command.attempts, command.collector) == (
        "sent", 1, site["collector_a"],
    )  # fmt: skip


def test_a_collector_gets_only_its_plants_commands(client, site):
    other = Collector.objects.create(name="collector-b")
    other.stations.add(site["station_b"])
    token_b = other.issue_token()
    command_queue(user=site["operator"], station=site["station_a"], kind="restart_collector")

    assert client.get(FETCH, **bearer(token_b)).json()["commands"] == []
    assert len(client.get(FETCH, **bearer(site["token"])).json()["commands"]) == 1


def test_the_collector_side_needs_a_token(client, site):
    response = client.get(FETCH)
    assert response.status_code == 401
    assert response.json()["error"] == "missing_token"


def test_an_unanswered_command_is_handed_out_again_up_to_the_limit(site, settings):
    settings.COMMAND_MAX_ATTEMPTS = 2
    collector = site["collector_a"]
    command_queue(user=site["operator"], station=site["station_a"], kind="read_now")
    now = timezone.now()
    wait = timedelta(seconds=settings.COMMAND_RESULT_WAIT_SECONDS + 1)

    assert len(commands_hand_out(collector=collector, now=now)) == 1
    assert commands_hand_out(collector=collector, now=now + timedelta(seconds=5)) == []
    again = commands_hand_out(collector=collector, now=now + wait)
    assert [c.attempts for c in again] == [2]
    assert commands_hand_out(collector=collector, now=now + 2 * wait) == []  # limit reached


def test_a_completed_reset_raises_401_and_texts_the_plants_phone(client, site, settings):
    station = site["station_a"]
    station.sms_phone = "+821055550001"
    station.save()
    command = command_queue(user=site["operator"], station=station, kind="reset_inverter",
                            inverter_number=2)  # fmt: skip
    client.get(FETCH, **bearer(site["token"]))

    answer = client.post(RESULT.format(id=command.id), {"succeeded": True, "message": "done"},
                         content_type="application/json", **bearer(site["token"]))  # fmt: skip
    repeat = client.post(RESULT.format(id=command.id), {"succeeded": True, "message": "done"},
                         content_type="application/json", **bearer(site["token"]))  # fmt: skip

    assert answer.status_code == repeat.status_code == 200
    assert answer.json() == {"id": command.id, "state": "succeeded"}
    entry = EventLog.objects.get(event_type_id=EventType.COMMAND_COMPLETED)
    assert (entry.station, entry.inverter.number, entry.details["kind"]) == (
        station, 2, "reset_inverter",
    )  # fmt: skip
    to_phone = Notification.objects.filter(recipient="+821055550001")
    assert to_phone.count() == 1

    stand_in = SolapiStandIn()
    settings.SMS_BACKEND = "solapi"
    settings.SOLAPI_API_KEY, settings.SOLAPI_API_SECRET = SOLAPI_KEY, SOLAPI_SECRET
    settings.SOLAPI_SENDER, settings.SOLAPI_BASE_URL = "0212345678", stand_in.url
    try:
        send_notifications()
    finally:
        stand_in.close()
    texts = [m["text"] for m in stand_in.received if m["to"] == "01055550001"]
    assert len(texts) == 1
    assert "Plant A001" in texts[0] and "2" in texts[0]
    assert "리셋 완료" in texts[0] or "reset completed" in texts[0]
    history = [h.state for h in station_commands(station).get(pk=command.pk).history.all()]
    assert history == ["queued", "sent", "succeeded"]


def test_an_owner_whose_phone_is_the_plants_gets_one_sms(site):
    owner = site["owner_a"]
    owner.phone = "+821055550002"
    owner.save()
    station = site["station_a"]
    station.sms_phone = owner.phone
    station.save()
    command = command_queue(user=site["operator"], station=station, kind="reset_inverter",
                            inverter_number=1)  # fmt: skip
    commands_hand_out(collector=site["collector_a"])

    command_result(collector=site["collector_a"], command_id=command.id, succeeded=True)

    assert Notification.objects.filter(recipient=owner.phone).count() == 1


def test_a_failed_command_raises_no_event(site):
    command = command_queue(user=site["operator"], station=site["station_a"],
                            kind="reset_inverter", inverter_number=1)  # fmt: skip
    commands_hand_out(collector=site["collector_a"])

    done = command_result(collector=site["collector_a"], command_id=command.id, succeeded=False,
                          message="no answer from the inverter")  # fmt: skip

    assert (done.state, done.result) == ("failed", "no answer from the inverter")
    assert not EventLog.objects.exists()
    assert not Notification.objects.exists()


def test_a_result_for_a_command_not_sent_to_this_collector_is_refused(client, site):
    command = command_queue(user=site["operator"], station=site["station_a"],
                            kind="restart_collector")  # fmt: skip
    not_yet = client.post(RESULT.format(id=command.id), {"succeeded": True},
                          content_type="application/json", **bearer(site["token"]))  # fmt: skip
    unknown = client.post(RESULT.format(id=999999), {"succeeded": True},
                          content_type="application/json", **bearer(site["token"]))  # fmt: skip
    malformed = client.post(RESULT.format(id=command.id), {"succeeded": "yes"},
                            content_type="application/json", **bearer(site["token"]))  # fmt: skip

    assert not_yet.status_code == 409 and not_yet.json()["error"] == "not_sent_to_you"
    assert unknown.status_code == 404
    assert malformed.status_code == 400 and "true or false" in malformed.json()["detail"]
    assert Command.objects.get().state == "queued"


# --- expiry ------------------------------------------------------------------------------------
def test_commands_past_their_time_to_live_expire(site):
    now = timezone.now()
    stale = command_queue(user=site["operator"], station=site["station_a"], kind="read_now",
                          ttl_minutes=5, now=now - timedelta(minutes=10))  # fmt: skip
    fresh = command_queue(user=site["operator"], station=site["station_a"],
                          kind="restart_collector", now=now)  # fmt: skip

    assert commands_expire(now=now) == 1
    assert commands_expire(now=now) == 0
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, fresh.state) == ("expired", "queued")
    assert stale.finished_at == now
    assert [h.state for h in stale.history.all()] == ["queued", "expired"]
    assert commands_hand_out(collector=site["collector_a"], now=now) == [fresh]


def test_a_late_result_still_records_what_the_device_did(site):
    now = timezone.now()
    command = command_queue(user=site["operator"], station=site["station_a"],
                            kind="restart_collector", ttl_minutes=1, now=now)  # fmt: skip
    commands_hand_out(collector=site["collector_a"], now=now)
    commands_expire(now=now + timedelta(minutes=2))

    done = command_result(collector=site["collector_a"], command_id=command.id, succeeded=True,
                          now=now + timedelta(minutes=3))  # fmt: skip

    assert done.state == "succeeded"
    assert [h.state for h in done.history.all()] == ["queued", "sent", "expired", "succeeded"]
