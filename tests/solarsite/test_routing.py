import pytest
from django.db import connections

pytestmark = pytest.mark.django_db(databases=["default", "telemetry"])


def tables(alias: str) -> set[str]:
    return set(connections[alias].introspection.table_names())


def test_generation_tables_live_only_in_telemetry():
    assert "generation_inverterreading" in tables("telemetry")
    assert "generation_inverterreading" not in tables("default")


@pytest.mark.parametrize(
    "table", ["monitoring_powerstation", "accounts_user", "django_q_schedule", "django_session"]
)
def test_everything_else_lives_only_in_default(table):
    assert table in tables("default")
    assert table not in tables("telemetry")
