"""A small world moved through time for the events tests: one plant, its people, a clock."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from accounts.models import Customer, User
from events.detection import detect_events
from events.models import Alarm
from monitoring.models import Collector, InverterState, InverterStatus, StationStatus
from tests.conftest import make_station, make_user

# 12:00 in Korea on a June day: the sun is high over the test plants (34.8 N, 126.4 E).
NOON = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
# 23:00 in Korea the same day.
NIGHT = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class World:
    """One plant with inverters and a collector, its owner and manager, and a clock."""

    def __init__(self, *, start: datetime = NOON, inverters: int = 2, code: str = "P001"):
        self.start = start
        self.customer = Customer.objects.create(name=f"Owner of {code}")
        self.owner = make_user(
            f"owner-{code}",
            User.Role.OWNER,
            customer=self.customer,
            email=f"owner-{code.lower()}@example.com",
            phone="+821012345678",
            language="ko",
        )
        self.manager = make_user(
            f"manager-{code}",
            User.Role.OPERATOR,
            email=f"manager-{code.lower()}@example.com",
            language="en",
        )
        self.station = make_station(
            code, customer=self.customer, inverters=inverters, manager=self.manager
        )
        self.inverters = list(self.station.inverters.order_by("number"))
        self.collector = Collector.objects.create(name=f"collector-{code}")
        self.collector.stations.add(self.station)

    def at(self, minute: float) -> datetime:
        return self.start + timedelta(minutes=minute)

    def reading(self, inverter, minute: float, *, ac_kw: float = 30.0, **fields) -> None:
        """Write the latest status the way the ingest does, and count it as a heartbeat."""
        ts = self.at(minute)
        if fields.get("ac_v_min") == 0 or fields.pop("grid_outage", False):
            state = InverterState.GRID_OUTAGE
        else:
            state = InverterState.RUNNING if ac_kw > 0 else InverterState.STOPPED
        status, _ = InverterStatus.objects.get_or_create(
            inverter=inverter, defaults={"station": inverter.station}
        )
        if status.state != state:
            status.state_since = ts
        status.state = state
        status.last_ts, status.ac_kw = ts, ac_kw
        status.reported_state = fields.get("reported_state")
        status.fault_bits = fields.get("fault_bits")
        status.save()
        self.heartbeat(minute)

    def readings(self, minute: float, **fields) -> None:
        for inverter in self.inverters:
            self.reading(inverter, minute, **fields)

    def heartbeat(self, minute: float) -> None:
        Collector.objects.filter(id=self.collector.id).update(last_seen=self.at(minute))

    def grid(self, minute: float, *, outage: bool) -> None:
        StationStatus.objects.update_or_create(
            station=self.station,
            defaults={
                "grid_outage": outage,
                "grid_ts": self.at(minute),
                "last_ts": self.at(minute),
            },
        )

    def grid_outage(self, start: float = 0, *, minutes: int = 2) -> None:
        """A grid outage reported by the site, held long enough to raise the alarm (201)."""
        for minute in range(int(start), int(start) + minutes):
            self.grid(minute, outage=True)
            self.readings(minute, ac_kw=0, grid_outage=True)
            self.detect(minute)

    def detect(self, minute: float):
        return detect_events(now=self.at(minute))

    def open_codes(self) -> list[tuple[int, str]]:
        return sorted(
            (a.event_type_id, a.subject)
            for a in Alarm.objects.filter(cleared_at__isnull=True, station=self.station)
        )

    def subject(self, number: int) -> str:
        return f"inv:{self.inverters[number - 1].id}"
