"""What to tell whom: from an alarm raised, cleared or escalated, or an event, to the outbox.

1. A `Transition` says what happened (raised, cleared, escalated, information) and carries the
   key from which its messages' idempotency keys are made, so queueing it twice queues nothing.
2. The audience (events/audience.py) says who hears of it and by which channel; the event type
   says which channels it goes by at all.
3. The messages (events/messages.py) are rendered in each reader's language. An SMS falling in
   a subscription's quiet hours waits until they end, unless the event is critical.
4. The rows go into the outbox (events/outbox.py), which sends them with retries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from events.audience import Audience, Recipient, administrators, user_recipients
from events.messages import MessageContext, storm_message, webhook_payload
from events.models import Alarm, Channel, EventLog, EventType, Notification, Severity
from events.outbox import outbox_enqueue
from monitoring.models import Inverter, PowerStation


@dataclass(frozen=True)
class Transition:
    """Something to tell people about: an alarm raised, cleared or escalated, or an event."""

    kind: str  # Notification.Transition
    code: int
    station_id: int
    at: datetime
    key: str  # unique per transition; with channel and recipient it is the idempotency key
    inverter_id: int | None = None
    collector_id: int | None = None
    details: dict = field(default_factory=dict)
    alarm_id: int | None = None

    @classmethod
    def of_alarm(cls, alarm: Alarm, kind: str, *, at: datetime, key: str = "") -> Transition:
        return cls(
            kind=kind,
            code=alarm.event_type_id,
            station_id=alarm.station_id,
            at=at,
            key=key or f"a{alarm.id}:{kind}",
            inverter_id=alarm.inverter_id,
            collector_id=alarm.collector_id,
            details=alarm.details,
            alarm_id=alarm.id,
        )

    @classmethod
    def of_log(cls, entry: EventLog) -> Transition:
        return cls(
            kind=Notification.Transition.INFO,
            code=entry.event_type_id,
            station_id=entry.station_id,
            at=entry.at,
            key=f"l{entry.id}",
            inverter_id=entry.inverter_id,
            collector_id=entry.collector_id,
            details=entry.details,
        )


def transitions_enqueue(
    transitions: list[Transition],
    *,
    now: datetime,
    people: dict[str, list[User]] | None = None,
) -> int:
    """Outbox rows for each transition's recipients; returns how many are new.

    `people` (transition key -> users) replaces the subscriptions, for escalations.
    """
    if not transitions:
        return 0
    types = {t.code: t for t in EventType.objects.all()}
    audience = None if people is not None else Audience({t.station_id for t in transitions})
    context = MessageContext(transitions)
    rows = []
    for transition in transitions:
        event_type = types[transition.code]
        if people is not None:
            recipients = [r for u in people.get(transition.key, []) for r in user_recipients(u)]
        else:
            recipients = audience.recipients(transition.station_id, transition.code)
        for recipient in recipients:
            if not event_type.allows(recipient.channel):
                continue
            rows.append(_notification(transition, event_type, recipient, context=context, now=now))
    return outbox_enqueue(rows)


def _notification(
    transition: Transition,
    event_type: EventType,
    recipient: Recipient,
    *,
    context: MessageContext,
    now: datetime,
) -> Notification:
    language = recipient.user.language or settings.LANGUAGE_CODE
    subject, text, html = context.render(transition, event_type, language)
    body, body_html = text, html
    if recipient.channel == Channel.SMS:
        body, body_html = context.sms_text(transition, event_type, language), ""
    elif recipient.channel == Channel.WEBHOOK:
        body, body_html = json.dumps(webhook_payload(transition, event_type, subject)), ""
    next_attempt = now
    if (
        recipient.channel == Channel.SMS
        and recipient.quiet
        and event_type.severity != Severity.CRITICAL
    ):
        next_attempt = quiet_hours_end(now, *recipient.quiet) or now
    return Notification(
        channel=recipient.channel,
        recipient=recipient.address,
        user=recipient.user,
        station_id=transition.station_id,
        alarm_id=transition.alarm_id,
        transition=transition.kind,
        subject=subject[:200],
        body=body,
        body_html=body_html,
        next_attempt_at=next_attempt,
        idempotency_key=f"{transition.key}:{recipient.channel}:{recipient.address}"[:200],
    )


def quiet_hours_end(now: datetime, start: time, end: time) -> datetime | None:
    """When the quiet hours that `now` falls in end (settings.TIME_ZONE), or None if outside."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    clock = local.time()
    inside = start <= clock < end if start <= end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local else ends + timedelta(days=1)


def storm_notify(
    *, raised: Iterable[Alarm], cleared: Iterable[Alarm], watched: int, now: datetime
) -> int:
    """One summary to the administrators instead of a storm's messages, one by one."""
    by_code: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for alarm in raised:
        by_code[alarm.event_type_id][0] += 1
    for alarm in cleared:
        by_code[alarm.event_type_id][1] += 1
    rows = []
    for admin in administrators():
        subject, body = storm_message(
            language=admin.language or settings.LANGUAGE_CODE, by_code=by_code, watched=watched
        )
        for recipient in user_recipients(admin):
            rows.append(
                Notification(
                    channel=recipient.channel,
                    recipient=recipient.address,
                    user=admin,
                    transition=Notification.Transition.STORM,
                    subject=subject,
                    body=body if recipient.channel == Channel.EMAIL else subject,
                    next_attempt_at=now,
                    idempotency_key=f"storm:{now.isoformat()}:{recipient.channel}:{recipient.address}",
                )
            )
    return outbox_enqueue(rows)


def event_record(
    *,
    code: int,
    station: PowerStation,
    inverter: Inverter | None = None,
    details: dict | None = None,
    now: datetime | None = None,
) -> EventLog:
    """Log an informational event (401 command completed, say) and queue its notifications."""
    now = now or timezone.now()
    entry = EventLog.objects.create(
        event_type_id=code,
        kind=EventLog.Kind.INFO,
        at=now,
        station=station,
        inverter=inverter,
        subject=f"inv:{inverter.id}" if inverter else f"st:{station.id}",
        details=details or {},
    )
    if EventType.objects.filter(code=code, notify_on_raise=True).exists():
        transitions_enqueue([Transition.of_log(entry)], now=now)
    return entry
