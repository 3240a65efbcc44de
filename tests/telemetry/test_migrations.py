"""The readings moved from the generation app to telemetry in the models only: their tables keep
their names and rows, a database already in use is not touched, and a new one gets the same
schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

OLD_STATE = [("generation", "0003_time_weighted_figures_and_flags")]
MOVE = [("telemetry", "0001_initial"), ("generation", "0004_readings_move_to_telemetry")]
TABLES = [
    "generation_inverterreading",
    "generation_combinerreading",
    "generation_sensorreading",
    "generation_gridreport",
    "generation_dirtyhour",
]


@pytest.mark.django_db(databases=["default", "telemetry"], transaction=True)
def test_the_move_sends_no_statement_to_the_database():
    """What `migrate` would run on a database at the old state: comments only, no SQL."""
    executor = MigrationExecutor(connections["telemetry"])
    plan = [(executor.loader.graph.nodes[key], False) for key in MOVE]
    statements = [s for s in executor.loader.collect_sql(plan) if not s.lstrip().startswith("--")]
    assert statements == []


@contextmanager
def scratch_database(path) -> Iterator[DatabaseWrapper]:
    """A SQLite file database known to Django as long as the block runs."""
    alias = f"scratch_{path.stem}"
    settings = dict(connections["default"].settings_dict)
    settings.update(ENGINE="django.db.backends.sqlite3", NAME=str(path), OPTIONS={}, HOST="",
                    PORT="", USER="", PASSWORD="")  # fmt: skip
    connection = DatabaseWrapper(settings, alias=alias)
    connections.settings[alias] = settings
    connections[alias] = connection
    try:
        yield connection
    finally:
        connection.close()
        del connections[alias]
        del connections.settings[alias]


def migrate(connection, targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def constraints(connection, cursor, table) -> dict:
    return connection.introspection.get_constraints(cursor, table)


def schema(connection) -> dict:
    with connection.cursor() as cursor:
        return {
            table: (
                [(c.name, c.type_code, c.null_ok) for c in
                 connection.introspection.get_table_description(cursor, table)],
                sorted(
                    (name, tuple(info["columns"]), info["primary_key"], info["index"])
                    for name, info in constraints(connection, cursor, table).items()
                ),
            )
            for table in TABLES
        }  # fmt: skip


def test_a_database_in_use_keeps_its_readings_and_gets_the_schema_of_a_new_one(
    tmp_path, settings, django_db_blocker
):
    settings.DATABASE_ROUTERS = []  # every app's migrations on the scratch databases
    with django_db_blocker.unblock():
        check_scratch_databases(tmp_path)


def check_scratch_databases(tmp_path) -> None:
    with scratch_database(tmp_path / "old.sqlite3") as old:
        migrate(old, OLD_STATE)
        with old.cursor() as cursor:
            cursor.execute(
                "INSERT INTO generation_inverterreading (inverter_id, station_id, ts, ac_kw)"
                " VALUES (7, 3, %s, 12.5)",
                [old.ops.adapt_datetimefield_value(datetime(2026, 6, 1, 3, tzinfo=UTC))],
            )
        migrate(old, MOVE)
        with old.cursor() as cursor:
            cursor.execute("SELECT inverter_id, station_id, ac_kw FROM generation_inverterreading")
            assert cursor.fetchall() == [(7, 3, 12.5)]
        with scratch_database(tmp_path / "new.sqlite3") as new:
            migrate(new, MOVE)
            assert schema(old) == schema(new)
