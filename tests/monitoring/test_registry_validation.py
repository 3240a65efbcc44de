"""Bad registry data gets a clear validation error on the field that is wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from monitoring.models import Collector, CombinerBox, Inverter, PowerStation, Region, Sensor


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def station(**fields) -> PowerStation:
    values = dict(
        code="N001",
        name="New plant",
        region=Region.JEONNAM,
        latitude=34.8,
        longitude=126.4,
        capacity_kwp=Decimal("99.5"),
    )
    values.update(fields)
    return PowerStation(**values)


def test_a_complete_station_is_valid(db):
    station().full_clean()


def test_a_duplicate_code_is_refused(fleet):
    assert errors_of(station(code="A001")) == {"code": ["A plant with this code already exists."]}


@pytest.mark.parametrize("capacity", ["0", "-5"])
def test_capacity_must_be_positive(db, capacity):
    assert errors_of(station(capacity_kwp=Decimal(capacity)))["capacity_kwp"] == [
        "Capacity must be positive."
    ]


@pytest.mark.parametrize("field,value", [("latitude", 91), ("latitude", -90.5), ("longitude", 181)])
def test_coordinates_out_of_range_are_refused(db, field, value):
    message = errors_of(station(**{field: value}))[field][0]
    assert "less than or equal to" in message or "greater than or equal to" in message


def test_an_unknown_region_status_or_time_zone_is_refused(db):
    errors = errors_of(station(region="mars", status="flying", time_zone="Asia/Busan"))
    assert set(errors) == {"region", "status", "time_zone"}
    assert errors["time_zone"] == [
        "Asia/Busan is not a known time zone; use a name such as Asia/Seoul."
    ]


def test_an_inverter_number_already_taken_in_the_plant_is_refused(fleet):
    taken = Inverter(station=fleet["station_a"], number=1, capacity_kw=Decimal("50"))
    assert errors_of(taken) == {"__all__": ["This inverter number is already taken in the plant."]}
    # The same number in another plant is fine.
    Inverter(station=fleet["station_b"], number=3, capacity_kw=Decimal("50")).full_clean()


@pytest.mark.parametrize("number,capacity,field", [(0, "50", "number"), (3, "0", "capacity_kw")])
def test_an_inverter_needs_a_number_and_a_positive_capacity(fleet, number, capacity, field):
    inverter = Inverter(station=fleet["station_a"], number=number, capacity_kw=Decimal(capacity))
    assert set(errors_of(inverter)) == {field}


def test_combiner_box_numbers_and_channels(fleet):
    CombinerBox.objects.create(station=fleet["station_a"], number=1, channels=8)
    duplicate = CombinerBox(station=fleet["station_a"], number=1, channels=8)
    assert errors_of(duplicate) == {"__all__": ["This combiner box number is already taken."]}
    assert set(errors_of(CombinerBox(station=fleet["station_a"], number=2, channels=65))) == {
        "channels"
    }


def test_sensor_names_are_unique_in_a_plant_and_kinds_are_known(fleet):
    Sensor.objects.create(station=fleet["station_a"], kind="poa_irradiance", name="POA")
    same_name = Sensor(station=fleet["station_a"], kind="module_temp", name="POA")
    assert errors_of(same_name) == {
        "__all__": ["A sensor with this name already exists in the plant."]
    }
    assert set(errors_of(Sensor(station=fleet["station_a"], kind="wind", name="W"))) == {"kind"}


def test_collector_names_are_unique(fleet):
    assert set(errors_of(Collector(name="collector-a"))) == {"name"}
