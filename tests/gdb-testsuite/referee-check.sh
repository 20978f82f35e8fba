#!/usr/bin/env bash
# referee-check.sh -- prove that run.sh's same-machine referee both excuses
# and counts, on real runs of GDB's testsuite (about 30 s):
#
#   1. excused: gdb.base/auxv.exp (native-gdbserver) with an empty
#      known-failures file. Its two FAILs (auxv tags this kernel has and gdb
#      13 does not know) are GNU gdbserver's too, so --ci passes and says so.
#      Skipped, with a note, on a kernel where GNU passes them.
#   2. counted: the server under test, made to hide its threads
#      (--disable-packet=qfThreadInfo,threads, through a wrapper) on
#      gdb.threads/info-threads-cur-sal.exp: GNU passes what it fails, so
#      --ci must fail and name the tests.
#   3. counted: a "server" that never starts listening, with EXP_TIMEOUT=20,
#      on gdb.base/auxv.exp: GNU finishes, so the TIMEOUT counts.
#
#   referee-check.sh [SERVER]   (default: target/release/rgdbserver)
# Exit status 0 when all three hold, 1 otherwise.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SERVER=${1:-${CARGO_TARGET_DIR:-$REPO/target}/release/rgdbserver}
SERVER=$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER")
[ -x "$SERVER" ] || { echo "referee-check: no server $SERVER" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '# nothing is known to fail\n' > "$work/none.txt"
fail=0
check() {   # NAME WANT_EXIT PATTERN LOG
  local got
  got=$(tail -n 1 "$4.rc")
  if [ "$got" = "$2" ] && grep -qE "$3" "$4"; then
    echo "referee-check: ok: $1"
  else
    echo "referee-check: FAILED: $1 (exit $got, wanted $2 and /$3/); its report:"
    sed -n '/== known-failures check/,$p' "$4" | sed 's/^/    /'
    fail=1
  fi
}
run() {   # LOG ARGS... ; records the exit status in LOG.rc
  local log=$1 rc=0
  shift
  BOARDS=native-gdbserver "$HERE/run.sh" --ci "$@" > "$log" 2>&1 || rc=$?
  echo "$rc" > "$log.rc"
}

# 1. excused
run "$work/1.log" --known-failures "$work/none.txt" "$SERVER" gdb.base/auxv.exp
if grep -q 'referee: native-gdbserver gdb.base/auxv.exp' "$work/1.log"; then
  check "auxv.exp's FAILs shared with GNU gdbserver are excused" 0 \
    'excused by the referee: 2' "$work/1.log"
else
  echo "referee-check: note: gdb.base/auxv.exp passes on this kernel; case 1 has nothing to excuse"
fi

# 2. counted: a failure GNU does not share
printf '#!/bin/sh\nexec "%s" --disable-packet=qfThreadInfo,threads "$@"\n' "$SERVER" > "$work/hiding"
chmod +x "$work/hiding"
run "$work/2.log" "$work/hiding" gdb.threads/info-threads-cur-sal.exp
check "a server hiding its threads fails, named" 1 \
  'FAIL: info threads before break \(GNU gdbserver passes it\)' "$work/2.log"

# 3. counted: a timeout GNU does not share
printf '#!/bin/sh\nexec sleep 600\n' > "$work/silent"
chmod +x "$work/silent"
EXP_TIMEOUT=20 run "$work/3.log" "$work/silent" gdb.base/auxv.exp
check "a server that never listens times out against us" 1 \
  'TIMEOUT: .*\(GNU gdbserver finished\)' "$work/3.log"

exit "$fail"
