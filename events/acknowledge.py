"""Acknowledging alarms (the old "userChecked"): who saw them, and when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from events.models import Alarm
from monitoring.visibility import stations_visible_to


def alarms_acknowledge(
    *, user, alarm_ids: Iterable[int], note: str = "", now: datetime | None = None
) -> int:
    """Acknowledge the listed alarms the user may see and nobody acknowledged yet.

    Returns how many this call acknowledged; an alarm already acknowledged keeps its first
    acknowledger (the guarded UPDATE makes a second click, or a second user, a no-op).
    """
    now = now or timezone.now()
    alarms = Alarm.objects.filter(
        id__in=list(alarm_ids),
        acknowledged_at__isnull=True,
        station__in=stations_visible_to(user).values("id"),
    )
    fields = {"acknowledged_by": user, "acknowledged_at": now}
    if note:
        fields["note"] = note
    return alarms.update(**fields)


def alarm_acknowledge(*, user, alarm: Alarm, note: str = "", now: datetime | None = None) -> bool:
    return alarms_acknowledge(user=user, alarm_ids=[alarm.id], note=note, now=now) == 1
