"""10,000 malformed items of 71 kinds among good ones, and malformed bodies, over real HTTP.

gunicorn serves the suite's test databases (SQLite, or MariaDB in make test's second pass).
Each batch mixes malformed items (tests/faults/data_items.py; hypothesis picks the kinds and
the random values) with good ones. Every answer must be a 200 naming exactly the malformed
items, each with the field and a code its kind expects; at the end every good item is stored
exactly once. Whole bodies that cannot be a batch get a 4xx in the API's shape and store
nothing. No answer is ever a 5xx.
"""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from monitoring.models import CombinerBox, Sensor
from telemetry.models import CombinerReading, GridReport, InverterReading, SensorReading
from tests.faults.data_items import HUGE_INT, ITEM_CODES, KINDS, GoodItems

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)

BATCHES = 100
MALFORMED_PER_BATCH = 100
GOOD_EVERY = 2  # one good item after every second malformed one
SECTIONS = ("readings", "combiner_boxes", "sensors", "grid")
MODELS = {"readings": InverterReading, "combiner_boxes": CombinerReading,
          "sensors": SensorReading, "grid": GridReport}  # fmt: skip


@pytest.fixture
def site(fleet):
    CombinerBox.objects.create(station=fleet["station_a"], number=1, channels=4)
    Sensor.objects.create(station=fleet["station_a"], kind=Sensor.Kind.POA_IRRADIANCE, name="poa")
    return fleet["collector_a"].issue_token()


def body_text(sections: dict[str, list]) -> bytes:
    return json.dumps(sections).replace(f'"{HUGE_INT}"', "9" * 5000).encode()


def check_answer(answer: dict, expected: dict[str, list]) -> None:
    """The errors name exactly the malformed items, each with the field and a code of its kind."""
    wanted = {(section, i): k for section, ks in expected.items() for i, k in enumerate(ks) if k}
    got = {(e["section"], e["index"]): e for e in answer["errors"]}
    assert set(got) == set(wanted), ("errors for good items or none for bad ones",
                                     [got[k] for k in set(got) - set(wanted)][:3])
    for key, error in got.items():
        k = wanted[key]
        assert error["field"] == k.field and error["code"] in k.codes, (k.name, error)
        assert error["code"] in ITEM_CODES and error["message"]
    assert answer["rejected"] == len(wanted)


def test_ten_thousand_malformed_items_among_good_ones(server, site, capsys):
    http = httpx.Client(base_url=server.url, timeout=60,
                        headers={"Authorization": f"Bearer {site}",
                                 "Content-Type": "application/json"})  # fmt: skip
    goods = GoodItems()
    good_sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    kinds_sent: Counter[str] = Counter()

    @settings(max_examples=BATCHES, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.data())
    def one_batch(data):
        chosen = data.draw(st.lists(st.sampled_from(KINDS), min_size=MALFORMED_PER_BATCH,
                                    max_size=MALFORMED_PER_BATCH))  # fmt: skip
        sections: dict[str, list] = {name: [] for name in SECTIONS}
        expected: dict[str, list] = {name: [] for name in SECTIONS}
        for n, k in enumerate(chosen, start=1):
            sections[k.section].append(k.make(data.draw, goods.make(k.section)))
            expected[k.section].append(k)
            if n % GOOD_EVERY == 0:
                section = SECTIONS[n // GOOD_EVERY % len(SECTIONS)]
                sections[section].append(goods.make(section))
                expected[section].append(None)
        # Counted once posted: hypothesis drops a draw that a filter could not satisfy.
        response = http.post("/api/v1/ingest", content=body_text(sections))
        statuses[response.status_code] += 1
        kinds_sent.update(k.name for k in chosen)
        good_sent.update({name: ks.count(None) for name, ks in expected.items()})
        assert response.status_code == 200, response.text[:500]
        answer = response.json()
        check_answer(answer, expected)
        assert answer["accepted"] == sum(ks.count(None) for ks in expected.values())

    one_batch()
    http.close()

    stored = {name: model.objects.count() for name, model in MODELS.items()}
    malformed = sum(kinds_sent.values())
    with capsys.disabled():
        print(f"\n[fault] malformed items: {malformed} of {len(kinds_sent)} kinds among "
              f"{sum(good_sent.values())} good ones in {sum(statuses.values())} batches; "
              f"answers {dict(statuses)} (target: no 5xx); good items stored "
              f"{sum(stored.values())} of {sum(good_sent.values())} (target: each once)")
    assert malformed == BATCHES * MALFORMED_PER_BATCH
    assert set(kinds_sent) == {k.name for k in KINDS} and len(kinds_sent) >= 50
    assert stored == dict(good_sent)
    assert list(statuses) == [200]


NESTED = "[" * 1000 + "]" * 1000
BODIES = [
    ("not JSON", b"{readings: []", 400, "invalid_json"),
    ("not UTF-8", b'{"readings": ["\xff\xfe"]}', 400, "invalid_json"),
    ("a JSON string", b'"readings"', 400, "not_an_object"),
    ("a JSON number", b"1" + b"0" * 5000, 400, "not_an_object"),
    ("NaN", b"NaN", 400, "not_an_object"),
    ("null", b"null", 400, "not_an_object"),
    ("a list of items", b'[{"station": "A001"}]', 400, "not_an_object"),
    ("1000 levels", NESTED.encode(), 400, "too_deep"),
    ("1000 levels in a section", b'{"readings": ' + NESTED.encode() + b"}", 400, "too_deep"),
    ("a section as an object", b'{"readings": {"station": "A001"}}', 400, "invalid_section"),
    ("a section as text", b'{"grid": "A001"}', 400, "invalid_section"),
    ("an unknown section", b'{"inverters": []}', 400, "unknown_section"),
    ("a surrogate section", b'{"\\ud800": []}', 400, "unknown_section"),
    ("too many items", json.dumps({"grid": [{}] * 5001}).encode(), 413, "batch_too_large"),
    ("too many bytes", b'{"grid": [], "x": "' + b"x" * 5_200_000 + b'"}', 413,
     "body_too_large"),
]  # fmt: skip


def test_malformed_bodies_are_a_4xx_in_the_api_shape(server, site, capsys):
    answers = {}
    with httpx.Client(base_url=server.url, timeout=60,
                      headers={"Authorization": f"Bearer {site}",
                               "Content-Type": "application/json"}) as http:  # fmt: skip
        for name, body, _, _ in BODIES:
            response = http.post("/api/v1/ingest", content=body)
            answers[name] = (response.status_code, response.json())
    with capsys.disabled():
        print(f"\n[fault] malformed bodies: {len(BODIES)} kinds, answered "
              f"{dict(Counter(status for status, _ in answers.values()))} (target: each its "
              f"4xx in the API's shape)")
    for name, _, status, code in BODIES:
        assert answers[name][0] == status, (name, answers[name])
        assert answers[name][1]["error"] == code, (name, answers[name])
        assert set(answers[name][1]) == {"error", "detail", "fields"}, name
    assert InverterReading.objects.count() == GridReport.objects.count() == 0
