"""GET /api/v1/stations/<code>/revenue, /api/v1/revenue and /api/v1/revenue/customer."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.economics.conftest import MAY_KWH, put_days

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def api(client, fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    put_days(fleet["station_b"], {date(2026, 5, 1): 100.0})
    client.login(username="owner_a", password=PASSWORD)
    return client


def test_a_plants_revenue_by_day_and_by_month(api):
    response = api.get("/api/v1/stations/A001/revenue", {"from": "2026-05-01", "to": "2026-05-31"})
    assert response.status_code == 200
    body = response.json()
    assert (body["won"], body["kwh"], body["currency"]) == (271047, 1330.5, "KRW")
    assert body["periods"][0] == {"period": "2026-05-01", "kwh": 400.0, "won": 81600}
    assert len(body["periods"]) == 4 and body["complete"] is True
    assert any("2026-05-12" in note for note in body["notes"])
    monthly = api.get(
        "/api/v1/stations/A001/revenue", {"from": "2026-05-01", "to": "2026-05-31", "by": "month"}
    ).json()
    assert monthly["periods"] == [{"period": "2026-05", "kwh": 1330.5, "won": 271047}]


def test_bad_parameters_name_the_field(api):
    response = api.get("/api/v1/stations/A001/revenue", {"from": "May", "by": "week"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "detail", "fields"} and set(body["fields"]) == {"from", "by"}
    response = api.get("/api/v1/stations/A001/revenue", {"from": "2026-05-31", "to": "2026-05-01"})
    assert response.status_code == 400


def test_another_owners_plant_is_not_found(api):
    assert api.get("/api/v1/stations/B001/revenue").status_code == 404


def test_the_summary_counts_only_visible_plants(api, fleet):
    body = api.get("/api/v1/revenue").json()
    assert [s["station"] for s in body["stations"]] == ["A001"]
    assert body["date"] == timezone.localdate().isoformat()


def test_the_customer_revenue_of_an_owner(api):
    body = api.get(
        "/api/v1/revenue/customer", {"from": "2026-05-01", "to": "2026-05-31", "by": "year"}
    ).json()
    assert body["customer"] == "Customer A" and body["won"] == 271047
    assert body["periods"] == [{"period": "2026", "kwh": 1330.5, "won": 271047}]
    assert body["stations"] == [{"station": "A001", "kwh": 1330.5, "won": 271047}]


def test_operators_name_the_customer(client, fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    client.login(username="operator", password=PASSWORD)
    url = "/api/v1/revenue/customer"
    assert client.get(url).status_code == 400
    # Not a number: a 400 naming it, as the schema's integer says; a number nobody has: 404.
    not_a_number = client.get(url, {"customer": "x"})
    assert not_a_number.status_code == 400 and "customer" in not_a_number.json()["fields"]
    assert client.get(url, {"customer": 9_999_999}).status_code == 404
    customer = fleet["station_a"].customer_id
    body = client.get(url, {"customer": customer, "from": "2026-05-01", "to": "2026-05-31"}).json()
    assert body["won"] == 271047


def test_an_owner_cannot_ask_for_another_customer(api, fleet):
    other = fleet["station_b"].customer_id
    assert api.get("/api/v1/revenue/customer", {"customer": other}).status_code == 404


def test_the_api_needs_a_login(client, fleet):
    assert client.get("/api/v1/revenue").status_code in (401, 403)
