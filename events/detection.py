"""Detection: from the latest state of the fleet to raised and cleared alarms, every minute.

One pass reads the whole watched fleet in a fixed number of queries (stations, inverter
statuses, station statuses, collectors, combiner boxes and their latest currents, open alarms,
pending flips, generation states), decides in Python, and writes in bulk. The query count does
not grow with the fleet; `bench/detection.py` prints it. Whether a collector is down and an
inverter silent is monitoring/states.py's to say, as for the pages.

Each check yields an Observation per subject: the condition holds (True), does not (False), or
cannot be told now (None: no data, or night for the daylight checks), in which case the
recorded state stays as it is. Night is not a fault (monitoring/night.py, shared with the
pages): an inverter's silence counts only while the sun is up, and 0 V at night is no outage.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.alarms import AlarmsChanged, alarms_clear, alarms_notify, alarms_raise
from events.faults import faults_decode, inverter_is_faulted
from events.models import Alarm, EventLog, EventType, GenerationState, PendingFlip
from events.notify import storm_notify
from monitoring.changes import plants_changed
from monitoring.models import (
    Collector,
    CombinerBox,
    InverterState,
    InverterStatus,
    PowerStation,
    StationStatus,
)
from monitoring.night import asleep, is_night
from monitoring.states import collector_is_down, inverter_is_silent
from telemetry import store
from telemetry.refusals import RefusalRate, refusal_rates

# A combiner box reading older than this says nothing about its strings now.
COMBINER_FRESH_MINUTES = 15
# Below this median string current (A) the light is too weak to compare strings.
WEAK_STRING_MIN_MEDIAN_A = 0.5


@dataclass(frozen=True)
class Observation:
    code: int
    subject: str
    station_id: int
    holds: bool | None
    inverter_id: int | None = None
    collector_id: int | None = None
    details: dict = field(default_factory=dict)
    hold_minutes: int = 0  # how long the condition must be seen before it raises

    @property
    def key(self) -> str:
        return Alarm.key_for(self.code, self.subject)


@dataclass
class Fleet:
    """What one pass reads: the latest state of every watched device, keyed by id."""

    now: datetime
    stations: dict[int, dict]
    inverters: list[dict]
    grid: dict[int, dict]
    collectors: dict[int, dict]
    collector_stations: list[tuple[int, int]]
    boxes: list[dict]
    box_currents: dict[int, tuple[datetime, list[float | None]]]
    refusals: dict[int, RefusalRate] = field(default_factory=dict)


@dataclass
class DetectionResult:
    watched_inverters: int = 0
    raised: list[Alarm] = field(default_factory=list)
    cleared: list[Alarm] = field(default_factory=list)
    info: list[EventLog] = field(default_factory=list)
    comm_lost: int = 0
    storm: bool = False
    notifications: int = 0
    skipped: str = ""

    @property
    def summary(self) -> str:
        if self.skipped:
            return self.skipped
        text = (
            f"{self.watched_inverters} inverters watched: {len(self.raised)} alarms raised, "
            f"{len(self.cleared)} cleared, {len(self.info)} generation events, "
            f"{self.comm_lost} newly silent, {self.notifications} notifications queued"
        )
        return text + (" (storm: one summary to administrators)" if self.storm else "")


# --- reading the fleet ------------------------------------------------------------------------
def fleet_read(*, now: datetime) -> Fleet:
    watched = PowerStation.objects.exclude(status__in=PowerStation.UNWATCHED)
    stations = {
        row["id"]: row
        for row in watched.values(
            "id", "latitude", "longitude", "comm_loss_minutes", "stop_minutes"
        )
    }
    for station in stations.values():
        station["night"] = is_night(
            latitude=station["latitude"], longitude=station["longitude"], now=now
        )
    inverters = list(
        InverterStatus.objects.filter(
            station__in=watched.values("id"), inverter__is_active=True
        ).values(
            "inverter_id",
            "station_id",
            "last_ts",
            "ac_kw",
            "reported_state",
            "fault_bits",
            "state",
            "state_since",
            "inverter__collector_id",
        )
    )
    for inverter in inverters:  # the night rule, once per inverter and pass
        station, last_ts = stations[inverter["station_id"]], inverter["last_ts"]
        place = {"latitude": station["latitude"], "longitude": station["longitude"]}
        inverter["stale"] = inverter_is_silent(
            **place, last_ts=last_ts, now=now, comm_loss_minutes=station["comm_loss_minutes"]
        )
        inverter["asleep"] = last_ts is not None and asleep(**place, last_ts=last_ts, now=now)
    grid = {
        row["station_id"]: row
        for row in StationStatus.objects.filter(station__in=watched.values("id")).values(
            "station_id", "grid_outage"
        )
    }
    collectors = {
        row["id"]: row for row in Collector.objects.filter(is_active=True).values("id", "last_seen")
    }
    collector_stations = list(
        Collector.stations.through.objects.filter(
            collector__is_active=True, powerstation__in=watched.values("id")
        ).values_list("collector_id", "powerstation_id")
    )
    boxes = list(
        CombinerBox.objects.filter(station__in=watched.values("id")).values(
            "id", "station_id", "number"
        )
    )
    box_currents = (
        store.latest_combiner_currents(since=now - timedelta(minutes=COMBINER_FRESH_MINUTES))
        if boxes
        else {}
    )
    refusals = refusal_rates(since=now - timedelta(minutes=settings.REFUSAL_WINDOW_MINUTES))
    return Fleet(
        now, stations, inverters, grid, collectors, collector_stations, boxes, box_currents,
        refusals,
    )  # fmt: skip


# --- the checks -------------------------------------------------------------------------------
def _stale(inverter: dict) -> bool:
    """Silent for the plant's communication-loss minutes of daylight (worked out on read)."""
    return inverter["stale"]


