#!/usr/bin/env bash
# `make bench`: every benchmark, each printing its ratio to a direct connection measured in the same run.
# Select some with BENCH="analyze postgres" make bench. Results are appended to bench/RESULTS.md by hand
# (with the command) — the scripts print the table to paste.
set -euo pipefail
cd "$(dirname "$0")"
which=${BENCH:-"analyze mask record postgres http ssh"}
for b in $which; do
  if [ -x "$b/run.sh" ]; then
    echo "── bench/$b ──"
    bash "$b/run.sh"
  else
    echo "── bench/$b: no run.sh, skipped ──"
  fi
done
