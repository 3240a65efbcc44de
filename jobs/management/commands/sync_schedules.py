from __future__ import annotations

from django.core.management.base import BaseCommand

from jobs.schedules import schedules_sync


class Command(BaseCommand):
    help = "Write the job table (settings.JOB_TABLE) into django-q2's schedules."

    def handle(self, *args, **options):
        result = schedules_sync()
        for label, names in (
            ("created", result.created),
            ("updated", result.updated),
            ("deleted", result.deleted),
        ):
            for name in names:
                self.stdout.write(f"{label}: {name}")
        self.stdout.write(str(result))
