"""Each endpoint's happy path, its figures checked against the rollup rows and latest state."""

from __future__ import annotations

import csv
import io

import pytest
from django.db.models import Sum
from django.utils import timezone

from events.models import Alarm
from generation.models import DailyGeneration, HourlyGeneration, StationDailyGeneration
from monitoring.models import KeyValue, PowerStation
from tests.api.conftest import DAY
from web import fleet, selectors

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def day_kwh(station) -> float:
    return DailyGeneration.objects.filter(station_id=station.id, date=DAY).aggregate(s=Sum("kwh"))[
        "s"
    ]


def test_station_list_shows_kw_today_and_state_of_visible_plants(world, as_role):
    body = as_role("operator").get("/api/v1/stations").json()

    assert body["count"] == 2
    a, b = body["results"]
    # The overview page's states: an open alarm decides (monitoring/states.py).
    assert (a["code"], a["current_kw"], a["today_kwh"], a["state"], a["state_label"]) == (
        "A001", 21.5, 40.0, "comm_error", "통신 오류"
    )  # fmt: skip
    assert (a["power_station_status"], a["comm_status"], a["inverters_reporting"]) == (0, 0, 1)
    assert (a["region"], a["region_label"], a["status"], a["status_label"]) == (
        "jeonnam", "전남", "operating", "운영 중"
    )  # fmt: skip
    assert (b["code"], b["current_kw"], b["state"], b["comm_status"]) == (
        "B001", 0.0, "grid_outage", 1
    )  # fmt: skip


def test_station_list_filters_and_sorts_by_the_overview_pages_rules(world, as_role):
    client = as_role("admin")
    by_state = client.get("/api/v1/stations?state=grid_outage").json()
    assert [r["code"] for r in by_state["results"]] == ["B001"]
    assert [r["code"] for r in client.get("/api/v1/stations?sort=-kw").json()["results"]] == [
        "A001", "B001"
    ]  # fmt: skip
    assert [r["code"] for r in client.get("/api/v1/stations?sort=kw").json()["results"]] == [
        "B001", "A001"
    ]  # fmt: skip
    wrong = client.get("/api/v1/stations?state=asleep&sort=size")
    assert wrong.status_code == 400 and sorted(wrong.json()["fields"]) == ["sort", "state"]


def test_station_list_pages_in_a_stable_order_and_filters(world, as_role):
    client = as_role("admin")
    first = client.get("/api/v1/stations?page_size=1").json()
    second = client.get("/api/v1/stations?page_size=1&page=2").json()
    assert [first["results"][0]["code"], second["results"][0]["code"]] == ["A001", "B001"]
    customer = world["station_b"].customer_id
    filtered = client.get(f"/api/v1/stations?customer={customer}").json()
    assert [r["code"] for r in filtered["results"]] == ["B001"]


def test_detail_status_inverters_and_search(world, as_role):
    client = as_role("owner_a")
    detail = client.get("/api/v1/stations/A001").json()
    assert [(i["number"], i["state"], i["ac_kw"]) for i in detail["inverter_list"]] == [
        (1, "running", 21.5), (2, "unknown", None),
    ]  # fmt: skip
    assert client.get("/api/v1/stations/A001/status").json() == {
        "code": "A001", "state": "comm_error", "state_label": "통신 오류", "current_kw": 21.5,
        "last_ts": detail["last_ts"], "power_station_status": 0, "comm_status": 0,
    }  # fmt: skip
    assert client.get("/api/v1/stations/A001/inverters/1").json()["dc_kw"] == 22.4
    assert len(client.get("/api/v1/stations/A001/inverters").json()) == 2
    assert [s["code"] for s in client.get("/api/v1/stations/search?q=plant").json()] == ["A001"]


def test_overview_sums_the_plants_and_counts_states_as_the_overview_page(world, as_role):
    client = as_role("admin")
    body = client.get("/api/v1/stations/overview").json()
    assert (body["stations"], body["current_kw"], body["today_kwh"]) == (2, 21.5, 40.0)
    assert sum(body["states"].values()) == 2
    stations = PowerStation.objects.all()
    page = fleet.state_counts(selectors.station_rows(stations, now=timezone.now()))
    assert body["states"] == page


