"""The duplicate-inverter check (the old dup_inverter job): wiring and configuration errors.

Two findings:
- one serial registered for two inverters (a device entered twice, or a copy-paste);
- inverters whose readings are identical over an hour: two entries polling the same device,
  or a gateway answering every unit id with one inverter's registers.

Readings are compared over one daylight hour (12:00-13:00 of the previous day, in
settings.TIME_ZONE): at night every inverter reads 0 and looks like every other. An hour only
counts when it has at least MIN_READINGS readings, some power, and a lifetime counter or a
changing power, so two idle or clipped inverters of the same size are not called duplicates.

Each inverter in a finding gets an open alarm 402, told to the administrators once; the alarm
clears when a later check no longer finds it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events.alarms import AlarmsChanged, alarms_clear, alarms_notify, alarms_raise
from events.audience import administrators
from events.models import Alarm, EventType
from monitoring.models import Inverter, PowerStation
from telemetry import store

MIN_READINGS = 4
CHECK_HOUR = time(12)
SERIAL, IDENTICAL = "serial", "identical"
SUBJECT_PREFIX = {SERIAL: "dupserial", IDENTICAL: "dupreadings"}


@dataclass(frozen=True)
class Finding:
    reason: str  # SERIAL or IDENTICAL
    inverters: tuple[Inverter, ...]
    serial: str = ""
    readings: int = 0  # how many identical readings (IDENTICAL)

    @property
    def labels(self) -> list[str]:
        return [str(inverter) for inverter in self.inverters]


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    raised: int = 0
    cleared: int = 0
    window: tuple[datetime, datetime] | None = None
    skipped: str = ""

    @property
    def summary(self) -> str:
        if self.skipped:
            return self.skipped
        serials = sum(1 for f in self.findings if f.reason == SERIAL)
        return (
            f"{serials} serials registered twice, {len(self.findings) - serials} groups of "
            f"identical inverters; {self.raised} alarms raised, {self.cleared} cleared"
        )


def check_window(*, now: datetime) -> tuple[datetime, datetime]:
    """12:00-13:00 of the day before `now`, in settings.TIME_ZONE, as aware datetimes."""
    zone = ZoneInfo(settings.TIME_ZONE)
    day = now.astimezone(zone).date() - timedelta(days=1)
    start = datetime.combine(day, CHECK_HOUR, zone)
    return start, start + timedelta(hours=1)


def serial_duplicates() -> list[Finding]:
    """Serials (compared without case and surrounding spaces) held by two inverters or more."""
    by_serial: dict[str, list[Inverter]] = defaultdict(list)
    for inverter in Inverter.objects.exclude(serial="").select_related("station"):
        serial = inverter.serial.strip().upper()
        if serial:
            by_serial[serial].append(inverter)
    return [
        Finding(SERIAL, tuple(inverters), serial=serial)
        for serial, inverters in sorted(by_serial.items())
        if len(inverters) > 1
    ]


def identical_readings(*, start: datetime, end: datetime) -> list[Finding]:
    """Groups of active inverters of watched plants whose readings in [start, end) match."""
    inverters = {
        i.pk: i
        for i in Inverter.objects.filter(is_active=True)
        .exclude(station__status__in=PowerStation.UNWATCHED)
        .select_related("station")
    }
    series: dict[int, list[tuple]] = defaultdict(list)
    for inverter_id, _, ac_kw, _, total_kwh in store.counter_rows(
        inverter_ids=inverters, start=start, end=end
    ):
        series[inverter_id].append((_rounded(ac_kw), _rounded(total_kwh)))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for inverter_id, values in series.items():
        if _telling(values):
            groups[tuple(values)].append(inverter_id)
    return [
        Finding(IDENTICAL, tuple(inverters[i] for i in sorted(ids)), readings=len(values))
        for values, ids in groups.items()
        if len(ids) > 1
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _telling(values: list[tuple]) -> bool:
    """Whether an hour of (ac_kw, total_kwh) says enough to call two inverters the same."""
    powers = [ac for ac, _ in values]
    if len(values) < MIN_READINGS or not any(p for p in powers if p):
        return False
    has_counter = any(total is not None for _, total in values)
    return has_counter or len(set(powers)) > 1


def duplicates_find(*, now: datetime | None = None) -> CheckResult:
    now = now or timezone.now()
    start, end = check_window(now=now)
    findings = serial_duplicates() + identical_readings(start=start, end=end)
    return CheckResult(findings=findings, window=(start, end))


def duplicates_check(*, now: datetime | None = None) -> CheckResult:
    """Find duplicates, raise alarm 402 for each inverter newly found, clear those fixed; the
    administrators are told (events/alarms.py: one lifecycle with detection's alarms)."""
    now = now or timezone.now()
    result = duplicates_find(now=now)
    found: dict[str, Alarm] = {}
    for finding in result.findings:
        for inverter in finding.inverters:
            alarm = _alarm_for(finding, inverter)
            found[Alarm.key_for(alarm.event_type_id, alarm.subject)] = alarm
    open_alarms = {
        alarm.open_key: alarm
        for alarm in Alarm.objects.filter(
            event_type_id=EventType.DUPLICATE_INVERTER, open_key__isnull=False
        )
    }
    try:
        with transaction.atomic():
            raised = alarms_raise(
                alarms=[a for key, a in found.items() if key not in open_alarms], now=now
            )
            cleared = alarms_clear(
                alarms=[a for key, a in open_alarms.items() if key not in found], now=now
            )
            alarms_notify(raised=raised, cleared=cleared, now=now, people=administrators())
    except AlarmsChanged:
        result.skipped = "another check ran at the same time; skipped"
        return result
    result.raised, result.cleared = len(raised), len(cleared)
    return result


def _alarm_for(finding: Finding, inverter: Inverter) -> Alarm:
    details = {"reason": finding.reason, "inverters": finding.labels}
    if finding.serial:
        details["serial"] = finding.serial
    if finding.readings:
        details["readings"] = finding.readings
    return Alarm(
        event_type_id=EventType.DUPLICATE_INVERTER,
        subject=f"{SUBJECT_PREFIX[finding.reason]}:inv:{inverter.pk}",
        station_id=inverter.station_id,
        inverter=inverter,
        details=details,
    )
