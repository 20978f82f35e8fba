#!/usr/bin/env bash
# Build a static release rgdbserver for another architecture, to copy to a board.
#
#   scripts/cross-build.sh TARGET...     TARGET: aarch64 | mipsel | mips | mips64el | all
#                                        (or the full Rust triple)
#   scripts/cross-build.sh --install-only TARGET...   only install the packages
#
# Uses Debian's Rust toolchain (rustc-web, cargo-web), never rustup's: rustup
# cannot fetch other targets' std here, and Debian's prebuilt arm64 std only
# matches Debian's own rustc. MIPS targets are tier 3 without a prebuilt std, so
# std is built from rust-web-src with -Zbuild-std. Installs the Debian packages
# it needs when they are missing (apt-get; root or sudo).
#
# Binaries land in $CARGO_TARGET_DIR/TRIPLE/release/rgdbserver
# (CARGO_TARGET_DIR defaults to target/ in the repository); the paths are
# printed at the end. Set CROSS_BUILD_NO_INSTALL=1 to skip the package step.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

triple_of() {
  case "$1" in
    aarch64 | arm64 | aarch64-unknown-linux-gnu) echo aarch64-unknown-linux-gnu ;;
    mipsel | mipsel-unknown-linux-gnu) echo mipsel-unknown-linux-gnu ;;
    mips | mips-unknown-linux-gnu) echo mips-unknown-linux-gnu ;;
    mips64el | mips64el-unknown-linux-gnuabi64) echo mips64el-unknown-linux-gnuabi64 ;;
    *) echo "unknown target: $1" >&2; usage ;;
  esac
}

# Debian architecture name, gcc triple prefix and whether std must be built.
debian_arch() {
  case "$1" in
    aarch64-*) echo arm64 ;;
    mipsel-*) echo mipsel ;;
    mips-*) echo mips ;;
    mips64el-*) echo mips64el ;;
  esac
}
gcc_prefix() {
  case "$1" in
    aarch64-*) echo aarch64-linux-gnu ;;
    mipsel-*) echo mipsel-linux-gnu ;;
    mips-*) echo mips-linux-gnu ;;
    mips64el-*) echo mips64el-linux-gnuabi64 ;;
  esac
}
needs_build_std() {
  case "$1" in
    mips*) return 0 ;;
    *) return 1 ;;
  esac
}

[ "$#" -gt 0 ] || usage
triples=()
install_only=""
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage ;;
    --install-only) install_only=1 ;;
    all) triples+=(aarch64-unknown-linux-gnu mipsel-unknown-linux-gnu mips-unknown-linux-gnu mips64el-unknown-linux-gnuabi64) ;;
    *) triples+=("$(triple_of "$arg")") ;;
  esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

install_packages() {
  local want=(rustc-web cargo-web)
  local t
  for t in "${triples[@]}"; do
    local prefix
    prefix=$(gcc_prefix "$t")
    want+=("gcc-$prefix" "libc6-dev-$(debian_arch "$t")-cross")
    if needs_build_std "$t"; then
      want+=(rust-web-src)
    else
      want+=("libstd-rust-web-dev:$(debian_arch "$t")")
    fi
  done
  local missing=() p
  for p in "${want[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "cross-build: installing ${missing[*]}"
  # Debian's prebuilt std for arm64 is an arm64 package.
  local p2
  for p2 in "${missing[@]}"; do
    case "$p2" in
      *:arm64)
        dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64 ;;
    esac
  done
  $SUDO apt-get update -qq
  # The arm64 std must be exactly the version of rustc-web.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove "${missing[@]}" >/dev/null
  if pkg_installed libstd-rust-web-dev:arm64; then
    local have want_v
    want_v=$(dpkg-query -W -f='${Version}' rustc-web)
    have=$(dpkg-query -W -f='${Version}' libstd-rust-web-dev:arm64)
    if [ "$have" != "$want_v" ]; then
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-remove \
        "rustc-web=$want_v" "libstd-rust-web-dev:arm64=$want_v" >/dev/null
    fi
  fi
}

[ -n "${CROSS_BUILD_NO_INSTALL:-}" ] || install_packages
[ -z "$install_only" ] || exit 0

export RUSTC=/usr/bin/rustc
CARGO=/usr/bin/cargo
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
built=()
for t in "${triples[@]}"; do
  prefix=$(gcc_prefix "$t")
  upper=$(echo "$t" | tr 'a-z-' 'A-Z_')
  export "CARGO_TARGET_${upper}_LINKER=$prefix-gcc"
  flags=(rustc --release --locked --target "$t" --bin rgdbserver)
  if needs_build_std "$t"; then
    flags+=(-Zbuild-std=std,panic_abort)
  fi
  echo "cross-build: $t"
  start=$SECONDS
  # Aliases for the versioned glibc symbols the libc crate asks for, which a
  # static link cannot otherwise resolve (see the file's comment).
  shim="$CARGO_TARGET_DIR/$t/glibc-static-shim.o"
  mkdir -p "$(dirname "$shim")"
  "$prefix-gcc" -O2 -c scripts/glibc-static-shim.c -o "$shim"
  # RUSTFLAGS apply to the target only (build scripts are built for the host
  # because --target is given): a fully static binary needs no libc on the
  # board. The shim goes to the final link only, with libc.a after it.
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C target-feature=+crt-static ${CROSS_RUSTFLAGS:-}" \
    "$CARGO" "${flags[@]}" -- \
    -C link-arg="$shim" -C link-arg=-Wl,-Bstatic -C link-arg=-lc
  bin="$CARGO_TARGET_DIR/$t/release/rgdbserver"
  echo "cross-build: $t done in $((SECONDS - start)) s: $bin"
  built+=("$bin")
done
for b in "${built[@]}"; do
  file "$b" 2>/dev/null || echo "$b"
done
