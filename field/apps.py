from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    """Field integration: the SunSpec Modbus collector and the import from the old schema."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "field"
    verbose_name = _("Field integration")
