"""Many-row upserts in one statement, for the backends we run on (SQLite, MySQL/MariaDB).

Used through `cursor.executemany`: sqlite3 runs it in C, and mysqlclient rewrites an INSERT
into multi-row statements (an UPDATE it would send row by row). Django's
`bulk_create(update_conflicts=True)` builds the same SQL but caps SQLite statements at 999
parameters and builds a model instance per row, which costs more than the database does.
"""

from __future__ import annotations

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


def upsert_many(connection, sql: str, params: list[tuple]) -> None:
    with connection.cursor() as cursor:
        raw = getattr(cursor, "cursor", None)
        if hasattr(raw, "max_stmt_length"):
            raw.max_stmt_length = MYSQL_MAX_STATEMENT
        cursor.executemany(sql, params)
