#!/usr/bin/env bash
# Migrates both databases, loads the demo fleet, prints the logins and serves the site.
# Everything started here stops on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=${DEBUG:-true}

$PY manage.py migrate -v0
$PY manage.py migrate --database telemetry -v0
$PY manage.py seed_demo --stations "${DEMO_STATIONS:-30}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM

echo "== serving http://127.0.0.1:8000 (Ctrl-C stops everything)"
$PY manage.py runserver 127.0.0.1:8000 &
pids+=($!)
$PY manage.py qcluster &  # the scheduled jobs (solarsite/schedules.py), synced on migrate
pids+=($!)
wait -n
