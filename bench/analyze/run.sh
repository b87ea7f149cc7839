#!/usr/bin/env bash
# bench/analyze: the SQL and shell analyzers (each prints its RESULTS.md section; pass --write to update it).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/core
for script in bench/analyze/sql.mjs bench/analyze/shell.mjs; do
  if [ -f "$script" ]; then node "$script" "$@"; fi
done
