"""The job table: every scheduled job, in one place.

`jobs/schedules.py` writes it into django-q2's schedules (idempotently, on migrate) and
`manage.py run_job NAME` runs one entry now; both find it through settings.JOB_TABLE. Cron
times are in settings.TIME_ZONE.

A job called NAME is the function `job_NAME()` in its app's `jobs.py`: it takes no arguments
(tests may pass keyword ones), does its work through the app's business functions, and
returns one line for the job's run record and log.
"""

from __future__ import annotations

from jobs.table import Job

# A send job runs every minute and starts no message after NOTIFY_RUN_SECONDS; the settings keep
# that plus the longest wait for one message within 50 s. django-q2 kills a run at this point,
# so a run never outlives its minute, and a claim older than that is never a live sender's.
SEND_TIMEOUT_SECONDS = 55

JOBS: tuple[Job, ...] = (
    Job(
        "expire_logins",
        "accounts.jobs.job_expire_logins",
        "*/10 * * * *",
        "End logins idle for longer than LOGIN_IDLE_MINUTES.",
    ),
    Job(
        "purge_readings",
        "telemetry.jobs.job_purge_readings",
        "30 3 * * *",
        "Delete raw readings older than RAW_RETENTION_DAYS, in bounded chunks.",
    ),
    Job(
        "purge_refused_readings",
        "telemetry.jobs.job_purge_refused_readings",
        "40 3 * * *",
        "Delete refused readings older than REFUSED_READINGS_DAYS.",
    ),
    Job(
        "purge_job_runs",
        "jobs.jobs.job_purge_job_runs",
        "50 3 * * *",
        "Delete job runs older than JOB_RUN_RETENTION_DAYS.",
    ),
    Job(
        "detect_events",
        "events.jobs.job_detect_events",
        "* * * * *",
        "Raise and clear alarms from the fleet's latest state; queue their notifications.",
    ),
    Job(
        "escalate_alarms",
        "events.jobs.job_escalate_alarms",
        "* * * * *",
        "Queue messages about alarms nobody acknowledged within ESCALATE_MINUTES.",
        timeout=SEND_TIMEOUT_SECONDS,
    ),
    # One job per channel: a peer that hangs delays its own channel only.
    Job(
        "send_email",
        "events.jobs.job_send_email",
        "* * * * *",
        "Send the due e-mail of the outbox.",
        timeout=SEND_TIMEOUT_SECONDS,
    ),
    Job(
        "send_sms",
        "events.jobs.job_send_sms",
        "* * * * *",
        "Send the due SMS of the outbox; look up first any whose earlier outcome was lost.",
        timeout=SEND_TIMEOUT_SECONDS,
    ),
    Job(
        "send_webhooks",
        "events.jobs.job_send_webhooks",
        "* * * * *",
        "POST the due webhooks of the outbox.",
        timeout=SEND_TIMEOUT_SECONDS,
    ),
    Job(
        "import_legacy",
        "field.jobs.job_import_legacy",
        "*/10 * * * *",
        "Import what changed in the old MySQL database, then the old MongoDB (does nothing "
        "without LEGACY_DATABASE_URL or LEGACY_MONGODB_URI).",
    ),
    Job(
        "expire_commands",
        "field.jobs.job_expire_commands",
        "* * * * *",
        "Expire remote commands nobody carried out within their time to live.",
    ),
    Job(
        "check_duplicate_inverters",
        "field.jobs.job_check_duplicate_inverters",
        "20 0 * * *",
        "Find serials registered twice and inverters reporting identical readings; tell the "
        "administrators (event 402).",
    ),
    Job(
        "rollup_hourly",
        "generation.jobs.job_rollup_hourly",
        "2 * * * *",
        "Hourly generation of the hour just ended, and the day's running daily rows.",
    ),
    Job(
        "rollup_late",
        "generation.jobs.job_rollup_late",
        "*/10 * * * *",
        "Recompute the hours and days that received late readings.",
    ),
    Job(
        "rollup_daily",
        "generation.jobs.job_rollup_daily",
        "10 0 * * *",
        "The previous local day: hours again, zero fill, plant KPIs and statistics.",
    ),
    Job(
        "monthly_reports",
        "economics.jobs.job_monthly_reports",
        "0 6 1 * *",
        "On the 1st, e-mail each plant's report of the month before to its owners (PDF).",
    ),
)

