#!/usr/bin/env bash
# End-to-end tests of rgdbserver on arm64 and MIPS, in qemu-system VMs.
#
#   scripts/vm-test.sh [arm64] [mipsel] [mips64el] [mips-unit]    (default: all four)
#
# ptrace does not work under qemu-user, so a foreign-architecture debugger can
# only be tested end to end under a real kernel. For each VM architecture this:
#   - builds the static rgdbserver (scripts/cross-build.sh),
#   - cross-compiles the C test programs in tests/programs statically with gcc,
#   - downloads Debian's kernel and busybox-static for that architecture
#     (apt-get download; cached), and packs an initramfs with busybox, the
#     network driver modules, rgdbserver and the programs,
#   - boots qemu-system once; the guest runs `rgdbserver --multi` and forwards
#     its port to 127.0.0.1 on the host (the guest reaches no network),
#   - runs gdb-multiarch 13.1 on the host, then gdb 18.1 when
#     RGDBSERVER_GDB18 names one (scripts/test-all.sh sets it), for several
#     extended-remote sessions:
#     breakpoints and backtraces, step/next/finish/stepi, registers read and
#     written, memory read and written and an 8 MiB dump compared, threads,
#     signals, attach and detach, exit codes, a core written by the server
#     (monitor gcore) opened on the host,
#   - checks the crash report (`--crash-report`, no gdb) the guest printed at boot,
#   - ends the server with `monitor exit`, which powers the guest off.
# mips-unit: big-endian MIPS has no Debian kernel; the static binary is built
# and the arch crate's unit tests (register byte order) run under qemu-mips-static.
#
# qemu-system comes from Debian's package; where that cannot be installed
# beside the machine's qemu (or with RGDBSERVER_VM_UNPACK_QEMU=1), its binaries
# are unpacked into the cache instead.
# Caches (downloads, extracted kernels, cross builds) live under
# $RGDBSERVER_VM_CACHE (default ~/.cache/rgdbserver-vm); cross builds go to
# $RGDBSERVER_VM_CACHE/target unless CARGO_TARGET_DIR is set.
# Ends with "vm-test: N passed, M failed"; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

CACHE="${RGDBSERVER_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rgdbserver-vm}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
# Each run's files (initramfs, console, session logs); RGDBSERVER_VM_RUN
# keeps them apart from another checkout's run.
RUN="${RGDBSERVER_VM_RUN:-$CACHE/run}"
mkdir -p "$CACHE" "$RUN"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(arm64 mipsel mips64el mips-unit)

passed=0
failed=0
failures=()

say() { echo "vm-test: $*"; }
die() { say "FATAL: $*"; exit 1; }

pass() { passed=$((passed + 1)); echo "  ok    $1"; }
fail() {
  failed=$((failed + 1))
  failures+=("$1")
  echo "  FAIL  $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "  ---- last lines of $2"
    tail -n 40 "$2" | sed 's/^/  | /'
    echo "  ----"
  fi
}

# ---------------------------------------------------------------------------
# Host packages.

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

apt_updated=""
apt_install() {
  local missing=() p
  for p in "$@"; do
    pkg_installed "$p" || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  say "installing ${missing[*]}"
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "${missing[@]}" >/dev/null
}

need_update=""
add_arch() {
  if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
    $SUDO dpkg --add-architecture "$1"
    need_update=1
  fi
}

