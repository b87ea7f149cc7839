#!/usr/bin/env bash
# Masking benchmark: value() on row values, stream() on text. Figures go to bench/RESULTS.md "## masking".
#   bash bench/mask/run.sh [--seconds N] [--json]
set -euo pipefail
cd "$(dirname "$0")/../.."
# build core's dist/ (run.mjs imports packages/core/dist/mask); a type error elsewhere still emits
if ! npx tsc -b packages/core >/tmp/portcullis-bench-mask-tsc.log 2>&1; then
  echo "bench/mask: tsc reported errors (see /tmp/portcullis-bench-mask-tsc.log); using what it emitted" >&2
fi
exec node bench/mask/run.mjs "$@"
