#!/usr/bin/env bash
# Command 2: install what is missing, build, and run every test tier (unit, int, e2e) against real
# servers that the harness starts on free ports. Extra arguments go to vitest
# (e.g. `npm test -- --project unit`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$ROOT/deploy/local/setup.sh"
cd "$ROOT"
exec npx vitest run "$@"
