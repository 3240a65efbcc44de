"""Runs one job of the job table (settings.JOB_TABLE) and records the run.

Every schedule written into django-q2 calls `job_run(name)`, and so does `manage.py run_job`,
so a run looks the same in admin (JobRun) and in the log however it was started.
"""

from __future__ import annotations

import contextvars
import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from jobs.models import JobRun
from jobs.steps import failed_step, job_step, steps_reset
from jobs.table import Job, job_named

logger = logging.getLogger("jobs")


class JobFailed(Exception):
    """A job raised: the run is recorded as failed; this carries the step and the cause."""

    def __init__(self, run: JobRun):
        super().__init__(f"{run.name} failed at step '{run.step}': {run.error}")
        self.run = run


def job_run(
    name: str, *, trigger: str = JobRun.Trigger.SCHEDULE, scheduled_for: str | None = None
) -> str:
    """Run the job called `name` now; return its summary or raise JobFailed.

    `scheduled_for` is the cron time a schedule fired for (django-q2 passes it, see
    jobs/schedules.py): a second run for the same time is skipped.
    """
    slot = datetime.fromisoformat(scheduled_for) if scheduled_for else None
    return job_record(job_named(name), trigger=trigger, scheduled_for=slot)


def job_record(job: Job, *, trigger: str, scheduled_for: datetime | None = None) -> str:
    """Run one Job and record it as a JobRun; a fresh context so steps never leak between runs."""
    return contextvars.copy_context().run(_run_recorded, job, trigger, scheduled_for)


def _run_recorded(job: Job, trigger: str, scheduled_for: datetime | None) -> str:
    runs_abandoned_close(job=job)
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                name=job.name, trigger=trigger, scheduled_for=scheduled_for,
                started_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        logger.warning("job %s already ran for %s: skipped", job.name, scheduled_for)
        return f"skipped: already ran for {scheduled_for:%Y-%m-%d %H:%M}"
    steps_reset(on_enter=lambda step: JobRun.objects.filter(pk=run.pk).update(step=step))
    logger.info("job %s started (%s)", job.name, trigger)
    try:
        with job_step("loading the job function"):
            func = import_string(job.func)
        summary = str(func())
    except Exception as exc:
        run.status = JobRun.Status.FAILED
        run.step = failed_step() or "?"
        run.error = f"{type(exc).__name__}: {exc}"
        run.traceback = traceback.format_exc()
        run.finished_at = timezone.now()
        run.save()
        logger.error("job %s failed at step '%s': %s", job.name, run.step, run.error)
        raise JobFailed(run) from exc
    run.status = JobRun.Status.OK
    run.step = ""
    run.summary = summary
    run.finished_at = timezone.now()
    run.save()
    logger.info("job %s done in %.1f s: %s", job.name, run.seconds, summary)
    return summary


def runs_abandoned_close(*, job: Job) -> int:
    """Mark runs of this job that never ended within its timeout as failed.

    django-q2 kills a task that runs past its timeout (the job's own, else Q_CLUSTER's); its
    JobRun would stay "running" for ever. The step it was in is already stored, so the record
    still says where.
    """
    name = job.name
    now = timezone.now()
    limit = now - timedelta(seconds=job.timeout or settings.Q_CLUSTER.get("timeout", 300))
    closed = JobRun.objects.filter(
        name=name, status=JobRun.Status.RUNNING, started_at__lt=limit
    ).update(
        status=JobRun.Status.FAILED,
        finished_at=now,
        error="No end was recorded within the cluster timeout: the run was killed or crashed.",
    )
    if closed:
        logger.error("job %s: %s earlier run(s) never ended; marked failed", name, closed)
    return closed