def _news(inverter: dict) -> bool:
    """Its latest reading says something about now: not lost, and not asleep (what an
    inverter said at dusk, or before the sun rose, is no news in daylight)."""
    return inverter["last_ts"] is not None and not inverter["stale"] and not inverter["asleep"]


def collectors_down(fleet: Fleet) -> set[int]:
    return {
        cid
        for cid, row in fleet.collectors.items()
        if collector_is_down(last_seen=row["last_seen"], now=fleet.now)
    }


def stations_in_outage(fleet: Fleet) -> dict[int, bool | None]:
    """Per station: the site reports an outage, or every inverter with news (`_news`: never a
    sleeping one, which may read 0 V after disconnecting for the night) sees no grid."""
    fresh_states: dict[int, list[str]] = defaultdict(list)
    for inverter in fleet.inverters:
        if _news(inverter):
            fresh_states[inverter["station_id"]].append(inverter["state"])
    outage: dict[int, bool | None] = {}
    for station_id in fleet.stations:
        reported = fleet.grid.get(station_id, {}).get("grid_outage")
        states = fresh_states.get(station_id, [])
        all_dark = bool(states) and all(s == InverterState.GRID_OUTAGE for s in states)
        if reported or all_dark:
            outage[station_id] = True
        elif reported is None and not states:
            outage[station_id] = None
        else:
            outage[station_id] = False
    return outage


def observations_of(fleet: Fleet) -> Iterator[Observation]:
    outage = stations_in_outage(fleet)
    down = collectors_down(fleet)
    daylight = {sid: not s["night"] for sid, s in fleet.stations.items()}
    for station_id, holds in outage.items():
        yield Observation(EventType.GRID_OUTAGE, f"st:{station_id}", station_id, holds)
    for collector_id, station_id in fleet.collector_stations:
        seen = fleet.collectors[collector_id]["last_seen"]
        yield Observation(
            EventType.COLLECTOR_DOWN,
            f"col:{collector_id}:st:{station_id}",
            station_id,
            None if seen is None else collector_id in down,
            collector_id=collector_id,
        )
        yield Observation(
            EventType.COLLECTOR_REFUSALS,
            f"col:{collector_id}:st:{station_id}",
            station_id,
            None if collector_id in down else _refusing(fleet.refusals.get(collector_id)),
            collector_id=collector_id,
        )
    yield from _inverter_observations(fleet, outage=outage, down=down, daylight=daylight)
    yield from _weak_strings(fleet, daylight)


