"""Notifications: who hears of what, the messages, writing the outbox, and escalation.

Every message is first written to the outbox (`Notification`) with a unique idempotency key,
so running any step twice never queues a message twice; events/outbox.py then sends it, one
channel per job, claiming rows with a guarded UPDATE so two senders never send one row twice,
and a failure leaves the row waiting with backoff until it succeeds or gives up.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from events.faults import fault_named
from events.models import Alarm, Channel, EventLog, EventType, Notification, Severity, Subscription
from events.outbox import SendResult, outbox_send_all
from monitoring.models import Collector, Inverter, PowerStation
from monitoring.visibility import stations_visible_to

if TYPE_CHECKING:
    from events.detection import DetectionResult


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


@dataclass(frozen=True)
class Recipient:
    user: User
    channel: str
    address: str
    quiet: tuple[time, time] | None = None


# --- who hears of what ------------------------------------------------------------------------
class Audience:
    """The people behind a batch of transitions, read once per batch.

    A user with no subscription of their own gets the default for the stations they own or
    manage: every event type, by e-mail, and by SMS when they have a mobile number. A user
    with subscriptions gets exactly what those say, for stations they may see.
    """

    def __init__(self, station_ids: set[int]) -> None:
        self.stations = {
            s.id: s
            for s in PowerStation.objects.filter(id__in=station_ids).only(
                "id", "code", "name", "customer_id", "manager_id"
            )
        }
        self.subscriptions = list(
            Subscription.objects.filter(is_active=True, user__is_active=True)
            .select_related("user")
            .prefetch_related("stations", "event_types")
        )
        subscribed = set(Subscription.objects.values_list("user_id", flat=True).distinct())
        customers = {s.customer_id for s in self.stations.values() if s.customer_id}
        managers = {s.manager_id for s in self.stations.values() if s.manager_id}
        people = User.objects.filter(is_active=True).filter(
            Q(customer_id__in=customers) | Q(id__in=managers)
        )
        self.default_people = [p for p in people if p.id not in subscribed]
        self.visible = {
            user.id: set(
                stations_visible_to(user).filter(id__in=station_ids).values_list("id", flat=True)
            )
            for user in {sub.user for sub in self.subscriptions}
        }

    def recipients(self, station_id: int, code: int) -> list[Recipient]:
        station = self.stations[station_id]
        found: list[Recipient] = []
        for person in self.default_people:
            if person.id == station.manager_id or (
                person.customer_id and person.customer_id == station.customer_id
            ):
                found.extend(_default_recipients(person))
        for sub in self.subscriptions:
            if station_id not in self.visible.get(sub.user_id, ()):
                continue
            if not sub.all_stations and station_id not in {s.id for s in sub.stations.all()}:
                continue
            codes = {t.code for t in sub.event_types.all()}
            if codes and code not in codes:
                continue
            found.extend(_subscription_recipients(sub))
        unique = {(r.user.id, r.channel, r.address): r for r in found}
        return list(unique.values())


def _default_recipients(user: User) -> list[Recipient]:
    found = []
    if user.email:
        found.append(Recipient(user, Channel.EMAIL, user.email))
    if user.phone:
        found.append(Recipient(user, Channel.SMS, user.phone))
    return found


def _subscription_recipients(sub: Subscription) -> list[Recipient]:
    user = sub.user
    quiet = (sub.quiet_start, sub.quiet_end) if sub.quiet_start and sub.quiet_end else None
    found = []
    if sub.by_email and user.email:
        found.append(Recipient(user, Channel.EMAIL, user.email))
    if sub.by_sms and user.phone:
        found.append(Recipient(user, Channel.SMS, user.phone, quiet))
    if sub.webhook_url:
        found.append(Recipient(user, Channel.WEBHOOK, sub.webhook_url))
    return found


def administrators() -> list[User]:
    return list(
        User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN))
    )


# --- writing the outbox -----------------------------------------------------------------------
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
    context = _Context(transitions)
    rows = []
    for transition in transitions:
        event_type = types[transition.code]
        if people is not None:
            recipients = [r for u in people.get(transition.key, []) for r in _default_recipients(u)]
        else:
            recipients = audience.recipients(transition.station_id, transition.code)
        for recipient in recipients:
            if not event_type.allows(recipient.channel):
                continue
            rows.append(_outbox_row(transition, event_type, recipient, context=context, now=now))
    return _outbox_insert(rows)


def outbox_enqueue(rows: list[Notification]) -> int:
    """Outbox rows built elsewhere (the monthly report, say); a row whose idempotency key is
    already in the outbox is left out. Returns how many are new."""
    return _outbox_insert(rows)


def _outbox_insert(rows: list[Notification]) -> int:
    keys = [row.idempotency_key for row in rows]
    existing = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = {row.idempotency_key: row for row in rows if row.idempotency_key not in existing}
    # ignore_conflicts: a row another process wrote since the read above stays the only one.
    Notification.objects.bulk_create(new.values(), ignore_conflicts=True)
    return len(new)


def _outbox_row(
    transition: Transition,
    event_type: EventType,
    recipient: Recipient,
    *,
    context: _Context,
    now: datetime,
) -> Notification:
    language = recipient.user.language or settings.LANGUAGE_CODE
    subject, text, html = context.render(transition, event_type, language)
    body, body_html = text, html
    if recipient.channel == Channel.SMS:
        body, body_html = context.sms_text(transition, event_type, language), ""
    elif recipient.channel == Channel.WEBHOOK:
        body, body_html = json.dumps(_webhook_payload(transition, event_type, subject)), ""
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


def _webhook_payload(transition: Transition, event_type: EventType, subject: str) -> dict:
    return {
        "event": transition.kind,
        "code": transition.code,
        "severity": event_type.severity,
        "station_id": transition.station_id,
        "inverter_id": transition.inverter_id,
        "collector_id": transition.collector_id,
        "alarm_id": transition.alarm_id,
        "at": transition.at.isoformat(),
        "summary": subject,
        "details": transition.details,
    }


class _Context:
    """The names a message needs (stations, inverters, collectors), read once per batch."""

    def __init__(self, transitions: list[Transition]) -> None:
        self.stations = PowerStation.objects.in_bulk({t.station_id for t in transitions})
        self.inverters = Inverter.objects.in_bulk(
            {t.inverter_id for t in transitions if t.inverter_id}
        )
        self.collectors = Collector.objects.in_bulk(
            {t.collector_id for t in transitions if t.collector_id}
        )

    def render(
        self, transition: Transition, event_type: EventType, language: str
    ) -> tuple[str, str, str]:
        with translation.override(language):
            values = self._values(transition, event_type, language)
            subject = _subject(transition.kind) % values
            context = {**values, "headline": subject}
            text = render_to_string("events/notification.txt", context)
            html = render_to_string("events/notification.html", context)
        return subject, text, html

    def sms_text(self, transition: Transition, event_type: EventType, language: str) -> str:
        with translation.override(language):
            values = self._values(transition, event_type, language)
            return f"{_subject(transition.kind) % values} {values['device']} {values['time']}"

    def _values(self, transition: Transition, event_type: EventType, language: str) -> dict:
        station = self.stations[transition.station_id]
        local = timezone.localtime(transition.at, station.tz)
        faults = [fault_named(s).name_in(language) for s in transition.details.get("faults", [])]
        return {
            "station": station.name,
            "station_code": station.code,
            "event": event_type.name_in(language),
            "code": event_type.code,
            "device": self._device(transition),
            "time": f"{local:%H:%M}",
            "when": f"{local:%Y-%m-%d %H:%M} ({station.time_zone})",
            "faults": ", ".join(faults),
            "kind": transition.kind,
            "link": f"{settings.SITE_URL.rstrip('/')}/",
        }

    def _device(self, transition: Transition) -> str:
        if transition.inverter_id in self.inverters:
            return _("inverter %(number)s") % {
                "number": self.inverters[transition.inverter_id].number
            }
        if transition.collector_id in self.collectors:
            return _("collector %(name)s") % {"name": self.collectors[transition.collector_id].name}
        if transition.code == EventType.WEAK_STRING:
            return _("combiner box %(box)s channel %(channel)s") % transition.details
        return _("whole plant")


def _subject(kind: str) -> str:
    return {
        Notification.Transition.RAISED: _("[%(station)s] %(event)s"),
        Notification.Transition.CLEARED: _("[%(station)s] %(event)s: cleared"),
        Notification.Transition.ESCALATED: _("[%(station)s] %(event)s: still unacknowledged"),
        Notification.Transition.INFO: _("[%(station)s] %(event)s"),
    }[kind]


# --- from detection ---------------------------------------------------------------------------
def detection_notify(*, result: DetectionResult, now: datetime) -> int:
    """Queue what one detection pass found; in a storm, one summary to the administrators."""
    types = {t.code: t for t in EventType.objects.all()}
    transitions = [
        Transition.of_log(entry)
        for entry in result.info
        if types[entry.event_type_id].notify_on_raise
    ]
    if result.storm:
        return transitions_enqueue(transitions, now=now) + storm_enqueue(result=result, now=now)
    transitions += [
        Transition.of_alarm(a, Notification.Transition.RAISED, at=now)
        for a in result.raised
        if types[a.event_type_id].notify_on_raise
    ]
    transitions += [
        Transition.of_alarm(a, Notification.Transition.CLEARED, at=now)
        for a in result.cleared
        # People never told of a storm alarm one by one are not told of its end that way either.
        if types[a.event_type_id].notify_on_clear and not a.storm
    ]
    return transitions_enqueue(transitions, now=now)


def storm_enqueue(*, result: DetectionResult, now: datetime) -> int:
    rows = []
    by_code: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for alarm in result.raised:
        by_code[alarm.event_type_id][0] += 1
    for alarm in result.cleared:
        by_code[alarm.event_type_id][1] += 1
    for admin in administrators():
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            subject = _("%(count)s alarms changed at once") % {
                "count": len(result.raised) + len(result.cleared)
            }
            lines = [
                _("Code %(code)s: %(raised)s raised, %(cleared)s cleared")
                % {"code": code, "raised": raised, "cleared": cleared}
                for code, (raised, cleared) in sorted(by_code.items())
            ]
            body = render_to_string(
                "events/storm.txt",
                {"subject": subject, "lines": lines, "watched": result.watched_inverters},
            )
        for recipient in _default_recipients(admin):
            text = body if recipient.channel == Channel.EMAIL else subject
            rows.append(
                Notification(
                    channel=recipient.channel,
                    recipient=recipient.address,
                    user=admin,
                    transition=Notification.Transition.STORM,
                    subject=subject,
                    body=text,
                    next_attempt_at=now,
                    idempotency_key=f"storm:{now.isoformat()}:{recipient.channel}:{recipient.address}",
                )
            )
    return _outbox_insert(rows)


# --- escalation -------------------------------------------------------------------------------
def alarms_escalate(*, now: datetime) -> int:
    """Unacknowledged open alarms: after ESCALATE_MINUTES to the station's manager, after twice
    that to the administrators (straight to them when the station has no manager).

    The level is claimed with a guarded UPDATE, so two senders never escalate one alarm twice.
    """
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


# --- sending ---------------------------------------------------------------------------------
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


# --- other events -----------------------------------------------------------------------------
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
