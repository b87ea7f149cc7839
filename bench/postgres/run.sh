#!/usr/bin/env bash
# Postgres benchmark (needs pgbench, psql, pgbouncer: see .ci/apt-packages.txt). DURATION (20), ROUNDS (1),
# SCALE (5), ROWS (1000000) tune it.
set -euo pipefail
cd "$(dirname "$0")/../.."
node bench/postgres/run.mjs