def test_readings_latest_and_power_figures(world, as_role):
    client = as_role("owner_a")
    span = "since=2026-06-01T10:00:00%2B09:00&until=2026-06-01T11:00:00%2B09:00"
    readings = client.get(f"/api/v1/stations/A001/inverters/1/readings?{span}").json()
    assert len(readings) == 60
    assert readings[0]["ac_kw"] == 30.0 and readings[0]["ts"] == "2026-06-01T10:00:00+09:00"
    latest = client.get("/api/v1/stations/A001/inverters/1/latest").json()
    assert latest["ts"] == "2026-06-01T11:59:00+09:00"
    power = client.get(f"/api/v1/stations/A001/power?{span}").json()
    one = power[0]["ac_kw"]
    # 30, 31, 32 repeating over 60 minutes.
    assert (power[0]["inverter"], one["count"], one["sum"], one["average"], one["median"]) == (
        1, 60, 1860.0, 31.0, 31.0
    )  # fmt: skip
    assert power[1]["ac_kw"]["median"] == 15.0
    assert power[0]["dc_kw"] == {"average": None, "sum": None, "median": None, "count": 0}


def test_hourly_and_curve_match_the_rollups(world, as_role):
    client = as_role("owner_a")
    station = world["station_a"]
    hourly = client.get("/api/v1/stations/A001/generation/hourly?date=2026-06-01").json()
    stored = HourlyGeneration.objects.filter(station_id=station.id, local_date=DAY)
    by_hour = {h["local_hour"]: h["kwh"] for h in hourly["hours"]}
    for hour in (10, 11):
        expected = stored.filter(local_hour=hour).aggregate(s=Sum("kwh"))["s"]
        assert by_hour[hour] == pytest.approx(expected)
    curve = client.get("/api/v1/stations/A001/generation/curve?date=2026-06-01").json()
    assert curve["total"][0] == {"ts": "2026-06-01T10:00:00+09:00", "kw": 45.0}
    assert [len(i["points"]) for i in curve["inverters"]] == [120, 120]


def test_daily_monthly_summary_and_run_time_match_the_rollups(world, as_role):
    client = as_role("owner_a")
    station = world["station_a"]
    daily = client.get("/api/v1/generation/daily?from=2026-06-01&to=2026-06-01").json()
    assert daily["days"] == [
        {"date": "2026-06-01", "kwh": round(day_kwh(station), 3), "zero_filled": False}
    ]
    assert {i["inverter"] for i in daily["inverters"]} == {"A001-1", "A001-2"}
    monthly = client.get("/api/v1/generation/monthly?year=2026").json()
    assert monthly["months"]["6"] == round(day_kwh(station), 3)
    plant_day = StationDailyGeneration.objects.get(station_id=station.id, date=DAY)
    run = client.get("/api/v1/generation/run-time?from=2026-06-01&to=2026-06-01").json()
    assert run == [{"station": "A001", "hours": round(plant_day.run_minutes / 60, 2)}]
    summary = client.get("/api/v1/generation/summary").json()
    assert (summary["current_kw"], summary["today_kwh"], summary["lifetime_kwh"]) == (
        21.5, 40.0, 160.0
    )  # fmt: skip


def test_regional_average_and_statistics(world, as_role):
    client = as_role("operator")
    regions = client.get("/api/v1/generation/regional-average").json()
    assert regions == [
        {"region": "jeonnam", "stations": 1, "average_kw": 21.5, "kw_per_kwp": 0.215}
    ]
    stats = client.get("/api/v1/generation/statistics?from=2026-06-01&to=2026-06-01").json()
    assert stats["stations"] == 1
    assert stats["inverter_kwh_median"] == pytest.approx(day_kwh(world["station_a"]) / 2)


def test_export_csv_and_xlsx(world, as_role):
    client = as_role("owner_a")
    response = client.get("/api/v1/generation/export?from=2026-06-01&to=2026-06-01")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[1][1] == "A001" and float(rows[1][3]) == pytest.approx(day_kwh(world["station_a"]))
    xlsx = client.get("/api/v1/generation/export?kind=monthly&type=xlsx&year=2026")
    assert xlsx.getvalue()[:2] == b"PK"


