#!/usr/bin/env bash
# setup-gdb18.sh -- a GDB 18 for the tests that need gdb 16 or later (binary
# memory reads, `x`, which Debian's gdb 13 never sends): the gdb-for-pwndbg
# wheel (GNU gdb and gdbserver 18.1) in a Python venv, installed once and
# cached at
#   ${RGDBSERVER_GDB18_DIR:-${CARGO_TARGET_DIR:-<repo>/target}/gdb18}
# Idempotent: a second run only checks. Prints the gdb's path last; the
# tests find it there (or through RGDBSERVER_GDB18, or /tmp/gdb18).
# Needs python3 with venv (apt: python3-venv) and network access to PyPI
# the first time.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${RGDBSERVER_GDB18_DIR:-${CARGO_TARGET_DIR:-$REPO/target}/gdb18}
GDB=$DIR/bin/gdb

if ! "$GDB" --version 2>/dev/null | head -1 | grep -q 'GNU gdb (GDB) 1[6-9]'; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$DIR"
  python3 -m venv "$DIR"
  "$DIR/bin/pip" install -q gdb-for-pwndbg
  "$GDB" --version | head -1 | grep -q 'GNU gdb (GDB) 1[6-9]' \
    || { echo "setup-gdb18: $GDB is no gdb 16+" >&2; exit 2; }
fi
echo "$GDB"
