# vm-sessions.sh: sourced by scripts/vm-test.sh (never run alone). The gdb
# sessions run against the server in a booted VM and what each must show:
# breakpoints, stepping, registers, memory, threads, cores (monitor gcore),
# server-side backtraces, TLS, signals, attach, watchpoints, exit codes, a
# dynamically linked program and its shared libraries (dynamic-*); the
# crash reports the guest printed at boot, checked against gdb's bt; and the
# two client passes (gdb-multiarch 13.1, then gdb 18.1). It uses vm-test's
# globals: ARCH, W, REPO, PORT, GDB, S (a per-client prefix of log names),
# pass/fail, and the per-architecture facts arch_setup sets.

# gdb NAME PROGRAM COMMAND...: one extended-remote session; output in $W/out/NAME.log.
gdb_session() {
  local name=$S$1 prog=$2
  shift 2
  # An emulated CPU on a loaded host can take longer than gdb's default 2 s
  # to answer (starting a program, say); a late reply would then be taken
  # for the answer to the next packet.
  local args=(-batch -nx -ex "set confirm off" -ex "set pagination off" -ex "set width 0"
    -ex "set remotetimeout 30")
  [ -n "$prog" ] && args+=(-ex "file $W/progs/$prog")
  args+=(-ex "target extended-remote 127.0.0.1:$PORT")
  [ -n "$prog" ] && args+=(-ex "set remote exec-file /t/$prog")
  local c
  for c in "$@"; do args+=(-ex "$c"); done
  local start=$SECONDS
  (cd "$REPO" && timeout 300 "$GDB" "${args[@]}") > "$W/out/$name.log" 2>&1
  local rc=$?
  echo "  ..    $ARCH: session $name took $((SECONDS - start)) s"
  [ "$rc" -ne 124 ] || fail "$ARCH/$name: gdb timed out" "$W/out/$name.log"
}

# expect NAME TEXT...: every TEXT appears in the session's output.
expect() {
  local name=$S$1 text
  shift
  for text in "$@"; do
    if grep -qF -- "$text" "$W/out/$name.log"; then
      pass "$ARCH/$name: $text"
    else
      fail "$ARCH/$name: expected \"$text\"" "$W/out/$name.log"
    fi
  done
}

# expect_count NAME TEXT N WHAT: the session's output has TEXT on exactly N lines.
expect_count() {
  local log="$W/out/$S$1.log" seen
  seen=$(grep -cF -- "$2" "$log")
  if [ "$seen" -eq "$3" ]; then
    pass "$ARCH/$S$1: $3 $4"
  else
    fail "$ARCH/$S$1: $3 $4 (saw $seen)" "$log"
  fi
}

expect_console() {
  local text
  for text in "$@"; do
    if grep -qF -- "$text" "$W/console.log"; then
      pass "$ARCH/console: $text"
    else
      fail "$ARCH/console: expected \"$text\"" "$W/console.log"
    fi
  done
}

# The first hex number after MARKER in a session's output.
hex_after() {
  grep -o -- "$2 *0x[0-9a-f]*" "$W/out/$S$1.log" | head -n 1 | grep -o '0x[0-9a-f]*$'
}

# The function names of the first thread's frames in the crash report of
# program /t/PROG on the console: one per line.
report_frames() {
  awk -v prog="/t/$1" '
    /^rgdbserver: crash report/ { inblock = 0; thread = 0 }
    /^Program / { inblock = ($2 == prog ",") }
    inblock && /^Thread / { thread++ }
    inblock && thread == 1 && /^#[0-9]/ { print $4 }
  ' "$W/console.log"
}

# How the report's crashing-thread frames 1-3 of program /t/PROG were
# found (cfi, frame-pointer, prologue-scan), as the report says.
report_found_by() {
  awk -v prog="/t/$1" '
    /^rgdbserver: crash report/ { inblock = 0; thread = 0 }
    /^Program / { inblock = ($2 == prog ",") }
    inblock && /^Thread / { thread++ }
    inblock && thread == 1 && /^#[1-3] / { gsub(/.*\[|\].*/, ""); printf "%s ", $0 }
  ' "$W/console.log"
}

