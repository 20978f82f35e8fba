#!/bin/bash
# How often an attached target survives its server's SIGKILL (the guardian's
# window, docs/user-guide.md). Not a test: the numbers depend on the load.
# Usage: tests/guardian_survival.sh SERVER PROGRAM(guarded) CASE TRIALS
#   CASE: hot1 (conditional breakpoint on code run every 1 ms), hot10
#   (every 10 ms), cold (code never run), stopped (gdb stopped at a breakpoint)
server=$1 prog=$2 case=$3 trials=${4:-20}
period=1000 bp="break tick if ticks == 0"
case $case in
  hot10) period=10000 ;;
  cold) bp="break never_called" ;;
  stopped) bp="break tick" ;;
esac
survived=0
for i in $(seq "$trials"); do
  "$prog" "$period" > /dev/null & pid=$!
  sleep 0.2
  log=$(mktemp)
  "$server" --once --attach 127.0.0.1:0 "$pid" 2> "$log" & spid=$!
  for _ in $(seq 100); do grep -q "Listening on port" "$log" && break; sleep 0.05; done
  port=$(sed -n 's/Listening on port //p' "$log")
  (sleep 4) | gdb -nx -q -ex "set confirm off" -ex "target remote 127.0.0.1:$port" \
      -ex "set breakpoint always-inserted on" \
      -ex "set breakpoint condition-evaluation target" \
      -ex "$bp" -ex continue "$prog" > /dev/null 2>&1 & gpid=$!
  sleep 1.5
  kill -9 $spid; wait $spid 2> /dev/null
  sleep 1
  state=$(sed -n 's/^State:\s*//p' /proc/$pid/status 2> /dev/null)
  tracer=$(sed -n 's/^TracerPid:\s*//p' /proc/$pid/status 2> /dev/null)
  case "$state" in
    [RS]*) [ "$tracer" = 0 ] && survived=$((survived + 1)) ;;
  esac
  kill -9 $pid $gpid 2> /dev/null; wait $pid $gpid 2> /dev/null
  rm -f "$log"
done
echo "$case: $survived/$trials survived"
