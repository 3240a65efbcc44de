"""The admin site: open to administrators only, every model on it, its actions."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client

from accounts.models import Customer, LoginHistory, User
from monitoring.models import Collector, KeyValue
from tests.conftest import make_user

OUR_APPS = {"accounts", "monitoring"}
# The inverter's page shows the reading interval learned in the telemetry database.
pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in OUR_APPS]


def changelist(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


@pytest.fixture
def admin_client(fleet) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(fleet["admin"])
    return client


def test_every_model_of_accounts_and_monitoring_is_on_the_admin_site():
    from django.apps import apps

    ours = {model for label in OUR_APPS for model in apps.get_app_config(label).get_models()}
    assert ours - set(registered_models()) == set()


@pytest.mark.parametrize("role", ["operator", "owner_a"])
def test_the_admin_site_is_closed_to_operators_and_owners(fleet, role):
    client = Client()
    client.force_login(fleet[role])
    for url in ["/admin/", *(changelist(model) for model in registered_models())]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/admin/login/"), url


def test_every_admin_list_and_add_page_opens_for_an_administrator(admin_client, fleet):
    KeyValue.objects.create(key="greeting", value={"text": "hello"})
    for model in registered_models():
        listing = admin_client.get(changelist(model))
        assert listing.status_code == 200, model
        model_admin = admin.site._registry[model]
        if model_admin.has_add_permission(listing.wsgi_request):
            assert admin_client.get(changelist(model) + "add/").status_code == 200, model
        first = model.objects.first()
        if first is not None:
            assert admin_client.get(changelist(model) + f"{first.pk}/change/").status_code == 200


def test_plants_are_searched_by_customer_and_filtered_by_region(admin_client, fleet):
    found = admin_client.get("/admin/monitoring/powerstation/", {"q": "Customer B"})
    assert "B001" in found.content.decode() and "A001" not in found.content.decode()
    by_region = admin_client.get("/admin/monitoring/powerstation/", {"region": "seoul"})
    assert "A001" not in by_region.content.decode()


def test_the_station_page_edits_inverters_combiner_boxes_and_sensors_inline(admin_client, fleet):
    page = admin_client.get(f"/admin/monitoring/powerstation/{fleet['station_a'].pk}/change/")
    html = page.content.decode()
    for prefix in ["inverters-TOTAL_FORMS", "combiner_boxes-TOTAL_FORMS", "sensors-TOTAL_FORMS"]:
        assert prefix in html


def test_the_token_action_shows_a_working_token_once(admin_client, fleet):
    collector = fleet["collector_a"]
    response = admin_client.post(
        "/admin/monitoring/collector/",
        {"action": "issue_tokens", "_selected_action": [collector.pk]},
    )
    assert response.status_code == 200
    token = re.search(r"<code>([^<]+)</code>", response.content.decode()).group(1)
    collector.refresh_from_db()
    assert collector.token_hash == Collector.hash_token(token)
    assert token not in admin_client.get("/admin/monitoring/collector/").content.decode()


def test_the_role_decides_who_is_staff(db):
    customer = Customer.objects.create(name="C")
    owner = make_user("o", User.Role.OWNER, customer=customer, is_staff=True)
    assert not owner.is_staff and not owner.is_superuser
    owner.role = User.Role.ADMIN
    owner.save(update_fields=["role"])
    owner.refresh_from_db()
    assert owner.is_staff and owner.is_superuser
    owner.role = User.Role.OPERATOR
    owner.save()
    owner.refresh_from_db()
    assert not owner.is_staff and not owner.is_superuser


def test_createsuperuser_makes_an_administrator(db):
    call_command("createsuperuser", username="root", email="root@example.com", interactive=False)
    user = User.objects.get(username="root")
    assert user.role == User.Role.ADMIN and user.is_staff and user.is_superuser


def test_changing_the_role_in_the_admin_opens_or_closes_the_admin_site(admin_client, fleet):
    operator = fleet["operator"]
    form = {
        "username": "operator",
        "role": "admin",
        "is_active": "on",
        "language": "ko",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = admin_client.post(f"/admin/accounts/user/{operator.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    operator.refresh_from_db()
    assert operator.is_staff
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200


def test_login_history_cannot_be_edited_or_made_up(admin_client, fleet):
    assert admin_client.get("/admin/accounts/loginhistory/add/").status_code == 403
    login = LoginHistory.objects.create(username="x", succeeded=False, failure="unknown_user")
    page = admin_client.get(f"/admin/accounts/loginhistory/{login.pk}/change/")
    assert page.status_code == 200 and "Unknown user" in page.content.decode()


def test_an_administrator_adds_an_owner_who_must_have_a_customer(admin_client, fleet):
    form = {
        "username": "newowner",
        "password1": "a-long-enough-passphrase-7",
        "password2": "a-long-enough-passphrase-7",
        "role": "owner",
        "phone": "010-0000-7777",
    }
    refused = admin_client.post("/admin/accounts/user/add/", form)
    assert refused.status_code == 200
    assert "A plant owner needs a customer" in refused.content.decode()
    customer = Customer.objects.get(name="Customer A")
    added = admin_client.post("/admin/accounts/user/add/", form | {"customer": customer.pk})
    assert added.status_code == 302
    owner = User.objects.get(username="newowner")
    assert owner.phone == "+821000007777" and owner.customer == customer
    assert not owner.is_staff


def test_korean_names_read_family_name_first(db):
    assert User(first_name="서연", last_name="이").get_full_name() == "이서연"
    assert User(first_name="Jane", last_name="Doe").get_full_name() == "Jane Doe"


def test_login_history_lists_the_active_logins_to_end(admin_client, fleet):
    LoginHistory.objects.create(username="live", user=fleet["operator"])
    LoginHistory.objects.create(username="gone", succeeded=False, failure="unknown_user")
    page = admin_client.get("/admin/accounts/loginhistory/", {"state": "active"}).content.decode()
    assert "live" in page and "gone" not in page
