#!/usr/bin/env bash
# Brings a checkout to a runnable state, idempotently: npm packages, servers/tools, build.
# A second run does no work beyond a few checks (stamps + incremental tsc).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
say() { printf '[setup] %s\n' "$*" >&2; }

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
[[ "$node_ok" == 1 ]] || { echo "[setup] ERROR: Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none)). Install it from your package manager or nodejs.org." >&2; exit 1; }

mkdir -p .haven
# onnxruntime-node (safety classifier) would fetch optional CUDA binaries from a non-npm host in
# its postinstall; the CPU build it ships is all Haven uses.
export ONNXRUNTIME_NODE_INSTALL=skip
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || ! -f .haven/npm.stamp || "$(cat .haven/npm.stamp)" != "$lock_hash" ]]; then
  say "installing npm packages from package-lock.json"
  # Not `npm ci`: the registry mirror serves no other-platform optional packages (e.g. darwin
  # builds of buf and rollup), so they are absent from the lock and ci's strict check refuses it.
  # `npm install --no-save` installs the locked versions and never rewrites the lock.
  npm install --no-save --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > .haven/npm.stamp
else
  say "npm packages up to date"
fi

bash deploy/local/install-tools.sh "${HAVEN_TOOLS:-core}"
say "safety classifier sentence encoder"
bash deploy/local/install-tools.sh models

say "building (protos + TypeScript, incremental)"
npm run -s build
say "ready"
