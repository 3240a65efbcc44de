"""How long job runs are kept: every scheduled run writes a JobRun (about 4,300 a day), so
runs older than JOB_RUN_RETENTION_DAYS are deleted by the daily `purge_job_runs` job.

Deleted per job name and in chunks, so each statement walks the (name, started_at) index and
no delete holds the table for long.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from jobs.models import JobRun

CHUNK = 5000


def job_runs_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the runs that started more than `days` (JOB_RUN_RETENTION_DAYS) ago; how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.JOB_RUN_RETENTION_DAYS if days is None else days)
    deleted = 0
    for name in JobRun.objects.values_list("name", flat=True).distinct().order_by():
        while True:
            ids = list(
                JobRun.objects.filter(name=name, started_at__lt=cutoff)
                .order_by()
                .values_list("id", flat=True)[:CHUNK]
            )
            if not ids:
                break
            deleted += JobRun.objects.filter(id__in=ids).delete()[0]
    return deleted
