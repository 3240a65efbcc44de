"""Hourly and daily generation, zero fill, late-data recompute: the rules in one module.

Hourly energy of an inverter is the sum of the energy between consecutive readings, each pair
(a, b) credited to the plant-local hour that holds b. Where the lifetime counter (total_kwh)
exists a pair's energy is its difference; where only the day counter (day_kwh) exists, it is
the day counter's difference, and the first reading of a local day counts from zero at
midnight. Over a gap-free day this equals "counter at the end of the hour minus counter at the
end of the hour before". The rules for what can go wrong, in order:

1. a counter that goes backwards (reset, replaced inverter, glitch) gives no energy, never a
   negative one; the hour is marked `counter_reset`;
2. an increase larger than the inverter's capacity could produce in the elapsed time (plus
   JUMP_SLACK_KWH of counter resolution) is left out and booked as `excluded_kwh`;
   after either of these, the next reading is first compared with the last trusted reading,
   so a single wild reading costs nothing and a real reset is followed from the new level;
3. readings further apart than the gap limit (ROLLUP_MAX_GAP_MINUTES, or one and a half
   expected intervals where that is longer) are a gap: a counter difference that spans
   several hours is spread over them in proportion to clear-sky irradiance (so night hours
   get none) and marked estimated, never piled into the hour where data came back.

Time is weighted by what each reading stands for (generation/cadence.py): until the next
reading, at most the inverter's expected interval. An hour's minutes generating are the
minutes its generating readings stand for; its daylight minutes with data over its daylight
minutes (sun at least 5° up) say whether it is complete (COMPLETE_SHARE), so an hour left
without data by a gap is incomplete and a night without readings is not.

Recomputing is idempotent: rows are computed, compared with the stored ones, and only rows
that differ are written. Raw readings are only read through telemetry/store.py.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from generation import cadence
from generation.models import DailyGeneration, HourlyGeneration
from monitoring import plant_time
from monitoring.models import Inverter, PowerStation
from monitoring.solar import clear_sky_irradiance, daylight_intervals, daylight_seconds
from telemetry import store

logger = logging.getLogger(__name__)

JUMP_FACTOR = 1.1  # a counter may run this much ahead of nameplate (clipping, rounding)
JUMP_SLACK_KWH = 1.0  # counters with 1 kWh resolution step by a whole kWh
COMPLETE_SHARE = 0.9  # an hour with data for this share of its daylight is complete
GAP_INTERVALS = 1.5  # readings this many expected intervals apart (or more) leave a gap
AGREEMENT_KWH = 0.5  # the day's hourly sum and its counter agree within this ...
AGREEMENT_SHARE = 0.02  # ... or within this share of the counter, whichever is larger
BASELINE_LOOKBACK = timedelta(hours=36)  # how far back the reading before a window is sought
RECENT = timedelta(days=2)  # windows ending since then teach an inverter's reading interval
CHUNK = 200  # inverters per read


@dataclass(frozen=True)
class Meter:
    """What the rollup needs to know about one inverter, read once from the registry."""

    inverter_id: int
    station_id: int
    capacity_kw: float  # AC: what its counter can rise by
    tz: ZoneInfo
    latitude: float
    longitude: float
    interval_set: int | None = None  # its collector's reading interval, if set in the admin
    interval_learned: int | None = None  # the one last learned from its readings


def meters_for(
    *, inverter_ids: Iterable[int] | None = None, station_ids: Iterable[int] | None = None
) -> dict[int, Meter]:
    """Active inverters (all, or these, or those of these stations), keyed by id."""
    inverters = Inverter.objects.filter(is_active=True).select_related("station", "collector")
    if inverter_ids is not None:
        inverters = inverters.filter(id__in=list(inverter_ids))
    if station_ids is not None:
        inverters = inverters.filter(station_id__in=list(station_ids))
    inverters = list(
        inverters.only(
            "id",
            "capacity_kw",
            "station_id",
            "station__time_zone",
            "station__latitude",
            "station__longitude",
            "collector__reading_interval_seconds",
        )
    )
    learned = cadence.learned_intervals(inv.id for inv in inverters)
    return {
        inv.id: Meter(
            inverter_id=inv.id,
            station_id=inv.station_id,
            capacity_kw=float(inv.capacity_kw),
            tz=inv.station.tz,
            latitude=inv.station.latitude,
            longitude=inv.station.longitude,
            interval_set=inv.collector.reading_interval_seconds if inv.collector_id else None,
            interval_learned=learned.get(inv.id),
        )
        for inv in inverters
    }


def default_per_hour() -> int:
    """Readings an hour at READING_INTERVAL_SECONDS (a zero fill's `expected`)."""
    return max(1, round(3600 / cadence.default_interval()))


# --- Hourly ---------------------------------------------------------------------------------


@dataclass
class _Hour:
    kwh: float = 0.0
    readings: int = 0
    run: float = 0.0  # seconds its generating readings stand for
    covered: float = 0.0  # daylight seconds with data
    lit_run: float = 0.0  # daylight seconds generating
    light: tuple = ()  # ((start, end), ...) of its daylight, epoch seconds
    light_seconds: float = 0.0
    full_light: bool = False
    gap: bool = False
    estimated: bool = False
    counter_reset: bool = False
    excluded_kwh: float = 0.0
    peak_kw: float | None = None
    peak_at: int | None = None
    total_end: float | None = None
    day_end: float | None = None


@dataclass
class _Window:
    """The hours [start, end) of one inverter being computed, as epoch seconds, with the
    stretches of them the sun is up at its plant."""

    starts: list[int]
    end: int
    daylight: list[tuple[float, float]] = field(default_factory=list)
    hours: list[_Hour] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hours = [_Hour() for _ in self.starts]
        self.spilled: set[int] = set()
        for start, slot in zip(self.starts, self.hours, strict=True):
            pieces = tuple(
                (max(lo, start), min(hi, start + 3600))
                for lo, hi in self.daylight
                if lo < start + 3600 and hi > start
            )
            slot.light = pieces
            slot.light_seconds = sum(hi - lo for lo, hi in pieces)
            slot.full_light = slot.light_seconds >= 3600

    def index(self, t: int) -> int:
        """Index of the hour holding t (t inside the window)."""
        return min(len(self.starts) - 1, max(0, (t - self.starts[0]) // 3600))

    def cover(self, a: float, b: float, running: bool) -> None:
        """A reading stands for [a, b): credit its time (and its daylight) to the hours.

        Called once per reading: comparisons rather than min()/max() calls on purpose."""
        first = self.starts[0]
        if a < first:
            a = first
        if b > self.end:
            b = self.end
        while a < b:
            k = int(a - first) // 3600
            edge = first + (k + 1) * 3600
            hi = b if b < edge else edge
            slot = self.hours[k]
            if slot.full_light:
                lit = hi - a
            elif slot.light:
                lit = sum(max(0, min(hi, up) - max(a, lo)) for lo, up in slot.light)
            else:
                lit = 0
            slot.covered += lit
            if running:
                slot.run += hi - a
                slot.lit_run += lit
            a = hi

    def spread(self, energy: float, t0: int, t1: int, meter: Meter) -> None:
        """Credit `energy` produced somewhere in (t0, t1] to the hours it spans, by sunlight.

        Only the hours inside the window are written; the share of hours outside it is what
        they receive when they are computed themselves, so the split never depends on the
        window it was computed in.
        """
        first_hour = t0 - (t0 - self.starts[0]) % 3600
        pieces: list[tuple[int, int, float]] = []
        hour = first_hour
        while hour < t1:
            lo, hi = max(hour, t0), min(hour + 3600, t1)
            if hi > lo:
                middle = datetime.fromtimestamp((lo + hi) / 2, UTC)
                sun = clear_sky_irradiance(meter.latitude, meter.longitude, middle)
                pieces.append((hour, hi - lo, sun * (hi - lo)))
            hour += 3600
        total_weight = sum(weight for _, _, weight in pieces)
        total_seconds = sum(seconds for _, seconds, _ in pieces)
        for hour, seconds, weight in pieces:
            if hour < self.starts[0] and weight > 0 and energy > 0:
                self.spilled.add(hour)  # an earlier hour's share changed: recompute it later
            if not self.starts[0] <= hour < self.end:
                continue
            share = weight / total_weight if total_weight > 0 else seconds / total_seconds
            slot = self.hours[self.index(hour)]  # its missing data shows in its coverage
            if energy * share > 0:
                slot.kwh += energy * share
                slot.estimated = True


def _pair_energy(a, b, meter: Meter, midnight_of) -> tuple[float | None, int]:
    """Counter increase from reading a to reading b and the second it started counting at.

    None when the two readings share no counter. `a` may be None (no earlier reading): then
    only the day counter can say anything, counted from local midnight.
    """
    t_b, day_b, total_b = b[1], b[3], b[4]
    if a is not None:
        t_a, day_a, total_a = a[1], a[3], a[4]
        if total_a is not None and total_b is not None:
            return total_b - total_a, t_a
        if day_b is not None and midnight_of(t_a) != midnight_of(t_b):
            return day_b, max(t_a, midnight_of(t_b))
        if day_a is not None and day_b is not None:
            return day_b - day_a, t_a
        return None, t_a
    if day_b is not None:
        return day_b, midnight_of(t_b)
    return None, t_b


def _allowed_kwh(meter: Meter, seconds: int) -> float:
    return meter.capacity_kw * seconds / 3600 * JUMP_FACTOR + JUMP_SLACK_KWH


def _inverter_hours(
    meter: Meter,
    rows: list,
    baseline,
    lookahead,
    window: _Window,
    *,
    interval: int,
    max_gap: int,
    known_until: int,
) -> None:
    """Fill window.hours from one inverter's readings (sorted by time), the reading before
    the window (baseline) and the one after it (lookahead, which only closes a gap or ends the
    last reading's time). Each reading stands for the time until the next one, at most
    `interval`, and never past `known_until` (now)."""
    tz = meter.tz
    midnights: dict[int, int] = {}

    def midnight_of(t: int) -> int:
        # Readings of one day share the answer; cache by hour to avoid a zone lookup each.
        key = t - t % 3600
        if key not in midnights:
            local = datetime.fromtimestamp(t, UTC).astimezone(tz)
            midnights[key] = int(plant_time.day_bounds(local.date(), tz)[0].timestamp())
        return midnights[key]

    prev, trusted = baseline, None
    hours, first, last = window.hours, window.starts[0], len(window.hours) - 1
    kwh_per_second = meter.capacity_kw / 3600 * JUMP_FACTOR
    held = held_running = None  # the reading that stands for the time now being walked
    if baseline is not None:
        held, held_running = baseline[1], baseline[2] is not None and baseline[2] > 0
    for row in rows:
        t, ac_kw = row[1], row[2]
        if held is not None:  # the reading before stands until this one (or its interval)
            window.cover(held, t if t - held < interval else held + interval, held_running)
        held, held_running = t, ac_kw is not None and ac_kw > 0
        slot = hours[min(last, (t - first) // 3600)]  # inline window.index: the hot loop
        slot.readings += 1
        if ac_kw is not None:
            if slot.peak_kw is None or ac_kw > slot.peak_kw:
                slot.peak_kw, slot.peak_at = ac_kw, t
        if row[4] is not None:
            slot.total_end = row[4]
        if row[3] is not None:
            slot.day_end = row[3]

        energy, since = _pair_energy(prev, row, meter, midnight_of)
        if trusted is not None:
            # The reading before was wild: if this one continues from the last trusted
            # reading, the wild one was a glitch and is skipped.
            energy_t, since_t = _pair_energy(trusted, row, meter, midnight_of)
            if energy_t is not None and 0 <= energy_t <= _allowed_kwh(meter, t - since_t):
                energy, since = energy_t, since_t
            trusted = None
        if energy is None:
            if prev is not None or row[4] is not None:
                slot.gap = True  # history unknown: do not claim the hour is complete
        elif energy < 0:
            slot.counter_reset = True
            trusted = prev
        elif energy > kwh_per_second * (t - since) + JUMP_SLACK_KWH:
            slot.excluded_kwh += energy
            trusted = prev
        elif t - since > max_gap:
            window.spread(energy, since, t, meter)
        else:
            slot.kwh += energy
        prev = row
    if held is not None:
        until = held + interval
        if lookahead is not None:
            until = min(until, lookahead[1])
        window.cover(held, min(until, known_until), held_running)
    if lookahead is not None and prev is not None:
        # A gap running past the window's end: the window's hours get their share of it.
        energy, since = _pair_energy(prev, lookahead, meter, midnight_of)
        if trusted is not None:
            energy_t, since_t = _pair_energy(trusted, lookahead, meter, midnight_of)
            if energy_t is not None and 0 <= energy_t <= _allowed_kwh(
                meter, lookahead[1] - since_t
            ):
                energy, since = energy_t, since_t
        t = lookahead[1]
        if (
            energy is not None
            and 0 <= energy <= _allowed_kwh(meter, t - since)
            and t - since > max_gap
        ):
            window.spread(energy, since, t, meter)


def hours_recompute(
    *, meters: dict[int, Meter], start: datetime, end: datetime, now: datetime | None = None
) -> tuple[int, int, set[tuple[int, date]]]:
    """Recompute the hourly rows of these inverters over [start, end) (hour boundaries).

    Returns (readings read, rows written, the (inverter, local date) pairs that were touched).
    Inverters without a reading in the window keep whatever rows they had: a purge of raw
    readings never erases what was rolled up from them.
    """
    now = now or timezone.now()
    max_gap = settings.ROLLUP_MAX_GAP_MINUTES * 60
    starts = plant_time.hour_starts(start, end)
    epoch_starts = [int(s.timestamp()) for s in starts]
    known_until = int(now.timestamp())
    read = written = 0
    touched: set[tuple[int, date]] = set()
    observed: dict[int, tuple[int, int]] = {}
    daylight: dict[tuple[float, float], list] = {}
    ids = sorted(meters)
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        baselines = store.counter_rows_before(
            inverter_ids=chunk, before=start, not_before=start - BASELINE_LOOKBACK
        )
        lookaheads = store.counter_rows_after(
            inverter_ids=chunk, after=end, not_after=min(now, end + BASELINE_LOOKBACK)
        )
        grouped = dict(_grouped(store.counter_rows(inverter_ids=chunk, start=start, end=end)))
        computed: list[HourlyGeneration] = []
        spilled: set[tuple[int, datetime]] = set()
        for inverter_id in chunk:
            rows = grouped.get(inverter_id, [])
            baseline, lookahead = baselines.get(inverter_id), lookaheads.get(inverter_id)
            if not rows and (baseline is None or lookahead is None):
                continue  # nothing in or across the window: keep what is stored
            read += len(rows)
            meter = meters[inverter_id]
            seen, spacings = cadence.median_spacing([row[1] for row in rows])
            if seen is not None:
                observed[inverter_id] = (seen, spacings)
            interval = cadence.interval_of(
                configured=meter.interval_set, observed=seen, learned=meter.interval_learned
            )
            place = (meter.latitude, meter.longitude)
            if place not in daylight:
                daylight[place] = daylight_intervals(*place, epoch_starts[0], end.timestamp())
            window = _Window(epoch_starts, int(end.timestamp()), daylight[place])
            _inverter_hours(
                meter, rows, baseline, lookahead, window, interval=interval,
                max_gap=max(max_gap, round(GAP_INTERVALS * interval)), known_until=known_until,
            )  # fmt: skip
            if not rows and not any(h.estimated for h in window.hours):
                continue  # a silent night across the window: no energy to place
            computed.extend(_hour_rows(meter, starts, window, interval, now))
            spilled |= {(inverter_id, datetime.fromtimestamp(h, UTC)) for h in window.spilled}
        if spilled:
            store.dirty_hours_mark(spilled, now=now)
        changed = _changed_rows(computed, HourlyGeneration, start=start, end=end)
        _upsert(changed, HourlyGeneration, ["inverter_id", "hour_start"])
        written += len(changed)
        touched.update((r.inverter_id, r.local_date) for r in computed)
    if end >= now - RECENT:  # learn from recent readings only, not from a recompute of old ones
        cadence.learned_save(
            observed, known={i: meters[i].interval_learned for i in observed}, now=now
        )
    return read, written, touched


def _grouped(rows: Iterable) -> Iterable[tuple[int, list]]:
    """(inverter_id, its rows) from rows ordered by inverter."""
    current, group = None, []
    for row in rows:
        if row[0] != current:
            if group:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if group:
        yield current, group


def _hour_rows(meter, starts, window: _Window, interval: int, now) -> list[HourlyGeneration]:
    rows = []
    per_hour = max(1, round(3600 / interval))
    for hour_start, slot in zip(starts, window.hours, strict=True):
        local = hour_start.astimezone(meter.tz)
        complete = not slot.gap and slot.covered >= COMPLETE_SHARE * slot.light_seconds
        rows.append(
            HourlyGeneration(
                inverter_id=meter.inverter_id,
                station_id=meter.station_id,
                hour_start=hour_start,
                local_date=local.date(),
                local_hour=local.hour,
                kwh=round(slot.kwh, 6),
                readings=slot.readings,
                expected=per_hour,
                complete=complete,
                estimated=slot.estimated,
                counter_reset=slot.counter_reset,
                excluded_kwh=round(slot.excluded_kwh, 6),
                peak_kw=slot.peak_kw,
                peak_at=None if slot.peak_at is None else datetime.fromtimestamp(slot.peak_at, UTC),
                run_minutes=round(slot.run / 60, 4),
                daylight_minutes=round(slot.light_seconds / 60, 4),
                covered_minutes=round(slot.covered / 60, 4),
                daylight_run_minutes=round(slot.lit_run / 60, 4),
                interval_seconds=interval,
                total_kwh_end=slot.total_end,
                day_kwh_end=slot.day_end,
                computed_at=now,
            )
        )
    return rows


# Fields compared to decide whether a stored row must be rewritten (not computed_at).
_HOUR_FIELDS = [
    "station_id", "local_date", "local_hour", "kwh", "readings", "expected", "complete",
    "estimated", "counter_reset", "excluded_kwh", "peak_kw", "peak_at", "run_minutes",
    "daylight_minutes", "covered_minutes", "daylight_run_minutes", "interval_seconds",
    "total_kwh_end", "day_kwh_end",
]  # fmt: skip
_DAY_FIELDS = [
    "station_id", "kwh", "total_kwh_end", "counter_kwh", "counter_agrees", "peak_kw",
    "peak_at", "run_minutes", "daylight_minutes", "covered_minutes", "daylight_run_minutes",
    "interval_seconds", "readings", "expected", "completeness", "estimated", "counter_reset",
    "excluded_kwh", "zero_filled",
]  # fmt: skip
_COMPARED = {HourlyGeneration: _HOUR_FIELDS, DailyGeneration: _DAY_FIELDS}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def _changed_rows(computed: list, model, **bounds) -> list:
    """The computed rows that are new or differ from what is stored."""
    if not computed:
        return []
    fields = _COMPARED[model]
    if model is HourlyGeneration:
        stored = model.objects.filter(
            inverter_id__in={r.inverter_id for r in computed},
            hour_start__gte=bounds["start"],
            hour_start__lt=bounds["end"],
        )
        key_field = "hour_start"
    else:
        stored = model.objects.filter(
            inverter_id__in={r.inverter_id for r in computed},
            date__in={r.date for r in computed},
        )
        key_field = "date"

    def key(r):
        return r.inverter_id, getattr(r, key_field)

    existing = {
        key(r): r for r in stored.values_list(*fields, "inverter_id", key_field, named=True)
    }
    return [
        row
        for row in computed
        if (old := existing.get(key(row))) is None
        or not all(_same(getattr(row, f), getattr(old, f)) for f in fields)
    ]


def _upsert(rows: list, model, unique_fields: list[str]) -> None:
    rows_upsert(
        model, rows, unique_fields=unique_fields, update_fields=[*_COMPARED[model], "computed_at"]
    )


def rows_upsert(model, rows: list, *, unique_fields: list[str], update_fields: list[str]) -> None:
    """Insert rows or update the ones whose key exists, in one transaction of the telemetry DB."""
    if not rows:
        return
    alias = router.db_for_write(model)
    # MySQL's ON DUPLICATE KEY UPDATE takes no conflict target; the key is the primary key.
    target = (
        unique_fields if connections[alias].features.supports_update_conflicts_with_target else None
    )
    with transaction.atomic(using=alias):
        for offset in range(0, len(rows), 2000):
            model.objects.bulk_create(
                rows[offset : offset + 2000],
                update_conflicts=True,
                unique_fields=target,
                update_fields=update_fields,
            )


# --- Daily per inverter ---------------------------------------------------------------------


def inverter_days_recompute(
    *, meters: dict[int, Meter], days: Iterable[tuple[int, date]], now: datetime | None = None
) -> int:
    """Recompute the daily rows of these (inverter, local date) pairs from their hourly rows.

    A pair without hourly rows is left alone (zero fill is the daily job's decision).
    Returns the number of rows written.
    """
    now = now or timezone.now()
    by_date: dict[date, set[int]] = defaultdict(set)
    for inverter_id, day in days:
        if inverter_id in meters:
            by_date[day].add(inverter_id)
    written = 0
    for day, inverter_ids in by_date.items():
        hours: dict[int, list] = defaultdict(list)
        for hour in (
            HourlyGeneration.objects.filter(inverter_id__in=inverter_ids, local_date=day)
            .order_by("inverter_id", "hour_start")
            .values_list("inverter_id", *_DAY_INPUTS, named=True)  # a fleet's: not models
        ):
            hours[hour.inverter_id].append(hour)
        previous_totals = dict(
            DailyGeneration.objects.filter(
                inverter_id__in=hours.keys(), date=day - timedelta(days=1)
            ).values_list("inverter_id", "total_kwh_end")
        )
        computed = [
            _day_row(meters[inv], day, rows, previous_totals.get(inv), now)
            for inv, rows in hours.items()
        ]
        changed = _changed_rows(computed, DailyGeneration)
        _upsert(changed, DailyGeneration, ["inverter_id", "date"])
        written += len(changed)
    return written


def hours_in_day(day: date, tz: ZoneInfo) -> int:
    start, end = plant_time.day_bounds(day, tz)
    return round((end - start).total_seconds() / 3600)


# What a day's row is made of, of each of its hourly rows.
_DAY_INPUTS = (
    "kwh", "total_kwh_end", "day_kwh_end", "peak_kw", "peak_at", "readings", "interval_seconds",
    "daylight_minutes", "covered_minutes", "run_minutes", "daylight_run_minutes", "estimated",
    "counter_reset", "excluded_kwh",
)  # fmt: skip


def _day_row(meter: Meter, day: date, hours: list, previous_total, now) -> DailyGeneration:
    kwh = sum(h.kwh for h in hours)
    totals = [h.total_kwh_end for h in hours if h.total_kwh_end is not None]
    day_counters = [h.day_kwh_end for h in hours if h.day_kwh_end is not None]
    total_end = totals[-1] if totals else None
    if day_counters:
        counter_kwh = day_counters[-1]
    elif total_end is not None and previous_total is not None:
        counter_kwh = total_end - previous_total
    else:
        counter_kwh = None
    agrees = None
    if counter_kwh is not None:
        agrees = abs(kwh - counter_kwh) <= max(AGREEMENT_KWH, AGREEMENT_SHARE * abs(counter_kwh))
    peak = max((h for h in hours if h.peak_kw is not None), key=lambda h: h.peak_kw, default=None)
    readings = sum(h.readings for h in hours)
    intervals = [h.interval_seconds for h in hours if h.interval_seconds]
    interval = statistics.mode(intervals) if intervals else cadence.default_interval()
    daylight = sum(h.daylight_minutes for h in hours)
    covered = sum(h.covered_minutes for h in hours)
    if daylight > 0:
        completeness = covered / daylight
    else:  # a polar night: nothing was expected
        completeness = 1.0 if readings else 0.0
    return DailyGeneration(
        inverter_id=meter.inverter_id,
        station_id=meter.station_id,
        date=day,
        kwh=round(kwh, 6),
        total_kwh_end=total_end,
        counter_kwh=None if counter_kwh is None else round(counter_kwh, 6),
        counter_agrees=agrees,
        peak_kw=None if peak is None else peak.peak_kw,
        peak_at=None if peak is None else peak.peak_at,
        run_minutes=round(sum(h.run_minutes for h in hours), 4),
        daylight_minutes=round(daylight, 4),
        covered_minutes=round(covered, 4),
        daylight_run_minutes=round(sum(h.daylight_run_minutes for h in hours), 4),
        interval_seconds=interval,
        readings=readings,
        expected=round(hours_in_day(day, meter.tz) * 3600 / interval),
        completeness=round(min(1.0, completeness), 4),
        estimated=any(h.estimated for h in hours),
        counter_reset=any(h.counter_reset for h in hours),
        excluded_kwh=round(sum(h.excluded_kwh for h in hours), 6),
        zero_filled=False,
        computed_at=now,
    )


# --- Whole days, zero fill -------------------------------------------------------------------


def days_recompute(
    *, meters: dict[int, Meter], day_of: dict[int, date], now: datetime | None = None
) -> dict[str, int]:
    """Recompute whole local days: `day_of` maps an inverter to the local date to redo."""
    now = now or timezone.now()
    groups: dict[tuple[datetime, datetime], dict[int, Meter]] = defaultdict(dict)
    for inverter_id, day in day_of.items():
        meter = meters[inverter_id]
        groups[plant_time.day_bounds(day, meter.tz)][inverter_id] = meter
    read = hours_written = 0
    touched: set[tuple[int, date]] = set()
    for (start, end), group in groups.items():
        r, w, t = hours_recompute(meters=group, start=start, end=end, now=now)
        read, hours_written = read + r, hours_written + w
        touched |= t
    days_written = inverter_days_recompute(meters=meters, days=touched, now=now)
    return {"readings": read, "hours": hours_written, "days": days_written}


def zero_fill(*, stations: Iterable[PowerStation], day_of: dict[int, date], now=None) -> int:
    """Zero rows, marked as filled, for watched plants' inverters that sent nothing that day.

    `day_of` maps a station id to its local date. Returns the number of rows filled.
    """
    now = now or timezone.now()
    per_hour = default_per_hour()
    filled = 0
    for station in stations:
        if not station.is_watched or station.id not in day_of:
            continue
        day = day_of[station.id]
        start, end = plant_time.day_bounds(day, station.tz)
        daylight = daylight_seconds(
            station.latitude, station.longitude, start.timestamp(), end.timestamp()
        )
        inverter_ids = set(station.inverters.filter(is_active=True).values_list("id", flat=True))
        have = set(
            DailyGeneration.objects.filter(inverter_id__in=inverter_ids, date=day).values_list(
                "inverter_id", flat=True
            )
        )
        rows = [
            DailyGeneration(
                inverter_id=inverter_id,
                station_id=station.id,
                date=day,
                kwh=0.0,
                expected=hours_in_day(day, station.tz) * per_hour,
                daylight_minutes=round(daylight / 60, 4),
                zero_filled=True,
                computed_at=now,
            )
            for inverter_id in sorted(inverter_ids - have)
        ]
        # ignore_conflicts: a real row written meanwhile by a recompute wins over the fill.
        DailyGeneration.objects.bulk_create(rows, ignore_conflicts=True)
        filled += len(rows)
    return filled


# --- Late data ------------------------------------------------------------------------------


def dirty_recompute(*, now: datetime | None = None, limit: int = 20000) -> dict[str, int]:
    """Recompute the hours that received late readings, and their days' rows; clear the marks.

    1. Marks whose hour a later rollup already read are only cleared (`_rolled_up_since`).
    2. Each inverter's marked hours of a local day are recomputed as one window, from its first
       marked hour to its last, not the whole day: a fleet whose collectors all sent the last
       hour again (a restart, a catch-up) costs one hourly rollup, not 24. An hour outside the
       window keeps its share of a gap (`_Window.spread` marks an earlier one that changes).
    3. The daily rows of the days touched are summed again from their hourly rows.
    4. A mark is cleared only if its `marked_at` is still the one read here (a guarded delete):
       a reading marked again while we computed keeps its mark for the next run.

    Returns counts, and the (station, date) pairs touched under "station_days".
    """
    now = now or timezone.now()
    marks = store.dirty_hours(limit=limit)
    done = _rolled_up_since(marks)
    if done:
        store.dirty_hours_clear(done)
        cleared = set(done)
        marks = [m for m in marks if m not in cleared]
    if not marks:
        return {"marks": 0, "readings": 0, "hours": 0, "days": 0, "station_days": set(),
                "already": len(done)}  # fmt: skip
    meters = meters_for(inverter_ids={m.inverter_id for m in marks})
    totals = {"marks": len(marks), "readings": 0, "hours": 0}
    touched: set[tuple[int, date]] = set()
    for (start, end), group in sorted(_marked_windows(marks, meters).items()):
        read, written, days = hours_recompute(meters=group, start=start, end=end, now=now)
        totals["readings"] += read
        totals["hours"] += written
        touched |= days
    totals["days"] = inverter_days_recompute(meters=meters, days=touched, now=now)
    store.dirty_hours_clear(marks)
    totals["station_days"] = {(meters[i].station_id, day) for i, day in touched}
    totals["already"] = len(done)
    return totals


def _marked_windows(marks, meters: dict[int, Meter]) -> dict[tuple[datetime, datetime], dict]:
    """Item 2 above: the windows to recompute, each with the inverters that share it."""
    spans: dict[tuple[int, date], tuple[datetime, datetime]] = {}
    for mark in marks:
        meter = meters.get(mark.inverter_id)
        if meter is None:
            continue  # deactivated since
        key = (mark.inverter_id, plant_time.local_date(mark.hour_start, meter.tz))
        first, last = spans.get(key, (mark.hour_start, mark.hour_start))
        spans[key] = (min(first, mark.hour_start), max(last, mark.hour_start))
    windows: dict[tuple[datetime, datetime], dict[int, Meter]] = defaultdict(dict)
    for (inverter_id, _day), (first, last) in spans.items():
        windows[(first, last + plant_time.HOUR)][inverter_id] = meters[inverter_id]
    return windows


# A mark made this long before an hour's row was computed is surely in it: the ingest marks an
# hour with the time it started, and stores the readings within seconds of that.
ROLLED_UP_MARGIN = timedelta(minutes=5)


def _rolled_up_since(marks: list) -> list:
    """The marks whose hour was rolled up again after they were made (by recompute_generation
    after a backfill, or by the hourly job), so its row already counts those readings."""
    if not marks:
        return []
    rows = HourlyGeneration.objects.filter(
        inverter_id__in={m.inverter_id for m in marks},
        hour_start__gte=min(m.hour_start for m in marks),
        hour_start__lte=max(m.hour_start for m in marks),
    ).values_list("inverter_id", "hour_start", "computed_at")
    computed = {(inverter_id, hour_start): at for inverter_id, hour_start, at in rows}
    return [
        m for m in marks
        if (at := computed.get((m.inverter_id, m.hour_start))) is not None
        and at >= m.marked_at + ROLLED_UP_MARGIN
    ]  # fmt: skip


# --- Figures imported from the old system ----------------------------------------------------
# The old database kept hourly and daily generation long after its raw logs were gone. Its
# figures fill the rollup tables where we have nothing better: a row computed from our own
# readings (readings > 0) is kept, a zero fill or an earlier import is replaced.
IMPORT_OUTCOMES = ("inserted", "updated", "unchanged", "kept", "disagreed")


def imported_hours_upsert(
    *,
    rows: Iterable[tuple[int, int, datetime, float]],
    now: datetime | None = None,
    only_new: bool = False,
) -> dict[str, int]:
    """(inverter_id, station_id, UTC start of the plant-local hour, kWh) -> hourly rows. With
    `only_new`, an imported row that differs is counted as disagreed and kept."""
    now = now or timezone.now()
    rows = list(rows)
    counts = dict.fromkeys(IMPORT_OUTCOMES, 0)
    if not rows:
        return counts
    zones = _station_zones({station_id for _, station_id, _, _ in rows})
    stored = {
        (r.inverter_id, r.hour_start): r
        for r in HourlyGeneration.objects.filter(
            inverter_id__in={row[0] for row in rows},
            hour_start__gte=min(row[2] for row in rows),
            hour_start__lte=max(row[2] for row in rows),
        ).only("inverter_id", "hour_start", "kwh", "readings")
    }
    write = []
    for inverter_id, station_id, hour_start, kwh in rows:
        outcome = _import_outcome(stored.get((inverter_id, hour_start)), kwh, only_new=only_new)
        counts[outcome] += 1
        if outcome in ("inserted", "updated"):
            local = hour_start.astimezone(zones[station_id])
            write.append(HourlyGeneration(
                inverter_id=inverter_id, station_id=station_id, hour_start=hour_start,
                local_date=local.date(), local_hour=local.hour, kwh=kwh, readings=0, expected=0,
                complete=True, estimated=False, counter_reset=False, excluded_kwh=0,
                run_minutes=0, computed_at=now,
            ))  # fmt: skip
    rows_upsert(
        HourlyGeneration,
        write,
        unique_fields=["inverter_id", "hour_start"],
        update_fields=["kwh", "readings", "expected", "complete", "computed_at"],
    )
    return counts


def imported_days_upsert(
    *,
    rows: Iterable[tuple[int, int, date, float]],
    now: datetime | None = None,
    only_new: bool = False,
) -> dict[str, int]:
    """(inverter_id, station_id, plant-local date, kWh) -> daily rows (`only_new`: as for the
    hours)."""
    now = now or timezone.now()
    rows = list(rows)
    counts = dict.fromkeys(IMPORT_OUTCOMES, 0)
    stored = _stored_days({(row[0], row[2]) for row in rows})
    write = []
    for inverter_id, station_id, day, kwh in rows:
        outcome = _import_outcome(stored.get((inverter_id, day)), kwh, only_new=only_new)
        counts[outcome] += 1
        if outcome in ("inserted", "updated"):
            write.append(DailyGeneration(
                inverter_id=inverter_id, station_id=station_id, date=day, kwh=kwh,
                readings=0, expected=0, completeness=1.0, zero_filled=False, computed_at=now,
            ))  # fmt: skip
    rows_upsert(DailyGeneration, write, unique_fields=["inverter_id", "date"],
                update_fields=["kwh", "readings", "expected", "completeness", "zero_filled",
                               "computed_at"])  # fmt: skip
    return counts


def imported_day_totals_upsert(
    *, rows: Iterable[tuple[int, date, float]], now: datetime | None = None, only_new: bool = False
) -> dict[str, int]:
    """(inverter_id, plant-local date, lifetime counter at the day's end) -> the daily row's
    `total_kwh_end`. A day with no daily row yet counts as "missing" (its energy is unknown)."""
    now = now or timezone.now()
    rows = list(rows)
    counts = {**dict.fromkeys(IMPORT_OUTCOMES, 0), "missing": 0}
    stored = _stored_days({(row[0], row[1]) for row in rows})
    for inverter_id, day, total in rows:
        row = stored.get((inverter_id, day))
        if row is None:
            counts["missing"] += 1
        elif row.readings > 0 and row.total_kwh_end is not None:
            counts["kept"] += 1
        elif row.total_kwh_end is not None and _same(row.total_kwh_end, total):
            counts["unchanged"] += 1
        elif row.total_kwh_end is not None and only_new:
            counts["disagreed"] += 1
        else:
            DailyGeneration.objects.filter(inverter_id=inverter_id, date=day).update(
                total_kwh_end=total, computed_at=now
            )
            counts["updated"] += 1
    return counts


def _import_outcome(stored, kwh: float, *, only_new: bool = False) -> str:
    if stored is None:
        return "inserted"
    if stored.readings > 0:
        return "kept"
    if _same(stored.kwh, kwh):
        return "unchanged"
    return "disagreed" if only_new else "updated"


def _stored_days(keys: set[tuple[int, date]]) -> dict[tuple[int, date], DailyGeneration]:
    if not keys:
        return {}
    return {
        (r.inverter_id, r.date): r
        for r in DailyGeneration.objects.filter(
            inverter_id__in={k[0] for k in keys}, date__in={k[1] for k in keys}
        ).only("inverter_id", "date", "kwh", "readings", "total_kwh_end")
        if (r.inverter_id, r.date) in keys
    }


def _station_zones(station_ids: set[int]) -> dict[int, ZoneInfo]:
    return {
        pk: ZoneInfo(zone)
        for pk, zone in PowerStation.objects.filter(id__in=station_ids).values_list(
            "id", "time_zone"
        )
    }

