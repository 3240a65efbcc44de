#!/usr/bin/env bash
# Runs every benchmark in bench/ in turn; each prints its own figures. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
status=0
for script in bench/*.py; do
  [ "$script" = bench/harness.py ] && continue  # what the benchmarks share, not one of them
  echo "== $script"
  $PY "$script" || { echo "== $script FAILED"; status=1; }
done
exit $status
