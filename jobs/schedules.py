"""Writes the job table (settings.JOB_TABLE: solarsite/schedules.py) into django-q2's schedules.

Idempotent: a schedule is keyed by the job's name and owned when its func is RUNNER, so a
second sync changes nothing, a changed cron is updated in place, and an owned schedule whose
job left the table is deleted. Schedules an administrator added by hand (any other func) are
never touched. Runs after every `migrate` of the default database and by
`manage.py sync_schedules`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from croniter import croniter
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django_q.models import Schedule

from jobs.table import Job, jobs_table

RUNNER = "jobs.runner.job_run"
# django-q2 passes each run the cron time it fired for under this name; the runner refuses a
# second run for one time (JobRun's constraint).
SLOT_KWARG = "scheduled_for"
logger = logging.getLogger("jobs")


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"schedules: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.deleted)} deleted, {len(self.unchanged)} unchanged"
        )


def next_cron_time(cron: str, *, after: datetime | None = None) -> datetime:
    """The next time `cron` fires after `after`, read in settings.TIME_ZONE like django-q2."""
    start = timezone.localtime(after or timezone.now())
    return croniter(cron, start).get_next(datetime)


def schedule_kwargs(job: Job) -> str:
    """django-q2 reads a task's own timeout from `q_options` in the schedule's kwargs."""
    return repr({"q_options": {"timeout": job.timeout}}) if job.timeout else ""


def schedules_sync(
    *, jobs: tuple[Job, ...] | None = None, using: str = DEFAULT_DB_ALIAS
) -> SyncResult:
    jobs = jobs_table() if jobs is None else jobs
    result = SyncResult()
    wanted = {job.name: job for job in jobs}
    with transaction.atomic(using=using):
        owned = {
            s.name: s for s in Schedule.objects.using(using).select_for_update().filter(func=RUNNER)
        }
        for name, schedule in owned.items():
            if name not in wanted:
                schedule.delete()
                result.deleted.append(name)
        for job in jobs:
            args, kwargs = repr((job.name,)), schedule_kwargs(job)
            schedule = owned.get(job.name)
            if schedule is None:
                Schedule.objects.using(using).create(
                    name=job.name,
                    func=RUNNER,
                    args=args,
                    kwargs=kwargs,
                    intended_date_kwarg=SLOT_KWARG,
                    schedule_type=Schedule.CRON,
                    cron=job.cron,
                    repeats=-1,
                    # The first run is the next cron time, not "now" (django-q2's default).
                    next_run=next_cron_time(job.cron),
                )
                result.created.append(job.name)
            elif (
                schedule.cron, schedule.args, schedule.kwargs or "", schedule.repeats,
                schedule.intended_date_kwarg,
            ) != (job.cron, args, kwargs, -1, SLOT_KWARG):  # fmt: skip
                schedule.cron, schedule.args, schedule.kwargs = job.cron, args, kwargs
                schedule.repeats, schedule.intended_date_kwarg = -1, SLOT_KWARG
                schedule.schedule_type = Schedule.CRON
                schedule.next_run = next_cron_time(job.cron)
                schedule.save()
                result.updated.append(job.name)
            else:
                result.unchanged.append(job.name)
    return result


def sync_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: sync once per migrate of the default database, after django_q's tables."""
    if sender.label != "jobs" or using != DEFAULT_DB_ALIAS:
        return
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return
    result = schedules_sync(using=using)
    if result.created or result.updated or result.deleted:
        logger.info("%s", result)
