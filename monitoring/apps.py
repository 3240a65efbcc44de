from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from accounts.models import Customer
        from monitoring.changes import registry_changed
        from monitoring.models import Collector, Inverter, PowerStation

        # What pages and answers show of the registry (monitoring/changes.py).
        for model in (PowerStation, Inverter, Collector, Customer):
            post_save.connect(registry_changed, sender=model, dispatch_uid=f"fleet-{model}")
            post_delete.connect(registry_changed, sender=model, dispatch_uid=f"fleet-{model}-x")
