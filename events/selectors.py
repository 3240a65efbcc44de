"""Reads of alarms and events that pages and the API share, always through the visibility rule."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet

from events.faults import fault_named
from events.models import Alarm, EventLog, EventType, Severity
from monitoring.models import PowerStation
from monitoring.states import PlantState
from monitoring.visibility import stations_visible_to

NOTIFY_CODES = (100, 299)  # the old "notify" list: generation, grid, communication, stop, fault
# The plant state an open alarm of each code stands for (monitoring/states.py ranks them).
ALARM_PLANT_STATES = {
    EventType.COLLECTOR_DOWN: PlantState.COLLECTOR_DOWN,
    EventType.GRID_OUTAGE: PlantState.GRID_OUTAGE,
    EventType.COMM_ERROR: PlantState.COMM_ERROR,
    EventType.NOT_GENERATING: PlantState.NOT_GENERATING,
}


def _stations(user, stations: Iterable[PowerStation | int] | None) -> QuerySet[PowerStation]:
    visible = stations_visible_to(user)
    if stations is not None:
        ids = [s.pk if isinstance(s, PowerStation) else s for s in stations]
        visible = visible.filter(id__in=ids)
    return visible


def alarms_for(
    *,
    user,
    stations: Iterable[PowerStation | int] | None = None,
    acknowledged: bool | None = None,
    is_open: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Alarm]:
    """Alarms of the stations the user may see (all of them, or those given), newest first.

    A period selects the alarms that were open at some moment within it.
    """
    alarms = Alarm.objects.filter(station__in=_stations(user, stations).values("id"))
    if acknowledged is not None:
        alarms = alarms.filter(acknowledged_at__isnull=not acknowledged)
    if is_open is not None:
        alarms = alarms.filter(cleared_at__isnull=is_open)
    if until is not None:
        alarms = alarms.filter(raised_at__lt=until)
    if since is not None:
        alarms = alarms.filter(Q(cleared_at__isnull=True) | Q(cleared_at__gte=since))
    return alarms.select_related("event_type", "station", "inverter", "acknowledged_by")


def notify_list(
    *,
    user,
    since: datetime,
    until: datetime,
    stations: Iterable[PowerStation | int] | None = None,
) -> QuerySet[EventLog]:
    """The old "notify" list: events with codes 100-299 in [since, until), newest first."""
    return _event_log(user, stations, since, until).filter(event_type__code__range=NOTIFY_CODES)


def station_event_log(
    *, user, station: PowerStation, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[EventLog]:
    """Every state change of one station, newest first."""
    return _event_log(user, [station], since, until)


def _event_log(user, stations, since, until) -> QuerySet[EventLog]:
    entries = EventLog.objects.filter(station__in=_stations(user, stations).values("id"))
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    return entries.select_related("event_type", "station", "inverter", "alarm")


def error_classification(
    *, user, stations: Iterable[PowerStation | int] | None = None
) -> dict[int, dict[str, int]]:
    """The old "error classification": per station, the open alarms counted per category.

    A category is the event code ("201", "202", ...) and, for inverter faults, each decoded
    fault ("fault:ground_fault", ...), so one inverter with two faults counts under both.
    """
    open_alarms = Alarm.objects.filter(
        station__in=_stations(user, stations).values("id"), cleared_at__isnull=True
    )
    counts: dict[int, Counter] = defaultdict(Counter)
    for row in open_alarms.values("station_id", "event_type_id").annotate(n=Count("id")):
        counts[row["station_id"]][str(row["event_type_id"])] += row["n"]
    faults = open_alarms.filter(event_type_id=EventType.INVERTER_FAULT)
    for station_id, details in faults.values_list("station_id", "details"):
        for slug in details.get("faults", []):
            counts[station_id][f"fault:{slug}"] += 1
    return {station_id: dict(counter) for station_id, counter in counts.items()}


def open_alarm_counts(station_ids: list[int]) -> dict[int, Counter]:
    """Per station, its open alarms counted by event code (one query)."""
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = _open_of_stations(station_ids).values_list("station_id", "event_type_id")
    for station_id, code, n in _of(station_ids, rows.annotate(n=Count("id"))):
        counts[station_id][code] += n
    return counts


# Above this many stations, the open alarms of every plant are read and the stations' picked
# out here: a fleet has far fewer open alarms than plants, and an IN list of 10,000 ids costs
# more to build than the answer.
IN_LIST_LIMIT = 500


def _open_of_stations(station_ids: list[int]):
    alarms = Alarm.objects.filter(cleared_at__isnull=True)
    if len(station_ids) > IN_LIST_LIMIT:
        return alarms.filter(station_id__isnull=False)
    return alarms.filter(station_id__in=station_ids)


def _of(station_ids: list[int], rows) -> list[tuple]:
    """The rows (station id first) of these stations."""
    wanted = set(station_ids)
    return [row for row in rows if row[0] in wanted]


# The severities, worst first: the overview's problems-first order and its alarm figures.
SEVERITY_ORDER = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]


@dataclass(frozen=True)
class OpenAlarms:
    """A plant's open alarms: how many of each severity, and when the oldest of its worst
    severity was raised."""

    by_severity: dict[str, int]
    oldest_worst: datetime

    @property
    def worst(self) -> str:
        return next(s for s in SEVERITY_ORDER if self.by_severity.get(s))


def open_alarms_by_severity(station_ids: list[int]) -> dict[int, OpenAlarms]:
    """Per station id with any open alarm: its open alarms by severity (one query)."""
    rows = (
        _open_of_stations(station_ids)
        .values_list("station_id", "event_type__severity")
        .annotate(n=Count("id"), oldest=Min("raised_at"))
    )
    found: dict[int, dict[str, tuple[int, datetime]]] = defaultdict(dict)
    for station_id, severity, n, oldest in _of(station_ids, rows):
        found[station_id][severity] = (n, oldest)
    result = {}
    for station_id, severities in found.items():
        worst = next(s for s in SEVERITY_ORDER if s in severities)
        result[station_id] = OpenAlarms(
            by_severity={s: n for s, (n, _oldest) in severities.items()},
            oldest_worst=severities[worst][1],
        )
    return result


@dataclass(frozen=True)
class ProblemClass:
    """One line of a plant's error classification: a kind of open problem and how many."""

    key: str  # the event code ("201") or a decoded fault ("fault:ground_fault")
    name: str  # in the language asked for
    count: int
    severity: str  # a Severity