# The function names of the last `bt` in gdb log NAME (frames "#N  ADDR
# in F (" or "#0  F ("; gdb also prints frame 0 alone on a stop, which
# a later "#0" replaces).
bt_frames() {
  awk '
    /^#0 / { n = 0 }
    /^#[0-9]+ / {
      f = ($3 == "in") ? $4 : $2
      if (f ~ /^[A-Za-z_][A-Za-z0-9_]*$/) names[n++] = f
    }
    END { for (i = 0; i < n; i++) print names[i] }
  ' "$W/out/$1.log"
}

# The crash reports the guest wrote at boot, one per build of crash.c:
# the report's crashing thread names c, b, a and worker, as gdb's `bt`
# names them on the live process (an extended-remote `run` to the fault)
# and on the report's core (fetched with `remote get`, opened on the host);
# and the server exited 139, as the program dies without it.
check_crash_reports() {
  local v pid want live core
  for v in crash crash-fp crash-o2 crash-nocfi; do
    expect_console "VM-CRASH-EXIT $v 139"
    want=$(report_frames "$v" | head -n 4 | tr '\n' ' ')
    if [ "$want" = "c b a worker " ]; then
      pass "$ARCH/$v: the report's crashing thread: $want(found by: $(report_found_by "$v"))"
    else
      fail "$ARCH/$v: the report's crashing thread: '$want'" "$W/console.log"
      continue
    fi
    pid=$(grep -o "^Program /t/$v, process [0-9]*" "$W/console.log" | grep -o '[0-9]*$' | tail -n 1)
    GDB=gdb-multiarch S="" gdb_session "live-$v" "$v" "run" "bt" "kill" \
      "remote get /t/cores/core.$pid $W/out/core-$v"
    live=$(bt_frames "live-$v" | head -n 4 | tr '\n' ' ')
    [ "$live" = "$want" ] && pass "$ARCH/live-$v: gdb's bt names the same: $live" ||
      fail "$ARCH/live-$v: gdb's bt names '$live', the report '$want'" "$W/out/live-$v.log"
    (cd "$REPO" && timeout 120 gdb-multiarch -batch -nx -ex "file $W/progs/$v" \
      -ex "core-file $W/out/core-$v" -ex "bt") > "$W/out/core-$v.log" 2>&1
    core=$(bt_frames "core-$v" | head -n 4 | tr '\n' ' ')
    [ "$core" = "$want" ] && pass "$ARCH/core-$v: gdb's bt of the core names the same: $core" ||
      fail "$ARCH/core-$v: gdb's bt of the core names '$core', the report '$want'" "$W/out/core-$v.log"
  done
}

# The dynamically linked program (dynmain, its libdynlib.so, the dlopened
# libdllib.so) in one session per way of finding the board's libraries:
# dynamic-target fetches them through the server's vFile (`set sysroot
# target:`), dynamic-local reads the host's copy of the same files
# ($SYSROOT from libc6-ARCH-cross, the guest's /lib; our own libraries
# through solib-search-path). Each: a breakpoint in our library and its
# __thread variable in two threads (qGetTLSAddr with a link_map), the
# loaded libraries before and after the dlopen, a breakpoint in the
# dlopened library, and a backtrace from inside libc ($SLEEP_FN, under
# nanosleep) back to main. `run` names the library to dlopen: gdb 18 takes
# the arguments of the server's last run (qExecAndArgs, as with GNU
# gdbserver) when given none, and the mte session ran with its own.
dynamic_sessions() {
  local interp way setup from ours
  interp=$(interp_of "$W/progs/dynmain")
  for way in target local; do
    if [ "$way" = target ]; then
      setup=("set sysroot target:")
      from="target:/"
      ours="target:/t/"
    else
      setup=("set sysroot $SYSROOT" "set solib-search-path $W/progs")
      from="$SYSROOT/"
      ours="$W/progs/"
    fi
    gdb_session "dynamic-$way" dynmain "${setup[@]}" "set breakpoint pending on" "break lib_work" \
      "run /t/libdllib.so" "p lib_tls" "info sharedlibrary" "info sharedlibrary dllib" "break first" "continue" \
      "bt" "info sharedlibrary dllib" "continue" "p lib_tls" "bt" "break $SLEEP_FN" \
      "continue" "bt" "delete" "continue"
    expect "dynamic-$way" "Breakpoint 1, lib_work (x=1) at tests/programs/dynlib.c" '$1 = 1100' \
      "No shared libraries matched." "Breakpoint 2, first (x=3) at tests/programs/dllib.c" \
      "Breakpoint 1, lib_work (x=2) at tests/programs/dynlib.c" '$2 = 2200' \
      "in worker (" "Breakpoint 3, " "in $SLEEP_FN () from ${from}lib/libc.so.6" \
      "nanosleep () from ${from}lib/libc.so.6" "exited normally"
    # info sharedlibrary lists the loader, libc and libdynlib.so once (the
    # full list, before the dlopen), libdllib.so once (after it: before,
    # "No shared libraries matched").
    # (Two spaces: the listing's lines, not "Reading ..." or bt's "from ...".)
    expect_count "dynamic-$way" "  $from${interp#/}" 1 "listings of $from${interp#/}"
    expect_count "dynamic-$way" "  ${from}lib/libc.so.6" 1 "listings of ${from}lib/libc.so.6"
    expect_count "dynamic-$way" "  ${ours}libdynlib.so" 1 "listings of ${ours}libdynlib.so"
    expect_count "dynamic-$way" "  ${ours}libdllib.so" 1 "listings of ${ours}libdllib.so after the dlopen"
    # bt reaches main from the dlopened library and from inside libc.
    expect_count "dynamic-$way" "in main (argc=2, argv=" 2 "backtraces reaching main"
  done
  # The local sysroot's session read no file through the server.
  expect_count dynamic-local "from remote target" 0 "files read from the target"
  expect_console "dynmain sum"
}