def _refusing(rate: RefusalRate | None) -> bool | None:
    """302: more than REFUSAL_ALARM_SHARE of the items sent in the window were refused; too
    few items say nothing either way (one bad item of three is no jump)."""
    if rate is None or rate.items < settings.REFUSAL_MIN_ITEMS:
        return None
    return rate.share > settings.REFUSAL_ALARM_SHARE


def _inverter_observations(
    fleet: Fleet, *, outage: dict[int, bool | None], down: set[int], daylight: dict[int, bool]
) -> Iterator[Observation]:
    """202, 204 and 203 for each inverter that has ever reported."""
    station_collectors: dict[int, set[int]] = defaultdict(set)
    for collector_id, station_id in fleet.collector_stations:
        station_collectors[station_id].add(collector_id)
    for inverter in fleet.inverters:
        if inverter["last_ts"] is None:
            continue  # never reported: nothing to say yet
        station_id, inverter_id = inverter["station_id"], inverter["inverter_id"]
        station = fleet.stations[station_id]
        subject = f"inv:{inverter_id}"
        stale = _stale(inverter)
        own = inverter["inverter__collector_id"]
        collectors = {own} if own else station_collectors[station_id]
        # While its collector is down an inverter raises no 202 of its own (one message, not
        # one per inverter), and an open one is neither cleared nor repeated.
        folded = stale and bool(collectors & down)
        yield Observation(
            EventType.COMM_ERROR,
            subject,
            station_id,
            None if folded else stale,
            inverter_id=inverter_id,
        )
        if not _news(inverter):
            continue  # what a silent or sleeping inverter last said is no news
        faulted = inverter_is_faulted(
            reported_state=inverter["reported_state"], fault_bits=inverter["fault_bits"]
        )
        yield Observation(
            EventType.INVERTER_FAULT,
            subject,
            station_id,
            faulted,
            inverter_id=inverter_id,
            details=_fault_details(inverter["fault_bits"]) if faulted else {},
        )
        judged = daylight[station_id] and outage[station_id] is False
        yield Observation(
            EventType.NOT_GENERATING,
            subject,
            station_id,
            _not_generating(inverter, station, fleet.now) if judged else None,
            inverter_id=inverter_id,
        )


def _fault_details(bits: int | None) -> dict:
    return {"fault_bits": bits or 0, "faults": [fault.slug for fault in faults_decode(bits)]}


def _not_generating(inverter: dict, station: dict, now: datetime) -> bool:
    if (inverter["ac_kw"] or 0) > 0:
        return False
    since = inverter["state_since"] or now
    return since <= now - timedelta(minutes=station["stop_minutes"])


def _weak_strings(fleet: Fleet, daylight: dict[int, bool]) -> Iterator[Observation]:
    share = settings.WEAK_STRING_SHARE
    for box in fleet.boxes:
        latest = fleet.box_currents.get(box["id"])
        currents = latest[1] if latest else []
        for channel, current in enumerate(currents, start=1):
            siblings = [
                c for i, c in enumerate(currents, start=1) if i != channel and c is not None
            ]
            median = statistics.median(siblings) if siblings else 0
            known = daylight[box["station_id"]] and current is not None
            yield Observation(
                EventType.WEAK_STRING,
                f"cb:{box['id']}:{channel}",
                box["station_id"],
                current < share * median if known and median >= WEAK_STRING_MIN_MEDIAN_A else None,
                details={
                    "box": box["number"],
                    "channel": channel,
                    "current_a": current,
                    "median_a": median,
                },
                hold_minutes=settings.WEAK_STRING_MINUTES,
            )


def generation_observations(fleet: Fleet) -> Iterator[Observation]:
    """101/102: is each inverter with fresh data generating (AC power above 0)?"""
    for inverter in fleet.inverters:
        if not _news(inverter):
            continue
        yield Observation(
            EventType.GENERATION_STARTED,
            f"inv:{inverter['inverter_id']}",
            inverter["station_id"],
            (inverter["ac_kw"] or 0) > 0,
            inverter_id=inverter["inverter_id"],
        )


