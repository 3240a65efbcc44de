"""What a job of the job table is, and where the project's table is found.

The table itself (`solarsite/schedules.py`) names every app's job functions, so it sits at the
top of the project; `jobs` sits at the bottom and every app's jobs go through it. The runner
and the schedule sync read the table through `settings.JOB_TABLE` (a dotted path, like
ROOT_URLCONF), so nothing in `jobs` imports upwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Job:
    name: str
    func: str  # dotted path of a function taking no arguments and returning a summary string
    cron: str
    description: str
    timeout: int | None = None  # seconds before django-q2 kills a run; None: Q_CLUSTER's


def jobs_table() -> tuple[Job, ...]:
    """Every job of the project's table, in its order."""
    return import_string(settings.JOB_TABLE)


def job_named(name: str) -> Job:
    for job in jobs_table():
        if job.name == name:
            return job
    raise KeyError(name)
