"""Job runs are kept JOB_RUN_RETENTION_DAYS, then the nightly purge deletes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jobs import retention
from jobs.models import JobRun

pytestmark = pytest.mark.django_db


def _run(name: str, *, days_ago: float, now) -> JobRun:
    started = now - timedelta(days=days_ago)
    return JobRun.objects.create(
        name=name, trigger=JobRun.Trigger.SCHEDULE, status=JobRun.Status.OK,
        scheduled_for=started, started_at=started, finished_at=started,
    )  # fmt: skip


def test_runs_older_than_the_retention_are_deleted(settings, monkeypatch):
    settings.JOB_RUN_RETENTION_DAYS = 30
    monkeypatch.setattr(retention, "CHUNK", 3)  # several chunks of one job
    now = timezone.now()
    old = [_run("detect_events", days_ago=31 + i / 24, now=now) for i in range(7)]
    old.append(_run("rollup_daily", days_ago=45, now=now))
    kept = [_run("detect_events", days_ago=29, now=now), _run("rollup_daily", days_ago=1, now=now)]
    assert retention.job_runs_purge(now=now) == len(old)
    assert set(JobRun.objects.values_list("id", flat=True)) == {run.id for run in kept}


def test_the_nightly_job_says_what_it_deleted(settings, capsys):
    settings.JOB_RUN_RETENTION_DAYS = 7
    _run("send_email", days_ago=8, now=timezone.now())
    call_command("run_job", "purge_job_runs")
    assert capsys.readouterr().out.strip() == (
        "purge_job_runs: 1 job runs older than 7 days deleted"
    )
    assert list(JobRun.objects.values_list("name", flat=True)) == ["purge_job_runs"]
