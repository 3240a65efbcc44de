"""run_job, the run record and its failure step, and syncing the job table into django-q2."""

from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.module_loading import import_string
from django_q.models import Schedule

from jobs.models import JobRun
from jobs.runner import JobFailed, job_record
from jobs.schedules import RUNNER, schedules_sync
from jobs.table import Job
from solarsite.schedules import JOBS
from tests.live import database_url

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.mark.parametrize("job", JOBS, ids=[job.name for job in JOBS])
def test_run_job_runs_every_job_and_prints_its_summary(job, fleet, capsys):
    call_command("run_job", job.name)
    out = capsys.readouterr().out
    run = JobRun.objects.get(name=job.name)
    assert run.status == JobRun.Status.OK and run.trigger == JobRun.Trigger.MANUAL
    assert run.summary and out.strip() == f"{job.name}: {run.summary}"
    assert "\n" not in run.summary


def test_run_job_list_names_every_job(capsys):
    call_command("run_job", "--list")
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == [job.name for job in JOBS]


def test_run_job_with_an_unknown_name_says_which_exist():
    with pytest.raises(CommandError, match=r"no job called 'nope'; the jobs are: .*rollup_daily"):
        call_command("run_job", "nope")
    assert not JobRun.objects.exists()


def test_failed_job_records_the_step_and_the_cause(caplog):
    job = Job("broken", "tests.jobs.failing.fails_while_reading", "* * * * *", "fails")
    with caplog.at_level(logging.ERROR, logger="jobs"), pytest.raises(JobFailed) as failure:
        job_record(job, trigger=JobRun.Trigger.SCHEDULE)
    run = JobRun.objects.get(name="broken")
    assert run.status == JobRun.Status.FAILED
    assert run.step == "reading counters > inverter 7"
    assert run.error == "ValueError: counter column is missing"
    assert "fails_while_reading" in run.traceback
    assert run.finished_at is not None
    assert "failed at step 'reading counters > inverter 7'" in str(failure.value)
    assert "job broken failed at step 'reading counters > inverter 7'" in caplog.text
    # The next run starts with a clean slate.
    ok = Job("broken", "tests.jobs.failing.succeeds", "* * * * *", "works")
    assert job_record(ok, trigger=JobRun.Trigger.MANUAL) == "did 3 things"
    assert JobRun.objects.filter(status=JobRun.Status.OK).get().step == ""


def test_a_function_that_cannot_be_imported_fails_at_loading():
    job = Job("ghost", "tests.jobs.failing.not_there", "* * * * *", "missing")
    with pytest.raises(JobFailed):
        job_record(job, trigger=JobRun.Trigger.MANUAL)
    assert JobRun.objects.get(name="ghost").step == "loading the job function"


def owned() -> dict[str, tuple[str, str]]:
    return {s.name: (s.cron, s.args) for s in Schedule.objects.filter(func=RUNNER)}


def test_migrate_wrote_the_job_table_into_schedules():
    assert owned() == {job.name: (job.cron, repr((job.name,))) for job in JOBS}


def test_sync_is_idempotent_updates_in_place_and_removes_only_its_own_stale_rows():
    hand_made = Schedule.objects.create(name="report", func="reports.mail", cron="0 8 * * *",
                                        schedule_type=Schedule.CRON)  # fmt: skip
    again = schedules_sync()
    assert again.unchanged == [job.name for job in JOBS] and not again.created
    before = {s.name: s.pk for s in Schedule.objects.filter(func=RUNNER)}

    renamed = (*JOBS[1:], Job(JOBS[0].name, JOBS[0].func, "*/5 * * * *", "faster"))
    changed = schedules_sync(jobs=renamed)
    assert changed.updated == [JOBS[0].name]
    assert owned()[JOBS[0].name][0] == "*/5 * * * *"

    shrunk = schedules_sync(jobs=renamed[1:])
    assert shrunk.deleted == [JOBS[1].name]
    after = {s.name: s.pk for s in Schedule.objects.filter(func=RUNNER)}
    assert all(before[name] == pk for name, pk in after.items())  # updated, not recreated
    assert Schedule.objects.filter(pk=hand_made.pk).exists()
    assert Schedule.objects.filter(func=RUNNER).count() == len(JOBS) - 1


