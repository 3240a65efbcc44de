"""Prices, contracts and each plant's REC weight: what turns kWh into won.

The rules that use them live in economics/prices.py (which price applies to a day),
economics/rec_weights.py (the REC weight table) and economics/revenue.py (the revenue of a day).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

POSITIVE = MinValueValidator(Decimal("0"), message=_("A price cannot be negative."))


class Market(models.TextChoices):
    """KPX settles the mainland and Jeju separately, each with its own SMP."""

    MAINLAND = "mainland", _("Mainland")
    JEJU = "jeju", _("Jeju")


class SmpPrice(models.Model):
    """The system marginal price (won/kWh): a day's average, or a month's average."""

    class Period(models.TextChoices):
        DAY = "day", _("Daily average")
        MONTH = "month", _("Monthly average")

    market = models.CharField(_("market"), max_length=8, choices=Market.choices)
    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    date = models.DateField(_("date"), help_text=_("For a monthly average, the 1st of the month."))
    won_per_kwh = models.DecimalField(
        _("won per kWh"), max_digits=9, decimal_places=2, validators=[POSITIVE]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-date", "market", "period"]
        verbose_name = _("SMP")
        verbose_name_plural = _("SMP prices")
        constraints = [
            models.UniqueConstraint(
                fields=["market", "period", "date"],
                name="smp_market_period_date_unique",
                violation_error_message=_("This market already has a price for this period."),
            )
        ]

    def __str__(self) -> str:
        when = f"{self.date:%Y-%m}" if self.period == self.Period.MONTH else f"{self.date}"
        return f"SMP {self.market} {when}: {self.won_per_kwh}"

    def clean(self) -> None:
        if self.period == self.Period.MONTH and self.date and self.date.day != 1:
            self.date = self.date.replace(day=1)


class RecPrice(models.Model):
    """The REC spot market's average price (won per REC) of one week, Monday to Sunday."""

    week_start = models.DateField(_("week starting (Monday)"), unique=True)
    won_per_rec = models.DecimalField(
        _("won per REC"), max_digits=10, decimal_places=2, validators=[POSITIVE]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("REC price")
        verbose_name_plural = _("REC prices")

    def __str__(self) -> str:
        return f"REC {self.week_start}: {self.won_per_rec}"

    def clean(self) -> None:
        if self.week_start:
            self.week_start = week_monday(self.week_start)


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class InstallationType(models.TextChoices):
    """Where the modules stand, as the REC weight table tells them apart."""

    GENERAL = "general", _("General land")
    BUILDING = "building", _("Building or existing structure")
    FLOATING = "floating", _("Floating on water")
    FOREST = "forest", _("Forest land")


class PlantEconomics(models.Model):
    """Per plant: its installation type and, where its RPS certificate says otherwise, the
    REC weight it was granted. Kept here so the registry's plant model stays as it is."""

    station = models.OneToOneField(
        "monitoring.PowerStation",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="economics",
    )
    installation_type = models.CharField(
        _("installation type"),
        max_length=10,
        choices=InstallationType.choices,
        default=InstallationType.GENERAL,
    )
    rec_weight = models.DecimalField(
        _("REC weight"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), message=_("A weight cannot be negative."))],
        help_text=_("Leave empty to use the table's weight for the capacity and type."),
    )

    class Meta:
        verbose_name = _("plant revenue settings")
        verbose_name_plural = _("plant revenue settings")

    def __str__(self) -> str:
        return str(self.station)


class Contract(models.Model):
    """How a plant sells its energy over a period: at spot prices or at a fixed price."""

    class Kind(models.TextChoices):
        SPOT = "spot", _("Spot (SMP + REC)")
        FIXED = "fixed", _("Fixed price")

    station = models.ForeignKey(
        "monitoring.PowerStation",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="contracts",
    )
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.SPOT)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("The last day; empty if open-ended.")
    )
    fixed_won_per_kwh = models.DecimalField(
        _("fixed price (won/kWh)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE],
        help_text=_("SMP and REC together, as in a long-term fixed-price contract."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["station", "starts_on"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=["station", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.station} {self.get_kind_display()} {self.starts_on}–{self.ends_on or ''}"

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end must not be before the start.")})
        if self.kind == self.Kind.FIXED and self.fixed_won_per_kwh is None:
            raise ValidationError(
                {"fixed_won_per_kwh": _("A fixed-price contract needs its price in won/kWh.")}
            )
        if self.kind == self.Kind.SPOT:
            self.fixed_won_per_kwh = None
        if self.station_id and self.starts_on and self.overlapping().exists():
            raise ValidationError(
                _("Another contract of this plant covers part of this period; end it first.")
            )

    def overlapping(self) -> models.QuerySet[Contract]:
        others = Contract.objects.filter(station_id=self.station_id).exclude(pk=self.pk)
        if self.ends_on:
            others = others.filter(starts_on__lte=self.ends_on)
        return others.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
