"""The MongoDB store of raw readings: telemetry/store.py's reading functions, through pymongo.

telemetry/store.py sends its reading functions here when TELEMETRY_STORE=mongodb; nothing else
imports this module but `mongo_setup`, `telemetry_copy` and /healthz. Rows go in and come out
exactly as with the SQL store, so the contract (tests/telemetry/test_store_contract.py) is one.

Document design: one collection per reading kind (`inverter_readings`, `combiner_readings`,
`sensor_readings`, `grid_reports`), one document per reading, its fields named as the SQL
columns (`inverter_id`, `station_id`, `ts`, `ac_kw`, ...; a field that is None is left out),
`ts` a BSON date in UTC. A unique index on (device, ts) is the key of the contract: a reading
is stored once. Why not MongoDB's time-series collections: they take no unique index, so a
re-sent reading could not be recognised and would be stored twice. Why not one bucket document
per device and day (the old system's per-day collections): a correction would rewrite a
growing array, and every read would unwind it.

`readings_upsert`, in steps:

1. check every row and build every document before anything is written (a bad row stores
   nothing);
2. per kind, read the stored documents of the batch's keys (one query);
3. sort the rows into new, duplicate and updated, as the SQL store does (store._classify);
4. insert the new documents in one unordered `insert_many`; a key another writer inserted in
   between (duplicate key error) is replaced instead, so two senders of one batch both succeed;
5. replace each updated document (corrections are rare; one round trip each);
6. when every document of the batch is written, clear the `pending_batch` mark that steps 4
   and 5 put on them (one `update_many` per collection written).

MongoDB without a replica set has no multi-document transaction, and mongomock (what the tests
run on here) has none either, so a batch is not atomic inside the store: a failure in step 4 or
5 leaves part of the batch written. It is all or nothing for the caller instead: the error is
raised (StoreUnavailable, a 503 to a collector) and the collector sends the batch again. The
documents the failed try wrote still carry its pending mark, so the re-send counts them as not
stored (step 2): it answers exactly what the first try would have (accepted, updated), writes
them again, and the late hours among them are marked dirty by the caller as for any new reading.
A re-send can never leave a reading out, because every write is an idempotent upsert on the key.

Every call has a time limit: MONGODB_SERVER_SELECTION_TIMEOUT_MS to find a server (an outage
fails fast) and MONGODB_SOCKET_TIMEOUT_MS per network read. Every driver error becomes
store.StoreUnavailable, a DatabaseError, so the ingest, the API and the jobs treat a MongoDB
outage exactly as a SQL one.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from bson import ObjectId
from django.conf import settings
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

from monitoring.changes import plants_changed
from telemetry import store
from telemetry.store import (
    INVERTER,
    TABLES,
    CombinerReadingRow,
    CounterRow,
    InverterReadingRow,
    Row,
    Table,
    UpsertResult,
)

COLLECTIONS = {
    "inverter": "inverter_readings",
    "combiner": "combiner_readings",
    "sensor": "sensor_readings",
    "grid": "grid_reports",
}
DUPLICATE_KEY = 11000
# Set on the documents a batch writes until the whole batch is written (step 6 of the upsert).
PENDING = "pending_batch"


# --- Connection -------------------------------------------------------------------------------
# One client per process and URI: it holds the connection pool and is thread-safe.
_clients: dict[str, MongoClient] = {}


def client() -> MongoClient:
    uri = settings.MONGODB_URI
    if uri not in _clients:
        _clients[uri] = MongoClient(
            uri,
            tz_aware=True,
            tzinfo=UTC,
            serverSelectionTimeoutMS=settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
            connectTimeoutMS=settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
            socketTimeoutMS=settings.MONGODB_SOCKET_TIMEOUT_MS,
        )
    return _clients[uri]


def client_reset() -> None:
    """Close and forget the clients (after MONGODB_URI changed, and between tests)."""
    while _clients:
        _, old = _clients.popitem()
        old.close()


def database() -> Database:
    """The database named in MONGODB_URI."""
    return client().get_default_database()


def _collection(name: str):
    return database()[COLLECTIONS[name]]


def _unavailable(error: PyMongoError) -> store.StoreUnavailable:
    # A server selection error goes on to describe the whole topology: the first part says it.
    return store.StoreUnavailable(f"MongoDB: {str(error).split(', Timeout: ')[0]}")


def _translated(function):
    """Raise every driver error as store.StoreUnavailable (generators while they are read)."""
    if inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def generator(*args, **kwargs):
            try:
                yield from function(*args, **kwargs)
            except PyMongoError as error:
                raise _unavailable(error) from error

        return generator

    @functools.wraps(function)
    def translated(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except PyMongoError as error:
            raise _unavailable(error) from error

    return translated


def ping() -> None:
    """Raise StoreUnavailable unless the server answers within the selection timeout."""
    _translated(lambda: database().command("ping"))()


# --- Indexes ----------------------------------------------------------------------------------
def index_plan() -> dict[str, list[tuple[str, list[tuple[str, int]], bool]]]:
    """Per collection, (name, keys, unique) of each index the reads and the upsert need.

    - `device_ts`, unique: the contract's key, one device's time range, and the shard key's
      index ({device: 1, ts: 1}; see docs/telemetry-store.md);
    - `station_ts`: a plant's readings over a period (not for grid reports, whose device is
      the plant);
    - `ts`: the retention purge, the oldest reading, the fleet's recent combiner currents.
    """
    plan = {}
    for name, table in TABLES.items():
        device = table.key[0]
        indexes = [("device_ts", [(device, ASCENDING), ("ts", ASCENDING)], True)]
        if device != "station_id":
            indexes.append(("station_ts", [("station_id", ASCENDING), ("ts", ASCENDING)], False))
        indexes.append(("ts", [("ts", ASCENDING)], False))
        plan[COLLECTIONS[name]] = indexes
    return plan


@_translated
def indexes_ensure() -> list[str]:
    """Create the collections' indexes that are missing; returns "collection.index" created.

    Idempotent: an index that exists with the same keys is left alone.
    """
    created = []
    db = database()
    for collection, indexes in index_plan().items():
        existing = db[collection].index_information()
        for name, keys, unique in indexes:
            if name in existing:
                continue
            db[collection].create_index(keys, name=name, unique=unique)
            created.append(f"{collection}.{name}")
    return created


# --- Writes -----------------------------------------------------------------------------------
def _ts(ts: datetime) -> datetime:
    """BSON dates hold milliseconds: the key is the reading's time to the millisecond."""
    ts = ts.astimezone(UTC)
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


