"""The events jobs of the job table (solarsite/schedules.py); each returns one line.

Each channel is sent by its own job, so a mail server that hangs cannot hold back an SMS.
"""

from __future__ import annotations

from django.utils import timezone

from events import detection, escalation
from events.models import Channel
from events.outbox import outbox_send


def job_detect_events() -> str:
    return detection.detect_events().summary


def job_escalate_alarms() -> str:
    return f"{escalation.alarms_escalate(now=timezone.now())} alarms escalated"


def job_send_email() -> str:
    return outbox_send(channel=Channel.EMAIL).summary


def job_send_sms() -> str:
    return outbox_send(channel=Channel.SMS).summary


def job_send_webhooks() -> str:
    return outbox_send(channel=Channel.WEBHOOK).summary
