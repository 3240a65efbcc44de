"""The functions behind the events jobs in solarsite/schedules.py: run, return one line.

Each channel is sent by its own job, so a mail server that hangs cannot hold back an SMS.
"""

from __future__ import annotations

from django.utils import timezone

from events import detection, escalation
from events.models import Channel
from events.outbox import outbox_send


def detect_events() -> str:
    return detection.detect_events().summary


def escalate_alarms() -> str:
    return f"{escalation.alarms_escalate(now=timezone.now())} alarms escalated"


def send_email() -> str:
    return outbox_send(channel=Channel.EMAIL).summary


def send_sms() -> str:
    return outbox_send(channel=Channel.SMS).summary


def send_webhooks() -> str:
    return outbox_send(channel=Channel.WEBHOOK).summary