# ---------------------------------------------------------------------------
# The sessions.

run_sessions() {
  local out="$W/out"

  gdb_session breakpoints abc "break a" "run" "bt" "continue" "bt" "continue"
  expect breakpoints "Breakpoint 1, a (x=1)" "in b () at tests/programs/abc.c:4" \
    "in main () at tests/programs/abc.c:8" "Breakpoint 1, a (x=2)" "in c () at tests/programs/abc.c:5" \
    "exited with code 03"
  expect_console "counter 3"

  # MIPS kernels refuse PTRACE_SINGLESTEP: the server offers no `s`, and gdb
  # steps there by planting breakpoints itself.
  gdb_session stepping abc "maint packet vCont?" "break main" "run" "step" "bt 1" "finish" "next" \
    "p \$pc" "stepi" "p \$pc" "info line *\$pc" "kill"
  expect stepping "received: \"$VCONT\"" "b () at tests/programs/abc.c:4" "Value returned is \$1 = 1"
  local pc1 pc2
  pc1=$(hex_after stepping '\$2 = (void (\*)()) ')
  pc2=$(hex_after stepping '\$3 = (void (\*)()) ')
  if [ -n "$pc1" ] && [ -n "$pc2" ] && [ "$pc1" != "$pc2" ]; then
    pass "$ARCH/stepping: stepi moved the pc ($pc1 -> $pc2)"
  else
    fail "$ARCH/stepping: stepi moved the pc ('$pc1' -> '$pc2')" "$out/${S}stepping.log"
  fi

  # Registers: a general register and an FP/SIMD one written, the cache
  # flushed, read back from the target; the PC written to skip the call to c().
  gdb_session registers abc "break a" "run" "info registers" "info all-registers" \
    "set var \$$GPR = 0x1234" "$FP_SET" "maint flush register-cache" "p/x \$$GPR" "$FP_GET" \
    "delete" "tbreak 9" "continue" "info line 10" "set var \$pc = \$_" "continue"
  expect registers "= 0x1234" "$FP_WANT" "${REG_NAMES[@]}" "exited with code 03"
  expect_console "counter 1"

  local dump="$out/${S}big.bin"
  gdb_session memory memory "break ready" "run" "p greeting" "x/4xb &global_value" \
    "set var global_value = 42" "p global_value" "dump binary memory $dump big big+8*1024*1024" \
    "x/x 0" "x/32xb edge" "continue"
  expect memory '"hello, gdb"' "0x07	0x00	0x00	0x00" "= 42" "Cannot access memory at address 0x0" \
    "0xf0	0xf1	0xf2" "exited normally"
  expect_console "global_value=42"
  if python3 - "$dump" <<'EOF'
import sys
x = 12345
want = bytearray(8 * 1024 * 1024)
for i in range(len(want)):
    x = (x * 1103515245 + 12345) & 0xffffffff
    want[i] = (x >> 16) & 0xff
got = open(sys.argv[1], "rb").read()
sys.exit(0 if got == bytes(want) else 1)
EOF
  then
    pass "$ARCH/memory: 8 MiB dump matches the program's buffer"
  else
    fail "$ARCH/memory: 8 MiB dump matches the program's buffer" "$out/${S}memory.log"
  fi

  gdb_session threads threads "break all_started" "run" "info threads" "thread apply all bt" "continue"
  expect threads '"worker-0"' '"worker-7"' "Thread 9" "exited normally"
  expect_count threads "in worker (" 8 "backtraces through worker"
  expect_console "joined"

  # A core written by the server on the board (monitor gcore), fetched
  # with `remote get` and opened on the host: the same nine threads and
  # the same eight backtraces through worker as the live session above.
  local core="/t/${S}core.threads"
  gdb_session gcore threads "break all_started" "run" "monitor gcore $core" \
    "remote get $core $out/${S}core.threads" "kill"
  expect gcore "Saved corefile $core" "9 threads"
  (cd "$REPO" && timeout 120 "$GDB" -batch -nx -ex "set pagination off" \
    -ex "file $W/progs/threads" -ex "core-file $out/${S}core.threads" \
    -ex "info threads" -ex "thread apply all bt") > "$out/${S}gcore-host.log" 2>&1
  expect gcore-host "LWP" "all_started ()"
  expect_count gcore-host "in worker (" 8 "backtraces through worker in the core"

  # The server's own backtraces (monitor backtrace all: CFI, frame
  # pointers, MIPS prologue scan) of the same stop: every worker thread's
  # stack reaches worker(), as gdb's did.
  gdb_session backtrace threads "break all_started" "run" "monitor backtrace all" "kill"
  expect backtrace "in all_started (" "in main ("
  expect_count backtrace "in worker (" 8 "server-side backtraces through worker"

  # __thread variables (qGetTLSAddr) of a static program: glibc's TLS
  # layout from the executable's symbols, the thread pointer from
  # NT_ARM_TLS or PTRACE_GET_THREAD_AREA, in the main thread and a worker.
  gdb_session tls tls "break checkpoint" "run" "p mine" "p tag" "continue" "p mine == who" \
    "p tag[0]" "continue" "p mine == who"
  expect tls '$1 = 7' '$2 = "main\000\000\000"' '$3 = 1' "\$4 = 119 'w'" '$5 = 1'

  # Signals: host numbers differ on MIPS (SIGUSR1 is 16, not 10).
  gdb_session signals signals "run" "continue" "run segv" "bt 1" "kill" "run abort" "continue"
  expect signals "Program received signal SIGUSR1" "exited normally" \
    "Program received signal SIGSEGV" "crash here" "Program received signal SIGABRT" \
    "Program terminated with signal SIGABRT"
  expect_console "handled=$USR1"

  # Attach to the loop the guest started, then detach: it must go on running, untraced.
  gdb_session attach loop "attach $LOOP_PID" "break tick" "continue" "p ticks" "detach" \
    "remote get /proc/$LOOP_PID/status $out/${S}status-1" "attach $LOOP_PID" "p ticks" "detach"
  expect attach "Breakpoint 1, tick ()" "detached]"
  local t1 t2
  t1=$(grep -o '^\$1 = [0-9]*' "$out/${S}attach.log" | awk '{print $3}')
  t2=$(grep -o '^\$2 = [0-9]*' "$out/${S}attach.log" | awk '{print $3}')
  if [ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -gt "$t1" ]; then
    pass "$ARCH/attach: the loop ran on after detaching (ticks $t1 -> $t2)"
  else
    fail "$ARCH/attach: the loop ran on after detaching (ticks '$t1' -> '$t2')" "$out/${S}attach.log"
  fi
  if grep -q "TracerPid:[[:space:]]*0$" "$out/${S}status-1" 2>/dev/null; then
    pass "$ARCH/attach: untraced after detach"
  else
    fail "$ARCH/attach: untraced after detach" "$out/${S}attach.log"
  fi

  # Hardware watchpoints and breakpoints (arm64: NT_ARM_HW_WATCH/BREAK). MIPS
  # has none yet; gdb's software watchpoints would single-step every instruction.
  if [ -n "$HW_WATCH" ]; then
    gdb_session watchpoints watch "break main" "run" "watch counter" "continue" "continue" "delete 2" \
      "rwatch read_me" "continue" "delete 3" "awatch wide_value" "continue" "delete 4" \
      "watch block" "continue" "delete 5" "hbreak hw_target" "continue" "bt 1" "delete" "continue" \
      "break worker" "run" "watch counter" "continue" "bt 1" "delete" "continue"
    expect watchpoints "Hardware watchpoint 2: counter" "New value = 1" "New value = 2" \
      "Hardware read watchpoint 3: read_me" "Value = 7" \
      "Hardware access (read/write) watchpoint 4: wide_value" "New value = 5" \
      "Hardware watchpoint 5: block" "Hardware assisted breakpoint 6 at" "#0  hw_target ()" \
      "New value = 100" "#0  worker (" "exited normally"
    expect_console "done 100"
  fi

  # Memory tagging (arm64 MTE, qemu's -M virt,mte=on): the allocation tag
  # of mte.c's tagged granule read (qMemTags), written (QMemTags) and read
  # back by gdb and by the program itself (ldg, on the console), the page
  # PROT_MTE and a pointer's own page not (qIsAddressTagged), tag_ctl as
  # prctl set it, and the store through the stale tag reported as gdb's
  # memory tag violation (SEGV_MTESERR).
  if [ -n "$MTE" ]; then
    local who=${S:-gdb13}
    expect_console "VM-MTE yes"
    gdb_session mte mte "break stop_here" "run $who" "show remote memory-tagging-feature-packet" \
      "p/x \$tag_ctl" "memory-tag print-logical-tag ptr" "memory-tag print-allocation-tag ptr" \
      "memory-tag check ptr" \
      'eval "maint packet qIsAddressTagged:%lx", (unsigned long) ptr' \
      'eval "maint packet qIsAddressTagged:%lx", (unsigned long) &ptr' \
      "memory-tag set-allocation-tag ptr 1 05" "memory-tag print-allocation-tag ptr" \
      "memory-tag check ptr" "continue" "p \$_siginfo.si_code" "bt 1" "kill"
    expect mte "memory-tagging-feature" "currently enabled" "\$1 = 0x7fff3" \
      "Memory tags for address 0x" 'received: "01"' 'received: "00"' \
      "Allocation tag(s) updated successfully." "\$4 = 0x5" \
      "does not match the allocation tag (0x5) for address 0x" \
      "Memory tag violation while accessing address 0x" "Allocation tag 0x5" "\$5 = 9" \
      "tag mismatch here"
    expect_console "mte $who: ldg after gdb 5"
    # The tag the program stored (stg) is the one gdb read (qMemTags).
    local stored read
    stored=$(grep -a -o "mte $who: tag [0-9]*" "$W/console.log" | tail -n 1 | awk '{print $4}')
    read=$(hex_after mte '\$3 = ')
    if [ -n "$stored" ] && [ -n "$read" ] && [ "$stored" -eq "$((read))" ]; then
      pass "$ARCH/${S}mte: gdb read the tag the program stored ($stored)"
    else
      fail "$ARCH/${S}mte: gdb read the tag the program stored ('$stored', '$read')" "$out/${S}mte.log"
    fi
  fi

  dynamic_sessions

  # The last client's session ends the server.
  local last=()
  [ "${1:-}" = last ] && last=("monitor exit")
  gdb_session exitcode show "run a b c" "${last[@]}"
  expect exitcode "exited with code 04"
  expect_console "arg3=c"
}

# The sessions with each client, in one boot of the VM: Debian's
# gdb-multiarch 13.1, then gdb 18.1 (RGDBSERVER_GDB18, from
# scripts/setup-gdb18.sh; VM_GDB18=0 leaves it out). Results name the
# client: ARCH/NAME for gdb-multiarch, ARCH/gdb18-NAME for gdb 18.
run_clients() {
  if [ -n "${RGDBSERVER_GDB18:-}" ] && [ "${VM_GDB18:-1}" != 0 ]; then
    GDB=gdb-multiarch S="" run_sessions
    GDB=$RGDBSERVER_GDB18 S="gdb18-" run_sessions last
  else
    GDB=gdb-multiarch S="" run_sessions last
  fi
}
