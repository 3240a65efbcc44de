from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from telemetry import store


def mongodb_uri_required() -> None:
    if not settings.MONGODB_URI:
        raise CommandError(
            _(
                "MONGODB_URI is not set; give it the server and the database, "
                "e.g. mongodb://mongo-host:27017/solarsite."
            )
        )


def mongodb_indexes_ensure() -> list[str]:
    """The MongoDB store's indexes (telemetry/mongo_store.py), or a CommandError that says
    what to fix. Shared by this command, telemetry_copy and migrate's post-migrate hook
    (telemetry/apps.py)."""
    mongodb_uri_required()
    from telemetry import mongo_store

    try:
        return mongo_store.indexes_ensure()
    except store.StoreUnavailable as error:
        raise CommandError(
            _(
                "MongoDB did not answer (%(error)s); check MONGODB_URI and that the server is "
                "up, then run the command again."
            )
            % {"error": error}
        ) from None


class Command(BaseCommand):
    help = _(
        "Create the MongoDB store's indexes that are missing (the unique (device, ts) key, the "
        "plant and time indexes). Safe to run again: what exists is left alone. migrate runs "
        "it when TELEMETRY_STORE=mongodb."
    )

    def handle(self, *args, **options):
        from telemetry import mongo_store

        created = mongodb_indexes_ensure()
        for name in created:
            self.stdout.write(_("created index %(name)s") % {"name": name})
        planned = sum(len(indexes) for indexes in mongo_store.index_plan().values())
        self.stdout.write(
            _("MongoDB indexes: %(created)d created, %(present)d already in place.")
            % {"created": len(created), "present": planned - len(created)}
        )
