#!/usr/bin/env bash
# Install what the tests need on a fresh Debian machine, then run every test:
# unit tests of both crates and the integration tests that drive real gdb
# against rgdbserver. Also checks formatting and clippy. Then the arm64 and
# MIPS tests: static cross builds, and gdb-multiarch sessions against the
# server in qemu-system VMs (scripts/vm-test.sh, which installs its own
# packages; RGDBSERVER_SKIP_VM=1 leaves them out).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in gdb gcc gdbserver socat; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

if [ -z "${RGDBSERVER_SKIP_VM:-}" ]; then
  ./scripts/vm-test.sh
fi