def test_alarms_acknowledge_notify_and_event_log(world, as_role):
    owner = as_role("owner_a")
    alarms = owner.get("/api/v1/alarms?open=true").json()
    assert [(a["code"], a["station"], a["inverter"]) for a in alarms["results"]] == [
        (202, "A001", 2)
    ]
    # B's alarm is not among the ids acknowledged, even when sent.
    ids = [world["alarm_a"].id, world["alarm_b"].id]
    answer = owner.post("/api/v1/alarms/acknowledge", {"ids": ids, "note": "on it"}, format="json")
    assert answer.json() == {"acknowledged": 1}
    assert Alarm.objects.get(pk=world["alarm_b"].pk).acknowledged_at is None
    assert owner.get("/api/v1/alarms?acknowledged=false").json()["count"] == 0
    one = as_role("operator").post(f"/api/v1/alarms/{world['alarm_a'].id}/acknowledge")
    assert one.json()["acknowledged_by"] == "owner_a"  # the first acknowledger stays
    notify = as_role("admin").get("/api/v1/events/notify").json()
    assert [e["code"] for e in notify["results"]] == [201, 202]
    log = owner.get("/api/v1/stations/A001/events").json()
    assert [(e["code"], e["kind"]) for e in log["results"]] == [(202, "raised")]


def test_event_types_users_customers_keyvalue_and_my_settings(world, as_role):
    admin = as_role("admin")
    codes = [t["code"] for t in as_role("owner_a").get("/api/v1/event-types").json()]
    assert 101 in codes and 999 in codes
    admin.patch("/api/v1/event-types/999", {"by_sms": True}, format="json")
    assert as_role("owner_a").get("/api/v1/event-types/999").json()["by_sms"] is True

    users = admin.get("/api/v1/users?station=A001").json()["results"]
    assert [(u["username"], u["logged_in"]) for u in users] == [("owner_a", True)]
    assert admin.get("/api/v1/users?role=operator").json()["results"][0]["username"] == "operator"
    customers = as_role("operator").get("/api/v1/customers?search=Customer A").json()
    assert [(c["name"], c["stations"]) for c in customers["results"]] == [("Customer A", ["A001"])]

    assert as_role("owner_b").get("/api/v1/keyvalue/notice").json()["value"] == {
        "text": "Maintenance on Sunday"
    }
    admin.put("/api/v1/keyvalue/notice", {"value": [1, 2]}, format="json")
    assert KeyValue.objects.get(key="notice").value == [1, 2]

    mine = as_role("owner_a").get("/api/v1/me/notification-settings").json()
    assert [(s["stations"], s["by_sms"]) for s in mine] == [(["A001"], True)]
    refused = as_role("owner_a").post(
        "/api/v1/me/notification-settings", {"stations": ["B001"]}, format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["stations"]


def test_the_hand_written_station_rows_equal_the_documented_serializer(world):
    from django.utils import timezone

    from web import selectors
    from web.api.stations import StationRowOut, station_row_data

    rows = selectors.station_rows([world["station_a"], world["station_b"]], now=timezone.now())
    assert [station_row_data(row) for row in rows] == StationRowOut(rows, many=True).data


def test_the_hand_written_curve_equals_the_documented_serializer(world, as_role):
    from generation import selectors
    from web.api.generation import CurveOut

    body = as_role("owner_a").get("/api/v1/stations/A001/generation/curve?date=2026-06-01")
    curve = selectors.power_curve(station=world["station_a"], day=DAY)

    def points(pairs):
        return [{"ts": ts, "kw": kw} for ts, kw in pairs]

    documented = CurveOut(
        {
            "date": DAY,
            "total": points(curve["total"]),
            "inverters": [
                {"inverter": n, "points": points(p)} for n, p in curve["inverters"].items()
            ],
        }
    ).data
    assert body.json() == documented


def test_a_login_idle_past_the_limit_is_not_logged_in(world, as_role):
    from datetime import timedelta

    from accounts.models import LoginHistory

    LoginHistory.objects.filter(user=world["owner_a"]).update(
        last_seen_at=world["now"] - timedelta(minutes=41)
    )
    users = as_role("admin").get("/api/v1/users?logged_in=true").json()["results"]
    assert [u["username"] for u in users] == ["admin", "operator", "owner_b"]
