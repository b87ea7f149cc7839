#!/usr/bin/env bash
# SSH benchmark: direct sshd vs through Portcullis, alternating in one run. Needs openssh-server/client.
# Env: SIZE_MB (256), ROUNDS (2), CONNS (50), KEYS (100), CIPHER (client -c, default: OpenSSH's choice).
set -euo pipefail
cd "$(dirname "$0")/../.."
node bench/ssh/run.mjs
