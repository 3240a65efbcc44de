"""What only a real MongoDB can answer (mongomock imitates results, not plans or concurrency):
the store's reads use its indexes, and two writers of one batch at once store each reading once.
Skipped without MONGODB_URI; docs/telemetry-store.md says what was run where."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from telemetry import store
from tests.telemetry.test_store_contract import NOW, inverter_row

pytestmark = [
    pytest.mark.django_db(databases=["default", "telemetry"]),
    pytest.mark.mongodb_server,
]


def plan_indexes(plan: dict) -> set[str]:
    """The index names anywhere in an explain() plan (IXSCAN, DISTINCT_SCAN...)."""
    found = set()
    if isinstance(plan, dict):
        if isinstance(plan.get("indexName"), str):
            found.add(plan["indexName"])
        for value in plan.values():
            found |= plan_indexes(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= plan_indexes(value)
    return found


def test_the_reads_use_the_indexes(real_mongodb):
    store.readings_upsert(rows={"inverter": [inverter_row(i, NOW + timedelta(minutes=m))
                                             for i in range(1, 6) for m in range(30)]})  # fmt: skip
    readings = real_mongodb["inverter_readings"]
    window = {"$gte": NOW, "$lt": NOW + timedelta(hours=1)}
    by_device = readings.find({"inverter_id": {"$in": [1, 2]}, "ts": window}).sort(
        [("inverter_id", 1), ("ts", 1)]
    )
    assert plan_indexes(by_device.explain()["queryPlanner"]["winningPlan"]) == {"device_ts"}
    by_station = readings.find({"station_id": 7, "ts": window}).sort([("ts", 1)])
    assert plan_indexes(by_station.explain()["queryPlanner"]["winningPlan"]) == {"station_ts"}


def test_the_edges_of_a_rollup_window_are_read_from_the_index(real_mongodb):
    store.readings_upsert(rows={"inverter": [inverter_row(i, NOW + timedelta(minutes=m))
                                             for i in range(1, 6) for m in range(30)]})  # fmt: skip
    window = {"$gte": NOW, "$lt": NOW + timedelta(hours=1)}
    plan = real_mongodb.command(
        "explain",
        {
            "aggregate": "inverter_readings",
            "pipeline": [
                {"$match": {"inverter_id": {"$in": [1, 2, 3]}, "ts": window}},
                {"$sort": {"inverter_id": -1, "ts": -1}},
                {"$group": {"_id": "$inverter_id", "row": {"$first": "$$ROOT"}}},
            ],
            "cursor": {},
        },
    )
    assert "device_ts" in plan_indexes(plan)
    assert store.counter_rows_before(inverter_ids=[1, 2], before=NOW + timedelta(minutes=10),
                                     not_before=NOW)[2][1] == int(
        (NOW + timedelta(minutes=9)).timestamp()
    )  # fmt: skip


def test_two_writers_of_one_batch_at_once_store_each_reading_once(real_mongodb):
    batch = {"inverter": [inverter_row(i, NOW + timedelta(minutes=m))
                          for i in range(1, 11) for m in range(50)]}  # fmt: skip
    start = threading.Barrier(2)
    results, errors = [], []

    def send():
        start.wait()
        try:
            results.append(store.readings_upsert(rows=batch))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.inverter_reading_count() == 500
    assert sum(r.counts["accepted"] + r.counts["duplicate"] for r in results) == 1000
