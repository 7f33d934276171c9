#!/usr/bin/env bash
# Command 1: install what is missing, build, and run the whole platform locally
# (NATS JetStream, Redis, FerretDB and all seven services as supervised processes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$ROOT/deploy/local/setup.sh"
exec node "$ROOT/deploy/local/stack.mjs" "$@"