# qemu-system-ARCH: Debian's package if it installs; on machines whose
# qemu-utils comes from backports (which Breaks bookworm's qemu-system-common),
# the binaries are unpacked into the cache and run with their libraries.
QEMU_DIR=""
qemu_bin() {
  local name=$1 pkg=$2
  # RGDBSERVER_VM_UNPACK_QEMU=1 always uses the unpacked copy.
  local unpack="${RGDBSERVER_VM_UNPACK_QEMU:-}"
  if [ -z "$unpack" ] && command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return
  fi
  if [ -x "$CACHE/qemu/usr/bin/$name" ]; then
    echo "$CACHE/qemu/usr/bin/$name"
    return
  fi
  # --no-remove: never take out what the machine has (such as that qemu-utils).
  if [ -z "$unpack" ] && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "$pkg" >/dev/null 2>&1 &&
    command -v "$name" >/dev/null; then
    command -v "$name"
    return
  fi
  say "unpacking $pkg into the cache (it does not install beside this machine's qemu)" >&2
  local deps
  deps=$(apt-cache depends "$pkg" | awk '/^ *Depends:/ {print $2}' | grep -v '^qemu\|^<' | sort -u)
  # shellcheck disable=SC2086
  apt_install $deps >&2
  mkdir -p "$CACHE/debs" "$CACHE/qemu"
  (cd "$CACHE/debs" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg"
  dpkg-deb -x "$(ls -t "$CACHE"/debs/"${pkg}"_*.deb | head -n 1)" "$CACHE/qemu"
  echo "$CACHE/qemu/usr/bin/$name"
}

# ---------------------------------------------------------------------------
# Per-architecture facts.

arch_setup() {
  ARCH=$1
  case "$ARCH" in
    arm64)
      TRIPLE=aarch64-unknown-linux-gnu; CC=aarch64-linux-gnu-gcc; DEB_ARCH=arm64
      KERNEL_META=linux-image-arm64; QEMU=qemu-system-aarch64; QEMU_PKG=qemu-system-arm
      MODULES="failover net_failover virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_net"
      # MTE needs -cpu max (a57 has none); pauth-impdef: qemu's cheap
      # pointer-authentication hash instead of emulating QARMA.
      QEMU_ARGS=(-M virt,mte=on -cpu max,pauth-impdef=on -smp 1 -m 512)
      NIC=virtio-net-pci; CONSOLE=ttyAMA0
      GPR=x9; FP_SET='set var $v0.d.u[0] = 0x1122334455667788'; FP_GET='p/x $v0.d.u[0]'
      FP_WANT="0x1122334455667788"; REG_NAMES=(v31 fpsr fpcr tpidr cpsr)
      USR1=10; VCONT="vCont;c;C;s;S;t;r"; HW_WATCH=1; MTE=1 ;;
    mipsel)
      TRIPLE=mipsel-unknown-linux-gnu; CC=mipsel-linux-gnu-gcc; DEB_ARCH=mipsel
      KERNEL_META=linux-image-4kc-malta; QEMU=qemu-system-mipsel; QEMU_PKG=qemu-system-mips
      MODULES="mii pcnet32"
      QEMU_ARGS=(-M malta -cpu 24Kf -m 256 -vga none)
      NIC=pcnet; CONSOLE=ttyS0
      GPR=t1; FP_SET='set var $f2 = 1.5'; FP_GET='p $f2'; FP_WANT="= 1.5"
      REG_NAMES=(f31 fcsr fir restart cause)
      USR1=16; VCONT="vCont;c;C;t"; HW_WATCH=""; MTE="" ;;
    mips64el)
      TRIPLE=mips64el-unknown-linux-gnuabi64; CC=mips64el-linux-gnuabi64-gcc; DEB_ARCH=mips64el
      KERNEL_META=linux-image-5kc-malta; QEMU=qemu-system-mips64el; QEMU_PKG=qemu-system-mips
      MODULES="mii pcnet32"
      QEMU_ARGS=(-M malta -cpu 5KEf -m 256 -vga none)
      NIC=pcnet; CONSOLE=ttyS0
      GPR=t1; FP_SET='set var $f2 = 1.5'; FP_GET='p $f2'; FP_WANT="= 1.5"
      REG_NAMES=(f31 fcsr fir restart cause)
      USR1=16; VCONT="vCont;c;C;t"; HW_WATCH=""; MTE="" ;;
    *) die "unknown architecture $ARCH" ;;
  esac
  W="$RUN/$ARCH"
  rm -rf "$W"
  mkdir -p "$W/progs" "$W/root" "$W/out"
}