def test_sync_schedules_command_reports_nothing_to_do(capsys):
    call_command("sync_schedules")
    assert f"0 created, 0 updated, 0 deleted, {len(JOBS)} unchanged" in capsys.readouterr().out


def test_a_run_that_never_ended_is_closed_as_failed_with_its_last_step():
    from datetime import timedelta

    from django.utils import timezone

    killed = JobRun.objects.create(
        name="rollup_daily",
        trigger=JobRun.Trigger.SCHEDULE,
        started_at=timezone.now() - timedelta(hours=1),
        step="hourly and daily rows",
    )
    recent = JobRun.objects.create(
        name="rollup_daily", trigger=JobRun.Trigger.MANUAL, started_at=timezone.now()
    )
    call_command("run_job", "rollup_daily")
    killed.refresh_from_db()
    recent.refresh_from_db()
    assert killed.status == JobRun.Status.FAILED
    assert killed.step == "hourly and daily rows"
    assert "killed or crashed" in killed.error
    assert recent.status == JobRun.Status.RUNNING  # may still be running: left alone


def test_a_slot_runs_once_however_often_its_task_is_handed_out():
    from jobs.runner import job_run

    slot = "2026-06-15T03:00:00+00:00"  # what django-q2 passes: the cron time it fired for
    assert Schedule.objects.get(name="expire_logins").intended_date_kwarg == "scheduled_for"
    first = job_run("expire_logins", scheduled_for=slot)
    again = job_run("expire_logins", scheduled_for=slot)  # a second cluster, a redelivery
    assert not first.startswith("skipped") and again == "skipped: already ran for 2026-06-15 03:00"
    [run] = JobRun.objects.filter(name="expire_logins")
    assert run.scheduled_for.isoformat() == slot and run.status == JobRun.Status.OK
    job_run("expire_logins", scheduled_for="2026-06-15T03:01:00+00:00")  # the next slot runs
    assert JobRun.objects.filter(name="expire_logins").count() == 2


def test_the_step_is_stored_while_the_job_runs():
    seen = []
    job = Job("probe", "tests.jobs.failing.reports_its_step", "* * * * *", "probe")
    import tests.jobs.failing as failing

    failing.SEEN = seen
    job_record(job, trigger=JobRun.Trigger.MANUAL)
    assert seen == ["counting"]
    assert JobRun.objects.get(name="probe").step == ""  # cleared once it succeeded


@pytest.mark.parametrize("redis_url, broker", [("", "ORM"), ("redis://127.0.0.1:6379/3", "Redis")])
def test_broker_is_the_orm_unless_redis_url_is_set(redis_url, broker):
    code = (
        "import django; django.setup(); from django_q.brokers import get_broker; "
        "print(type(get_broker()).__name__)"
    )
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url("default"),
        "TELEMETRY_DATABASE_URL": database_url("telemetry"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "solarsite.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == broker


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("UNDERPERFORMING_SHARE", "70", "UNDERPERFORMING_SHARE must be a share between 0 and 1"),
        ("READING_INTERVAL_SECONDS", "0", "must be whole numbers of 1 or more"),
    ],
)
def test_bad_rollup_settings_stop_the_start_with_a_sentence(variable, value, message):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**os.environ, variable: value, "DJANGO_SETTINGS_MODULE": "solarsite.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and message in result.stderr


def test_every_job_is_job_name_in_its_apps_jobs_module():
    for job in JOBS:
        app = job.func.split(".")[0]
        assert app in settings.INSTALLED_APPS, job
        assert job.func == f"{app}.jobs.job_{job.name}", job
        function = import_string(job.func)
        required = [
            p for p in inspect.signature(function).parameters.values() if p.default is p.empty
        ]
        assert required == [], job  # the runner calls it with no arguments
