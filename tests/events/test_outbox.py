"""Sending the outbox: claims of a dead sender come back (and an SMS is looked up, not sent
again), a live sender's claim is left alone, a run stops starting messages when its time is
up, and each channel's job has a timeout inside its minute."""

from __future__ import annotations

import ast
from datetime import timedelta

import pytest
from django_q.models import Schedule

from events.models import Notification, SmsLog, Subscription
from events.outbox import CLAIM_EXPIRY, outbox_send
from solarsite.schedules import JOBS, SEND_TIMEOUT_SECONDS
from tests.conftest import make_user
from tests.events.servers import WebhookReceiver
from tests.solarsite.test_settings import manage

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def sms_sent_then_sender_killed(world, solapi) -> tuple[Notification, object]:
    """The state a sender leaves when it dies after Solapi sent the message and before it
    could record so: the row claimed, its group saved, nothing logged."""
    world.grid_outage()
    now = world.at(2)
    assert outbox_send(channel="sms", now=now).sent == 1
    row = Notification.objects.get(channel="sms")
    SmsLog.objects.all().delete()
    Notification.objects.filter(id=row.id).update(
        status="sending", claimed_at=now, sent_at=None, provider_message_id=""
    )
    return row, now


def test_a_dead_senders_sms_is_looked_up_not_sent_again(world, solapi):
    row, claimed = sms_sent_then_sender_killed(world, solapi)
    result = outbox_send(channel="sms", now=claimed + CLAIM_EXPIRY + timedelta(seconds=1))
    row.refresh_from_db()
    assert result.sent == 1 and row.status == "sent"
    assert len(solapi.received) == 1  # still the one message
    [log] = SmsLog.objects.all()
    assert log.succeeded and log.result.startswith("Sent: accepted earlier")
    assert log.provider_message_id == solapi.delivered[0]["messageId"] == row.provider_message_id


def test_a_live_senders_claim_is_left_alone(world, solapi):
    row, claimed = sms_sent_then_sender_killed(world, solapi)
    calls = len(solapi.calls)
    result = outbox_send(channel="sms", now=claimed + CLAIM_EXPIRY - timedelta(seconds=1))
    row.refresh_from_db()
    assert result.sent == 0 and row.status == "sending"
    assert len(solapi.calls) == calls  # not even looked up


def test_a_run_starts_no_message_after_its_budget(world, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NOTIFY_TIMEOUT_SECONDS = 1
    receiver = WebhookReceiver("secret", trickle=True)  # each call waits out its timeout
    try:
        for n in range(3):
            user = make_user(f"integrator{n}", "operator")
            url = f"{receiver.url}/{n}"  # one message per address and alarm
            Subscription.objects.create(user=user, by_email=False, webhook_url=url)
        world.grid_outage()
        result = outbox_send(channel="webhook", now=world.at(2), budget=1.5)
    finally:
        receiver.close()
    rows = Notification.objects.filter(channel="webhook")
    assert (result.retrying, result.left) == (2, 1)
    assert "1 left for the next run" in result.summary
    assert sorted(rows.values_list("status", "attempts")) == [
        ("pending", 0), ("pending", 1), ("pending", 1)
    ]  # fmt: skip


def test_each_send_job_has_its_own_schedule_and_a_timeout_inside_its_minute():
    send_jobs = {job.name: job for job in JOBS if job.func.startswith("events.jobs.job_send_")}
    assert set(send_jobs) == {"send_email", "send_sms", "send_webhooks"}
    for name, job in send_jobs.items():
        assert job.cron == "* * * * *" and job.timeout == SEND_TIMEOUT_SECONDS < 60
        kwargs = ast.literal_eval(Schedule.objects.get(name=name).kwargs)
        assert kwargs == {"q_options": {"timeout": SEND_TIMEOUT_SECONDS}}


def test_settings_refuse_a_budget_that_would_outlive_the_minute():
    result = manage("check", NOTIFY_RUN_SECONDS="45", NOTIFY_TIMEOUT_SECONDS="10")
    assert result.returncode == 1
    assert "NOTIFY_RUN_SECONDS plus the larger of NOTIFY_TIMEOUT_SECONDS" in result.stderr


def test_send_again_in_the_admin_gives_a_message_that_gave_up_a_fresh_start(
    world, smtp, settings, admin_client
):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    world.grid_outage()
    now = world.at(2)
    assert outbox_send(channel="email", now=now).gave_up == 1  # the mail server is not up
    [gave_up] = Notification.objects.filter(channel="email", status="gave_up")[:1]
    assert outbox_send(channel="email", now=now + timedelta(hours=1)).sent == 0

    page = admin_client.post(
        "/admin/events/notification/",
        {"action": "retry_now", "_selected_action": [gave_up.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "1 message queued again." in page.content.decode()
    smtp.start()
    assert outbox_send(channel="email").sent == 1  # due from the moment of the click
    gave_up.refresh_from_db()
    assert gave_up.status == "sent" and gave_up.attempts == 1
    assert len(smtp.inbox.to(gave_up.recipient)) == 1