# --- confirming flips -------------------------------------------------------------------------
@dataclass
class FlipPlan:
    flips: list[Observation] = field(default_factory=list)
    pending_new: list[PendingFlip] = field(default_factory=list)
    pending_changed: list[PendingFlip] = field(default_factory=list)
    pending_done: list[str] = field(default_factory=list)


def flips_plan(
    observations: Iterable[Observation],
    *,
    recorded: dict[str, bool],
    pending: dict[str, PendingFlip],
    now: datetime,
    key=lambda o: o.key,
) -> FlipPlan:
    """Which observations change state now, and what to remember for the next pass.

    A state flips once it has been seen on two consecutive passes and, for a raise where the
    check asks for it, for `hold_minutes` since first seen. An observation that agrees with
    the recorded state, or cannot tell, forgets any pending change.
    """
    plan = FlipPlan()
    for obs in observations:
        k = key(obs)
        waiting = pending.get(k)
        if obs.holds is None or obs.holds == recorded.get(k, False):
            if waiting:
                plan.pending_done.append(k)
            continue
        if waiting is None or waiting.target != obs.holds:
            fresh = PendingFlip(key=k, target=obs.holds, count=1, first_seen_at=now)
            if waiting:
                fresh.pk = waiting.pk
                plan.pending_changed.append(fresh)
            else:
                plan.pending_new.append(fresh)
            continue
        waiting.count += 1
        hold = timedelta(minutes=obs.hold_minutes if obs.holds else 0)
        if waiting.count >= 2 and now - waiting.first_seen_at >= hold:
            plan.flips.append(obs)
            plan.pending_done.append(k)
        else:
            plan.pending_changed.append(waiting)
    return plan


def _pending_save(plan: FlipPlan) -> None:
    if plan.pending_done:
        PendingFlip.objects.filter(key__in=plan.pending_done).delete()
    if plan.pending_new:
        PendingFlip.objects.bulk_create(plan.pending_new)
    if plan.pending_changed:
        PendingFlip.objects.bulk_update(
            plan.pending_changed, ["target", "count", "first_seen_at"], batch_size=500
        )


# --- the pass ---------------------------------------------------------------------------------
def detect_events(*, now: datetime | None = None) -> DetectionResult:
    """One detection pass:

    1. read the fleet (fixed number of queries);
    2. mark inverters silent for their station's comm-loss minutes as comm_lost;
    3. observe every check, compare with open alarms and pending flips, confirm flips;
    4. raise and clear alarms (events/alarms.py), log every change and the 101/102 generation
       events;
    5. queue notifications, or one storm summary for the administrators.
    Everything after the read is one transaction: a second pass running at the same moment
    trips the open-key rule and is rolled back whole, so no alarm is raised twice.
    """
    now = now or timezone.now()
    fleet = fleet_read(now=now)
    result = DetectionResult(watched_inverters=len(fleet.inverters))
    try:
        with transaction.atomic():
            result.comm_lost = _comm_lost_mark(fleet)
            _alarms_apply(fleet, result)
            _generation_apply(fleet, result)
            result.notifications = _notify(result, now=now)
    except (AlarmsChanged, IntegrityError):  # a pass changed alarms or flips under it
        return DetectionResult(skipped="another detection pass ran at the same time; skipped")
    return result


def _comm_lost_mark(fleet: Fleet) -> int:
    """The time-based state comm_lost belongs to detection; the ingest sets it back."""
    by_threshold: dict[int, list[int]] = defaultdict(list)
    stations: set[int] = set()
    for inverter in fleet.inverters:
        station = fleet.stations[inverter["station_id"]]
        if (
            inverter["last_ts"]
            and inverter["state"] != InverterState.COMM_LOST
            and _stale(inverter)
        ):
            by_threshold[station["comm_loss_minutes"]].append(inverter["inverter_id"])
            stations.add(inverter["station_id"])
    marked = 0
    # One UPDATE per distinct threshold (a handful); the last_ts guard leaves alone an inverter
    # whose reading arrived since the fleet was read.
    for minutes, ids in by_threshold.items():
        marked += (
            InverterStatus.objects.filter(
                inverter_id__in=ids, last_ts__lte=fleet.now - timedelta(minutes=minutes)
            )
            .exclude(state=InverterState.COMM_LOST)
            .update(state=InverterState.COMM_LOST, state_since=fleet.now)
        )
    if marked:
        plants_changed(station_ids=stations)
    return marked


