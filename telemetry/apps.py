from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def mongodb_indexes_after_migrate(sender, verbosity: int = 1, **kwargs) -> None:
    """`migrate` also readies the MongoDB store when it holds the readings."""
    from django.conf import settings

    if settings.TELEMETRY_STORE != "mongodb":
        return
    from telemetry.management.commands.mongo_setup import mongodb_indexes_ensure

    created = mongodb_indexes_ensure()
    if verbosity and created:
        print(f"MongoDB indexes created: {', '.join(created)}")


def mongodb_answers() -> bool:
    """/healthz's check of the MongoDB store (False while the readings are in SQL)."""
    from django.conf import settings

    if settings.TELEMETRY_STORE != "mongodb":
        return False
    from telemetry import mongo_store

    mongo_store.ping()
    return True


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("Telemetry")

    def ready(self):
        from solarsite.health import store_register

        post_migrate.connect(mongodb_indexes_after_migrate, sender=self)
        store_register("mongodb", mongodb_answers)
