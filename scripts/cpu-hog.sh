#!/usr/bin/env bash
# cpu-hog.sh -- run a command beside busy loops that keep every core loaded,
# to check that tests hold under load (the CI machine may be busy with other
# work). The loops run at the same priority as the command and are killed when
# it ends, however it ends; the exit status is the command's.
#
#   scripts/cpu-hog.sh [-n N] COMMAND [ARGS...]
#
#   -n N   N busy loops (default: one per core, nproc)
#
# Example: scripts/cpu-hog.sh tests/gdb-testsuite/run.sh --ci
set -euo pipefail
n=$(nproc)
if [ "${1:-}" = -n ]; then
  [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "cpu-hog.sh: -n wants a count" >&2; exit 2; }
  n=$2
  shift 2
fi
[ $# -gt 0 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
hogs=()
cleanup() { [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$n"); do
  ( trap - INT TERM; exec bash -c 'while :; do :; done' ) &
  hogs+=("$!")
done
echo "cpu-hog.sh: $n busy loops (pids ${hogs[*]}) beside: $*" >&2
rc=0
"$@" || rc=$?
exit "$rc"
