"""Reading the old system's MongoDB: its collections as a LegacySource (field/legacy/reader.py).

The old system kept part of its data only in MongoDB and split big time series into one
collection per day or per time range, named from the date. A mapped table (its `source`) is
read from every collection of the old database whose name is:

    <source>                              the collection itself
    <source>_YYYYMMDD                     one day            (inverterlog_20241120)
    <source>_YYYYMMDDHH_YYYYMMDDHH        one range of hours (inverterlog_2024112000_2024112023)

so the run sees one table however the old system split it. How it reads:

1. `count` and `chunks` query each of those collections with the same filter (the mark not
   null, and after the start), each sorted by the table's order (mark, then key), and merge
   them into one stream in that order, so the last row of a chunk is the chunk's high-water
   mark, exactly as with MySQL.
2. Documents come out shaped like the old MySQL rows, so the mapping and the importers are the
   same: every mapped column is present (None when the document lacks it), BSON dates become
   naive old local time (the mapping's time zone, as MySQL's DATETIMEs are), Decimal128 a
   float, an ObjectId its 24-digit hex string (which sorts as the ObjectId does).
3. A start value goes back the other way: a naive time is old local time, a 24-digit hex
   string compared with `_id` is an ObjectId.
4. Continuing after an `_id` mark re-reads from ID_OVERLAP before the mark's time: ObjectIds
   grow with their creation second, but within one second, and between two writers whose
   clocks differ a little, they are not in insert order, so a document committed just after
   the last run may carry a smaller _id than the mark. Re-reading is harmless (every import
   is idempotent; the overlap's documents count as unchanged).

The client is read-only in use: this module only ever calls find, count_documents and
list_collection_names. `legacy_mongo_connect(uri)` opens it (LEGACY_MONGODB_URI).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import pymongo
from bson import Decimal128, ObjectId
from bson.errors import InvalidId
from django.utils.translation import gettext as _
from pymongo.errors import PyMongoError

from field.legacy.mapping import TableMapping
from field.legacy.reader import LegacyImportError, Start

SPLIT_SUFFIX = r"(_\d{8}|_\d{10}_\d{10})?"
ID_OVERLAP = timedelta(seconds=120)
CONNECT_TIMEOUT_MS = 5000


class MongoSource:
    """The old MongoDB database (a pymongo or mongomock Database); see the module docstring.

    `fill_only`: the run's precedence rule for a second source. MySQL is imported first and
    wins: what MongoDB holds of a record already imported is compared, not written
    (field/legacy/run.py)."""

    fill_only = True

    def __init__(self, database: Any, *, time_zone: ZoneInfo, client: Any = None):
        self.database = database
        self.time_zone = time_zone
        self.client = client

    def collections(self, name: str) -> list[str]:
        """The collections that hold table `name`: itself and its per-day or per-range ones,
        oldest first."""
        pattern = re.compile(re.escape(name) + SPLIT_SUFFIX + "$")
        try:
            names = self.database.list_collection_names()
        except PyMongoError as exc:
            raise self._failed(name, exc) from exc
        return sorted(n for n in names if pattern.match(n))

    def has_table(self, name: str) -> bool:
        return bool(self.collections(name))

    def count(self, table: TableMapping, start: Start | None) -> int:
        query = self._query(table, start)
        try:
            return sum(
                self.database[name].count_documents(query)
                for name in self.collections(table.source)
            )
        except PyMongoError as exc:
            raise self._failed(table.source, exc) from exc

    def chunks(
        self, table: TableMapping, start: Start | None, *, chunk_rows: int
    ) -> Iterator[list[dict]]:
        query = self._query(table, start)
        order = table.order
        sort = [(column, pymongo.ASCENDING) for column in order]
        columns = table.old_columns

        def rows(name: str) -> Iterator[dict]:
            for document in self.database[name].find(query).sort(sort):
                yield {column: self._value(document.get(column)) for column in columns}

        merged = heapq.merge(
            *(rows(name) for name in self.collections(table.source)),
            key=lambda row: tuple(_sortable(row[column]) for column in order),
        )
        try:
            while chunk := list(islice(merged, chunk_rows)):
                yield chunk
        except PyMongoError as exc:
            raise self._failed(table.source, exc) from exc

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def _query(self, table: TableMapping, start: Start | None) -> dict:
        query: dict[str, Any] = {table.mark: {"$ne": None}}
        if start is not None:
            operator = "$gte" if start.inclusive else "$gt"
            value = self._bson(start.column, start.value)
            if isinstance(value, ObjectId) and not start.inclusive:
                operator = "$gte"
                value = ObjectId.from_datetime(value.generation_time - ID_OVERLAP)
            condition = {operator: value}
            if start.column == table.mark:
                condition["$ne"] = None
            query[start.column] = condition
        return query

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return aware.astimezone(self.time_zone).replace(tzinfo=None)
        if isinstance(value, Decimal128):
            return float(value.to_decimal())
        if isinstance(value, ObjectId):
            return str(value)
        return value

    def _bson(self, column: str, value: Any) -> Any:
        if isinstance(value, datetime):
            local = value if value.tzinfo else value.replace(tzinfo=self.time_zone)
            return local.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=self.time_zone).astimezone(
                UTC
            )
        if column == "_id" and isinstance(value, str):
            try:
                return ObjectId(value)
            except InvalidId:
                return value
        return value

    def _failed(self, name: str, exc: Exception) -> LegacyImportError:
        return LegacyImportError(
            _("Reading %(table)s from the old MongoDB failed: %(error)s")
            % {"table": name, "error": exc}
        )


def _sortable(value: Any) -> tuple:
    """A merge key that orders None first, as MongoDB does, and never compares None."""
    return (value is not None, value)


def legacy_mongo_connect(uri: str, *, time_zone: ZoneInfo) -> MongoSource:
    """The old MongoDB database named in `uri` (mongodb://reader:secret@old-host/solar)."""
    try:
        client = pymongo.MongoClient(
            uri, serverSelectionTimeoutMS=CONNECT_TIMEOUT_MS, connectTimeoutMS=CONNECT_TIMEOUT_MS
        )
        database = client.get_default_database()
        client.admin.command("ping")
    except pymongo.errors.ConfigurationError as exc:
        raise LegacyImportError(
            _("LEGACY_MONGODB_URI must name the old database, e.g. %(example)s: %(error)s")
            % {"example": "mongodb://reader:secret@old-host:27017/solar", "error": exc}
        ) from exc
    except PyMongoError as exc:
        raise LegacyImportError(
            _("Cannot connect to the old MongoDB at LEGACY_MONGODB_URI: %(error)s")
            % {"error": exc}
        ) from exc
    return MongoSource(database, time_zone=time_zone, client=client)
