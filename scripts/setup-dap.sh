#!/usr/bin/env bash
# setup-dap.sh -- the Eclipse CDT GDB debug adapter (cdt-gdb-adapter, from
# the npm registry), which VS Code-style editors run to speak the Debug
# Adapter Protocol to gdb, for tests/ide.rs's DAP session. Installed once
# and cached at
#   ${RGDBSERVER_DAP_DIR:-${CARGO_TARGET_DIR:-<repo>/target}/dap}
# Idempotent. Prints the adapter's entry point (debugTargetAdapter.js, the
# remote-target adapter) last; the tests find it there or through
# RGDBSERVER_DAP_ADAPTER. Needs node and npm (apt: nodejs npm when missing).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${RGDBSERVER_DAP_DIR:-${CARGO_TARGET_DIR:-$REPO/target}/dap}
VERSION=1.7.0
ADAPTER=$DIR/node_modules/cdt-gdb-adapter/dist/debugTargetAdapter.js

installed() {
  [ -f "$ADAPTER" ] &&
    grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/cdt-gdb-adapter/package.json"
}
if ! installed; then
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  mkdir -p "$DIR"
  npm install --silent --no-audit --no-fund --prefix "$DIR" "cdt-gdb-adapter@$VERSION" >&2
  installed || { echo "setup-dap: no $ADAPTER after npm install" >&2; exit 2; }
fi
echo "$ADAPTER"
