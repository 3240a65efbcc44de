"""Real time, whatever the reading interval: how long each reading stands for.

Collectors send every minute, every 5, 10 or 15 minutes, or irregularly. Every time-based
figure (run time, availability, completeness, a plant's peak and run time, insolation) is
weighted by the time each reading stands for, not by a count of readings:

1. A reading stands for the time until the next one, at most its inverter's expected
   interval: with readings every 15 minutes each stands for 15 minutes; the reading before a
   two-hour hole stands for one interval, and the rest of the hole is time without data.
2. An inverter's expected interval is, the first that applies:
   a. its collector's `reading_interval_seconds`, set in the admin;
   b. the median spacing of its own readings in the stretch being rolled up, when that holds
      at least MIN_SPACINGS spacings of at most MAX_SPACING (a night's silence is no spacing);
   c. the interval last learned for it that way (ReadingCadence, in the telemetry database);
   d. READING_INTERVAL_SECONDS, until anything is learned.
   A median is not moved by a few lost readings or an outage, so a day with holes shows them
   as missing data instead of stretching its interval over them.
3. A plant's power at a moment is the sum of what each of its inverters' readings says then
   (each held as in 1), so inverters that report at different seconds still add up.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from generation.models import DailyGeneration, ReadingCadence

MIN_SPACINGS = 12
MAX_SPACING = 3600
# A plant's summed power below this (kW) is nothing: sums of floats leave crumbs.
POWER_EPSILON_KW = 1e-6


def default_interval() -> int:
    return max(1, settings.READING_INTERVAL_SECONDS)


def median_spacing(epochs: Sequence[int]) -> tuple[int | None, int]:
    """(median spacing in seconds, spacings counted) of sorted epoch seconds; None when fewer
    than MIN_SPACINGS spacings of at most MAX_SPACING."""
    pairs = zip(epochs, epochs[1:], strict=False)
    spacings = [b - a for a, b in pairs if 0 < b - a <= MAX_SPACING]
    if len(spacings) < MIN_SPACINGS:
        return None, len(spacings)
    return max(1, round(statistics.median(spacings))), len(spacings)


def interval_of(*, configured: int | None, observed: int | None, learned: int | None) -> int:
    """Rule 2: the expected interval from what is known, first that applies."""
    return configured or observed or learned or default_interval()


def learned_intervals(inverter_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        ReadingCadence.objects.filter(inverter_id__in=list(inverter_ids)).values_list(
            "inverter_id", "seconds"
        )
    )


def learned_save(
    observed: dict[int, tuple[int, int]], *, known: dict[int, int | None], now: datetime
) -> int:
    """Store the intervals observed (inverter -> (seconds, spacings)) that differ from what is
    known; returns how many were written."""
    from generation.rollups import rows_upsert  # the one upsert of the telemetry rows

    changed = [
        ReadingCadence(inverter_id=i, seconds=seconds, spacings=count, learned_at=now)
        for i, (seconds, count) in sorted(observed.items())
        if known.get(i) != seconds
    ]
    rows_upsert(
        ReadingCadence,
        changed,
        unique_fields=["inverter_id"],
        update_fields=["seconds", "spacings", "learned_at"],
    )
    return len(changed)


def interval_explained(inverter) -> str:
    """The interval an inverter's figures assume and where it comes from, for the admin."""
    configured = inverter.collector.reading_interval_seconds if inverter.collector_id else None
    if configured:
        return _("%(s)s s, set on its collector") % {"s": configured}
    learned = ReadingCadence.objects.filter(inverter_id=inverter.pk).first()
    if learned:
        return _("%(s)s s, learned from %(n)s spacings of its readings on %(at)s") % {
            "s": learned.seconds, "n": learned.spacings, "at": f"{learned.learned_at:%Y-%m-%d}"
        }
    return _("%(s)s s, the default until its readings tell") % {"s": default_interval()}


def day_intervals(*, station, day) -> dict[int, int]:
    """inverter id -> the interval its figures of that day assumed (the daily rows), else the
    one it would get now (rule 2 without b)."""
    inverters = list(station.inverters.select_related("collector"))
    stored = dict(
        DailyGeneration.objects.filter(station_id=station.id, date=day)
        .exclude(interval_seconds=None)
        .values_list("inverter_id", "interval_seconds")
    )
    learned = learned_intervals(i.id for i in inverters)
    return {
        i.id: stored.get(i.id)
        or interval_of(
            configured=i.collector.reading_interval_seconds if i.collector_id else None,
            observed=None,
            learned=learned.get(i.id),
        )
        for i in inverters
    }


# --- A plant's power: the sum of held readings (rule 3) -------------------------------------


def power_steps(
    points: dict[int, list[tuple[float, float | None]]], intervals: dict[int, int], *, end: float
) -> list[tuple[float, float]]:
    """[(t, plant kW from t on)] where the summed power changes, from per-inverter points
    (epoch seconds, kW) in time order; each reading holds until the next or its interval."""
    changes: dict[float, float] = defaultdict(float)
    for inverter_id, series in points.items():
        cap = intervals.get(inverter_id) or default_interval()
        followers = [t for t, _ in series[1:]]
        followers.append(end)
        for (t, kw), following in zip(series, followers, strict=True):
            if not kw or kw <= 0:
                continue
            until = min(following, t + cap, end)
            if until > t:
                changes[t] += kw
                changes[until] -= kw
    steps, level = [], 0.0
    for t in sorted(changes):
        level += changes[t]
        # Rounded, so that adding and taking away the same kW leaves no crumbs that would
        # move the peak to a later moment of the same power.
        steps.append((t, round(level, 6) if level > POWER_EPSILON_KW else 0.0))
    return steps


def steps_peak_and_run(steps: list[tuple[float, float]]) -> tuple[tuple | None, float]:
    """((when, kW) of the highest power or None, seconds with power above zero)."""
    peak = max(steps, key=lambda step: step[1], default=None)
    running = sum(b[0] - a[0] for a, b in zip(steps, steps[1:], strict=False) if a[1] > 0)
    return (peak if peak and peak[1] > 0 else None), running
