from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jobs.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = [
        "name", "scheduled_for", "started_at", "status", "trigger", "duration", "step", "outcome"
    ]  # fmt: skip
    list_filter = ["status", "name", "trigger"]
    search_fields = ["name", "step", "error", "summary"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("seconds"))
    def duration(self, run: JobRun) -> str:
        return "" if run.seconds is None else f"{run.seconds:.1f}"

    @admin.display(description=_("summary or error"))
    def outcome(self, run: JobRun) -> str:
        return run.error if run.status == JobRun.Status.FAILED else run.summary
