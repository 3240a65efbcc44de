"""The telemetry jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from telemetry import store


def job_purge_readings() -> str:
    """Delete raw readings older than RAW_RETENTION_DAYS, in bounded chunks."""
    return store.purge_old_readings()
