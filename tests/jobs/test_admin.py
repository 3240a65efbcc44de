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


def test_the_job_queue_section_speaks_korean(client, fleet):
    """django-q2 ships no Korean: its section reads the jobs app's catalogue."""
    fleet["admin"].is_superuser = True
    fleet["admin"].save()
    assert client.login(username="admin", password=PASSWORD)
    index = client.get("/admin/").content.decode()
    assert "작업 대기열" in index  # the section, apart from "작업" (the runs)
    for words in ("예약된 작업", "성공한 작업", "실패한 작업", "대기 중인 작업"):
        assert words in index
    for english in ("Scheduled tasks", "Successful tasks", "Failed tasks", "Queued tasks"):
        assert english not in index
    page = client.get("/admin/django_q/schedule/").content.decode()
    assert "다음 실행" in page and "Next Run" not in page
