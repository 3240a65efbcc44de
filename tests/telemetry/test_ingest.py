"""POST /api/v1/ingest: what a collector sends, what it is answered, what is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import (
    Collector,
    CombinerBox,
    InverterState,
    InverterStatus,
    Sensor,
    StationStatus,
)
from telemetry import store

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])

URL = "/api/v1/ingest"


@pytest.fixture
def site(fleet):
    station = fleet["station_a"]
    CombinerBox.objects.create(station=station, number=1, channels=4)
    Sensor.objects.create(station=station, kind=Sensor.Kind.POA_IRRADIANCE, name="poa")
    fleet["token"] = fleet["collector_a"].issue_token()
    fleet["inverter_1"] = station.inverters.get(number=1)
    fleet["inverter_2"] = station.inverters.get(number=2)
    return fleet


def recent(minutes: int = 0) -> str:
    moment = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30 - minutes)
    return moment.astimezone(timezone.get_fixed_timezone(9 * 60)).isoformat()


def reading(ts: str | None = None, *, station: str = "A001", inverter: int = 1, **values) -> dict:
    item = {"station": station, "inverter": inverter, "ts": ts or recent(),
            "ac_kw": 12.3, "dc_kw": 12.9, "day_kwh": 40.1, "total_kwh": 123456.7,
            "ac_v": [380.1, 380.2, 379.9], "state": 4, "fault_bits": 0}  # fmt: skip
    item.update(values)
    return item


def post(client, token: str | None, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return client.post(URL, data, content_type="application/json", **headers, **extra)


def stored_readings(inverter) -> list:
    now = timezone.now()
    return store.inverter_readings(
        inverter_id=inverter.pk, start=now - timedelta(days=500), end=now + timedelta(days=1)
    )


def test_a_good_batch_is_stored_and_counted(client, site):
    body = {
        "readings": [reading(recent(0)), reading(recent(0), inverter=2, ac_kw=0)],
        "combiner_boxes": [{"station": "A001", "box": 1, "ts": recent(0), "voltage": 640.2,
                            "currents": [8.1, 8.0, 7.9]}],  # fmt: skip
        "sensors": [{"station": "A001", "sensor": "poa", "ts": recent(0), "value": 812.0}],
        "grid": [{"station": "A001", "ts": recent(0), "outage": False}],
    }
    response = post(client, site["token"], body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "accepted": 5, "duplicate": 0, "updated": 0, "rejected": 0, "errors": []
    }  # fmt: skip
    (row,) = stored_readings(site["inverter_1"])
    assert (row.ac_kw, row.ac_v2, row.total_kwh, row.state) == (12.3, 380.2, 123456.7, 4)
    box = CombinerBox.objects.get()
    now = timezone.now()
    (cb,) = store.combiner_readings(box_id=box.pk, start=now - timedelta(hours=1), end=now)
    assert cb.currents == [8.1, 8.0, 7.9]


def test_the_latest_state_follows_the_readings(client, site):
    post(client, site["token"], {"readings": [reading(recent(0)), reading(recent(0), inverter=2,
                                                                          ac_kw=0)]})
    one = InverterStatus.objects.get(inverter=site["inverter_1"])
    two = InverterStatus.objects.get(inverter=site["inverter_2"])
    assert (one.state, one.ac_kw, one.ac_v_min) == (InverterState.RUNNING, 12.3, 379.9)
    assert one.last_ts == datetime.fromisoformat(recent(0))
    assert two.state == InverterState.STOPPED
    collector = Collector.objects.get(pk=site["collector_a"].pk)
    assert collector.last_seen is not None and collector.remote_address == "127.0.0.1"

    # Stopping changes state and state_since; a later reading in the same state keeps it.
    post(client, site["token"], {"readings": [reading(recent(1), ac_kw=0)]})
    post(client, site["token"], {"readings": [reading(recent(2), ac_kw=0)]})
    one.refresh_from_db()
    assert one.state == InverterState.STOPPED
    assert one.state_since == datetime.fromisoformat(recent(1))
    assert one.last_ts == datetime.fromisoformat(recent(2))


def test_a_grid_outage_reported_by_the_site_or_seen_on_the_phases(client, site):
    post(client, site["token"], {
        "grid": [{"station": "A001", "ts": recent(0), "outage": True}],
        "readings": [reading(recent(0), ac_kw=0), reading(recent(0), inverter=2, ac_kw=0)],
    })  # fmt: skip
    assert StationStatus.objects.get(station=site["station_a"]).grid_outage is True
    assert set(InverterStatus.objects.values_list("state", flat=True)) == {"grid_outage"}

    post(client, site["token"], {
        "grid": [{"station": "A001", "ts": recent(1), "outage": False}],
        "readings": [reading(recent(1), ac_kw=3), reading(recent(1), inverter=2, ac_kw=0,
                                                           ac_v=[0, 0, 0])],
    })  # fmt: skip
    states = dict(InverterStatus.objects.values_list("inverter__number", "state"))
    assert states == {1: "running", 2: "grid_outage"}


def test_a_resent_batch_stores_nothing_new(client, site):
    body = {"readings": [reading(recent(m)) for m in range(5)]}
    assert post(client, site["token"], body).json()["accepted"] == 5
    again = post(client, site["token"], body).json()
    assert (again["accepted"], again["duplicate"], again["updated"]) == (0, 5, 0)
    assert len(stored_readings(site["inverter_1"])) == 5


def test_corrected_values_count_as_updated_and_replace_the_stored_ones(client, site):
    post(client, site["token"], {"readings": [reading(recent(0)), reading(recent(1))]})
    answer = post(client, site["token"], {
        "readings": [reading(recent(0), ac_kw=20.0), reading(recent(1)), reading(recent(2))]
    }).json()  # fmt: skip
    assert (answer["accepted"], answer["duplicate"], answer["updated"]) == (1, 1, 1)
    assert [r.ac_kw for r in stored_readings(site["inverter_1"])] == [20.0, 12.3, 12.3]


def test_repeats_inside_one_batch_keep_the_last_values(client, site):
    answer = post(client, site["token"], {"readings": [
        reading(recent(0), ac_kw=1.0), reading(recent(0), ac_kw=1.0), reading(recent(0), ac_kw=2.0)
    ]}).json()  # fmt: skip
    assert (answer["accepted"], answer["duplicate"], answer["updated"]) == (1, 1, 1)
    assert [r.ac_kw for r in stored_readings(site["inverter_1"])] == [2.0]


def test_a_late_reading_is_stored_but_never_overwrites_a_newer_latest_state(client, site):
    post(client, site["token"], {"readings": [reading(recent(10), ac_kw=5.0)]})
    post(client, site["token"], {"readings": [reading(recent(0), ac_kw=0.0),
                                              reading(recent(5), ac_kw=0.0)]})
    status = InverterStatus.objects.get(inverter=site["inverter_1"])
    assert (status.last_ts, status.ac_kw, status.state) == (
        datetime.fromisoformat(recent(10)), 5.0, InverterState.RUNNING
    )
    assert [r.ac_kw for r in stored_readings(site["inverter_1"])] == [0.0, 0.0, 5.0]


def test_epoch_seconds_and_utc_are_the_same_reading(client, site):
    moment = timezone.now().replace(microsecond=0) - timedelta(minutes=3)
    first = post(client, site["token"], {"readings": [reading(moment.timestamp())]}).json()
    second = post(client, site["token"], {
        "readings": [reading(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))]
    }).json()  # fmt: skip
    assert (first["accepted"], second["duplicate"]) == (1, 1)


# Made when the module is collected: far enough ahead to stay "future" through a long run.
FUTURE = (timezone.now() + timedelta(days=1)).isoformat()
ANCIENT = (timezone.now() - timedelta(days=401)).isoformat()

BAD_ITEMS = [
    ("readings", reading(station="Z999"), "station", "unknown_station"),
    ("readings", reading(inverter=9), "inverter", "unknown_device"),
    ("readings", reading(station="B001"), "inverter", "not_your_device"),
    ("readings", {"station": "A001", "ts": recent()}, "inverter", "missing_field"),
    ("readings", reading(inverter="1"), "inverter", "wrong_type"),
    ("readings", {"station": "A001", "inverter": 1}, "ts", "missing_field"),
    ("readings", reading("2026-11-26T10:00:00"), "ts", "naive_timestamp"),
    ("readings", reading("yesterday"), "ts", "invalid_timestamp"),
    ("readings", reading(1795654800000), "ts", "invalid_timestamp"),
    ("readings", reading(FUTURE), "ts", "future_timestamp"),
    ("readings", reading(ANCIENT), "ts", "too_old"),
    ("readings", reading(ac_kw=75.1), "ac_kw", "out_of_range"),  # 1.5 x 50 kW
    ("readings", reading(total_kwh=-1), "total_kwh", "out_of_range"),
    ("readings", reading(day_kwh=-0.5), "day_kwh", "out_of_range"),
    ("readings", reading(ac_kw="12.3"), "ac_kw", "wrong_type"),
    ("readings", reading(ac_kw=True), "ac_kw", "wrong_type"),
    ("readings", reading(state=4.5), "state", "wrong_type"),
    ("readings", reading(ac_v=[380, 380, 380, 380]), "ac_v", "too_many_values"),
    ("readings", reading(ac_v=[380, "x", 380]), "ac_v[1]", "wrong_type"),
    ("readings", "not an item", "", "not_an_object"),
    ("combiner_boxes", {"station": "A001", "box": 1, "ts": recent(), "currents": [1] * 5},
     "currents", "too_many_values"),
    ("combiner_boxes", {"station": "B001", "box": 1, "ts": recent()}, "station",
     "not_your_station"),
    ("sensors", {"station": "A001", "sensor": "ghi", "ts": recent(), "value": 1}, "sensor",
     "unknown_device"),
    ("sensors", {"station": "A001", "sensor": "poa", "ts": recent(), "value": 5000}, "value",
     "out_of_range"),
    ("grid", {"station": "A001", "ts": recent()}, "outage", "missing_field"),
    ("grid", {"station": "B001", "ts": recent(), "outage": True}, "station", "not_your_station"),
]  # fmt: skip


@pytest.mark.parametrize(("section", "item", "field", "code"), BAD_ITEMS)
def test_a_bad_item_is_rejected_with_its_code_and_the_good_ones_are_stored(
    client, site, section, item, field, code
):
    good = reading(recent(1), inverter=2)
    body = {"readings": [good]}
    body.setdefault(section, []).append(item)
    answer = post(client, site["token"], body).json()
    assert (answer["accepted"], answer["rejected"]) == (1, 1), answer
    (error,) = answer["errors"]
    index = 1 if section == "readings" else 0
    assert (error["section"], error["index"], error["field"], error["code"]) == (
        section, index, field, code
    )  # fmt: skip
    assert error["message"].endswith(".")
    assert len(stored_readings(site["inverter_2"])) == 1


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_rejected_item_by_item(client, site, literal):
    good = json.dumps(reading(recent(1), inverter=2))
    bad = json.dumps(reading(recent(1), ac_kw=0)).replace('"ac_kw": 0', f'"ac_kw": {literal}')
    answer = post(client, site["token"], f'{{"readings": [{good}, {bad}]}}').json()
    assert answer["accepted"] == 1
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("ac_kw", "not_finite")]


HUGE = "9" * 5000  # past the 4,300 digits Python reads as an integer


# Items that once crashed the ingest (500, or a commit and then a 500): now one rejected item
# each, in a 200 answer that stores the good item beside it.
@pytest.mark.parametrize(
    ("section", "item", "field", "code"),
    [
        ("readings", reading(ac_kw=10**308), "ac_kw", "out_of_range"),  # 309 digits
        ("readings", reading(fault_bits=-(10**308)), "fault_bits", "out_of_range"),
        ("readings", reading(state="HUGE"), "state", "out_of_range"),
        ("readings", reading(ac_v=[10**308]), "ac_v[0]", "out_of_range"),
        ("readings", reading(10**308), "ts", "invalid_timestamp"),
        ("readings", reading("0001-01-01T00:00:00+14:00"), "ts", "invalid_timestamp"),
        ("readings", reading("9999-12-31T23:59:59-14:00"), "ts", "invalid_timestamp"),
        ("readings", reading("\ud800"), "ts", "invalid_timestamp"),
        ("readings", reading(station="\ud800"), "station", "unknown_station"),
        ("sensors", {"station": "A001", "sensor": "\ud800", "ts": recent(), "value": 1},
         "sensor", "unknown_device"),
        ("combiner_boxes", {"station": "A001", "box": 10**308, "ts": recent()}, "box",
         "out_of_range"),
        ("grid", {"station": "A001", "ts": "\udfff", "outage": False}, "ts", "invalid_timestamp"),
    ],
    ids=["309-digit number", "309-digit whole number", "5000-digit whole number",
         "309-digit phase", "309-digit epoch", "year 1 at +14", "year 9999 at -14",
         "surrogate ts", "surrogate station", "surrogate sensor", "309-digit box",
         "surrogate grid ts"],
)  # fmt: skip
def test_an_item_that_once_crashed_the_ingest_is_one_rejected_item(
    client, site, section, item, field, code
):
    body = {"readings": [reading(recent(1), inverter=2)]}
    body.setdefault(section, []).append(item)
    response = post(client, site["token"], json.dumps(body).replace('"HUGE"', HUGE))
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (1, 1), answer
    (error,) = answer["errors"]
    assert (error["section"], error["field"], error["code"]) == (section, field, code)
    assert len(error["message"]) < 200  # a huge value is shown short
    assert len(stored_readings(site["inverter_2"])) == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [({"state": 2**64}, "state"), ({"fault_bits": -(2**63) - 1}, "fault_bits"),
     ({"inverter": 10**19}, "inverter")],
    ids=["20 digits", "past -2^63", "19 digits"],
)  # fmt: skip
def test_a_whole_number_past_64_bits_is_out_of_range_not_a_float(client, site, values, field):
    """Such a body is read by the standard library (telemetry/api.py): a faster parser would
    have made these numbers floats, and answered wrong_type."""
    body = {"readings": [reading(recent(1), inverter=2), reading(recent(1), **values)]}
    answer = post(client, site["token"], body).json()
    assert answer["accepted"] == 1
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(field, "out_of_range")]


def test_a_body_with_a_byte_order_mark_is_read(client, site):
    body = b"\xef\xbb\xbf" + json.dumps({"readings": [reading(recent(1))]}).encode()
    assert post(client, site["token"], body).json()["accepted"] == 1


@pytest.mark.parametrize(
    ("ac_v", "field", "code"),
    [("[380, NaN, 380]", "ac_v[1]", "not_finite"), ("[380, 380, 1001]", "ac_v[2]", "out_of_range"),
     ("[380, true]", "ac_v[1]", "wrong_type"), ("[]", None, None), ("381", None, None)],
    ids=["NaN", "out of range", "true", "empty", "one number"],
)  # fmt: skip
def test_each_phase_is_checked(client, site, ac_v, field, code):
    item = json.dumps(reading(recent(1), ac_v=0)).replace('"ac_v": 0', f'"ac_v": {ac_v}')
    answer = post(client, site["token"], f'{{"readings": [{item}]}}').json()
    assert [(e["field"], e["code"]) for e in answer["errors"]] == ([(field, code)] if field else [])
    assert answer["accepted"] == (0 if field else 1)


def test_a_surrogate_is_quoted_escaped_in_the_answer(client, site):
    answer = post(client, site["token"], {"readings": [reading(station="A\ud800")]}).json()
    assert answer["errors"][0]["message"] == "There is no plant A\\ud800."


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "invalid_json"),
        (b"\xff\xfe{}", 400, "invalid_json"),  # not UTF-8
        ("[1, 2]", 400, "not_an_object"),
        ('{"readings": {"station": "A001"}}', 400, "invalid_section"),
        ('{"reading": []}', 400, "unknown_section"),
        ('{"\\ud800": []}', 400, "unknown_section"),
        ("[" * 1000 + "]" * 1000, 400, "too_deep"),
        ('{"readings": [{"ac_v": ' + "[" * 1000 + "]" * 1000 + "}]}", 400, "too_deep"),
    ],
    ids=["not json", "not utf-8", "a list", "a section not a list", "unknown section",
         "surrogate section", "1000 levels", "1000 levels in an item"],
)  # fmt: skip
def test_a_malformed_body_is_refused_whole(client, site, body, status, code):
    response = post(client, site["token"], body)
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert response.json()["detail"]
    assert stored_readings(site["inverter_1"]) == []


def padded_readings(count: int, *, pad: int) -> list[dict]:
    """`count` distinct readings of inverters 1 and 2, each padded with an unknown field."""
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=3)
    return [
        reading((start + timedelta(minutes=m // 2)).isoformat(), inverter=1 + m % 2,
                note="x" * pad)
        for m in range(count)
    ]  # fmt: skip


def test_the_documented_limit_of_5000_items_of_1_kb_is_taken(client, site, settings):
    settings.INGEST_MAX_ITEMS = 5000
    body = json.dumps({"readings": padded_readings(5000, pad=780)})
    assert 4_900_000 < len(body) <= 5000 * 1024  # past Django's 2.5 MB upload limit
    answer = post(client, site["token"], body).json()
    assert (answer["accepted"], answer["rejected"]) == (5000, 0)
    assert store.inverter_reading_count() == 5000


def test_a_body_over_the_byte_limit_is_413_in_the_api_shape(client, site, settings):
    settings.INGEST_MAX_ITEMS = 3  # and so 3 KiB
    body = json.dumps({"readings": padded_readings(3, pad=1100)})
    response = post(client, site["token"], body)
    assert response.status_code == 413
    assert response.json() == {
        "error": "body_too_large",
        "detail": "The body is larger than 3072 bytes; send smaller batches.",
        "fields": {},
    }
    assert stored_readings(site["inverter_1"]) == []


def test_a_chunked_body_without_a_length_is_411_not_an_empty_batch(client, site):
    response = post(client, site["token"], {"readings": [reading()]},
                    CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")  # fmt: skip
    assert (response.status_code, response.json()["error"]) == (411, "length_required")


def test_a_batch_over_the_limit_is_413(client, site, settings):
    settings.INGEST_MAX_ITEMS = 3
    response = post(client, site["token"], {"readings": [reading(recent(m)) for m in range(4)]})
    assert (response.status_code, response.json()["error"]) == (413, "batch_too_large")
    assert "at most 3" in response.json()["detail"]
    assert stored_readings(site["inverter_1"]) == []


def test_sentences_are_korean_unless_the_collector_asks_otherwise(client, site):
    body = {"readings": [reading(station="Z999")]}
    korean = post(client, site["token"], body, HTTP_ACCEPT_LANGUAGE="ko").json()
    assert korean["errors"][0]["message"] == "발전소 Z999 이(가) 없습니다."
    english = post(client, site["token"], body).json()
    assert english["errors"][0]["message"] == "There is no plant Z999."


def test_tokens(client, site):
    body = {"readings": [reading()]}
    missing = post(client, None, body)
    assert (missing.status_code, missing.json()["error"]) == (401, "missing_token")
    assert missing["WWW-Authenticate"].startswith("Bearer")
    unknown = post(client, "not-a-token", body)
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_token")
    Collector.objects.filter(pk=site["collector_a"].pk).update(is_active=False)
    disabled = post(client, site["token"], body)
    assert (disabled.status_code, disabled.json()["error"]) == (403, "collector_disabled")
    assert stored_readings(site["inverter_1"]) == []


def queries_for(client, token: str, body: dict) -> int:
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["telemetry"]) as telemetry,
    ):
        response = post(client, token, body)
    assert response.status_code == 200
    return len(default) + len(telemetry)


def test_the_query_count_does_not_grow_with_the_batch(client, site):
    def batch(size: int, offset: int) -> dict:
        start = timezone.now() - timedelta(days=1)
        stamps = [(start + timedelta(minutes=offset + m)).isoformat() for m in range(size // 2)]
        return {"readings": [reading(ts, inverter=n) for ts in stamps for n in (1, 2)]}

    # The first reading of an inverter creates its status row; after that, the count is flat.
    assert post(client, site["token"], batch(2, 1300)).json()["accepted"] == 2
    small = queries_for(client, site["token"], batch(10, 0))
    large = queries_for(client, site["token"], batch(1000, 100))
    assert small == large
    assert small <= 20  # test transactions add savepoints
    assert store.inverter_reading_count() == 1012


def test_heartbeat_records_version_uptime_address_and_clock_offset(client, site):
    site_clock = timezone.now() + timedelta(seconds=90)
    response = client.post(
        "/api/v1/collectors/heartbeat",
        {"software_version": "sim 1.2", "uptime_seconds": 3600, "clock": site_clock.isoformat()},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {site['token']}",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200, response.content
    collector = Collector.objects.get(pk=site["collector_a"].pk)
    assert (collector.software_version, collector.uptime_seconds) == ("sim 1.2", 3600)
    assert collector.remote_address == "10.1.2.3"
    assert 85 < collector.clock_offset_seconds < 95
    assert response.json()["clock_offset_seconds"] == collector.clock_offset_seconds


def heartbeat(client, token: str, body) -> object:
    return client.post(
        "/api/v1/collectors/heartbeat", body if isinstance(body, str) else json.dumps(body),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"clock": "2026-11-26T10:00:00"}, "clock"),
        ({"clock": "0001-01-01T00:00:00+00:00"}, "clock"),
        ({"clock": "0001-01-01T00:00:00+09:00"}, "clock"),
        ({"clock": -(10**12)}, "clock"),
        ({"uptime_seconds": -1}, "uptime_seconds"),
        ({"uptime_seconds": 2**63}, "uptime_seconds"),
        ({"uptime_seconds": 10**308}, "uptime_seconds"),
        ({"software_version": "\ud800"}, "software_version"),
        ({"software_version": ["2.1"]}, "software_version"),
    ],
    ids=["naive clock", "year-1 clock", "year-1 clock at +09", "epoch before year 1",
         "negative uptime", "uptime 2^63", "309-digit uptime", "surrogate version",
         "version not text"],
)  # fmt: skip
def test_heartbeat_refuses_bad_fields(client, site, body, field):
    response = heartbeat(client, site["token"], body)
    answer = response.json()
    assert (response.status_code, answer["error"], list(answer["fields"])) == (
        400, "invalid_field", [field]
    )
    assert Collector.objects.get(pk=site["collector_a"].pk).last_seen is None


@pytest.mark.parametrize(
    ("body", "code"),
    [("[" * 1000 + "]" * 1000, "too_deep"), ("[1]", "not_an_object"), ("{", "invalid_json")],
)
def test_heartbeat_refuses_a_malformed_body_whole(client, site, body, code):
    response = heartbeat(client, site["token"], body)
    assert (response.status_code, response.json()["error"]) == (400, code)
    assert Collector.objects.get(pk=site["collector_a"].pk).last_seen is None


def test_heartbeat_takes_a_clock_far_off_but_possible(client, site):
    # A site logger whose battery died starts at 1970: told as it is, for the operator to see.
    assert heartbeat(client, site["token"], {"clock": 0}).status_code == 200
    offset = Collector.objects.get(pk=site["collector_a"].pk).clock_offset_seconds
    assert offset == pytest.approx(-timezone.now().timestamp(), abs=60)
