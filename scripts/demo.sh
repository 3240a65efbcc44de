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
cleanup() {
  for pid in "${pids[@]}"; do pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait
}
trap cleanup EXIT INT TERM

echo "== serving http://127.0.0.1:$PORT (Ctrl-C stops everything)"
$PY manage.py runserver --noreload "127.0.0.1:$PORT" &
pids+=($!)
$PY manage.py qcluster &  # the scheduled jobs (solarsite/schedules.py), synced on migrate
pids+=($!)
# One virtual collector per demo plant. The first run writes DEMO_BACKFILL_DAYS of history in
# process and rolls it up at once (later runs only fill the gap since each plant's newest
# reading); then the collectors send live through the real HTTP API.
days=${DEMO_BACKFILL_DAYS:-60}
(
  $PY manage.py simulate --backfill-only --backfill-days "$days" --backfill-interval 900
  $PY manage.py recompute_generation --from "$(date -d "-$days days" +%F)" --to "$(date +%F)" \
    > var/demo-recompute.log
  echo "== history of $days days rolled up; the collectors now send live"
  exec $PY manage.py simulate --url "http://127.0.0.1:$PORT" --buffer-dir var/sim-buffer \
    --backfill-days 1 --backfill-interval 300
) &
pids+=($!)
wait -n
