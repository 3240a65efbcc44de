"""Numbers with their units, ages and times in a plant's zone, for every page the same way."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from events.faults import faults_decode, operating_state_name

register = template.Library()


def _number(value, digits: int) -> str:
    return number_format(round(float(value), digits), digits, use_l10n=True, force_grouping=True)


@register.filter
def unit(value, spec: str) -> str:
    """`{{ 12.3456|unit:"kW:1" }}` -> "12.3 kW"; a missing value is a dash."""
    name, _sep, digits = spec.partition(":")
    if value is None or value == "":
        return "–"
    return f"{_number(value, int(digits or 1))} {name}".strip()


@register.filter
def percent(value, digits: int = 1) -> str:
    """A share (0.83) as "83.0 %"."""
    if value is None:
        return "–"
    return f"{_number(value * 100, int(digits))} %"


@register.filter
def seconds_before(moment, now) -> float | None:
    """How many seconds `moment` lies before `now` (None when there is no moment)."""
    return (now - moment).total_seconds() if moment and now else None


@register.filter
def age(seconds) -> str:
    """How long ago, in words: "45 s", "12 min", "3 h 5 min", "2 d"."""
    if seconds is None:
        return _("never")
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("%(n)s s ago") % {"n": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)s min ago") % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("%(h)s h %(m)s min ago") % {"h": hours, "m": minutes % 60}
    return _("%(n)s days ago") % {"n": hours // 24}


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    """An instant as the plant's local time: "2026-06-15 12:03"."""
    if value is None:
        return "–"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


@register.filter
def clock(value: datetime | None, zone: str) -> str:
    if value is None:
        return "–"
    return value.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S")


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters changed (and the page reset)."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    params.pop("part", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def add_days(value, days: int):
    return value + timedelta(days=int(days))


@register.filter
def div60(value):
    return None if value is None else value / 60


@register.filter
def clamp100(value) -> int:
    return max(0, min(100, int(value or 0)))


@register.simple_tag
def event_name(event_type) -> str:
    """An event type's name in the page's language."""
    return event_type.name_in(get_language() or "ko")


@register.filter
def fault_name(fault) -> str:
    return fault.name_in(get_language() or "ko")


@register.filter
def device_state(code) -> str:
    """A SunSpec operating state by name (events/faults.py), never the bare number."""
    return operating_state_name(code, get_language() or "ko") or "–"


@register.filter
def fault_names(bits) -> str:
    """An inverter's fault bits as the faults' names, joined."""
    return ", ".join(fault.name_in(get_language() or "ko") for fault in faults_decode(bits))
