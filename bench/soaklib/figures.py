"""The soak's arithmetic: percentiles, each job run's lag behind its schedule, and the verdict.

Pure functions of numbers and times (no database, no processes), so tests can check them.
A job run is judged against the cron time it was due at: its lag is how long after that time
it started, and it finished inside its period when it ended before the next cron time. A cron
time that passed without a run is missed once the run could no longer have finished in time.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from croniter import croniter

PAGE_P95_TARGET_MS = 300.0
# A request that starts this long after its time means the senders fell behind real time.
SENDER_LAG_LIMIT_S = 5.0
# The full-size target the lead measures on a quiet machine.
TARGET_PLANTS = 10_000
TARGET_MINUTES = 30


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def cron_due(cron: str, started: datetime, tz: tzinfo) -> datetime:
    """The latest time `cron` (read in `tz`) fired at or before `started`."""
    after = started.astimezone(tz) + timedelta(microseconds=1)
    return croniter(cron, after).get_prev(datetime)


def cron_period(cron: str, around: datetime, tz: tzinfo) -> timedelta:
    """The time between the fire at or before `around` and the next one."""
    due = cron_due(cron, around, tz)
    return croniter(cron, due).get_next(datetime) - due


def cron_fires(cron: str, start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Every fire time of `cron` in [start, end)."""
    fires = []
    moment = croniter(cron, start.astimezone(tz) - timedelta(microseconds=1))
    while (fire := moment.get_next(datetime)) < end:
        fires.append(fire)
    return fires


@dataclass(frozen=True)
class Run:
    """One scheduled run of a job, as the JobRun table records it."""

    name: str
    status: str  # "running", "ok" or "failed"
    started: datetime
    finished: datetime | None
    error: str = ""


@dataclass
class JobFigures:
    name: str
    cron: str
    period: timedelta
    seconds: list[float] = field(default_factory=list)  # durations of finished runs
    lags: list[float] = field(default_factory=list)  # seconds from due to start
    missed: list[datetime] = field(default_factory=list)
    late: list[datetime] = field(default_factory=list)  # due times whose run ended too late
    failed: list[str] = field(default_factory=list)
    running: int = 0

    @property
    def runs(self) -> int:
        return len(self.lags)

    @property
    def inside_period(self) -> bool:
        return not (self.missed or self.late or self.failed)


def jobs_judge(
    runs: list[Run],
    crons: dict[str, str],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: tzinfo,
) -> dict[str, JobFigures]:
    """Figures of each job whose cron fired in the window [start, end), judged at `now`.

    A run belongs to the cron time before its start. It is late when it ended (or, still
    running, is already) past the next cron time. A cron time in the window with no run is
    missed once its run could no longer have finished in time, or was due two minutes ago,
    whichever comes first: the scheduler looks every 30 seconds.
    """
    figures: dict[str, JobFigures] = {}
    for name, cron in sorted(crons.items()):
        period = cron_period(cron, start, tz)
        job = JobFigures(name=name, cron=cron, period=period)
        seen = set()
        for run in (r for r in runs if r.name == name):
            due = cron_due(cron, run.started, tz)
            if not start <= due < end:
                continue
            seen.add(due)
            job.lags.append((run.started - due).total_seconds())
            deadline = due + cron_period(cron, run.started, tz)
            if run.status == "failed":
                job.failed.append(run.error or "failed")
            elif run.finished is None:
                job.running += 1
                if now > deadline:
                    job.late.append(due)
            else:
                job.seconds.append((run.finished - run.started).total_seconds())
                if run.finished > deadline:
                    job.late.append(due)
        grace = min(period, timedelta(minutes=2))
        fires = cron_fires(cron, start, min(end, now - grace), tz)
        job.missed = [due for due in fires if due not in seen]
        if job.runs or job.missed:
            figures[name] = job
    return figures


@dataclass
class Outcome:
    """What the verdict needs from one run; every count is over the measured window."""

    errors: Counter  # ingest and heartbeat outcomes other than 200, by status or exception
    rejected: int  # readings the ingest refused one by one
    jobs: dict[str, JobFigures]
    pages_p95_ms: dict[str, float | None]
    page_errors: Counter
    sender_lag_max_s: float
    requests: int
    readings_missing: int = 0  # readings sent minus new rows stored


def kept_up_reasons(outcome: Outcome) -> list[str]:
    """Why the run did not keep up; an empty list means it did."""
    reasons = []
    if outcome.requests == 0:
        reasons.append("no request was sent")
    if outcome.errors:
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(outcome.errors.items()))
        reasons.append(f"collector requests failed ({shown})")
    if outcome.rejected:
        reasons.append(f"{outcome.rejected} readings rejected")
    if outcome.readings_missing:
        reasons.append(f"{outcome.readings_missing} readings sent but not stored")
    for job in outcome.jobs.values():
        if job.missed:
            reasons.append(f"{job.name} missed {len(job.missed)} run(s)")
        if job.late:
            reasons.append(f"{job.name} ran past its period {len(job.late)} time(s)")
        if job.failed:
            reasons.append(f"{job.name} failed {len(job.failed)} time(s): {job.failed[0]}")
    for page, p95 in outcome.pages_p95_ms.items():
        if p95 is None:
            reasons.append(f"no {page} page was timed")
        elif p95 >= PAGE_P95_TARGET_MS:
            reasons.append(f"{page} p95 {p95:.0f} ms >= {PAGE_P95_TARGET_MS:.0f} ms")
    if outcome.page_errors:
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(outcome.page_errors.items()))
        reasons.append(f"pages failed ({shown})")
    if outcome.sender_lag_max_s >= SENDER_LAG_LIMIT_S:
        reasons.append(
            f"senders fell {outcome.sender_lag_max_s:.1f} s behind real time "
            f"(limit {SENDER_LAG_LIMIT_S:.0f} s)"
        )
    return reasons
