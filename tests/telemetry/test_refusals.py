"""Refused readings: every item the ingest refuses is kept, counted, shown and purged in time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.module_loading import import_string

from jobs.table import job_named
from telemetry.models import IngestTally, InverterReading, RefusedReading
from telemetry.refusals import ITEM_MAX_CHARS, refusal_rates_last_day, refusals_purge
from tests.telemetry.test_ingest import post, reading, recent
from tests.telemetry.test_ingest_failures import failing

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


@pytest.fixture
def token(fleet):
    return fleet["collector_a"].issue_token()


def test_a_batch_with_refused_items_leaves_one_row_per_refused_item(client, fleet, token):
    body = {
        "readings": [
            reading(recent(0)),
            reading(recent(0), inverter=9),  # no such inverter
            reading(recent(1), ac_kw="lots"),
            reading(recent(1), station="B001"),  # a plant this collector does not serve
            "not an object",
        ],
        "grid": [{"station": "NOPE", "ts": recent(0), "outage": False}],
    }
    response = post(client, token, body)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1 and response.json()["rejected"] == 5
    assert InverterReading.objects.count() == 1

    rows = list(RefusedReading.objects.order_by("section", "index"))
    assert [(r.section, r.index, r.code) for r in rows] == [
        ("grid", 0, "unknown_station"),
        ("readings", 1, "unknown_device"),
        ("readings", 2, "wrong_type"),
        ("readings", 3, "not_your_device"),
        ("readings", 4, "not_an_object"),
    ]
    collector, a, b = fleet["collector_a"], fleet["station_a"], fleet["station_b"]
    assert {r.collector_id for r in rows} == {collector.pk}
    assert [r.station_id for r in rows] == [None, a.pk, a.pk, b.pk, None]
    assert json.loads(rows[2].item)["ac_kw"] == "lots"
    assert rows[4].item == '"not an object"'
    assert rows[2].field == "ac_kw" and "ac_kw" in rows[2].message
    rate = refusal_rates_last_day(collector_ids=[collector.pk])[collector.pk]
    assert (rate.items, rate.refused) == (6, 5)


def test_a_clean_batch_keeps_nothing_but_counts_its_items(client, fleet, token):
    post(client, token, {"readings": [reading(recent(0)), reading(recent(0), inverter=2)]})
    assert not RefusedReading.objects.exists()
    collector = fleet["collector_a"]
    rate = refusal_rates_last_day(collector_ids=[collector.pk])[collector.pk]
    assert (rate.items, rate.refused, rate.share) == (2, 0, 0.0)


def test_an_absurd_item_is_kept_cut_to_size_and_storable(client, fleet, token):
    huge = {"station": "A001", "inverter": 1, "ts": recent(0), "note": "가" * 5000}
    body = (
        '{"readings": [' + json.dumps(huge, ensure_ascii=False) + ","
        '{"station": "A001", "inverter": 1, "ts": "' + recent(1) + '", "ac_kw": 1' + "0" * 5000
        + '}, {"station": "\\ud800", "inverter": 1, "ts": "' + recent(2) + '"}]}'
    )  # fmt: skip
    response = post(client, token, body.encode())
    assert response.status_code == 200, response.content
    assert response.json()["rejected"] == 2  # the long note is no field: that item is stored
    items = [r.item for r in RefusedReading.objects.order_by("index")]
    assert all(len(text) <= ITEM_MAX_CHARS for text in items)
    assert '"ac_kw": "~1e4300"' in items[0]
    assert "\\ud800" in items[1]


@pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)
def test_a_failure_to_keep_refusals_loses_no_accepted_reading(client, fleet, token):
    with failing("telemetry", "telemetry_refusedreading"):
        response = post(client, token, {"readings": [reading(recent(0)), reading(inverter=9)]})
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1 and response.json()["rejected"] == 1
    assert InverterReading.objects.count() == 1
    assert not RefusedReading.objects.exists()
    assert not IngestTally.objects.exists()  # the batch's count went with its refusals


NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_the_purge_keeps_the_newest(settings):
    settings.REFUSED_READINGS_DAYS = 30
    ages = [45, 31, 30.5, 29, 1, 0]
    for i, days in enumerate(ages):
        RefusedReading.objects.create(
            collector_id=1, received_at=NOW - timedelta(days=days), section="readings",
            index=i, code="out_of_range", message="m", item="{}",
        )  # fmt: skip
    IngestTally.objects.create(collector_id=1, hour=NOW - timedelta(days=40), items=5, refused=5)
    IngestTally.objects.create(collector_id=1, hour=NOW - timedelta(days=2), items=5, refused=1)
    summary = refusals_purge(now=NOW, chunk=2)
    assert summary.startswith("purged 3 refused readings and 1 hourly tallies")
    assert sorted(RefusedReading.objects.values_list("index", flat=True)) == [3, 4, 5]
    assert list(IngestTally.objects.values_list("refused", flat=True)) == [1]
    assert refusals_purge(now=NOW).startswith("purged 0 refused readings")


def test_the_purge_is_in_the_job_table():
    job = import_string(job_named("purge_refused_readings").func)
    assert job().startswith("purged 0 refused readings")


def test_the_plant_page_shows_each_collectors_refusal_rate(client, client_as, fleet, token):
    post(client, token, {"readings": [reading(recent(0)), reading(recent(0), inverter=9),
                                      reading(recent(1)), reading(recent(2))]})  # fmt: skip
    page = client_as(fleet["operator"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="en")
    html = " ".join(page.content.decode().split())
    assert "collector-a" in html and "25.0 % refused in 24 h (1 of 4 items)" in html
    page = client_as(fleet["operator"]).get("/plants/A001/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "24시간 거부율 25.0 % (4건 중 1건)" in " ".join(page.content.decode().split())


def test_the_admin_lists_refused_readings_by_collector_plant_and_code(client_as, fleet, token,
                                                                       client):  # fmt: skip
    post(client, token, {"readings": [reading(recent(0), inverter=9), reading(station="B001")]})
    admin = client_as(fleet["admin"])
    url = "/admin/telemetry/refusedreading/"
    html = admin.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "collector-a" in html and "unknown_device" in html and "not_your_device" in html
    page = admin.get(f"{url}?station_id={fleet['station_b'].pk}", HTTP_ACCEPT_LANGUAGE="en")
    rows = page.content.decode().split("<tbody")[1].split("</tbody>")[0]
    assert "not_your_device" in rows and "unknown_device" not in rows and "B001" in rows
    query = f"?code=unknown_device&collector_id={fleet['collector_a'].pk}"
    page = admin.get(url + query, HTTP_ACCEPT_LANGUAGE="en")
    rows = page.content.decode().split("<tbody")[1].split("</tbody>")[0]
    assert rows.count("<tr") == 1 and "unknown_device" in rows and "A001" in rows


def test_the_admin_drills_down_to_a_day(client_as, fleet, settings):
    settings.REFUSED_READINGS_DAYS = 30
    for day in (3, 4):
        RefusedReading.objects.create(
            collector_id=fleet["collector_a"].pk, section="readings", index=day,
            received_at=datetime(2026, 11, day, 3, tzinfo=UTC), code=f"code_of_the_{day}rd",
            message="m", item="{}",
        )  # fmt: skip
    admin = client_as(fleet["admin"])
    url = "/admin/telemetry/refusedreading/?received_at__year=2026&received_at__month=11"
    page = admin.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "received_at__day=3" in page and "received_at__day=4" in page
    page = admin.get(url + "&received_at__day=4", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = page.split("<tbody")[1].split("</tbody>")[0]
    assert "code_of_the_4rd" in rows and "code_of_the_3rd" not in rows
