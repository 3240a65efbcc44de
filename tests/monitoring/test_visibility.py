"""Who sees which plants: one rule, used by every page and API endpoint."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import Client

from accounts.models import User
from monitoring.visibility import stations_visible_to, visible_station_or_404
from tests.conftest import make_user


def codes(user) -> set[str]:
    return set(stations_visible_to(user).values_list("code", flat=True))


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_operators_and_administrators_see_every_plant(fleet, role):
    assert codes(fleet[role]) == {"A001", "B001"}


def test_an_owner_sees_only_their_customers_plants(fleet):
    assert codes(fleet["owner_a"]) == {"A001"}
    assert codes(fleet["owner_b"]) == {"B001"}


def test_an_owner_without_a_customer_sees_nothing(fleet):
    assert codes(make_user("orphan", User.Role.OWNER)) == set()


def test_disabled_and_anonymous_users_see_nothing(fleet):
    operator = fleet["operator"]
    operator.is_active = False
    assert codes(operator) == set()
    assert codes(AnonymousUser()) == set()


def test_a_plant_you_may_not_see_is_not_found_rather_than_forbidden(fleet):
    assert visible_station_or_404(fleet["owner_a"], "A001") == fleet["station_a"]
    with pytest.raises(Http404):
        visible_station_or_404(fleet["owner_a"], "B001")
    with pytest.raises(Http404):
        visible_station_or_404(fleet["operator"], "Z999")


@pytest.mark.django_db(databases=["default", "telemetry"])  # the overview reads rollups
def test_the_plant_list_shows_what_the_rule_allows(fleet):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(fleet["owner_b"])
    page = client.get("/").content.decode()
    assert "B001" in page and "A001" not in page
    client.force_login(fleet["operator"])
    page = client.get("/").content.decode()
    assert "A001" in page and "B001" in page


def test_the_plant_list_asks_anonymous_visitors_to_log_in(db):
    response = Client().get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