# Kernel image and network modules, busybox: unpacked once into the cache.
fetch_guest() {
  local dir="$CACHE/guest/$ARCH"
  local kpkg
  kpkg=$(apt-cache depends "$KERNEL_META:$DEB_ARCH" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
  kpkg=${kpkg%%:*}
  [ -n "$kpkg" ] || die "cannot resolve $KERNEL_META:$DEB_ARCH (apt-get update after dpkg --add-architecture $DEB_ARCH?)"
  if [ ! -f "$dir/$kpkg.done" ]; then
    say "$ARCH: downloading $kpkg and busybox-static"
    rm -rf "$dir"
    mkdir -p "$dir/debs" "$dir/kernel" "$dir/busybox"
    if ! (cd "$dir/debs" && apt-get download "$kpkg:$DEB_ARCH" "busybox-static:$DEB_ARCH" >/dev/null 2>&1); then
      # Stale package lists name versions the archive no longer has.
      $SUDO apt-get update -qq
      (cd "$dir/debs" && apt-get download "$kpkg:$DEB_ARCH" "busybox-static:$DEB_ARCH" >/dev/null 2>&1) ||
        die "apt-get download $kpkg:$DEB_ARCH busybox-static:$DEB_ARCH"
    fi
    local patterns=('./boot/vmlinu*') m
    for m in $MODULES; do patterns+=("*/$m.ko"); done
    dpkg-deb --fsys-tarfile "$dir"/debs/linux-image-*.deb | tar -x -C "$dir/kernel" --wildcards "${patterns[@]}"
    dpkg-deb -x "$dir"/debs/busybox-static_*.deb "$dir/busybox"
    rm -rf "$dir/debs"
    touch "$dir/$kpkg.done"
  fi
  KERNEL=$(ls "$dir"/kernel/boot/vmlinu* | head -n 1)
  GUEST="$dir"
}

compile_programs() {
  local src name flags
  for src in "$REPO"/tests/programs/*.c; do
    name=$(basename "$src" .c)
    flags=()
    case "$name" in
      # regs.c, avx512.c, pkru.c and exit_insn.c are x86_64 code (AVX, AVX-512,
      # arch_prctl, rdpkru); dl.c and its library dllib.c need a dynamic
      # loader, and the guests' programs are static.
      regs | avx512 | pkru | exit_insn | dl | dllib) continue ;;
      # mte.c is arm64 MTE code (irg, stg, ldg).
      mte) [ -n "$MTE" ] || continue; flags=(-march=armv8.5-a+memtag) ;;
    esac
    # Relative source names, so that gdb finds them from the repository.
    (cd "$REPO" && "$CC" -g -O0 -static -pthread "${flags[@]}" -o "$W/progs/$name" "tests/programs/$name.c") ||
      die "$CC failed on $name.c"
  done
  # The crash reports' program, also optimized: with frame pointers, and
  # gcc's -O2 default (none on arm64 and MIPS either); and with no call
  # frame information for its own code at all (no -g, no unwind tables),
  # so that the server falls back to frame pointers (arm64) or the
  # prologue scan (MIPS).
  (cd "$REPO" && "$CC" -g -O2 -fno-omit-frame-pointer -static -pthread -o "$W/progs/crash-fp" \
    tests/programs/crash.c && "$CC" -g -O2 -static -pthread -o "$W/progs/crash-o2" \
    tests/programs/crash.c && "$CC" -O0 -g0 -fno-asynchronous-unwind-tables -fno-unwind-tables \
    -static -pthread -o "$W/progs/crash-nocfi" tests/programs/crash.c) ||
    die "$CC failed on crash.c's other builds"
}

build_initramfs() {
  local root="$W/root" m
  mkdir -p "$root"/{bin,t,proc,sys,dev,tmp,lib/modules}
  cp "$GUEST/busybox/bin/busybox" "$root/bin/"
  cp "$SERVER" "$root/bin/rgdbserver"
  cp "$W"/progs/* "$root/t/"
  for m in $MODULES; do
    cp "$(find "$GUEST/kernel" -name "$m.ko" | head -n 1)" "$root/lib/modules/"
  done
  echo "$MODULES" > "$root/modules"
  cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules); do insmod /lib/modules/$m.ko; done
ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
cd /t
# Crash reports with no gdb (the faulting thread three calls deep), of
# three builds, each with its core in /t/cores; the host checks them on
# the console and fetches the cores.
mkdir -p /t/cores
for v in crash crash-fp crash-o2 crash-nocfi; do
  /bin/rgdbserver --crash-report=/t/cores /t/$v
  echo "VM-CRASH-EXIT $v $?"
done
/t/loop > /dev/null &
echo "VM-LOOP-PID $!"
# Whether the emulated CPU and the kernel give user space MTE (arm64).
echo "VM-MTE $(grep -qw mte /proc/cpuinfo && echo yes || echo no)"
echo "VM-READY $(uname -m)"
/bin/rgdbserver --multi 0.0.0.0:1234
echo "VM-SERVER-EXIT $?"
poweroff -f
EOF
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$W/initrd.gz")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

boot_vm() {
  PORT=$(free_port)
  local qemu
  qemu=$(qemu_bin "$QEMU" "$QEMU_PKG")
  local datadir=()
  case "$qemu" in "$CACHE"/*) datadir=(-L "$CACHE/qemu/usr/share/qemu") ;; esac
  : > "$W/console.log"
  "$qemu" "${QEMU_ARGS[@]}" "${datadir[@]}" -nographic -no-reboot \
    -kernel "$KERNEL" -initrd "$W/initrd.gz" -append "console=$CONSOLE panic=-1 quiet" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:1234" \
    -device "$NIC,netdev=n0,romfile=" \
    > "$W/console.log" 2>&1 < /dev/null &
  QEMU_PID=$!
  local start=$SECONDS
  while ! grep -q "VM-READY" "$W/console.log"; do
    if ! kill -0 "$QEMU_PID" 2>/dev/null || [ $((SECONDS - start)) -gt 180 ]; then
      fail "$ARCH: boot" "$W/console.log"
      stop_vm
      return 1
    fi
    sleep 0.5
  done
  BOOT_SECONDS=$((SECONDS - start))
  LOOP_PID=$(grep -o 'VM-LOOP-PID [0-9]*' "$W/console.log" | awk '{print $2}')
  pass "$ARCH: booted in $BOOT_SECONDS s ($(grep -o 'VM-READY .*' "$W/console.log" | tr -d '\r'))"
}

stop_vm() {
  [ -n "${QEMU_PID:-}" ] || return 0
  local i
  for i in $(seq 1 40); do
    kill -0 "$QEMU_PID" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null
  fi
  wait "$QEMU_PID" 2>/dev/null
  QEMU_PID=""
}

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
  local workers
  workers=$(grep -c "in worker (" "$out/${S}threads.log")
  if [ "$workers" -eq 8 ]; then
    pass "$ARCH/threads: 8 backtraces through worker"
  else
    fail "$ARCH/threads: 8 backtraces through worker (saw $workers)" "$out/${S}threads.log"
  fi
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
  workers=$(grep -c "in worker (" "$out/${S}gcore-host.log")
  if [ "$workers" -eq 8 ]; then
    pass "$ARCH/${S}gcore-host: 8 backtraces through worker in the core"
  else
    fail "$ARCH/${S}gcore-host: 8 backtraces through worker in the core (saw $workers)" \
      "$out/${S}gcore-host.log"
  fi

  # The server's own backtraces (monitor backtrace all: CFI, frame
  # pointers, MIPS prologue scan) of the same stop: every worker thread's
  # stack reaches worker(), as gdb's did.
  gdb_session backtrace threads "break all_started" "run" "monitor backtrace all" "kill"
  expect backtrace "in all_started (" "in main ("
  workers=$(grep -c "in worker (" "$out/${S}backtrace.log")
  if [ "$workers" -eq 8 ]; then
    pass "$ARCH/${S}backtrace: 8 server-side backtraces through worker"
  else
    fail "$ARCH/${S}backtrace: 8 server-side backtraces through worker (saw $workers)" \
      "$out/${S}backtrace.log"
  fi

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

test_vm() {
  arch_setup "$1"
  say "$ARCH: building"
  local start=$SECONDS
  CROSS_BUILD_NO_INSTALL=1 "$REPO/scripts/cross-build.sh" "$TRIPLE" > "$W/build.log" 2>&1 ||
    { fail "$ARCH: cross build" "$W/build.log"; return; }
  SERVER="$CARGO_TARGET_DIR/$TRIPLE/release/rgdbserver"
  compile_programs
  fetch_guest
  build_initramfs
  say "$ARCH: prepared in $((SECONDS - start)) s"
  start=$SECONDS
  boot_vm || return
  # The crash report the guest printed before the server started: the
  # signal, and the crashing thread's stack by the server's own unwinder.
  check_crash_reports
  run_clients
  stop_vm
  if grep -q "VM-SERVER-EXIT 0" "$W/console.log"; then
    pass "$ARCH: monitor exit ended the server"
  else
    fail "$ARCH: monitor exit ended the server" "$W/console.log"
  fi
  say "$ARCH: VM and sessions took $((SECONDS - start)) s"
}

# Big-endian MIPS: no Debian kernel, so build the server and run the arch
# crate's unit tests (register byte order) under qemu-user.
test_mips_unit() {
  ARCH=mips
  W="$RUN/mips"
  mkdir -p "$W"
  say "mips: building"
  CROSS_BUILD_NO_INSTALL=1 "$REPO/scripts/cross-build.sh" mips > "$W/build.log" 2>&1 &&
    pass "mips: static big-endian binary built" || fail "mips: static big-endian binary built" "$W/build.log"
  say "mips: arch unit tests under qemu-mips-static"
  if RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TARGET_MIPS_UNKNOWN_LINUX_GNU_LINKER=mips-linux-gnu-gcc \
    CARGO_TARGET_MIPS_UNKNOWN_LINUX_GNU_RUNNER=qemu-mips-static \
    /usr/bin/cargo test --release --locked -p rgdbserver-arch --lib --target mips-unknown-linux-gnu \
    -Zbuild-std=std,panic_abort > "$W/unit.log" 2>&1; then
    pass "mips: $(grep -o 'test result: .*' "$W/unit.log" | tail -n 1 | cut -d';' -f1-2)"
  else
    fail "mips: arch unit tests under qemu-mips-static" "$W/unit.log"
  fi
}

# ---------------------------------------------------------------------------

host_packages() {
  local pkgs=(gdb-multiarch cpio python3) t
  local triples=()
  for t in "${targets[@]}"; do
    case "$t" in
      arm64) add_arch arm64; pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross); triples+=(aarch64) ;;
      mipsel) add_arch mipsel; pkgs+=(gcc-mipsel-linux-gnu libc6-dev-mipsel-cross); triples+=(mipsel) ;;
      mips64el) add_arch mips64el; pkgs+=(gcc-mips64el-linux-gnuabi64 libc6-dev-mips64el-cross); triples+=(mips64el) ;;
      mips-unit) pkgs+=(qemu-user-static); triples+=(mips) ;;
      *) die "unknown target $t (arm64, mipsel, mips64el, mips-unit)" ;;
    esac
  done
  # After a new foreign architecture, the package lists must know its packages.
  if [ -n "$need_update" ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  apt_install "${pkgs[@]}"
  # The Rust side: rustc-web, cargo-web, the arm64 std or rust-web-src.
  "$REPO/scripts/cross-build.sh" --install-only "${triples[@]}"
}

total_start=$SECONDS
host_packages
trap 'stop_vm' EXIT
for t in "${targets[@]}"; do
  case "$t" in
    mips-unit) test_mips_unit ;;
    *) test_vm "$t" ;;
  esac
done
say "all done in $((SECONDS - total_start)) s"
if [ "$failed" -gt 0 ]; then
  say "failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo "vm-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
