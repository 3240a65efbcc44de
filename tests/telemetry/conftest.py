"""The readings store under test: the SQL store, MongoDB through mongomock, and a real MongoDB.

`store_backend` is parametrised over the three. "sql" runs on whatever the telemetry database
is (SQLite by default, MariaDB with TELEMETRY_DATABASE_URL). "mongomock" runs the pymongo store
against mongomock (no MongoDB server exists on these machines; mongomock answers in-process).
"mongodb" runs it against a real server when MONGODB_URI is set in the environment, in a
database of its own that is dropped afterwards; without MONGODB_URI it is skipped, saying so.
"""

from __future__ import annotations

import os
import uuid

import mongomock
import pytest

from telemetry import mongo_store

REAL_SERVER = os.environ.get("MONGODB_URI", "")
NO_SERVER = "no MongoDB server: set MONGODB_URI=mongodb://host:27017/anyname to run these"

BACKENDS = [
    "sql",
    "mongomock",
    pytest.param("mongodb", marks=pytest.mark.skipif(not REAL_SERVER, reason=NO_SERVER)),
]


def fresh_database_uri(uri: str) -> str:
    """The server of `uri` with a database name of its own."""
    head, _, rest = uri.partition("://")
    hosts, _, path = rest.partition("/")
    _, _, options = path.partition("?")
    name = f"ss_test_{uuid.uuid4().hex[:12]}"
    return f"{head}://{hosts}/{name}" + (f"?{options}" if options else "")


def use_mongodb(settings, monkeypatch, *, real: bool) -> None:
    """Point the store at MongoDB: a fresh database, with its indexes."""
    mongo_store.client_reset()
    if real:
        settings.MONGODB_URI = fresh_database_uri(REAL_SERVER)
    else:
        monkeypatch.setattr(mongo_store, "MongoClient", mongomock.MongoClient)
        settings.MONGODB_URI = f"mongodb://mongomock.invalid:27017/ss_test_{uuid.uuid4().hex[:8]}"
    settings.TELEMETRY_STORE = "mongodb"
    mongo_store.indexes_ensure()


def drop_mongodb(settings) -> None:
    if settings.TELEMETRY_STORE == "mongodb":
        mongo_store.client().drop_database(mongo_store.database().name)
    mongo_store.client_reset()


@pytest.fixture(params=BACKENDS)
def store_backend(request, settings, monkeypatch):
    """The name of the store the test runs on; the store functions answer from it."""
    if request.param != "sql":
        use_mongodb(settings, monkeypatch, real=request.param == "mongodb")
    yield request.param
    drop_mongodb(settings)


@pytest.fixture
def mongomock_store(settings, monkeypatch):
    """The MongoDB store on mongomock, for tests of the MongoDB-only parts."""
    use_mongodb(settings, monkeypatch, real=False)
    yield
    drop_mongodb(settings)


@pytest.fixture
def real_mongodb(settings, monkeypatch):
    """The MongoDB store on the server of MONGODB_URI; skipped, saying why, without one."""
    if not REAL_SERVER:
        pytest.skip(NO_SERVER)
    use_mongodb(settings, monkeypatch, real=True)
    yield mongo_store.database()
    drop_mongodb(settings)
