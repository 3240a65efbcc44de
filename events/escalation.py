"""Escalation: an alarm nobody acknowledged is told again, to more senior people.

After ESCALATE_MINUTES an unacknowledged open alarm goes to the station's manager, after twice
that to the administrators (straight to them when the station has no manager). Each level is
claimed with a guarded UPDATE, so two runs never escalate one alarm twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from events.audience import administrators
from events.models import Alarm, Notification, Severity
from events.notify import Transition, transitions_enqueue
from events.outbox import SendResult, outbox_send_all


def alarms_escalate(*, now: datetime) -> int:
    """Queue the escalations that are due now; returns how many alarms were escalated."""
    wait = timedelta(minutes=settings.ESCALATE_MINUTES)
    candidates = (
        Alarm.objects.filter(
            cleared_at=None,
            acknowledged_at=None,
            storm=False,
            escalation_level__lt=2,
            raised_at__lte=now - wait,
        )
        .exclude(event_type__severity=Severity.INFO)
        .select_related("station__manager")
    )
    admins: list[User] | None = None
    transitions, people = [], {}
    for alarm in candidates:
        level = alarm.escalation_level + 1
        if alarm.raised_at > now - wait * level:
            continue
        manager = alarm.station.manager
        if level == 2 and not (manager and manager.is_active):
            continue  # the first escalation already went to the administrators
        if not Alarm.objects.filter(id=alarm.id, escalation_level=alarm.escalation_level).update(
            escalation_level=level
        ):
            continue
        if level == 1 and manager and manager.is_active:
            users = [manager]
        else:
            admins = administrators() if admins is None else admins
            users = admins
        transition = Transition.of_alarm(
            alarm, Notification.Transition.ESCALATED, at=now, key=f"a{alarm.id}:esc{level}"
        )
        transitions.append(transition)
        people[transition.key] = users
    transitions_enqueue(transitions, now=now, people=people)
    return len(transitions)


def send_notifications(*, now: datetime | None = None) -> SendResult:
    """Escalate what waited too long, then send every channel's due rows (events/outbox.py).

    For a hand run and the tests: the scheduled jobs escalate and send each channel on their
    own, so one channel's peer never delays another.
    """
    now = now or timezone.now()
    escalated = alarms_escalate(now=now)
    result = outbox_send_all(now=now)
    result.escalated = escalated
    return result
