"""The jobs app's own scheduled job (solarsite/schedules.py)."""

from __future__ import annotations

from django.conf import settings

from jobs.retention import job_runs_purge


def job_purge_job_runs() -> str:
    """Delete job runs older than JOB_RUN_RETENTION_DAYS."""
    deleted = job_runs_purge()
    return f"{deleted} job runs older than {settings.JOB_RUN_RETENTION_DAYS} days deleted"
