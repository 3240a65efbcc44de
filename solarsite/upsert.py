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
    head, tail = f"{prefix} VALUES ", postfix
    rows = _plain_rows(params)
    if rows is not None and len(head) + len(rows) + len(tail) <= MYSQL_MAX_STATEMENT:
        with connection.cursor() as cursor:
            cursor.execute(head + rows + tail)
        return
    connection.ensure_connection()
    literal = connection.connection.literal
    head, tail = head.encode(), tail.encode()
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


def _plain_rows(params: list[tuple]) -> str | None:
    """Every row's `(v1, v2, ...)`, comma-separated, as one repr of the list, when all rows
    are tuples of one width (above one) whose values are numbers, NULLs, booleans and plain
    text (a reading's rows: a batch of 500 in one C call, checked column by column, where a
    Python call per row cost a tenth of the ingest); None for anything else."""
    if set(map(type, params)) != {tuple} or len(set(map(len, params))) != 1:
        return None
    if len(params[0]) < 2:  # a one-value tuple's repr is "(1,)"
        return None
    for column in zip(*params, strict=True):
        kinds = set(map(type, column))
        if not kinds <= _PLAIN:
            return None
        if str in kinds and not all(_plain_text(v) for v in set(column) if type(v) is str):
            return None
    text = repr(params)[1:-1].replace("None", "NULL")
    return None if "n" in text else text  # nan and inf (refused value by value)


def _sql_row(row, literal) -> str:
    """One row's `(v1,v2,...)`: as its repr when it is a plain row (see _plain_rows), else
    value by value."""
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