def plant_problem_classes(*, user, station: PowerStation, language: str) -> list[ProblemClass]:
    """The plant's open problems by category, worst first: each event code by its name, and
    each fault of an inverter-fault alarm by the fault's name (`error_classification`'s
    categories, in words). Empty when nothing is open or the user may not see the plant."""
    counts = error_classification(user=user, stations=[station]).get(station.id, {})
    codes = [int(key) for key in counts if key.isdigit()]
    types = {t.code: t for t in EventType.objects.filter(code__in=codes)}
    classes = []
    for key, count in counts.items():
        if key.isdigit():
            event_type = types.get(int(key))
            name = event_type.name_in(language) if event_type else key
            severity = event_type.severity if event_type else Severity.WARNING
        else:
            fault = fault_named(key.partition(":")[2])
            name, severity = fault.name_in(language), Severity.CRITICAL
        classes.append(ProblemClass(key=key, name=name, count=count, severity=severity))
    classes.sort(key=lambda c: (SEVERITY_ORDER.index(c.severity), not c.key.isdigit(), c.key))
    return classes


def grid_outages(
    *, user, station: PowerStation, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[Alarm]:
    """A plant's grid outages (its grid-outage alarms, raised to cleared), newest first; with a
    period, those that were on at some moment in it."""
    return alarms_for(user=user, stations=[station], since=since, until=until).filter(
        event_type_id=EventType.GRID_OUTAGE
    ).order_by("-raised_at", "-id")
