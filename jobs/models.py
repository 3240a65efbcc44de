"""One row per run of a job: when, how it ended, its summary, and which step failed and why."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("job run", "Running")
        OK = "ok", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("By hand (run_job)")

    name = models.CharField(_("job"), max_length=100)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    # The cron time a scheduled run is for: at most one run of a job per slot (the constraint),
    # however many clusters or redeliveries try. Empty for runs by hand.
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(pgettext_lazy("job run", "finished"), null=True, blank=True)
    step = models.CharField(
        _("step"), max_length=200, blank=True, help_text=_("The step it was in when it ended.")
    )
    summary = models.TextField(_("summary"), blank=True)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["name", "-started_at"], name="jobrun_name_started")]
        constraints = [
            models.UniqueConstraint(fields=["name", "scheduled_for"], name="jobrun_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
