"""Job functions for the tests: one that fails in a named step."""

from __future__ import annotations

from jobs.steps import job_step


def fails_while_reading() -> str:
    with job_step("reading counters"):
        with job_step("inverter 7"):
            raise ValueError("counter column is missing")
    return "never"


def succeeds() -> str:
    with job_step("only step"):
        return "did 3 things"


SEEN: list[str] = []


def reports_its_step() -> str:
    from jobs.models import JobRun

    with job_step("counting"):
        SEEN.append(JobRun.objects.get(name="probe").step)
    return "probed"
