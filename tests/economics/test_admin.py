"""The administrator's pages for prices, contracts, plant settings and the report messages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from economics.models import Contract, PlantEconomics
from economics.monthly_mail import monthly_reports_enqueue
from events.models import Notification
from tests.conftest import PASSWORD
from tests.economics.conftest import MAY_KWH, put_days

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def test_admin_lists_and_the_weight_in_use(client, fleet, may_prices):
    PlantEconomics.objects.create(station=fleet["station_a"], installation_type="floating")
    Contract.objects.create(station=fleet["station_a"], starts_on=date(2026, 1, 1))
    client.login(username="admin", password=PASSWORD)
    for model in ("smpprice", "recprice", "contract", "planteconomics"):
        assert client.get(f"/admin/economics/{model}/").status_code == 200
    page = client.get("/admin/economics/planteconomics/").content.decode()
    assert "1.6" in page  # 100 kWp floating: the table's weight


def test_a_report_message_shows_in_the_outbox_admin(client, fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    fleet["owner_a"].email = "owner-a@example.com"
    fleet["owner_a"].save()
    monthly_reports_enqueue(year=2026, month=5, now=datetime(2026, 6, 1, tzinfo=UTC))
    row = Notification.objects.get()
    client.login(username="admin", password=PASSWORD)
    assert client.get("/admin/events/notification/").status_code == 200
    page = client.get(f"/admin/events/notification/{row.id}/change/")
    assert page.status_code == 200 and "report-A001-2026-05.pdf" in page.content.decode()
