"""The field jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from django.conf import settings

from field.commands import commands_expire
from field.duplicates import duplicates_check
from field.legacy.mapping import legacy_mapping_load
from field.legacy.reader import legacy_connect
from field.legacy.run import legacy_import
from field.legacy.summary import summary_line


def job_import_legacy() -> str:
    """Import what changed in the old database since the last run (nothing without one)."""
    if not settings.LEGACY_DATABASE_URL:
        return "legacy import: LEGACY_DATABASE_URL is not set; nothing to do"
    source = legacy_connect(settings.LEGACY_DATABASE_URL)
    try:
        summaries = legacy_import(source=source, mapping=legacy_mapping_load())
    finally:
        source.close()
    return summary_line(summaries)


def job_expire_commands() -> str:
    return f"{commands_expire()} commands expired"


def job_check_duplicate_inverters() -> str:
    return duplicates_check().summary
