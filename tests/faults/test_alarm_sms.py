"""Fault: the SMS provider answers after the client's timeout, or the sending call is lost.

The stand-in on loopback does the work and answers late (or never gets the call); every
message must reach its phone exactly once, and the SMS log must say "unknown" until the next
attempt looks the message up at the provider and settles it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.models import Notification, SmsLog
from events.outbox import outbox_send
from tests.events.world import World
from tests.faults.peers_solapi import SOLAPI_KEY, SOLAPI_SECRET, SOLAPI_SENDER, SolapiStandIn

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

TIMEOUT = 1.0  # NOTIFY_TIMEOUT_SECONDS
LATE = 3.0  # the stand-in's answer comes this long after the call


@pytest.fixture
def solapi(settings):
    stand_in = SolapiStandIn()
    settings.SMS_BACKEND = "solapi"
    settings.SOLAPI_API_KEY, settings.SOLAPI_API_SECRET = SOLAPI_KEY, SOLAPI_SECRET
    settings.SOLAPI_SENDER, settings.SOLAPI_BASE_URL = SOLAPI_SENDER, stand_in.url
    settings.NOTIFY_TIMEOUT_SECONDS = TIMEOUT
    yield stand_in
    stand_in.close()


def three_plants_alarm() -> tuple[list[World], list[Notification]]:
    plants = [World(code=f"S{n:03}") for n in range(3)]
    for plant in plants:
        plant.grid_outage()
    return plants, list(Notification.objects.filter(channel="sms").order_by("id"))


def logs_of(row: Notification) -> list[bool | None]:
    return [log.succeeded for log in SmsLog.objects.filter(notification=row).order_by("id")]


def send_until_done(start, *, history: dict[int, list]) -> int:
    """Run the SMS job minute after minute until nothing is left; note each row's SMS log."""
    for minute in range(0, 30):
        outbox_send(channel="sms", now=start + timedelta(minutes=minute))
        for row_id in history:
            history[row_id].append(logs_of(Notification.objects.get(id=row_id)))
        if not Notification.objects.filter(channel="sms").exclude(status="sent").exists():
            return minute
    raise AssertionError("the SMS were not all sent within 30 runs")


def test_an_answer_after_the_timeout_never_sends_a_message_twice(solapi):
    solapi.late, solapi.late_seconds = {"send"}, LATE
    plants, rows = three_plants_alarm()
    history = {row.id: [] for row in rows}
    runs = send_until_done(plants[0].at(2), history=history)

    per_message = solapi.deliveries_per_reference()
    twice = sum(1 for count in per_message.values() if count > 1)
    settled = sum(1 for h in history.values() if [None] in h and h[-1] == [True])
    print(f"\nSolapi answering {LATE:.0f} s after a {TIMEOUT:.0f} s timeout: {len(rows)} SMS, "
          f"{sum(per_message.values())} delivered, {twice} twice, all sent after {runs + 1} "
          f"runs; SMS log: unknown then sent for {settled} of {len(rows)}")  # fmt: skip
    assert sorted(per_message.values()) == [1, 1, 1] and len(per_message) == 3
    for row in rows:
        row.refresh_from_db()
        assert row.status == "sent" and row.provider_ref
        assert [None] in history[row.id]  # the log said "unknown" first ...
        [log] = SmsLog.objects.filter(notification=row)  # ... then that same entry was settled
        assert log.succeeded is True and log.resolved_at is not None
        assert log.result.startswith("Sent: accepted earlier")
        assert log.provider_message_id == row.provider_message_id != ""
    # The send call of each group was made once; the rest were look-ups.
    assert solapi.calls.count("send") == 3 and solapi.calls.count("create") == 3


def test_a_lost_sending_call_is_looked_up_then_sent_once_through_the_same_group(solapi):
    solapi.lost, solapi.late_seconds = {"send"}, LATE
    plants, rows = three_plants_alarm()
    history = {row.id: [] for row in rows}
    outbox_send(channel="sms", now=plants[0].at(2))  # the first SMS's sending call is lost
    first = Notification.objects.get(id=rows[0].id)
    assert logs_of(first) == [None] and first.status == "pending"
    assert solapi.delivered == []

    solapi.lost = set()  # the network is fine again
    send_until_done(plants[0].at(3), history=history)
    per_message = solapi.deliveries_per_reference()
    print(f"\nSolapi losing the sending call: {sum(per_message.values())} of {len(rows)} SMS "
          f"delivered, {len(solapi.groups)} message groups for {len(rows)} messages")  # fmt: skip
    assert sorted(per_message.values()) == [1, 1, 1]
    assert len(solapi.groups) == 3  # the first message's group was reused, not a second one
    # The unknown entry was settled as not sent, and the new attempt logged as sent.
    assert logs_of(first) == [False, True]
    unsent, sent = SmsLog.objects.filter(notification=first).order_by("id")
    assert unsent.resolved_at is not None and unsent.result.startswith("Not sent")


@pytest.mark.parametrize("fault", ["late", "lost"])
def test_a_lost_answer_to_adding_the_message_never_adds_it_twice(solapi, fault):
    """Adding is no send: its lost answer is a plain failure, and the next attempt finds the
    message already in the group (late) or not (lost) and sends the group once."""
    setattr(solapi, fault, {"add"})
    solapi.late_seconds = LATE
    plants, rows = three_plants_alarm()
    outbox_send(channel="sms", now=plants[0].at(2))
    assert logs_of(Notification.objects.get(id=rows[0].id)) == [False]  # known: not sent
    setattr(solapi, fault, set())
    send_until_done(plants[0].at(3), history={row.id: [] for row in rows})
    per_message = solapi.deliveries_per_reference()
    in_groups = sorted(len(group["messages"]) for group in solapi.groups.values())
    print(f"\nSolapi's answer to adding {fault}: {sum(per_message.values())} of {len(rows)} SMS "
          f"delivered, messages per group {in_groups}")  # fmt: skip
    assert sorted(per_message.values()) == [1, 1, 1] and in_groups == [1, 1, 1]


def test_an_unknown_outcome_is_settled_even_after_the_last_attempt(solapi, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    solapi.late, solapi.late_seconds = {"send"}, LATE
    world = World()
    world.grid_outage()
    row = Notification.objects.get(channel="sms")
    outbox_send(channel="sms", now=world.at(2))
    row.refresh_from_db()
    assert (row.status, logs_of(row)) == ("pending", [None])  # not given up while unknown
    outbox_send(channel="sms", now=world.at(4))
    row.refresh_from_db()
    assert (row.status, logs_of(row)) == ("sent", [True]) and len(solapi.delivered) == 1
