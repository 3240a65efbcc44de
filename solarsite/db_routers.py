"""Database routing: readings (the telemetry app) and their rollups (generation) live in the
`telemetry` database, everything else in `default`."""

from __future__ import annotations

TELEMETRY_APPS = {"telemetry", "generation"}


def database_for(app_label: str) -> str:
    return "telemetry" if app_label in TELEMETRY_APPS else "default"


class TelemetryRouter:
    def db_for_read(self, model, **hints):
        return database_for(model._meta.app_label)

    def db_for_write(self, model, **hints):
        return database_for(model._meta.app_label)

    def allow_relation(self, obj1, obj2, **hints):
        # No foreign key crosses the two databases.
        return database_for(obj1._meta.app_label) == database_for(obj2._meta.app_label)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == "legacy":
            return False
        return db == database_for(app_label)
