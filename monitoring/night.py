"""Night is not a fault: the one rule detection (events/detection.py) and the pages and API
(monitoring/selectors.py, monitoring/overview.py) share for what a quiet inverter means.

Many inverters stop talking when the sun goes down. Night, here, is the sun below
monitoring.solar.DAYLIGHT_ELEVATION_DEG at the plant (the line availability and "not
generating" use too):

1. silence counts only while the sun is up: an inverter has lost communication once it has
   been silent for the plant's communication-loss minutes of daylight, so one that went quiet
   at dusk is not "communication lost" at midnight, nor at dawn before it had its minutes to
   wake up; one that went quiet at noon stays lost through the night;
2. an inverter that is not lost is asleep while the sun is down, and after sunrise until it
   sends its first reading of the day; what it said last (0 V on its AC side, 0 kW, a fault
   code at dusk) is then no news: no grid outage, no stop, no fault is judged from it, and
   it shows the state "night" (unless it is still generating at dusk);
3. a plant whose inverters are all asleep is at night (monitoring/selectors.py ranks the
   states). The collector's own heartbeat knows no night (events/detection.py, 301).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from monitoring.models import InverterState
from monitoring.solar import daylight_intervals, daylight_seconds, is_daylight

# At night an inverter whose newest reading is older than this is asleep, even if that
# reading said it was generating (the last one at dusk often does).
ASLEEP_AFTER = timedelta(minutes=15)


def is_night(*, latitude: float, longitude: float, now: datetime) -> bool:
    return not is_daylight(latitude, longitude, now)


def silent_too_long(
    *, latitude: float, longitude: float, last_ts: datetime, now: datetime, comm_loss_minutes: int
) -> bool:
    """Silent for `comm_loss_minutes` of daylight since `last_ts` (rule 1)."""
    limit = comm_loss_minutes * 60
    if (now - last_ts).total_seconds() < limit:
        return False  # never more daylight than time: the common case costs no sun
    return (
        daylight_seconds(latitude, longitude, last_ts.timestamp(), now.timestamp()) >= limit
    )


def asleep(*, latitude: float, longitude: float, last_ts: datetime, now: datetime) -> bool:
    """The sun is down, or up but the inverter has sent nothing since it rose (rule 2)."""
    if is_night(latitude=latitude, longitude=longitude, now=now):
        return True
    if now - last_ts < timedelta(hours=1) and is_daylight(latitude, longitude, last_ts):
        return False  # read in daylight minutes ago: the sun has not set and risen since
    up = daylight_intervals(latitude, longitude, last_ts.timestamp(), now.timestamp())
    return not up or up[-1][0] > last_ts.timestamp()


def inverter_state_now(
    *,
    state: str,
    last_ts: datetime | None,
    latitude: float,
    longitude: float,
    comm_loss_minutes: int,
    now: datetime,
) -> str:
    """The state an inverter is in now, from its stored state (the ingest's) and the clock."""
    if last_ts is None:
        return InverterState.UNKNOWN
    if silent_too_long(
        latitude=latitude, longitude=longitude, last_ts=last_ts, now=now,
        comm_loss_minutes=comm_loss_minutes,
    ):  # fmt: skip
        return InverterState.COMM_LOST
    if asleep(latitude=latitude, longitude=longitude, last_ts=last_ts, now=now):
        generating = state == InverterState.RUNNING and now - last_ts < ASLEEP_AFTER
        return InverterState.RUNNING if generating else InverterState.NIGHT
    return state
