"""Bookkeeping of the import from the old MySQL schema."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.models import Inverter


class ImportMark(models.Model):
    """How far `import_legacy` has read one old table: its high-water mark."""

    table = models.CharField(_("old table"), max_length=64, primary_key=True)
    value = models.JSONField(_("mark"), help_text=_("The last id or change time read."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("legacy import mark")
        verbose_name_plural = _("legacy import marks")

    def __str__(self) -> str:
        return f"{self.table}: {self.value}"


class ImportedKey(models.Model):
    """Which of our rows an old row became, where the old key is none of our fields."""

    table = models.CharField(_("old table"), max_length=64)
    old_key = models.CharField(_("old key"), max_length=200)
    object_id = models.BigIntegerField(_("our id"))

    class Meta:
        verbose_name = _("imported key")
        verbose_name_plural = _("imported keys")
        constraints = [
            models.UniqueConstraint(fields=["table", "old_key"], name="imported_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.table}:{self.old_key} -> {self.object_id}"


class DuplicateInverterReport(Inverter):
    """The admin's duplicate-inverter report (field/duplicates.py); no table of its own."""

    class Meta:
        proxy = True
        verbose_name = _("duplicate-inverter report")
        verbose_name_plural = _("duplicate-inverter report")
