"""The telemetry jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from telemetry import refusals, store


def job_purge_readings() -> str:
    """Delete raw readings older than RAW_RETENTION_DAYS, in bounded chunks."""
    return store.purge_old_readings()


def job_purge_refused_readings() -> str:
    """Delete refused readings (and refusal tallies) older than REFUSED_READINGS_DAYS."""
    return refusals.refusals_purge()
