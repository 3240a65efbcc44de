"""Revenue against values computed by hand (conftest.py: May 2026 prices and kWh)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from economics.models import Contract, PlantEconomics
from economics.selectors import (
    customer_revenue,
    revenue_by,
    station_revenue,
    stations_revenue_today_and_month,
    stations_revenue_total,
)
from monitoring.models import Region
from tests.conftest import make_station
from tests.economics.conftest import MAY_KWH, put_days, rec, smp

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])
MAY = (date(2026, 5, 1), date(2026, 5, 31))


def test_spot_revenue_across_a_month_whose_prices_change(fleet, may_prices):
    station = fleet["station_a"]  # 100 kWp general land: REC weight 1.2
    put_days(station, MAY_KWH)
    revenue = station_revenue(station=station, start=MAY[0], end=MAY[1])
    by_day = {d.date: d.won for d in revenue.days}
    # 400 x 120 + 0.4 x 70,000 x 1.2 (daily SMP, week of 27 April)
    assert by_day[date(2026, 5, 1)] == Decimal("81600.00")
    # 380.5 x 130 + 0.3805 x 70,000 x 1.2
    assert by_day[date(2026, 5, 2)] == Decimal("81427.00")
    # 300 x 110 (the month's average) + 0.3 x 72,000 x 1.2 (week of 4 May)
    assert by_day[date(2026, 5, 4)] == Decimal("58920.00")
    # 250 x 110 + 0.25 x 72,000 x 1.2: the week of 11 May has no REC price, 4 May's stands in
    assert by_day[date(2026, 5, 12)] == Decimal("49100.00")
    assert revenue.won == Decimal("271047.00")
    assert revenue.kwh == 1330.5
    [note] = revenue.notes
    assert "REC" in note and "2026-05-12" in note and "2026-05-04" in note


def test_revenue_by_month_and_year_sums_the_days(fleet, may_prices):
    station = fleet["station_a"]
    put_days(station, MAY_KWH)
    smp("mainland", date(2026, 6, 1), "150.00", monthly=True)
    rec(date(2026, 6, 1), "60000")
    put_days(station, {date(2026, 6, 1): 100.0})  # 100 x 150 + 0.1 x 60,000 x 1.2 = 22,200
    revenue = station_revenue(station=station, start=date(2026, 5, 1), end=date(2026, 6, 30))
    months = revenue_by(revenue.days, by="month")
    assert [(m["period"], m["won"]) for m in months] == [
        ("2026-05", Decimal("271047.00")),
        ("2026-06", Decimal("22200.00")),
    ]
    [year] = revenue_by(revenue.days, by="year")
    assert year == {"period": "2026", "kwh": 1430.5, "won": Decimal("293247.00")}


def test_fixed_price_contract_and_a_change_of_contract_mid_month(fleet, may_prices):
    station = fleet["station_a"]
    put_days(station, MAY_KWH)
    Contract.objects.create(station=station, kind="spot", starts_on=date(2026, 1, 1),
                            ends_on=date(2026, 5, 10))  # fmt: skip
    Contract.objects.create(station=station, kind="fixed", starts_on=date(2026, 5, 11),
                            fixed_won_per_kwh=Decimal("180.50"))  # fmt: skip
    revenue = station_revenue(station=station, start=MAY[0], end=MAY[1])
    last = revenue.days[-1]
    assert (last.kind, last.won) == ("fixed", Decimal("45125.00"))  # 250 x 180.50
    assert revenue.won == Decimal("81600.00") + Decimal("81427.00") + Decimal("58920.00") + Decimal(
        "45125.00"
    )
    assert revenue.notes == []  # the fixed price needs no market price


def test_jeju_uses_its_own_smp_and_the_plant_weight(db, may_prices):
    station = make_station("J001", region=Region.JEJU, capacity_kwp=Decimal("500"))
    PlantEconomics.objects.create(station=station, installation_type="building")  # weight 1.5
    put_days(station, {date(2026, 5, 4): 2000.0})
    [day] = station_revenue(station=station, start=MAY[0], end=MAY[1]).days
    # 2000 x 90 (Jeju's month) + 2 x 72,000 x 1.5
    assert day.won == Decimal("396000.00")


def test_a_day_after_the_last_price_uses_the_latest_and_says_so(fleet, may_prices):
    station = fleet["station_a"]
    put_days(station, {date(2026, 6, 2): 100.0})
    revenue = station_revenue(station=station, start=date(2026, 6, 1), end=date(2026, 6, 30))
    # SMP: May's average (110) stands in; REC: the week of 4 May (72,000)
    assert revenue.won == Decimal("110") * 100 + Decimal("0.1") * 72000 * Decimal("1.2")
    assert len(revenue.notes) == 2
    assert any("SMP" in n and "Mainland" in n and "2026-05-01" in n for n in revenue.notes)


def test_with_no_price_at_all_the_day_is_left_out_and_said(fleet):
    station = fleet["station_a"]
    put_days(station, {date(2026, 5, 1): 100.0})
    revenue = station_revenue(station=station, start=MAY[0], end=MAY[1])
    assert revenue.won == 0 and not revenue.complete
    assert any("No SMP price is published" in n for n in revenue.notes)
    assert not any("admin" in n for n in revenue.notes)  # an owner cannot enter prices


def test_today_and_month_for_a_fleet_in_a_fixed_number_of_queries(fleet, may_prices):
    def count(stations) -> int:
        default, telemetry = connections["default"], connections["telemetry"]
        with CaptureQueriesContext(default) as d, CaptureQueriesContext(telemetry) as t:
            figures, _notes = stations_revenue_today_and_month(stations, today=date(2026, 5, 12))
        assert set(figures) == {s.id for s in stations}
        return len(d) + len(t)

    put_days(fleet["station_a"], MAY_KWH)
    small = count([fleet["station_a"]])
    more = [fleet["station_a"], fleet["station_b"]]
    more += [make_station(f"X{n:03d}", inverters=1) for n in range(8)]
    for station in more[1:]:
        put_days(station, MAY_KWH)
    assert count(more) == small
    figures, _notes = stations_revenue_today_and_month(more[:1], today=date(2026, 5, 12))
    assert figures[fleet["station_a"].id].today_won == Decimal("49100.00")
    assert figures[fleet["station_a"].id].month_won == Decimal("271047.00")


def test_customer_revenue_adds_up_its_plants(fleet, may_prices):
    customer = fleet["station_a"].customer
    second = make_station("A002", customer=customer, capacity_kwp=Decimal("100"))
    put_days(fleet["station_a"], MAY_KWH)
    put_days(second, {date(2026, 5, 1): 100.0})  # 12,000 + 8,400 = 20,400
    put_days(fleet["station_b"], MAY_KWH)  # another customer's: not counted
    result = customer_revenue(customer=customer, start=MAY[0], end=MAY[1], by="month")
    assert result["won"] == Decimal("291447.00")
    assert [p["won"] for p in result["stations"]] == [Decimal("271047.00"), Decimal("20400.00")]
    assert result["periods"][0]["period"] == "2026-05"


def test_overlapping_contracts_are_refused(fleet):
    from django.core.exceptions import ValidationError

    station = fleet["station_a"]
    Contract.objects.create(station=station, kind="spot", starts_on=date(2026, 1, 1))
    clash = Contract(station=station, kind="fixed", starts_on=date(2026, 6, 1),
                     fixed_won_per_kwh=Decimal("150"))  # fmt: skip
    with pytest.raises(ValidationError, match="covers part of this period"):
        clash.full_clean()
    no_price = Contract(station=fleet["station_b"], kind="fixed", starts_on=date(2026, 6, 1))
    with pytest.raises(ValidationError, match="needs its price"):
        no_price.full_clean()


def test_totals_per_plant_for_a_reports_page(fleet, may_prices):
    put_days(fleet["station_a"], MAY_KWH)
    put_days(fleet["station_b"], {date(2026, 5, 1): 100.0})  # 12,000 + 0.1 x 70,000 x 1.2
    totals, notes = stations_revenue_total(
        stations=[fleet["station_a"], fleet["station_b"]], start=MAY[0], end=MAY[1]
    )
    assert totals == {
        fleet["station_a"].id: Decimal("271047.00"),
        fleet["station_b"].id: Decimal("20400.00"),
    }
