"""The field jobs of the job table (solarsite/schedules.py); each returns one line."""

from __future__ import annotations

from field.commands import commands_expire
from field.duplicates import duplicates_check
from field.legacy.run import (
    legacy_import,
    legacy_mapping_of,
    legacy_source_open,
    legacy_sources_configured,
)
from field.legacy.summary import summary_line


def job_import_legacy() -> str:
    """Import what changed in the old databases since the last run: the MySQL database, then
    the MongoDB (nothing without either)."""
    sources = legacy_sources_configured()
    if not sources:
        return (
            "legacy import: neither LEGACY_DATABASE_URL nor LEGACY_MONGODB_URI is set; "
            "nothing to do"
        )
    lines = []
    for name in sources:
        mapping = legacy_mapping_of(name)
        source = legacy_source_open(name, mapping=mapping)
        try:
            summaries = legacy_import(source=source, mapping=mapping)
        finally:
            source.close()
        lines.append(summary_line(summaries) + (" (MongoDB)" if name == "mongodb" else ""))
    return "; ".join(lines)


def job_expire_commands() -> str:
    return f"{commands_expire()} commands expired"


def job_check_duplicate_inverters() -> str:
    return duplicates_check().summary
