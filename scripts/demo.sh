#!/usr/bin/env bash
# Migrates both databases, loads the demo fleet, prints the logins and serves the site.
# Everything started here stops on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${DEMO_PORT:-8000}
export DEBUG=${DEBUG:-true}

if ! $PY -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "== port $PORT is taken: stop what uses it, or run DEMO_PORT=8001 make demo"
  exit 1
fi

$PY manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
$PY manage.py migrate -v0
$PY manage.py migrate --database telemetry -v0
$PY manage.py seed_demo --stations "${DEMO_STATIONS:-30}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM

echo "== serving http://127.0.0.1:$PORT (Ctrl-C stops everything)"
$PY manage.py runserver --noreload "127.0.0.1:$PORT" &
pids+=($!)
$PY manage.py qcluster &  # the scheduled jobs (solarsite/schedules.py), synced on migrate
pids+=($!)
# One virtual collector per demo plant, through the real HTTP API; the first run backfills
# history (later runs only fill the gap since each plant's newest reading).
$PY manage.py simulate --url "http://127.0.0.1:$PORT" --backfill-days "${DEMO_BACKFILL_DAYS:-60}" \
  --backfill-interval 900 --buffer-dir var/sim-buffer &
pids+=($!)
wait -n