def _alarms_apply(fleet: Fleet, result: DetectionResult) -> None:
    now = fleet.now
    open_alarms = {a.open_key: a for a in Alarm.objects.filter(open_key__isnull=False)}
    pending = {p.key: p for p in PendingFlip.objects.exclude(key__startswith="gen:")}
    plan = flips_plan(
        observations_of(fleet),
        recorded={k: True for k in open_alarms},
        pending=pending,
        now=now,
    )
    _pending_save(plan)
    result.storm = _is_storm(changes=len(plan.flips), watched=result.watched_inverters)
    result.raised = alarms_raise(
        alarms=[
            Alarm(
                event_type_id=obs.code,
                subject=obs.subject,
                station_id=obs.station_id,
                inverter_id=obs.inverter_id,
                collector_id=obs.collector_id,
                details=obs.details,
                storm=result.storm,
            )
            for obs in plan.flips
            if obs.holds
        ],
        now=now,
    )
    result.cleared = alarms_clear(
        alarms=[open_alarms[obs.key] for obs in plan.flips if not obs.holds], now=now
    )


def _notify(result: DetectionResult, *, now: datetime) -> int:
    """Queue what the pass found; in a storm, one summary to the administrators instead of
    the alarms' messages."""
    if result.storm:
        return alarms_notify(info=result.info, now=now) + storm_notify(
            raised=result.raised,
            cleared=result.cleared,
            watched=result.watched_inverters,
            now=now,
        )
    return alarms_notify(
        raised=result.raised, cleared=result.cleared, info=result.info, now=now
    )


def _generation_apply(fleet: Fleet, result: DetectionResult) -> None:
    """101 generation started / 102 stopped, confirmed like alarms, logged as information."""
    now = fleet.now
    observations = list(generation_observations(fleet))
    recorded = dict(GenerationState.objects.values_list("inverter_id", "generating"))
    # The first sighting of an inverter sets its state quietly: no event for what was already so.
    GenerationState.objects.bulk_create(
        [
            GenerationState(inverter_id=o.inverter_id, generating=o.holds, since=now)
            for o in observations
            if o.inverter_id not in recorded
        ],
        batch_size=2000,
    )
    plan = flips_plan(
        [o for o in observations if o.inverter_id in recorded],
        recorded={f"gen:{i}": generating for i, generating in recorded.items()},
        pending={p.key: p for p in PendingFlip.objects.filter(key__startswith="gen:")},
        now=now,
        key=lambda o: f"gen:{o.inverter_id}",
    )
    _pending_save(plan)
    GenerationState.objects.bulk_update(
        [
            GenerationState(inverter_id=o.inverter_id, generating=o.holds, since=now)
            for o in plan.flips
        ],
        ["generating", "since"],
        batch_size=500,
    )
    result.info = EventLog.objects.bulk_create(
        EventLog(
            event_type_id=(
                EventType.GENERATION_STARTED if obs.holds else EventType.GENERATION_STOPPED
            ),
            kind=EventLog.Kind.INFO,
            at=now,
            station_id=obs.station_id,
            inverter_id=obs.inverter_id,
            subject=obs.subject,
        )
        for obs in plan.flips
    )


def _is_storm(*, changes: int, watched: int) -> bool:
    """More alarms changing in one pass than a share of the fleet (and than a floor, so a small
    fleet never storms) says the cause is shared, most likely the server's own network."""
    return changes > max(settings.STORM_MIN_SUBJECTS, settings.STORM_SHARE * watched)