@functools.cache
def _casts(table: Table) -> tuple:
    """Per value column, the Python type the SQL column gives back (5 comes back as 5.0)."""
    kinds = {"FloatField": float, "IntegerField": int, "BigIntegerField": int,
             "BooleanField": bool}  # fmt: skip
    fields = table.model._meta
    return tuple(kinds.get(fields.get_field(c).get_internal_type()) for c in table.values)


def _document(table: Table, row: Row) -> dict:
    device, _ = table.key
    document = {device: int(row.device_id), "ts": _ts(row.ts)}
    for column, cast, value in zip(table.values, _casts(table), row.values, strict=True):
        if value is not None:
            document[column] = cast(value) if cast else value
    return document


def _key_filter(table: Table, device_id: int, ts: datetime) -> dict:
    return {table.key[0]: int(device_id), "ts": ts}


@_translated
def readings_upsert(*, rows: dict[str, Sequence[Row]]) -> UpsertResult:
    store.rows_check(rows)
    result = UpsertResult()
    planned = []
    for name, table_rows in rows.items():  # 1. every document before any write
        if not table_rows:
            continue
        table = TABLES[name]
        documents = {}
        keyed = []
        for row in table_rows:
            document = _document(table, row)
            values = tuple(document.get(column) for column in table.values)
            keyed.append(Row(document[table.key[0]], document["ts"], values))
            documents[keyed[-1].key] = document
        planned.append((name, table, keyed, documents))
    batch = ObjectId()
    written = []
    for name, table, keyed, documents in planned:
        stored = _stored_values(name, table, keyed)  # 2.
        outcomes, to_write = store._classify(keyed, stored)  # 3.
        result.outcomes[name] = outcomes
        for outcome in outcomes:
            result.counts[outcome] += 1
        for row in to_write:
            documents[row.key][PENDING] = batch
        new = [documents[row.key] for row in to_write if row.key not in stored]
        changed = [documents[row.key] for row in to_write if row.key in stored]
        collection = _collection(name)
        if new:
            changed += _insert_new(collection, new)  # 4.
        for document in changed:  # 5.
            device, _ = table.key
            collection.replace_one(
                _key_filter(table, document[device], document["ts"]), document, upsert=True
            )
        if to_write:
            written.append(collection)
            plants_changed(station_ids=store._station_ids(name, to_write), using=store.DATABASE)
    for collection in written:  # 6.
        collection.update_many({PENDING: batch}, {"$unset": {PENDING: ""}})
    return result


def _insert_new(collection, documents: list[dict]) -> list[dict]:
    """Insert; return the documents whose key another writer stored meanwhile (to replace)."""
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        taken = []
        for problem in error.details.get("writeErrors", []):
            if problem.get("code") != DUPLICATE_KEY:
                raise
            # insert_many gave it a fresh _id; the stored document keeps its own.
            taken.append({k: v for k, v in documents[problem["index"]].items() if k != "_id"})
        return taken
    return []


