#!/usr/bin/env bash
# setup.sh -- prepare GDB's own DejaGnu testsuite as a conformance judge.
#
# Owns the conformance cache directory:
#   ${RGDBSERVER_CONFORMANCE_DIR:-${CARGO_TARGET_DIR:-<repo>/target}/gdb-testsuite}
# and nothing else except, when they are missing, Debian packages and a
# deb-src entry for apt (both need root; sudo is used when not root).
#
#   1. installs dejagnu, expect, gdb, gdbserver (the GNU baseline server),
#      gcc, g++, make, dpkg-dev when missing;
#   2. fetches the source of the *installed* gdb package with
#      `apt-get source gdb=VERSION` (adding deb-src entries derived from the
#      existing apt sources if the archive's sources are not known yet) into
#      CACHE/src/gdb-UPSTREAM/;
#   3. configures only the testsuite (gdb itself is not built) into
#      CACHE/build-UPSTREAM/ and makes its site.exp;
#   4. writes CACHE/env.sh (TS_SRC, TS_BUILD, GDB_VERSION) for run.sh.
#
# Idempotent: a second run only checks and prints "ready".
# Tested on Debian 12 (bookworm), x86_64, whose gdb is 13.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${RGDBSERVER_CONFORMANCE_DIR:-${CARGO_TARGET_DIR:-$REPO/target}/gdb-testsuite}
QUIET=0
[ "${1:-}" = "-q" ] && QUIET=1

say() { [ "$QUIET" = 1 ] || echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 2; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot install packages"
  SUDO=(sudo)
fi
apt_get() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# ---- 1. packages -----------------------------------------------------------
PKGS=(dejagnu expect gdb gdbserver gcc g++ make dpkg-dev xz-utils)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
    missing+=("$p")
done
updated=0
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing: ${missing[*]}"
  apt_get update -qq
  updated=1
  apt_get install -y -qq "${missing[@]}" >/dev/null
fi

# ---- 2. gdb source of the installed gdb -----------------------------------
GDB_VERSION=$(dpkg-query -W -f='${Version}' gdb)        # e.g. 13.1-3
UPSTREAM=${GDB_VERSION#*:}                                # drop epoch
UPSTREAM=${UPSTREAM%-*}                                   # drop Debian revision
SRC=$CACHE/src/gdb-$UPSTREAM
BUILD=$CACHE/build-$UPSTREAM
mkdir -p "$CACHE/src"

# Add deb-src entries mirroring the configured deb entries (deb822 *.sources
# files and one-line sources.list), into one file of our own.
add_deb_src() {
  local out=/etc/apt/sources.list.d/rgdbserver-deb-src
  local tmp
  tmp=$(mktemp)
  shopt -s nullglob
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ "$f" = "$out.sources" ] && continue
    # Print each stanza whose Types include "deb", as a deb-src stanza.
    awk 'function flush() { if (isdeb && body != "") printf "Types: deb-src\n%s\n", body; body=""; isdeb=0 }
         /^[[:space:]]*$/ { flush(); next }
         /^Types:/ { if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) isdeb=1; next }
         /^#/ { next }
         { body = body $0 "\n" }
         END { flush() }' "$f" >> "$tmp"
  done
  shopt -u nullglob
  if [ -s "$tmp" ]; then
    "${SUDO[@]}" install -m 0644 "$tmp" "$out.sources"
  elif [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$tmp"
    "${SUDO[@]}" install -m 0644 "$tmp" "$out.list"
  else
    rm -f "$tmp"
    die "no apt sources found to derive deb-src entries from"
  fi
  rm -f "$tmp"
}

# Does apt know the source package of exactly the installed gdb?
have_src() { apt-cache showsrc gdb 2>/dev/null | grep -qxF "Version: $GDB_VERSION"; }

if [ ! -f "$SRC/gdb/testsuite/lib/gdb.exp" ]; then
  if ! have_src; then
    [ "$updated" = 1 ] || { apt_get update -qq; updated=1; }
    if ! have_src; then
      say "adding deb-src entries to apt"
      add_deb_src
      apt_get update -qq
    fi
  fi
  say "fetching gdb $GDB_VERSION source into $CACHE/src"
  stage=$(mktemp -d "$CACHE/src/.fetch.XXXXXX")
  # apt-get source runs dpkg-source, which unpacks and applies Debian's patches.
  ( cd "$stage" && apt-get source -qq --only-source "gdb=$GDB_VERSION" > fetch.log 2>&1 ) ||
    { cat "$stage/fetch.log" >&2; die "apt-get source gdb=$GDB_VERSION failed"; }
  [ -f "$stage/gdb-$UPSTREAM/gdb/testsuite/lib/gdb.exp" ] ||
    die "unexpected source layout in $stage (no gdb-$UPSTREAM/gdb/testsuite)"
  rm -rf "$SRC"
  mv "$stage/gdb-$UPSTREAM" "$SRC"
  rm -rf "$stage"
fi

# ---- 3. configure the testsuite only ---------------------------------------
if [ ! -f "$BUILD/site.exp" ] || [ ! -f "$BUILD/Makefile" ]; then
  say "configuring the testsuite in $BUILD"
  mkdir -p "$BUILD"
  ( cd "$BUILD" && "$SRC/gdb/testsuite/configure" > configure.log 2>&1 ) ||
    { tail -20 "$BUILD/configure.log" >&2; die "testsuite configure failed"; }
  make -s -C "$BUILD" site.exp > /dev/null
fi

# ---- 4. what run.sh needs ---------------------------------------------------
cat > "$CACHE/env.sh.tmp" <<EOF
# written by tests/gdb-testsuite/setup.sh
TS_SRC='$SRC/gdb/testsuite'
TS_BUILD='$BUILD'
GDB_VERSION='$GDB_VERSION'
EOF
mv "$CACHE/env.sh.tmp" "$CACHE/env.sh"
say "ready: gdb $GDB_VERSION testsuite in $CACHE"
