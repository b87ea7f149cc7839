#!/usr/bin/env bash
# HTTP benchmark (needs wrk and haproxy: see .ci/apt-packages.txt). DURATION, ROUNDS, SIZES, CONNECTIONS tune it.
set -euo pipefail
cd "$(dirname "$0")/../.."
node bench/http/run.mjs