def _stored_values(name: str, table: Table, rows: Sequence[Row]) -> dict[tuple, tuple]:
    """The stored values of the rows' keys, in one query (a superset, filtered here). A
    document a batch left pending counts as not stored: its batch was never confirmed."""
    device, _ = table.key
    wanted = {row.key for row in rows}
    found = _collection(name).find(
        {
            device: {"$in": sorted({row.device_id for row in rows})},
            "ts": {"$in": sorted({row.ts for row in rows})},
        },
        {"_id": 0},
    )
    stored = {}
    for document in found:
        key = (document[device], _utc(document["ts"]))
        if key in wanted and PENDING not in document:
            stored[key] = tuple(document.get(column) for column in table.values)
    return stored


# --- Reads ------------------------------------------------------------------------------------
def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC)


def _range(start: datetime, end: datetime) -> dict:
    return {"$gte": start, "$lt": end}


def _inverter_row(document: dict) -> InverterReadingRow:
    values = {column: document.get(column) for column in INVERTER.columns_in_row}
    values["ts"] = _utc(values["ts"])
    return InverterReadingRow(**values)


@_translated
def inverter_readings(
    *, inverter_id: int, start: datetime, end: datetime
) -> list[InverterReadingRow]:
    found = _collection("inverter").find(
        {"inverter_id": int(inverter_id), "ts": _range(start, end)}, {"_id": 0}
    ).sort([("ts", ASCENDING)])
    return [_inverter_row(document) for document in found]


@_translated
def station_inverter_readings(
    *, station_id: int, start: datetime, end: datetime
) -> list[InverterReadingRow]:
    found = _collection("inverter").find(
        {"station_id": int(station_id), "ts": _range(start, end)}, {"_id": 0}
    ).sort([("ts", ASCENDING), ("inverter_id", ASCENDING)])
    return [_inverter_row(document) for document in found]


@_translated
def combiner_readings(*, box_id: int, start: datetime, end: datetime) -> list[CombinerReadingRow]:
    found = _collection("combiner").find(
        {"box_id": int(box_id), "ts": _range(start, end)}, {"_id": 0}
    ).sort([("ts", ASCENDING)])
    return [
        CombinerReadingRow(
            d["box_id"], d["station_id"], _utc(d["ts"]), d.get("voltage"), d.get("currents", [])
        )
        for d in found
    ]


def _edges(match: dict, *, newest: bool) -> dict[int, dict]:
    """Per inverter matched, its newest (or oldest) document, in one aggregation over the
    window of `match` (a few hours: the edges of a rollup's window).

    The sort follows the unique index (both keys reversed for the newest), so a real server
    can answer each inverter's $first from the index.
    """
    direction = DESCENDING if newest else ASCENDING
    found = _collection("inverter").aggregate(
        [
            {"$match": match},
            {"$sort": {"inverter_id": direction, "ts": direction}},
            {"$group": {"_id": "$inverter_id", "row": {"$first": "$$ROOT"}}},
        ]
    )
    return {group["_id"]: group["row"] for group in found}


@_translated
def latest_inverter_readings(*, inverter_ids: Iterable[int]) -> dict[int, InverterReadingRow]:
    # One probe per inverter from the end of its range of the unique index, as the SQL store
    # does: bounded whatever the years of readings behind it.
    readings = _collection("inverter")
    latest = {}
    for inverter_id in inverter_ids:
        found = readings.find_one(
            {"inverter_id": int(inverter_id)}, {"_id": 0}, sort=[("ts", DESCENDING)]
        )
        if found:
            latest[int(inverter_id)] = _inverter_row(found)
    return latest


@_translated
def inverter_reading_count(*, inverter_ids: Iterable[int] | None = None) -> int:
    query = {} if inverter_ids is None else {"inverter_id": {"$in": [int(i) for i in inverter_ids]}}
    return _collection("inverter").count_documents(query)


@_translated
def readings_count(*, kind: str, since: datetime | None = None) -> int:
    return _collection(kind).count_documents({} if since is None else {"ts": {"$gte": since}})


@_translated
def readings_page(
    *, kind: str, after: tuple[int, datetime] | None, since: datetime | None, limit: int
) -> list[Row]:
    table = TABLES[kind]
    device, _ = table.key
    query: dict = {}
    if after is not None:
        query["$or"] = [{device: {"$gt": after[0]}}, {device: after[0], "ts": {"$gt": after[1]}}]
    if since is not None:
        query["ts"] = {"$gte": since}
    found = (
        _collection(kind).find(query, {"_id": 0})
        .sort([(device, ASCENDING), ("ts", ASCENDING)])
        .limit(limit)
    )
    return [
        Row(d[device], _utc(d["ts"]), tuple(d.get(column) for column in table.values))
        for d in found
    ]


@_translated
def first_reading_time() -> datetime | None:
    first = _collection("inverter").find_one({}, {"ts": 1}, sort=[("ts", ASCENDING)])
    return _utc(first["ts"]) if first else None


