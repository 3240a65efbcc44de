"""Settings come from the environment, and an insecure production start is refused."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
OUR_VARIABLES = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "TELEMETRY_DATABASE_URL",
    "LEGACY_DATABASE_URL",
    "CONCURRENT_LOGIN",
    "DJANGO_SETTINGS_MODULE",
]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def real_key() -> str:
    return secrets.token_urlsafe(50)


@pytest.mark.parametrize("key", [None, "short", "dev-only-insecure-key-do-not-use-in-production"])
def test_with_debug_off_it_refuses_to_start_without_a_real_secret_key(key):
    env = {"DEBUG": "false"} | ({"SECRET_KEY": key} if key else {})
    result = manage("check", **env)
    assert result.returncode == 1
    assert "solarsite will not start: SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_concurrent_login_rule_is_refused():
    result = manage("check", CONCURRENT_LOGIN="sometimes")
    assert result.returncode == 1
    assert "CONCURRENT_LOGIN must be 'refuse' or 'replace'" in result.stderr


def test_the_deploy_check_is_clean_with_debug_off_and_a_real_key():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=real_key(),
        ALLOWED_HOSTS="solar.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def databases_for(**env: str) -> dict:
    code = "import json; from django.conf import settings; print(json.dumps(settings.DATABASES))"
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_urls_choose_engines_with_their_safety_options(tmp_path):
    databases = databases_for(
        DATABASE_URL="mysql://solar:secret@db.example.com:3306/solarsite",
        TELEMETRY_DATABASE_URL=f"sqlite:///{tmp_path}/telemetry.sqlite3",
    )
    mysql, sqlite = databases["default"], databases["telemetry"]
    assert mysql["ENGINE"] == "django.db.backends.mysql"
    assert (mysql["NAME"], mysql["HOST"], mysql["USER"]) == ("solarsite", "db.example.com", "solar")
    assert mysql["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in mysql["OPTIONS"]["init_command"]
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    assert sqlite["OPTIONS"]["timeout"] > 0


def test_without_urls_both_databases_are_sqlite_files_under_var():
    databases = databases_for()
    assert databases["default"]["NAME"] == str(ROOT / "var" / "solarsite.sqlite3")
    assert databases["telemetry"]["NAME"] == str(ROOT / "var" / "telemetry.sqlite3")
    assert "legacy" not in databases


def test_korean_defaults():
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.LANGUAGE_CODE == "ko"


@pytest.mark.django_db(databases=["default", "telemetry"])
@pytest.mark.parametrize("alias", ["default", "telemetry"])
def test_each_live_connection_runs_in_its_safe_mode(alias):
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        else:
            cursor.execute("SELECT @@SESSION.sql_mode, @@character_set_connection")
            sql_mode, charset = cursor.fetchone()
            assert "STRICT_TRANS_TABLES" in sql_mode
            assert charset == "utf8mb4"


def test_every_variable_the_settings_read_is_documented():
    source = (ROOT / "solarsite" / "settings.py").read_text()
    variables = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert len(variables) > 20
    example = (ROOT / ".env.example").read_text()
    reference = (ROOT / "docs" / "configuration.md").read_text()
    assert {v for v in variables if f"# {v}=" not in example} == set()
    assert {v for v in variables if f"`{v}`" not in reference} == set()


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TELEMETRY_STORE": "cassandra"}, "TELEMETRY_STORE must be 'sql' or 'mongodb'."),
        ({"TELEMETRY_STORE": "mongodb"}, "TELEMETRY_STORE=mongodb needs MONGODB_URI with a "),
        ({"TELEMETRY_STORE": "mongodb", "MONGODB_URI": "mongodb://db-host:27017/"},
         "needs MONGODB_URI with a database name"),
    ],
)  # fmt: skip
def test_a_telemetry_store_that_cannot_work_is_refused(env, message):
    environment = {"MONGODB_URI": ""} | env
    result = manage("check", **environment)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
