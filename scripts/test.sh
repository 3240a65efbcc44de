#!/usr/bin/env bash
# ruff, the import layers, then the whole suite on SQLite, then again on MariaDB when one answers.
# Under CI (CI=true) a MariaDB that does not answer is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
MARIADB_URL=${MARIADB_URL:-mysql://root@127.0.0.1:3306/}
DB_PREFIX=${MARIADB_DB_PREFIX:-solarsite}  # test databases are test_<prefix> and test_<prefix>_telemetry
ran=()

$PY manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules || exit 1  # tests read Korean pages

echo "== ruff"
.venv/bin/ruff check . || exit 1

echo "== lint-imports (apps depend one way: docs/architecture.md)"
.venv/bin/lint-imports || exit 1

echo "== tests on SQLite"
env -u DATABASE_URL -u TELEMETRY_DATABASE_URL $PY -m pytest "$@"
rc=$?
[ $rc -eq 0 ] || { echo "== FAILED on SQLite"; exit $rc; }
ran+=("SQLite")

if $PY scripts/db_answers.py "$MARIADB_URL"; then
  echo "== tests on MariaDB ($MARIADB_URL)"
  DATABASE_URL="${MARIADB_URL%/}/$DB_PREFIX" TELEMETRY_DATABASE_URL="${MARIADB_URL%/}/${DB_PREFIX}_telemetry" \
    $PY -m pytest "$@"
  rc=$?
  [ $rc -eq 0 ] || { echo "== FAILED on MariaDB"; exit $rc; }
  ran+=("MariaDB")
elif [ "${CI:-}" = "true" ]; then
  echo "== MariaDB at $MARIADB_URL does not answer; under CI that is a failure"
  exit 1
else
  echo "== MariaDB at $MARIADB_URL does not answer: skipped (set MARIADB_URL to use another)"
fi
echo "== the suite passed on: ${ran[*]}"
