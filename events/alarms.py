"""An alarm's life: raised, cleared, and told, in bulk, for every check that raises alarms.

Detection (events/detection.py) and the duplicate-inverter check (field/duplicates.py) decide
what is wrong; these functions carry it out the same way for both:

1. The open-key rule: an open alarm holds `open_key` = "<code>:<subject>", unique in the table,
   so there is at most one open alarm per subject and code. Raising one that is open already,
   or clearing one that is no longer open, means another pass changed the alarms since this one
   read them: `AlarmsChanged` is raised, and the caller's transaction (the whole pass) is
   rolled back, so nothing is raised, logged or told twice.
2. Every raise and clear is written to the event log, pointing at its alarm.
3. `alarms_notify` queues what people are told of one batch of changes, in one go: a raise
   when the event type notifies on raise, a clear when it notifies on clear. An alarm raised in
   a storm is told in the storm's one summary, so neither its raise nor its end is told alone.

Call the three inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError

from accounts.models import User
from events.models import Alarm, EventLog, EventType, Notification
from events.notify import Transition, transitions_enqueue
from monitoring.changes import plants_changed


class AlarmsChanged(Exception):
    """Another pass raised or cleared some of these alarms since they were read."""


def alarms_raise(*, alarms: list[Alarm], now: datetime) -> list[Alarm]:
    """Open these new alarms (unsaved, with event type, subject, station and details) and log
    each raise; returns them saved."""
    for alarm in alarms:
        alarm.open_key = Alarm.key_for(alarm.event_type_id, alarm.subject)
        alarm.raised_at = now
    try:
        raised = Alarm.objects.bulk_create(alarms)
    except IntegrityError as exc:
        raise AlarmsChanged(str(exc)) from exc
    _log(raised, EventLog.Kind.RAISED, now)
    plants_changed(station_ids=_stations_of(raised))  # an open alarm is part of their state
    return raised


def alarms_clear(*, alarms: list[Alarm], now: datetime) -> list[Alarm]:
    """Close these open alarms with one guarded UPDATE and log each clear; returns them."""
    if not alarms:
        return []
    closed = Alarm.objects.filter(
        id__in=[a.id for a in alarms], open_key__isnull=False
    ).update(cleared_at=now, open_key=None)
    if closed != len(alarms):
        raise AlarmsChanged(f"{len(alarms) - closed} of {len(alarms)} alarms were closed already")
    for alarm in alarms:
        alarm.cleared_at, alarm.open_key = now, None
    _log(alarms, EventLog.Kind.CLEARED, now)
    plants_changed(station_ids=_stations_of(alarms))
    return alarms


def _stations_of(alarms: list[Alarm]) -> set[int]:
    return {alarm.station_id for alarm in alarms if alarm.station_id}


def alarms_notify(
    *,
    raised: Iterable[Alarm] = (),
    cleared: Iterable[Alarm] = (),
    info: Iterable[EventLog] = (),
    now: datetime,
    people: list[User] | None = None,
) -> int:
    """Queue the messages of one batch of changes, and of informational events logged with
    them; returns how many are new. `people` replaces the subscriptions: everyone listed hears
    of every change (the administrators, for configuration errors)."""
    types = {t.code: t for t in EventType.objects.all()}
    transitions = [Transition.of_log(e) for e in info if types[e.event_type_id].notify_on_raise]
    transitions += [
        Transition.of_alarm(a, Notification.Transition.RAISED, at=now)
        for a in raised
        if types[a.event_type_id].notify_on_raise and not a.storm
    ]
    transitions += [
        Transition.of_alarm(a, Notification.Transition.CLEARED, at=now)
        for a in cleared
        if types[a.event_type_id].notify_on_clear and not a.storm
    ]
    told = None if people is None else {t.key: people for t in transitions}
    return transitions_enqueue(transitions, now=now, people=told)


def _log(alarms: list[Alarm], kind: str, at: datetime) -> None:
    EventLog.objects.bulk_create(
        EventLog(
            event_type_id=alarm.event_type_id,
            kind=kind,
            at=at,
            station_id=alarm.station_id,
            inverter_id=alarm.inverter_id,
            collector_id=alarm.collector_id,
            alarm=alarm,
            subject=alarm.subject,
            details=alarm.details,
        )
        for alarm in alarms
    )
