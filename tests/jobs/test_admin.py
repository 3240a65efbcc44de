"""What an administrator sees of job runs and rollups in admin."""

from __future__ import annotations

import pytest

from jobs.models import JobRun
from jobs.runner import JobFailed, job_record
from jobs.table import Job
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def test_a_failed_run_shows_its_step_and_error_in_admin(client, fleet):
    with pytest.raises(JobFailed):
        job_record(
            Job("broken", "tests.jobs.failing.fails_while_reading", "* * * * *", "x"),
            trigger=JobRun.Trigger.SCHEDULE,
        )
    fleet["admin"].is_superuser = True
    fleet["admin"].save()
    assert client.login(username="admin", password=PASSWORD)
    page = client.get("/admin/jobs/jobrun/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "broken" in page
    assert "reading counters &gt; inverter 7" in page
    assert "ValueError: counter column is missing" in page


def test_statistics_list_opens(client, fleet):
    fleet["admin"].is_superuser = True
    fleet["admin"].save()
    assert client.login(username="admin", password=PASSWORD)
    assert client.get("/admin/generation/generationstatistics/").status_code == 200
