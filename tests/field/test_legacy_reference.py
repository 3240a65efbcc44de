"""What the legacy import's reference data adds to the registry, seen by users: the plant's
structured address on its page and in the API, and sensor types beside the built-in ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from monitoring.models import PowerStation, Sensor, SensorType
from tests.api.conftest import client_as as api_client
from tests.api.conftest import token_for

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def placed(fleet):
    PowerStation.objects.filter(pk=fleet["station_a"].pk).update(
        address="해남읍 1-1", postal_code="59021", province="전라남도", city="해남군"
    )
    return fleet


def test_the_plant_page_shows_the_structured_address(client_as, placed):
    page = client_as(placed["owner_a"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="en")
    html = " ".join(page.content.decode().split())
    assert "해남읍 1-1 · 전라남도 해남군 · " in html and "postal code 59021" in html
    page = client_as(placed["owner_a"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "우편번호 59021" in page.content.decode()


def test_a_plant_without_one_shows_none(client_as, placed):
    page = client_as(placed["owner_b"]).get("/plants/B001/", HTTP_ACCEPT_LANGUAGE="en")
    assert "postal code" not in page.content.decode()


def test_the_api_station_detail_adds_the_structured_address(placed):
    client = api_client(token_for(placed["owner_a"]))
    detail = client.get("/api/v1/stations/A001").json()
    assert (detail["address"], detail["postal_code"], detail["province"], detail["city"]) == (
        "해남읍 1-1", "59021", "전라남도", "해남군")  # fmt: skip
    other = api_client(token_for(placed["owner_b"])).get("/api/v1/stations/B001").json()
    assert (other["postal_code"], other["province"], other["city"]) == ("", "", "")


def test_a_sensor_takes_a_built_in_or_an_added_type_only(fleet):
    station = fleet["station_a"]
    with translation.override("en"), pytest.raises(ValidationError, match="wind is no sensor"):
        Sensor(station=station, name="wind-1", kind="wind").full_clean()
    SensorType.objects.create(code="wind", name="풍속계")
    Sensor(station=station, name="wind-1", kind="wind").full_clean()
    Sensor(station=station, name="poa", kind=Sensor.Kind.POA_IRRADIANCE).full_clean()


def test_the_admin_offers_added_sensor_types(client_as, fleet):
    SensorType.objects.create(code="wind", name="풍속계")
    page = client_as(fleet["admin"]).get(
        f"/admin/monitoring/powerstation/{fleet['station_a'].pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="wind">풍속계</option>' in html
    assert '<option value="poa_irradiance">' in html


def test_a_sensor_of_an_added_type_is_saved_from_the_admin(client_as, fleet):
    SensorType.objects.create(code="wind", name="풍속계")
    admin = client_as(fleet["admin"])
    page = admin.get("/admin/monitoring/sensor/add/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<option value="wind">풍속계</option>' in page.content.decode()
    response = admin.post(
        "/admin/monitoring/sensor/add/",
        {"station": fleet["station_a"].pk, "kind": "wind", "name": "wind-1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Sensor.objects.get(name="wind-1").kind == "wind"
