#!/usr/bin/env bash
# Migrates both databases, loads the demo fleet and a year of made-up prices, prints the
# logins and serves the site, with the simulator injecting the demo's faults in the first half
# hour. Ctrl-C, or a plain `kill` of make or of this script, stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${DEMO_PORT:-8000}
export DEBUG=${DEBUG:-true}
# Links in the demo's e-mails and SMS point at this server.
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
# The demo's alarms come within minutes, so a visitor sees each one raised and cleared.
export WEAK_STRING_MINUTES=${WEAK_STRING_MINUTES:-5}

# (SO_REUSEADDR as runserver: the last run's closed connections do not hold the port)
if ! $PY -c "import socket as k,sys; s=k.socket(); s.setsockopt(k.SOL_SOCKET, k.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "== port $PORT is taken: stop what uses it, or run DEMO_PORT=8001 make demo"
  exit 1
fi

$PY manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
$PY manage.py migrate -v0
$PY manage.py migrate --database telemetry -v0
$PY manage.py seed_demo --stations "${DEMO_STATIONS:-30}"

# Each process started below leads its own process group (job control), so stopping a group
# stops what it started too: runserver's and qcluster's workers, the simulator's children.
set -m
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do  # up to 5 s to finish what they are writing
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  echo "== demo stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== serving $SITE_URL (Ctrl-C stops everything)"
$PY manage.py runserver --noreload "127.0.0.1:$PORT" &
pids+=($!)
$PY manage.py qcluster &  # the scheduled jobs (solarsite/schedules.py), synced on migrate
pids+=($!)
# One virtual collector per demo plant. The first run writes DEMO_BACKFILL_DAYS of history in
# process and rolls it up at once (later runs only fill the gap since each plant's newest
# reading); then the collectors send live through the real HTTP API, with the demo's faults.
days=${DEMO_BACKFILL_DAYS:-60}
(
  $PY manage.py simulate --backfill-only --backfill-days "$days" --backfill-interval 900
  $PY manage.py recompute_generation --from "$(date -d "-$days days" +%F)" --to "$(date +%F)" \
    > var/demo-recompute.log
  echo "== history of $days days rolled up; the collectors now send live"
  exec $PY manage.py simulate --url "$SITE_URL" --buffer-dir var/sim-buffer \
    --backfill-days 1 --backfill-interval 300 --demo-schedule
) &
pids+=($!)
wait -n
