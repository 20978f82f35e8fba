#!/usr/bin/env bash
# machine-facts.sh -- print the facts of this machine that decide how the
# tests behave, so that a failure report says which machine it came from:
# the kernel, the CPU and the flags that change what gdb and the servers see
# (AVX-512 registers, PKU's pkru, CET shadow stacks), ptrace restrictions,
# cores, memory and load, and the versions of the clients and reference
# servers. Only reads; a tool that is not installed is printed as such.
set -uo pipefail

flags=$(awk -F': ' '/^flags/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
has_flag() { [[ " $flags " == *" $1 "* ]] && echo yes || echo no; }
version_of() {   # LABEL COMMAND...
  local label=$1 out
  shift
  if command -v "$1" >/dev/null 2>&1; then
    out=$("$@" 2>&1 | head -n 1)
    printf '  %-14s %s\n' "$label" "${out:-?}"
  else
    printf '  %-14s %s\n' "$label" "not installed"
  fi
}

echo "== machine"
printf '  %-14s %s\n' kernel "$(uname -srmv)"
printf '  %-14s %s\n' distribution "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
printf '  %-14s %s\n' cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
printf '  %-14s %s\n' cores "$(nproc)"
printf '  %-14s %s\n' memory "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
printf '  %-14s %s\n' load "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-14s avx=%s avx2=%s avx512f=%s pku=%s ospke=%s user_shstk=%s shstk=%s ibt=%s\n' "cpu flags" \
  "$(has_flag avx)" "$(has_flag avx2)" "$(has_flag avx512f)" "$(has_flag pku)" "$(has_flag ospke)" \
  "$(has_flag user_shstk)" "$(has_flag shstk)" "$(has_flag ibt)"
if [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
  printf '  %-14s %s\n' ptrace_scope "$(cat /proc/sys/kernel/yama/ptrace_scope)"
else
  printf '  %-14s %s\n' ptrace_scope "absent (no Yama LSM: ptrace limited only by uid and capabilities)"
fi
printf '  %-14s %s\n' user "$(id -un) (uid $(id -u))"
echo "== clients and reference servers"
version_of gdb gdb --version
version_of gdb-multiarch gdb-multiarch --version
version_of gdbserver gdbserver --version
version_of lldb lldb-16 --version
version_of runtest runtest --version
echo "== toolchains"
version_of rustc rustc --version
version_of cargo cargo --version
version_of gcc gcc --version
version_of qemu qemu-system-aarch64 --version
exit 0