@_translated
def latest_combiner_currents(
    *, since: datetime, until: datetime | None = None
) -> dict[int, tuple[datetime, list[float | None]]]:
    window = {"$gte": since} | ({"$lte": until} if until is not None else {})
    latest: dict[int, tuple[datetime, list[float | None]]] = {}
    found = _collection("combiner").find({"ts": window}, {"_id": 0, "box_id": 1, "ts": 1,
                                                          "currents": 1})  # fmt: skip
    for document in found:
        box_id, ts = document["box_id"], _utc(document["ts"])
        if box_id not in latest or ts > latest[box_id][0]:
            latest[box_id] = (ts, list(document.get("currents") or []))
    return latest


# --- Reads for rollups and selectors ------------------------------------------------------------
COUNTER_FIELDS = {"_id": 0, "inverter_id": 1, "ts": 1, "ac_kw": 1, "day_kwh": 1, "total_kwh": 1}


def _counter_row(document: dict) -> CounterRow:
    return (
        document["inverter_id"],
        int(_utc(document["ts"]).timestamp()),
        document.get("ac_kw"),
        document.get("day_kwh"),
        document.get("total_kwh"),
    )


@_translated
def counter_rows(
    *, inverter_ids: Iterable[int], start: datetime, end: datetime
) -> Iterator[CounterRow]:
    ids = [int(i) for i in inverter_ids]
    if not ids:
        return
    found = (
        _collection("inverter")
        .find({"inverter_id": {"$in": ids}, "ts": _range(start, end)}, COUNTER_FIELDS)
        .sort([("inverter_id", ASCENDING), ("ts", ASCENDING)])
        .batch_size(20000)
    )
    for document in found:
        yield _counter_row(document)


@_translated
def counter_rows_before(
    *, inverter_ids: Iterable[int], before: datetime, not_before: datetime
) -> dict[int, CounterRow]:
    ids = [int(i) for i in inverter_ids]
    if not ids:
        return {}
    found = _edges({"inverter_id": {"$in": ids}, "ts": _range(not_before, before)}, newest=True)
    return {inverter_id: _counter_row(document) for inverter_id, document in found.items()}


@_translated
def counter_rows_after(
    *, inverter_ids: Iterable[int], after: datetime, not_after: datetime
) -> dict[int, CounterRow]:
    ids = [int(i) for i in inverter_ids]
    if not ids:
        return {}
    found = _edges({"inverter_id": {"$in": ids}, "ts": _range(after, not_after)}, newest=False)
    return {inverter_id: _counter_row(document) for inverter_id, document in found.items()}


@_translated
def power_points(
    *, inverter_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, float | None]]:
    found = (
        _collection("inverter")
        .find(
            {"inverter_id": {"$in": [int(i) for i in inverter_ids]}, "ts": _range(start, end)},
            {"_id": 0, "inverter_id": 1, "ts": 1, "ac_kw": 1},
        )
        .sort([("inverter_id", ASCENDING), ("ts", ASCENDING)])
    )
    return [(d["inverter_id"], _utc(d["ts"]), d.get("ac_kw")) for d in found]


@_translated
def sensor_points(
    *, sensor_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, float | None]]:
    found = (
        _collection("sensor")
        .find(
            {"sensor_id": {"$in": [int(i) for i in sensor_ids]}, "ts": _range(start, end)},
            {"_id": 0, "sensor_id": 1, "ts": 1, "value": 1},
        )
        .sort([("sensor_id", ASCENDING), ("ts", ASCENDING)])
    )
    return [(d["sensor_id"], _utc(d["ts"]), d.get("value")) for d in found]


# --- Retention --------------------------------------------------------------------------------
@_translated
def purge_old_readings(*, now: datetime | None = None, chunk: int = store.PURGE_CHUNK) -> str:
    """As the SQL store: each delete is bounded to about `chunk` documents, oldest first
    (the `ts` index finds the chunk's last time, and the delete takes everything up to it)."""
    cutoff = store.retention_cutoff(now=now)
    deleted = {name: _purge(name, cutoff=cutoff, chunk=chunk) for name in TABLES}
    return store.purge_summary(deleted, cutoff=cutoff)


def _purge(name: str, *, cutoff: datetime, chunk: int) -> int:
    collection = _collection(name)
    deleted = 0
    while True:
        boundary = list(
            collection.find({"ts": {"$lt": cutoff}}, {"_id": 0, "ts": 1})
            .sort([("ts", ASCENDING)])
            .skip(chunk - 1)
            .limit(1)
        )
        old = {"$lt": cutoff} | ({"$lte": boundary[0]["ts"]} if boundary else {})
        count = collection.delete_many({"ts": old}).deleted_count
        deleted += count
        if not boundary or not count:
            return deleted
