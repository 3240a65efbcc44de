from __future__ import annotations

from decimal import Decimal

import pytest

from economics.models import InstallationType, PlantEconomics
from economics.rec_weights import rec_weight_default
from economics.revenue import station_rec_weight


@pytest.mark.parametrize(
    ("kind", "capacity", "weight"),
    [
        (InstallationType.GENERAL, "99", "1.2"),
        (InstallationType.GENERAL, "100", "1.2"),
        # band by band: (100 x 1.2 + 50 x 1.0) / 150
        (InstallationType.GENERAL, "150", "1.1333"),
        (InstallationType.GENERAL, "200", "1.1"),
        (InstallationType.GENERAL, "3000", "1.0067"),
        # (100 x 1.2 + 2900 x 1.0 + 2000 x 0.8) / 5000
        (InstallationType.GENERAL, "5000", "0.924"),
        (InstallationType.BUILDING, "500", "1.5"),
        (InstallationType.BUILDING, "4000", "1.375"),
        (InstallationType.FLOATING, "500", "1.6"),
        (InstallationType.FLOATING, "2000", "1.5"),
        (InstallationType.FLOATING, "4000", "1.4"),
        (InstallationType.FOREST, "50", "0.5"),
        (InstallationType.FOREST, "5000", "0.5"),
    ],
)
def test_default_weight_by_capacity_and_type(kind, capacity, weight):
    assert rec_weight_default(capacity_kw=Decimal(capacity), installation_type=kind) == Decimal(
        weight
    )


def test_a_plant_without_settings_is_general_land(fleet):
    station = fleet["station_a"]  # 100 kWp
    assert station_rec_weight(station=station, settings=None) == Decimal("1.2")


def test_the_plant_type_and_its_own_weight(fleet):
    station = fleet["station_a"]
    settings = PlantEconomics.objects.create(
        station=station, installation_type=InstallationType.BUILDING
    )
    assert station_rec_weight(station=station, settings=settings) == Decimal("1.5")
    settings.rec_weight = Decimal("1.0")
    settings.save()
    assert station_rec_weight(station=station, settings=settings) == Decimal("1.0")
