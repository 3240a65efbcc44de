from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        from jobs.schedules import sync_after_migrate

        post_migrate.connect(sync_after_migrate, dispatch_uid="jobs.sync_schedules")
