"""The revenue column of the generation exports, and the revenue card pages can include."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connections
from django.template import Context, Template
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.economics.conftest import MAY_KWH, put_days

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def owner(client, fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    client.login(username="owner_a", password=PASSWORD)
    return client


def test_daily_csv_has_the_revenue_of_each_day(owner):
    query = {"station": "A001", "from": "2026-05-01", "to": "2026-05-31"}
    response = owner.get("/generation/export/daily.csv", query)
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][-1] == "수익(원)"  # the owner reads Korean
    assert [(r[0], r[-1]) for r in rows[1:]] == [
        ("2026-05-01", "81600"), ("2026-05-02", "81427"),
        ("2026-05-04", "58920"), ("2026-05-12", "49100"),
    ]  # fmt: skip


def test_monthly_xlsx_has_the_months_revenue(owner):
    response = owner.get("/generation/export/monthly.xlsx", {"station": "A001", "year": "2026"})
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[-1] == "수익(원)"
    assert [(r[0], r[-1]) for r in rows] == [("2026-05", 271047)]


def test_the_revenue_card_shows_today_and_the_month(fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    html = Template("{% load economics %}{% revenue_card station today %}").render(
        Context({"station": fleet["station_a"], "today": date(2026, 5, 12)})
    )
    assert "49,100 won" in html and "271,047 won" in html
    assert "/economics/report/A001/2026-04.pdf" in html  # last month's report, first
    assert "/economics/report/A001/2025-05.pdf" in html  # and eleven before it


def test_the_card_reads_the_daily_rows_once_per_few_minutes(
    fleet, may_prices, django_assert_max_num_queries
):
    put_days(fleet["station_a"], MAY_KWH)
    card = Template("{% load economics %}{% revenue_card station today %}")
    context = {"station": fleet["station_a"], "today": date(2026, 5, 12)}
    first = card.render(Context(context))
    telemetry = connections["telemetry"]
    with django_assert_max_num_queries(0), django_assert_max_num_queries(0, connection=telemetry):
        again = card.render(Context(context))
    assert again == first and "271,047 won" in again
