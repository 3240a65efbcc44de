"""The functions behind the events jobs in solarsite/schedules.py: run, return one line."""

from __future__ import annotations

from events import detection, notify


def detect_events() -> str:
    return detection.detect_events().summary


def send_notifications() -> str:
    return notify.send_notifications().summary
