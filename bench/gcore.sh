#!/bin/sh
# monitor gcore against gdb's own gcore, for docs/performance.md: a
# process with HEAP_MIB of touched heap (tests/programs/gcore.c) stopped
# at a breakpoint, its core written by
#   A: rgdbserver's `monitor gcore` (the server writes the file itself)
#   B: gdb's `gcore` through rgdbserver (memory read over the wire)
#   C: gdb's `gcore` through GNU gdbserver
#   D: the kernel's own core dump of the same stop: gdb delivers SIGABRT
#      (`signal SIGABRT`, with `ulimit -c unlimited`) and the kernel writes
#      the core as the process dies (core_pattern must name a file, such
#      as the default `core`)
# in turn, RUNS times each; the time is measured inside gdb around the one
# command. ARMS (default "A B C D") picks some of them. Usage: bench/gcore.sh [RUNS [HEAP_MIB]] (from the worktree,
# after cargo build --release). Files go to a temporary directory on the
# same file system as /tmp and are removed.
set -eu
runs=${1:-3}
mib=${2:-1024}
here=$(cd "$(dirname "$0")/.." && pwd)
rgdb=$here/target/release/rgdbserver
gnu=${GNU_GDBSERVER:-/usr/bin/gdbserver}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -g -O0 -pthread -o "$work/prog" "$here/tests/programs/gcore.c"
port=$((20000 + $$ % 20000))

run() { # ARM SERVER COMMAND
    port=$((port + 1))
    core=$work/core.$1.$port
    "$2" --once "127.0.0.1:$port" "$work/prog" "$mib" >"$work/server.log" 2>&1 &
    server=$!
    sleep 0.5
    cmd=$(printf "$3" "$core")
    gdb -batch -nx -ex "set pagination off" -ex "file $work/prog" \
        -ex "target remote 127.0.0.1:$port" -ex "break ready" -ex continue \
        -ex "python import time; t = time.perf_counter()" \
        -ex "$cmd" \
        -ex "python print('TIME %.2f' % (time.perf_counter() - t))" \
        -ex kill >"$work/gdb.log" 2>&1 || true
    wait "$server" 2>/dev/null || true
    t=$(sed -n 's/^TIME //p' "$work/gdb.log")
    size=$(stat -c %s "$core" 2>/dev/null || echo 0)
    blocks=$(stat -c %b "$core" 2>/dev/null || echo 0)
    echo "$1 ${t:-FAILED} s  file $((size >> 20)) MiB, $((blocks / 2048)) MiB on disk"
    [ -n "$t" ] || cat "$work/gdb.log"
    rm -f "$core"
}

kernel() { # ARM: the kernel's dump, written in $work/kernel as the process dies
    port=$((port + 1))
    rm -rf "$work/kernel" && mkdir "$work/kernel"
    (cd "$work/kernel" && ulimit -c unlimited &&
        exec "$rgdb" --once "127.0.0.1:$port" "$work/prog" "$mib") >"$work/server.log" 2>&1 &
    server=$!
    sleep 0.5
    gdb -batch -nx -ex "set pagination off" -ex "file $work/prog" \
        -ex "target remote 127.0.0.1:$port" -ex "break ready" -ex continue \
        -ex "python import time; t = time.perf_counter()" \
        -ex "signal SIGABRT" \
        -ex "python print('TIME %.2f' % (time.perf_counter() - t))" >"$work/gdb.log" 2>&1 || true
    wait "$server" 2>/dev/null || true
    t=$(sed -n 's/^TIME //p' "$work/gdb.log")
    core=$(ls "$work"/kernel/core* 2>/dev/null | head -n 1)
    size=$(stat -c %s "$core" 2>/dev/null || echo 0)
    blocks=$(stat -c %b "$core" 2>/dev/null || echo 0)
    [ -n "$core" ] || t=""
    echo "$1 ${t:-FAILED} s  file $((size >> 20)) MiB, $((blocks / 2048)) MiB on disk"
    [ -n "$t" ] || { cat "$work/gdb.log"; echo "(no core: core_pattern is $(cat /proc/sys/kernel/core_pattern))"; }
    rm -rf "$work/kernel"
}

arms=${ARMS:-A B C D}
for i in $(seq "$runs"); do
    for arm in $arms; do
        case $arm in
            A) run A-monitor-gcore "$rgdb" "monitor gcore %s" ;;
            B) run B-gdb-gcore-rgdbserver "$rgdb" "gcore %s" ;;
            C) run C-gdb-gcore-gnu "$gnu" "gcore %s" ;;
            D) kernel D-kernel-core-dump ;;
        esac
    done
done
