#!/usr/bin/env bash
# End-to-end tests of rgdbserver on arm64 and MIPS, in qemu-system VMs.
#
#   scripts/vm-test.sh [arm64] [mipsel] [mips64el] [mips-unit]    (default: all four)
#
# ptrace does not work under qemu-user, so a foreign-architecture debugger can
# only be tested end to end under a real kernel. For each VM architecture this:
#   - builds the static rgdbserver (scripts/cross-build.sh),
#   - cross-compiles the C test programs in tests/programs statically with gcc,
#     and dynmain.c dynamically, with its two shared libraries,
#   - downloads Debian's kernel and busybox-static for that architecture
#     (apt-get download; cached), and packs an initramfs with busybox, the
#     network driver modules, rgdbserver and the programs, and the target's
#     dynamic loader and libc from Debian's libc6-ARCH-cross package,
#   - boots qemu-system once; the guest runs `rgdbserver --multi` and forwards
#     its port to 127.0.0.1 on the host (the guest reaches no network),
#   - runs gdb-multiarch 13.1 on the host, then gdb 18.1 when
#     RGDBSERVER_GDB18 names one (scripts/test-all.sh sets it), for several
#     extended-remote sessions:
#     breakpoints and backtraces, step/next/finish/stepi, registers read and
#     written, memory read and written and an 8 MiB dump compared, threads,
#     signals, attach and detach, exit codes, a core written by the server
#     (monitor gcore) opened on the host, a dynamically linked program
#     (dynamic-target: `set sysroot target:`, the libraries read through
#     vFile; dynamic-local: the cross package's directory as the sysroot),
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
      # Where nanosleep sleeps in libc (on 32-bit, the 64-bit time_t entry).
      SYSROOT=/usr/aarch64-linux-gnu; SLEEP_FN=clock_nanosleep
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
      SYSROOT=/usr/mipsel-linux-gnu; SLEEP_FN=__clock_nanosleep_time64
      KERNEL_META=linux-image-4kc-malta; QEMU=qemu-system-mipsel; QEMU_PKG=qemu-system-mips
      MODULES="mii pcnet32"
      QEMU_ARGS=(-M malta -cpu 24Kf -m 256 -vga none)
      NIC=pcnet; CONSOLE=ttyS0
      GPR=t1; FP_SET='set var $f2 = 1.5'; FP_GET='p $f2'; FP_WANT="= 1.5"
      REG_NAMES=(f31 fcsr fir restart cause)
      USR1=16; VCONT="vCont;c;C;t"; HW_WATCH=""; MTE="" ;;
    mips64el)
      TRIPLE=mips64el-unknown-linux-gnuabi64; CC=mips64el-linux-gnuabi64-gcc; DEB_ARCH=mips64el
      SYSROOT=/usr/mips64el-linux-gnuabi64; SLEEP_FN=clock_nanosleep
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
      # arch_prctl, rdpkru); dl.c is the x86_64 tests' (dlmopen, reloads);
      # dynmain.c and its libraries are built below, dynamically linked.
      regs | avx512 | pkru | exit_insn | dl | dllib | dynmain | dynlib) continue ;;
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
  # The dynamically linked program (the dynamic-* sessions): linked with
  # its own libdynlib.so, found in /t through its run path; libdllib.so
  # (dllib.c) is the library it dlopens.
  (cd "$REPO" && "$CC" -g -O0 -fPIC -shared -o "$W/progs/libdynlib.so" tests/programs/dynlib.c &&
    "$CC" -g -O0 -fPIC -shared -o "$W/progs/libdllib.so" tests/programs/dllib.c &&
    "$CC" -g -O0 -pthread -o "$W/progs/dynmain" tests/programs/dynmain.c -L"$W/progs" -ldynlib \
      -Wl,-rpath,/t) || die "$CC failed on the dynamic program"
}

# The target's dynamic loader, at the path the dynamic program names
# (PT_INTERP: /lib/ld-linux-aarch64.so.1, /lib/ld.so.1, /lib64/ld.so.1), and
# its libc (libpthread and libdl are empty stubs in glibc 2.34 and later,
# copied for programs that still name them) in /lib, where the loader looks:
# Debian's libc6-ARCH-cross files, laid out as under $SYSROOT, so that
# $SYSROOT also serves gdb as the board's local copy.
interp_of() {
  "${CC%gcc}readelf" -l "$1" | sed -n 's/.*program interpreter: \(.*\)]$/\1/p'
}

install_loader() {
  local root=$1 interp l
  interp=$(interp_of "$W/progs/dynmain")
  [ -n "$interp" ] && [ -f "$SYSROOT$interp" ] || die "no dynamic loader '$interp' under $SYSROOT"
  mkdir -p "$root$(dirname "$interp")"
  cp "$SYSROOT$interp" "$root$interp"
  for l in libc.so.6 libpthread.so.0 libdl.so.2; do
    cp "$SYSROOT/lib/$l" "$root/lib/"
  done
}

build_initramfs() {
  local root="$W/root" m
  mkdir -p "$root"/{bin,t,proc,sys,dev,tmp,lib/modules}
  cp "$GUEST/busybox/bin/busybox" "$root/bin/"
  cp "$SERVER" "$root/bin/rgdbserver"
  cp "$W"/progs/* "$root/t/"
  install_loader "$root"
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

# The sessions and their checks (gdb_session, expect, run_sessions,
# run_clients, the crash-report checks) live in vm-sessions.sh.
. "$REPO/scripts/vm-sessions.sh"

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
      arm64) add_arch arm64; pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross libc6-arm64-cross); triples+=(aarch64) ;;
      mipsel) add_arch mipsel; pkgs+=(gcc-mipsel-linux-gnu libc6-dev-mipsel-cross libc6-mipsel-cross); triples+=(mipsel) ;;
      mips64el) add_arch mips64el; pkgs+=(gcc-mips64el-linux-gnuabi64 libc6-dev-mips64el-cross libc6-mips64el-cross); triples+=(mips64el) ;;
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
