from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jobs.models import JobRun
from jobs.runner import JobFailed, job_run
from jobs.table import jobs_table


class Command(BaseCommand):
    help = "Run one job of the job table now, in the foreground, and print what it did."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the job's name (see --list)")
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args, name=None, list=False, **options):
        jobs = jobs_table()
        if list:
            width = max(len(job.name) for job in jobs)
            for job in jobs:
                self.stdout.write(f"{job.name:<{width}}  {job.cron:<14}  {job.description}")
            return
        names = [job.name for job in jobs]
        if not name:
            raise CommandError("Name a job to run, or use --list to see them.")
        if name not in names:
            raise CommandError(
                f"There is no job called {name!r}; the jobs are: {', '.join(names)}."
            )
        try:
            summary = job_run(name, trigger=JobRun.Trigger.MANUAL)
        except JobFailed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{name}: {summary}")
