"""The economics jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from django.utils import timezone

from economics.monthly_mail import monthly_reports_enqueue, previous_month


def job_monthly_reports() -> str:
    """Last month's reports, queued for the owners (settings.TIME_ZONE's today)."""
    year, month = previous_month(timezone.localdate())
    queued = monthly_reports_enqueue(year=year, month=month)
    return f"monthly reports {year}-{month:02d}: {queued} e-mails queued"
