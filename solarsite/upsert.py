"""Many-row upserts in one statement, for the backends we run on (SQLite, MySQL/MariaDB).

Used through `cursor.executemany`: sqlite3 runs it in C, and mysqlclient rewrites an INSERT
into multi-row statements (an UPDATE it would send row by row). Django's
`bulk_create(update_conflicts=True)` builds the same SQL but caps SQLite statements at 999
parameters and builds a model instance per row, which costs more than the database does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

# mysqlclient splits an executemany into statements of at most this many bytes (64 KiB by
# default); a larger limit keeps a batch of 500 readings in one round trip.
MYSQL_MAX_STATEMENT = 8 * 1024 * 1024


def upsert_sql(connection, *, table: str, key: Sequence[str], values: Sequence[str]) -> str:
    """INSERT a row, or on a key conflict set `values` from it; placeholders are %s."""
    quote = connection.ops.quote_name
    columns = [*key, *values]
    insert = (
        f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if connection.vendor == "mysql":
        if connection.mysql_is_mariadb:
            updates = ", ".join(f"{quote(c)} = VALUE({quote(c)})" for c in values)
        else:
            insert += " AS new"
            updates = ", ".join(f"{quote(c)} = new.{quote(c)}" for c in values)
        return f"{insert} ON DUPLICATE KEY UPDATE {updates}"
    if connection.vendor == "sqlite":
        updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in values)
        return f"{insert} ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {updates}"
    raise NotImplementedError(f"no upsert for {connection.vendor}")


def upsert_add_sql(connection, *, table: str, key: Sequence[str], counters: Sequence[str]) -> str:
    """INSERT a row of counts, or on a key conflict add its counts to the stored ones: one
    statement, so two writers at the same moment both count."""
    quote = connection.ops.quote_name
    if connection.vendor == "mysql":
        sql = upsert_sql(connection, table=table, key=key, values=counters)
        head = sql[: sql.index(" ON DUPLICATE KEY UPDATE")]
        new = "VALUE({})" if connection.mysql_is_mariadb else "new.{}"
        adds = ", ".join(f"{quote(c)} = {quote(c)} + {new.format(quote(c))}" for c in counters)
        return f"{head} ON DUPLICATE KEY UPDATE {adds}"
    if connection.vendor == "sqlite":
        sql = upsert_sql(connection, table=table, key=key, values=counters)
        head = sql[: sql.index(" DO UPDATE SET")]
        adds = ", ".join(f"{quote(c)} = {quote(c)} + excluded.{quote(c)}" for c in counters)
        return f"{head} DO UPDATE SET {adds}"
    raise NotImplementedError(f"no upsert for {connection.vendor}")


def upsert_many(connection, sql: str, params: list[tuple]) -> None:
    if connection.vendor == "mysql":
        _mysql_upsert_many(connection, sql, params)
        return
    with connection.cursor() as cursor:
        raw = getattr(cursor, "cursor", None)
        if hasattr(raw, "max_stmt_length"):
            raw.max_stmt_length = MYSQL_MAX_STATEMENT
        cursor.executemany(sql, params)


# --- A faster executemany for MySQL/MariaDB ---------------------------------------------------
def _mysql_upsert_many(connection, sql: str, params: list[tuple]) -> None:
    """What mysqlclient's executemany does (one multi-row statement per MYSQL_MAX_STATEMENT
    bytes), with numbers and NULLs written here: mysqlclient escapes every value through a
    converter lookup, which for rows of floats costs more than the database's own work
    (bench/import.py). Text, dates and anything else still go through its escaping."""
    if not params:
        return
    prefix, _, rest = sql.partition(" VALUES (")
    postfix = rest[rest.index(")") + 1 :]
    connection.ensure_connection()
    literal = connection.connection.literal
    head, tail = f"{prefix} VALUES ".encode(), postfix.encode()
    statement, size = [], len(head) + len(tail)
    with connection.cursor() as cursor:
        for row in params:
            values = _sql_row(row, literal).encode()
            if statement and size + len(values) + 1 > MYSQL_MAX_STATEMENT:
                cursor.execute((head + b",".join(statement) + tail).decode())
                statement, size = [], len(head) + len(tail)
            statement.append(values)
            size += len(values) + 1
        cursor.execute((head + b",".join(statement) + tail).decode())


def _sql_row(row, literal) -> str:
    """One row's `(v1,v2,...)`. A row of numbers, NULLs and times (a reading's) is Python's
    own repr of the tuple with None as NULL: one C call instead of one Python call per value,
    which halves the ingest's statement building. Anything else goes value by value."""
    kinds = set(map(type, row))
    if (
        len(row) > 1
        and kinds <= _PLAIN
        and (str not in kinds or all(_plain_text(v) for v in row if type(v) is str))
    ):
        text = repr(tuple(row)).replace("None", "NULL")
        if "n" not in text:  # nan and inf (refused below); a plain row has no other letter n
            return text
    return "(" + ",".join([_sql_value(v, literal) for v in row]) + ")"


# Types whose repr is their SQL literal (True and False are MySQL's keywords too), and text
# that needs no escaping: a time as the backend adapts it.
_PLAIN = frozenset([float, int, bool, type(None), str])
_plain_text = re.compile(r"[0-9 :.\-]*\Z").match


def _sql_value(value, literal) -> str:
    kind = type(value)
    if value is None:
        return "NULL"
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be stored in MySQL")
        return repr(value)
    if kind is int:
        return str(value)
    if kind is bool:
        return "1" if value else "0"
    return literal(value).decode()
