"""The monthly job: each owner gets their plant's report once, by e-mail, through the outbox."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from django.utils.module_loading import import_string
from pypdf import PdfReader

from accounts.models import User
from economics.monthly_mail import monthly_reports_enqueue, previous_month
from events.escalation import send_notifications
from events.models import Notification
from jobs.table import job_named
from tests.conftest import make_station, make_user
from tests.economics.conftest import MAY_KWH, put_days

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
NOW = datetime(2026, 5, 31, 21, 0, tzinfo=UTC)  # 06:00 on 1 June in Seoul


@pytest.fixture
def owners(fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    put_days(fleet["station_b"], {date(2026, 5, 1): 100.0})
    User.objects.filter(username="owner_a").update(email="owner-a@example.com", language="ko")
    User.objects.filter(username="owner_b").update(email="owner-b@example.com", language="en")
    User.objects.filter(username="operator").update(email="operator@example.com")
    make_user("partner_a", User.Role.OWNER, customer=fleet["station_a"].customer,
              email="partner-a@example.com", language="en")  # fmt: skip
    make_user("no_mail_a", User.Role.OWNER, customer=fleet["station_a"].customer)
    idle = make_station("A009", customer=fleet["station_a"].customer)  # no data in May
    assert idle.customer_id == fleet["station_a"].customer_id
    return fleet


def attachment_of(message) -> tuple[str, str]:
    [part] = [p for p in message.iter_attachments()]
    data = part.get_content()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return part.get_filename(), text


def test_each_owner_gets_the_report_once_even_when_the_job_runs_again(owners, smtp):
    smtp.start()
    assert monthly_reports_enqueue(year=2026, month=5, now=NOW) == 3
    assert send_notifications(now=NOW).sent == 3
    assert sorted(r for rcpts, _m in smtp.inbox.messages for r in rcpts) == [
        "owner-a@example.com", "owner-b@example.com", "partner-a@example.com",
    ]  # fmt: skip

    [to_owner] = smtp.inbox.to("owner-a@example.com")
    assert to_owner["Subject"] == "[Plant A001] 2026-05 월간 보고서"
    name, text = attachment_of(to_owner)
    assert name == "report-A001-2026-05.pdf"
    assert "Plant A001" in text and "1,330.5 kWh" in text and "271,047" in text
    assert "월간 보고서" in text
    [to_partner] = smtp.inbox.to("partner-a@example.com")
    assert "Monthly report 2026-05" in attachment_of(to_partner)[1]

    # the job again (a retry, or a second worker): nothing new is queued or sent
    assert monthly_reports_enqueue(year=2026, month=5, now=NOW) == 0
    assert send_notifications(now=NOW).sent == 0
    assert len(smtp.inbox.messages) == 3
    assert Notification.objects.filter(idempotency_key__startswith="report:").count() == 3


def test_a_mail_server_outage_delays_the_report_and_sends_it_once(owners, smtp):
    monthly_reports_enqueue(year=2026, month=5, now=NOW)
    result = send_notifications(now=NOW)  # the server is not running yet
    assert result.sent == 0 and result.retrying == 1  # a dead server is tried once per run
    smtp.start()
    later = datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    assert send_notifications(now=later).sent == 3
    assert send_notifications(now=later).sent == 0
    assert len(smtp.inbox.to("owner-a@example.com")) == 1


def test_the_job_reports_the_previous_month():
    assert previous_month(date(2026, 6, 1)) == (2026, 5)
    assert previous_month(date(2026, 1, 1)) == (2025, 12)
    job = job_named("monthly_reports")
    assert job.cron == "0 6 1 * *"
    assert re.fullmatch(r"monthly reports \d{4}-\d\d: 0 e-mails queued", import_string(job.func)())
