#!/usr/bin/env bash
# Recording benchmark against the local Redis (PORTCULLIS_BENCH_REDIS to change; SESSIONS, FRAMES, SECONDS to size it).
set -euo pipefail
cd "$(dirname "$0")/../.."
node bench/record/run.mjs
