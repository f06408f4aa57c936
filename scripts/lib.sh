# Shared by scripts/start and scripts/test: one build cache outside the checkout, and idempotent
# installs of the tools the build needs (each checks the version it finds before installing).
# Versions verified on this machine kind, and why each is pinned: docs/toolchain.md.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="${COPYTRADE_CACHE:-$HOME/.cache/copytrade}"
TOOLS="$CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$TOOLS/bin:$TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0

say() { printf '\n==> %s\n' "$*" >&2; }

# The wasm-bindgen version Trunk must use is the one in Cargo.lock.
wasm_bindgen_version() {
  awk -F'"' '/^name = "wasm-bindgen"$/ { getline; print $2; exit }' "$ROOT/Cargo.lock"
}

ensure_build_tools() {
  mkdir -p "$TOOLS"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the Rust wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (about 7 minutes, once)"
    cargo install trunk --locked --version "$TRUNK_VERSION" --root "$TOOLS"
  fi
  local wbg
  wbg=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
    say "installing wasm-bindgen-cli $wbg (about 2 minutes, once)"
    # Not --locked: the registry here lacks one locked dependency of this release.
    cargo install wasm-bindgen-cli --version "$wbg" --root "$TOOLS"
  fi
  if ! wasm-opt --version 2>/dev/null | grep -q "version_${BINARYEN_VERSION%%.*}"; then
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION"
  fi
}

# Builds the web app in release mode into dist/, with gzip copies the server sends to browsers
# that accept them.
build_web_app() {
  say "building the web app (trunk build --release)"
  # Explicit returns: callers may run this inside `if`, where `set -e` does not apply.
  (cd "$ROOT" && trunk build --release) || return 1
  find "$ROOT/dist" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) \
    -exec gzip -9 -k -f {} \; || return 1
}

ensure_chromium() {
  if ! dpkg -s chromium >/dev/null 2>&1; then
    say "installing Chromium from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
}

# PostgreSQL runs on every machine of this kind; start it if it is down.
ensure_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1; then
    say "installing PostgreSQL from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if ! pg_isready -q -h 127.0.0.1; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    timeout 30 bash -c 'until pg_isready -q -h 127.0.0.1; do sleep 0.5; done'
  fi
  if [ -z "${COPYTRADE_TEST_POSTGRES_URL:-}" ] \
    && ! psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
    # Some images ask for a password on 127.0.0.1: use a role with one, made over the socket.
    say "creating the copytrade PostgreSQL role for tests"
    runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='copytrade'" | grep -q 1 \
      || runuser -u postgres -- psql -qc "CREATE ROLE copytrade LOGIN CREATEDB PASSWORD 'copytrade'"
    export COPYTRADE_TEST_POSTGRES_URL=postgres://copytrade:copytrade@127.0.0.1:5432/postgres
  fi
}
