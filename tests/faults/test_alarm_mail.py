"""Fault: the mail server accepts the connection and never answers.

The e-mail job and the SMS job run at once, as two workers of the cluster run them. The SMS
must reach the phone while the e-mail job is still stuck on the silent server; the e-mail job
must end by its timeout and record a retry; once a working mail server is back on the same
port, each e-mail arrives exactly once.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from events.models import Notification
from events.outbox import outbox_send
from jobs.models import JobRun
from jobs.runner import job_run
from tests.events.servers import SmtpServer
from tests.events.world import World
from tests.faults.peers_mail import HungSmtpServer
from tests.faults.peers_solapi import SOLAPI_KEY, SOLAPI_SECRET, SOLAPI_SENDER, SolapiStandIn

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)

EMAIL_TIMEOUT = 5.0


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)  # polling for a condition with a deadline
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.fixture
def peers(settings):
    hung = HungSmtpServer()
    solapi = SolapiStandIn()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", hung.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = EMAIL_TIMEOUT
    settings.SMS_BACKEND = "solapi"
    settings.SOLAPI_API_KEY, settings.SOLAPI_API_SECRET = SOLAPI_KEY, SOLAPI_SECRET
    settings.SOLAPI_SENDER, settings.SOLAPI_BASE_URL = SOLAPI_SENDER, solapi.url
    yield hung, solapi
    hung.close()
    solapi.close()


def test_a_silent_mail_server_delays_only_e_mail(peers):
    hung, solapi = peers
    world = World()
    world.grid_outage()  # owner: e-mail and SMS; manager: e-mail
    assert Notification.objects.filter(channel="email").count() == 2
    queued = time.monotonic()
    email_run = {}

    def email_worker():
        try:
            email_run["summary"] = job_run("send_email")
            email_run["ended"] = time.monotonic()
        finally:
            connections.close_all()

    worker = threading.Thread(target=email_worker)
    worker.start()
    try:
        wait_for(lambda: hung.connections, timeout=30, what="the e-mail job connecting")
        job_run("send_sms")  # the other worker, meanwhile
        sms_after = time.monotonic() - queued
        e_mail_still_stuck = worker.is_alive()
    finally:
        worker.join(timeout=60)
    assert not worker.is_alive(), "the e-mail job did not end"
    email_seconds = email_run["ended"] - queued
    print(f"\nmail server silent: SMS delivered {sms_after:.1f} s after the alarm was queued, "
          f"while the e-mail job waited; the e-mail job ended after {email_seconds:.1f} s "
          f"(EMAIL_TIMEOUT={EMAIL_TIMEOUT:.0f} s)")  # fmt: skip

    [sms] = solapi.received
    assert sms["to"] == "01012345678" and "계통 정전" in sms["text"]
    assert e_mail_still_stuck  # the SMS went out while the mail server held the e-mail job
    run = JobRun.objects.get(name="send_email")
    assert run.status == "ok" and "Could not reach the mail server" in run.summary
    assert "1 to retry" in email_run["summary"]
    statuses = sorted(Notification.objects.filter(channel="email").values_list("status", flat=True))
    assert statuses == ["pending", "pending"]  # none left 'sending', none given up

    hung.close()  # the mail server comes back, on the same port
    smtp = SmtpServer(hung.port)
    smtp.start()
    try:
        later = timezone.now() + timedelta(minutes=2)
        assert outbox_send(channel="email", now=later).sent == 2
        assert outbox_send(channel="email", now=later + timedelta(minutes=10)).sent == 0
        assert len(smtp.inbox.to("owner-p001@example.com")) == 1
        assert len(smtp.inbox.to("manager-p001@example.com")) == 1
    finally:
        smtp.stop()
    assert len(solapi.received) == 1
