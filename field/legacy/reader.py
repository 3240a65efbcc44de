"""Reading the old system: its tables as chunks of rows, after each table's high-water mark.

A source is anything that answers `LegacySource`: whether it has a table, how many rows of it
are after a start, and those rows in chunks, in (mark, key) order, as dicts of old column ->
value. The old MySQL database is one (`MySqlSource`, from `legacy_connect`); the old system's
MongoDB collections can be another, behind the same three calls, and the run, the marks and
the importers stay as they are.

The high-water marks (`ImportMark`, one per mapped table) are kept here: an auto-increment id,
or a change time read again from a little before (`mark_overlap_seconds`: rows written in the
same second as the last run would be missed otherwise). `--since T` reads from a time instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import environ
import MySQLdb
from django.utils.translation import gettext as _

from field.legacy.mapping import READING_TARGETS, TableMapping
from field.models import ImportMark

LEGACY_SCHEMA = Path(__file__).with_name("schema.sql")


class LegacyImportError(Exception):
    """The import cannot go on (e.g. the old database does not answer)."""


@dataclass(frozen=True)
class Start:
    """Where reading a table starts: `column` >= `value` (inclusive) or > `value`."""

    column: str
    value: Any
    inclusive: bool


class LegacySource(Protocol):
    """The old system's tables (or collections), read in chunks in (mark, key) order.

    `fill_only` is the source's precedence: False for the old MySQL (its rows are upserted),
    True for a second source, whose copy of a record already stored is compared, not written.
    """

    fill_only: bool

    def has_table(self, name: str) -> bool: ...

    def count(self, table: TableMapping, start: Start | None) -> int: ...

    def chunks(
        self, table: TableMapping, start: Start | None, *, chunk_rows: int
    ) -> Iterator[list[dict]]:
        """Rows with a mark, after `start`, `chunk_rows` at a time; each row has every column
        of `table.old_columns`. The last row of a chunk carries the chunk's high-water mark."""
        ...

    def close(self) -> None: ...


# --- High-water marks ---------------------------------------------------------------------------
def mark_load(table: str) -> Any:
    stored = ImportMark.objects.filter(table=table).values_list("value", flat=True).first()
    if not stored:
        return None
    kind, value = stored["type"], stored["value"]
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def mark_store(table: str, value: Any) -> None:
    if isinstance(value, datetime):
        stored = {"type": "datetime", "value": value.isoformat()}
    elif isinstance(value, date):
        stored = {"type": "date", "value": value.isoformat()}
    else:
        stored = {"type": "value", "value": value}
    ImportMark.objects.update_or_create(table=table, defaults={"value": stored})


def mark_of(table: TableMapping, row: dict) -> Any:
    return row[table.mark]


def read_start(
    table: TableMapping, *, mark: Any, since: datetime | None, time_zone: ZoneInfo
) -> Start | None:
    """After the stored mark (less the overlap for a time), or from `since` (old local time)."""
    if since is not None:
        return Start(table.since, since.astimezone(time_zone).replace(tzinfo=None), True)
    if mark is None:
        return None
    if isinstance(mark, datetime | date) and table.overlap:
        return Start(table.mark, mark - table.overlap, True)
    return Start(table.mark, mark, False)


# --- The old MySQL database ---------------------------------------------------------------------
class MySqlSource:
    """The old MySQL/MariaDB database through a read-only DB-API connection; keyset paging."""

    fill_only = False

    def __init__(self, connection: Any):
        self.connection = connection

    def has_table(self, name: str) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                [name],
            )
            return cursor.fetchone()[0] > 0

    def count(self, table: TableMapping, start: Start | None) -> int:
        where, params = _where(table, start)
        sql = f"SELECT COUNT(*) FROM {_q(table.source)} WHERE {' AND '.join(where)}"
        return self._fetch(table, sql, params)[0][0]

    def chunks(
        self, table: TableMapping, start: Start | None, *, chunk_rows: int
    ) -> Iterator[list[dict]]:
        columns = table.old_columns
        order = table.order
        order_by = ", ".join(_q(c) for c in order)
        select = _select(table)
        after: tuple | None = None
        while True:
            where, params = _where(table, start)
            if after is not None:
                if len(order) == 1:
                    where.append(f"{_q(order[0])} > %s")
                else:
                    where.append(f"({order_by}) > ({', '.join(['%s'] * len(after))})")
                params.extend(after)
            sql = f"{select} WHERE {' AND '.join(where)} ORDER BY {order_by} LIMIT {chunk_rows}"
            rows = [dict(zip(columns, row, strict=True)) for row in self._fetch(table, sql, params)]
            if not rows:
                return
            yield rows
            if len(rows) < chunk_rows:
                return
            after = tuple(rows[-1][c] for c in order)

    def close(self) -> None:
        self.connection.close()

    def _fetch(self, table: TableMapping, sql: str, params: list) -> list[tuple]:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        except Exception as exc:  # the driver's own error classes differ (MySQLdb, Django)
            raise LegacyImportError(
                _("Reading %(table)s from the old database failed: %(error)s")
                % {"table": table.source, "error": exc}
            ) from exc


def _where(table: TableMapping, start: Start | None) -> tuple[list[str], list[Any]]:
    # Keyset paging cannot step past a NULL mark: such rows are never read.
    where = [f"{_q(table.mark)} IS NOT NULL"]
    params: list[Any] = []
    if start is not None:
        where.append(f"{_q(start.column)} {'>=' if start.inclusive else '>'} %s")
        params.append(start.value)
    return where, params


def _select(table: TableMapping) -> str:
    numbers = _reading_value_columns(table)
    # DECIMAL -> DOUBLE in the database: float objects come back instead of Decimals, several
    # times faster for a million rows.
    fields = [f"{_q(name)} * 1e0" if name in numbers else _q(name) for name in table.old_columns]
    return f"SELECT {', '.join(fields)} FROM {_q(table.source)}"


def _reading_value_columns(table: TableMapping) -> set[str]:
    if table.target not in READING_TARGETS:
        return set()
    identity = {"station", "inverter", "box", "sensor", "kind", "ts", "fault_bits", "outage"}
    columns: set[str] = set()
    for ours, column in table.columns.items():
        if ours not in identity:
            columns.update(column if isinstance(column, list) else [column])
    return columns - set(table.order)


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def legacy_connect(url: str) -> MySqlSource:
    """The old MySQL/MariaDB database at `url`, read-only."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.mysql":
        raise LegacyImportError(
            _("LEGACY_DATABASE_URL must be a mysql:// URL; the old system ran on MySQL.")
        )
    try:
        connection = MySQLdb.connect(
            host=config.get("HOST") or "127.0.0.1",
            port=int(config.get("PORT") or 3306),
            user=config.get("USER") or "",
            password=config.get("PASSWORD") or "",
            database=config["NAME"],
            charset="utf8mb4",
        )
    except MySQLdb.Error as exc:
        raise LegacyImportError(
            _("Cannot connect to the old database at LEGACY_DATABASE_URL: %(error)s")
            % {"error": exc}
        ) from exc
    # Autocommit: every chunk sees rows committed since the run began, not an old snapshot.
    connection.autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    return MySqlSource(connection)


def legacy_schema_create(connection: Any) -> None:
    """Build the old schema (field/legacy/schema.sql) in an empty database, for tests and bench."""
    text = "\n".join(
        line.split("--", 1)[0] for line in LEGACY_SCHEMA.read_text(encoding="utf-8").splitlines()
    )
    with connection.cursor() as cursor:
        for statement in text.split(";"):
            if statement.strip():
                cursor.execute(statement)
