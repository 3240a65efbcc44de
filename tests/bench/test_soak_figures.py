"""The soak benchmark's arithmetic: percentiles, a job run's lag behind its cron, the verdict."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

from soaklib.figures import (  # noqa: E402
    Outcome,
    Run,
    cron_due,
    jobs_judge,
    kept_up_reasons,
    percentile,
)

SEOUL = ZoneInfo("Asia/Seoul")


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 6, 1, hour, minute, second, tzinfo=UTC)


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0, 3.0], 50) == 3
    assert percentile([7.0], 99) == 7
    assert percentile([], 50) is None


def test_a_run_is_due_at_the_cron_time_before_its_start_in_the_job_time_zone():
    assert cron_due("* * * * *", at(3, 0, 15), SEOUL) == at(3, 0)
    assert cron_due("2 * * * *", at(3, 1, 59), SEOUL) == at(2, 2)
    assert cron_due("2 * * * *", at(3, 2, 40), SEOUL) == at(3, 2)
    # 00:10 in Seoul is 15:10 UTC the day before.
    assert cron_due("10 0 * * *", at(15, 10, 30), SEOUL) == at(15, 10)
    assert cron_due("10 0 * * *", at(15, 9, 59), SEOUL) == at(15, 10) - timedelta(days=1)


def test_jobs_are_judged_against_their_period():
    runs = [
        Run("detect_events", "ok", at(12, 0, 10), at(12, 0, 12)),
        Run("detect_events", "ok", at(12, 1, 20), at(12, 2, 30)),  # ended after 12:02
        Run("detect_events", "failed", at(12, 3, 10), at(12, 3, 11), "OperationalError: gone"),
        Run("detect_events", "running", at(12, 4, 5), None),
        Run("detect_events", "ok", at(11, 59, 10), at(11, 59, 11)),  # before the window
        Run("rollup_hourly", "ok", at(12, 2, 30), at(12, 2, 50)),
    ]
    crons = {"detect_events": "* * * * *", "rollup_hourly": "2 * * * *", "purge": "30 3 * * *"}
    jobs = jobs_judge(runs, crons, start=at(12, 0), end=at(12, 5), now=at(12, 4, 50), tz=SEOUL)

    detect = jobs["detect_events"]
    assert detect.runs == 4
    assert detect.lags == [10, 20, 10, 5]
    assert detect.seconds == [2, 70]
    assert detect.late == [at(12, 1)]
    assert detect.failed == ["OperationalError: gone"]
    assert detect.missed == [at(12, 2)]  # 12:04's run is still within its minute
    assert detect.running == 1
    assert not detect.inside_period

    hourly = jobs["rollup_hourly"]
    assert (hourly.runs, hourly.lags, hourly.seconds) == (1, [30], [20])
    assert hourly.period == timedelta(hours=1)
    assert hourly.inside_period
    assert "purge" not in jobs  # neither due nor run in the window


def test_a_run_still_going_after_its_period_is_late_and_a_silent_minute_is_missed():
    runs = [Run("detect_events", "running", at(12, 0, 5), None)]
    crons = {"detect_events": "* * * * *"}
    jobs = jobs_judge(runs, crons, start=at(12, 0), end=at(12, 3), now=at(12, 3, 5), tz=SEOUL)
    assert jobs["detect_events"].late == [at(12, 0)]
    assert jobs["detect_events"].missed == [at(12, 1), at(12, 2)]


def outcome(**changes) -> Outcome:
    fields = dict(
        errors=Counter(),
        rejected=0,
        jobs={},
        pages_p95_ms={"overview": 120.0, "plant": 60.0},
        page_errors=Counter(),
        sender_lag_max_s=0.2,
        requests=3000,
    )
    fields.update(changes)
    return Outcome(**fields)


def test_a_clean_run_kept_up():
    assert kept_up_reasons(outcome()) == []


def test_each_shortfall_is_named():
    runs = [Run("detect_events", "ok", at(12, 0, 10), at(12, 1, 30))]
    jobs = jobs_judge(
        runs, {"detect_events": "* * * * *"}, start=at(12, 0), end=at(12, 1), now=at(12, 2),
        tz=SEOUL,
    )  # fmt: skip
    reasons = kept_up_reasons(
        outcome(
            errors=Counter({"ingest 503": 2, "ingest timeout": 1}),
            rejected=4,
            jobs=jobs,
            pages_p95_ms={"overview": 300.0, "plant": None},
            page_errors=Counter({"plant 500": 1}),
            sender_lag_max_s=7.5,
            readings_missing=5,
        )
    )
    assert reasons == [
        "collector requests failed (ingest 503: 2, ingest timeout: 1)",
        "4 readings rejected",
        "5 readings sent but not stored",
        "detect_events ran past its period 1 time(s)",
        "overview p95 300 ms >= 300 ms",
        "no plant page was timed",
        "pages failed (plant 500: 1)",
        "senders fell 7.5 s behind real time (limit 5 s)",
    ]
