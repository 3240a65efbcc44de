from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telemetry import store


def mongodb_indexes_ensure() -> list[str]:
    """The MongoDB store's indexes (telemetry/mongo_store.py), or a CommandError that says
    what to fix. Shared by this command and migrate's post-migrate hook (telemetry/apps.py)."""
    if not settings.MONGODB_URI:
        raise CommandError(
            "MONGODB_URI is not set; give it the server and the database, "
            "e.g. mongodb://mongo-host:27017/solarsite."
        )
    from telemetry import mongo_store

    try:
        return mongo_store.indexes_ensure()
    except store.StoreUnavailable as error:
        raise CommandError(
            f"MongoDB did not answer ({error}); check MONGODB_URI and that the server is up, "
            "then run manage.py mongo_setup again."
        ) from None


class Command(BaseCommand):
    help = (
        "Create the MongoDB store's collections and indexes that are missing (the unique "
        "(device, ts) key, the plant and time indexes). Safe to run again: what exists is left "
        "alone. migrate runs it when TELEMETRY_STORE=mongodb."
    )

    def handle(self, *args, **options):
        created = mongodb_indexes_ensure()
        for name in created:
            self.stdout.write(f"created index {name}")
        self.stdout.write(
            f"MongoDB indexes: {len(created)} created"
            + (", every other one was in place." if created else "; every one was in place.")
        )
