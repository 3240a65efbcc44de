"""The words of a message: subjects, e-mail bodies, SMS text and webhook payloads.

Each is rendered in its reader's language (the user's, else settings.LANGUAGE_CODE), with the
plant's local time. The names a batch of messages needs are read once per batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events.faults import fault_named
from events.models import EventType, Notification
from monitoring.models import Collector, Inverter, PowerStation

if TYPE_CHECKING:
    from events.notify import Transition


class MessageContext:
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
        """Subject, plain text and HTML of the e-mail."""
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
            "link": _link(transition, station),
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


def _link(transition: Transition, station: PowerStation) -> str:
    """The page the reader should open: the alarm's own, else the plant's."""
    if transition.alarm_id:
        path = reverse("events:alarm", args=[transition.alarm_id])
    else:
        path = reverse("plant", args=[station.code])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _subject(kind: str) -> str:
    return {
        Notification.Transition.RAISED: _("[%(station)s] %(event)s"),
        Notification.Transition.CLEARED: _("[%(station)s] %(event)s: cleared"),
        Notification.Transition.ESCALATED: _("[%(station)s] %(event)s: still unacknowledged"),
        Notification.Transition.INFO: _("[%(station)s] %(event)s"),
    }[kind]


def webhook_payload(transition: Transition, event_type: EventType, subject: str) -> dict:
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


def storm_message(
    *, language: str, by_code: dict[int, list[int]], watched: int
) -> tuple[str, str]:
    """Subject and body of the one summary sent instead of a storm's messages; `by_code` is
    code -> [raised, cleared]."""
    with translation.override(language):
        changed = sum(raised + cleared for raised, cleared in by_code.values())
        subject = _("%(count)s alarms changed at once") % {"count": changed}
        lines = [
            _("Code %(code)s: %(raised)s raised, %(cleared)s cleared")
            % {"code": code, "raised": raised, "cleared": cleared}
            for code, (raised, cleared) in sorted(by_code.items())
        ]
        body = render_to_string(
            "events/storm.txt", {"subject": subject, "lines": lines, "watched": watched}
        )
    return subject, body
