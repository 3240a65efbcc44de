"""The accounts jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from accounts.sessions import expire_logins


def job_expire_logins() -> str:
    """End idle logins, drop expired sessions and old failed-login counts."""
    return expire_logins()
