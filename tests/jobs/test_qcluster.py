"""A real `manage.py qcluster` process picks up a due schedule and runs the job once.

django-q2's scheduler first looks at the schedules 30 s after the cluster starts, so this test
takes that long; it is the only one that does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django_q.models import Schedule, Success

from jobs.models import JobRun
from jobs.schedules import RUNNER

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)


def database_url(alias: str) -> str:
    """A URL for the test database this process uses, for a child process to use too."""
    config = connections[alias].settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    port = f":{config['PORT']}" if config["PORT"] else ""
    return f"mysql://{config['USER']}{password}@{config['HOST']}{port}/{config['NAME']}"


def wait_for(condition, *, timeout: float, process: subprocess.Popen, log: Path):
    """Poll until condition() returns something; the cluster's log explains a failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := condition()) is not None:
            return value
        assert process.poll() is None, f"the cluster exited early:\n{log.read_text()}"
        time.sleep(0.2)
    raise AssertionError(f"nothing happened within {timeout} s:\n{log.read_text()}")


def test_qcluster_runs_a_due_schedule_once(fleet, tmp_path):
    # Only this schedule is due; the others must not fire should the test cross their time.
    Schedule.objects.exclude(name="rollup_hourly").update(
        next_run=timezone.now() + timedelta(days=365)
    )
    schedule = Schedule.objects.get(func=RUNNER, name="rollup_hourly")
    schedule.next_run = timezone.now() - timedelta(minutes=1)
    schedule.save()
    env = {
        **os.environ,
        "DATABASE_URL": database_url("default"),
        "TELEMETRY_DATABASE_URL": database_url("telemetry"),
        "Q_WORKERS": "1",
    }
    log_path = tmp_path / "qcluster.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        run = wait_for(
            lambda: JobRun.objects.filter(name="rollup_hourly").exclude(status="running").first(),
            timeout=90,
            process=process,
            log=log_path,
        )
        task = wait_for(
            lambda: Success.objects.filter(func=RUNNER, group="rollup_hourly").first(),
            timeout=30,
            process=process,
            log=log_path,
        )
    finally:
        process.send_signal(signal.SIGTERM)  # the cluster stops its own workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        finally:
            log.close()
    assert run.status == JobRun.Status.OK, log_path.read_text()
    assert run.trigger == JobRun.Trigger.SCHEDULE
    assert run.summary.startswith("hour ")
    assert task.args == ("rollup_hourly",) and task.result == run.summary
    schedule.refresh_from_db()
    assert schedule.next_run > run.started_at  # moved on to the next :02
    assert JobRun.objects.filter(name="rollup_hourly").count() == 1
