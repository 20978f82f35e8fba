#!/usr/bin/env bash
# run.sh -- run GDB's own DejaGnu testsuite (the .exp files of a list) against
# a gdbserver-compatible binary, with the installed /usr/bin/gdb as client, on
# the boards native-gdbserver (target remote) and native-extended-gdbserver
# (target extended-remote).  Owns the results directories under
# CACHE/results/ (CACHE: see setup.sh, which this script runs first).
#
# Usage:
#   run.sh [--ci] [-j N] [--known-failures FILE] [--results DIR] [SERVER] [LIST...]
#
#   SERVER  the server binary: a path, or "gnu" for /usr/bin/gdbserver.
#           Default: ${CARGO_TARGET_DIR:-<repo>/target}/release/rgdbserver.
#   LIST    any mix of: a list name (lists/NAME.txt: default, quick, ci,
#           flaky), a list file, or one .exp relative to gdb/testsuite
#           (e.g. gdb.base/break.exp).  Default: "default" ("ci" with --ci).
#           List format: one "EXP [BOARDS]" per line, '#' comments; BOARDS is
#           a comma list (N = native-gdbserver, E = native-extended-gdbserver);
#           without it the .exp runs on every board of $BOARDS.
#   --ci    regression mode: exit 1 on any FAIL, UNRESOLVED or ERROR not listed
#           in the known-failures file (default known-failures.txt here), and
#           on any .exp that timed out or left no gdb.sum (crash), unless the
#           referee excuses it: GNU gdbserver runs that (board, .exp) on this
#           machine, and only what GNU does better counts (see "the
#           same-machine referee" below).  Known failures that did not happen
#           are reported as fixed (no failure).
#   -j N    run N .exp files at once (also JOBS=N; default 1).
#
# Environment: BOARDS (default both boards), JOBS, EXP_TIMEOUT (wall-clock
# limit per .exp, default 300 s), GDB (default /usr/bin/gdb), RUNTESTFLAGS,
# GDBSERVER_DEBUG (passed through to the harness), BASELINE (summary to compare
# with; default baseline-gnu-gdbserver-13.1.txt here; "none" to skip),
# RGDBSERVER_CONFORMANCE_DIR (the cache), CI_RETRIES (--ci only: re-run an
# .exp with results that count against the server up to N more times and
# accept it if a re-run is clean, reporting it as FLAKY; default 0), REFEREE
# (--ci only: the reference server; default /usr/bin/gdbserver, "none" for no
# referee).
#
# Output: a PASS/FAIL/... table per (board, .exp) and totals, then the
# difference from the GNU gdbserver baseline, on stdout and in RESULTS/:
#   summary.txt, summary.tsv   the table (text / tab-separated)
#   compare.txt                difference from the baseline
#   results.tsv                every non-PASS result: board exp status name
#   ci.txt                     (--ci) the verdict: known failures, referee
#   judged.tsv, unexpected.tsv (--ci) each unlisted result with the referee's
#                              verdict; those that count against the server
#   referee/<board>/logs/...   (--ci) GNU gdbserver's runs
#   <board>/logs/<exp-without-.exp>/{gdb.sum,gdb.log,runtest.out}
# Exit status: 0, or 1 (--ci regression), or 2 (usage/setup error).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${RGDBSERVER_CONFORMANCE_DIR:-${CARGO_TARGET_DIR:-$REPO/target}/gdb-testsuite}
GDB=${GDB:-/usr/bin/gdb}
JOBS=${JOBS:-1}
EXP_TIMEOUT=${EXP_TIMEOUT:-300}
BOARDS=${BOARDS:-"native-gdbserver native-extended-gdbserver"}
BOARDS=${BOARDS//,/ }
RUNTESTFLAGS=${RUNTESTFLAGS:-}
CI_RETRIES=${CI_RETRIES:-0}
BASELINE=${BASELINE:-$HERE/baseline-gnu-gdbserver-13.1.txt}
KNOWN=$HERE/known-failures.txt
CI=0
RESULTS=""

die() { echo "run.sh: $*" >&2; exit 2; }
usage() { sed -n '/^# Usage:/,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# ---- arguments ---------------------------------------------------------------
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) CI=1; shift ;;
    -j) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
    -j*) JOBS=${1#-j}; shift ;;
    --known-failures) [ $# -ge 2 ] || usage; KNOWN=$2; shift 2 ;;
    --results) [ $# -ge 2 ] || usage; RESULTS=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "bad job count '$JOBS'"

SERVER=${CARGO_TARGET_DIR:-$REPO/target}/release/rgdbserver
if [ $# -gt 0 ]; then
  if [ "$1" = gnu ]; then
    SERVER=/usr/bin/gdbserver; shift
  elif [[ "$1" != *.exp && "$1" != *.txt ]] && [ -f "$1" ] && [ -x "$1" ]; then
    SERVER=$1; shift
  elif [[ "$1" == */* && "$1" != *.exp && "$1" != *.txt ]] && [ ! -e "$1" ]; then
    die "no such server binary '$1' (cargo build --release?)"
  fi
fi
case "$SERVER" in
  /*) ;;
  *) SERVER=$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER") ;;
esac
[ -x "$SERVER" ] && [ -f "$SERVER" ] || die "server binary '$SERVER' is not an executable file (cargo build --release?)"
case "$SERVER" in *[[:space:]]*) die "server path must not contain spaces" ;; esac
if [ $# -eq 0 ]; then
  if [ "$CI" = 1 ]; then set -- ci; else set -- default; fi
fi

# ---- the testsuite -------------------------------------------------------------
"$HERE/setup.sh"
# shellcheck source=/dev/null
. "$CACHE/env.sh"          # TS_SRC, TS_BUILD, GDB_VERSION
command -v runtest >/dev/null || die "runtest (dejagnu) not installed"

# ---- resolve the lists into "board<TAB>exp" pairs --------------------------------
PAIRS=()
LABELS=()
declare -A SEEN=()
add_entry() {   # EXP [BOARDLIST]
  local exp=${1#./} bl=${2:-} b tok out=""
  for tok in ${bl//,/ }; do
    case "$tok" in
      N) tok=native-gdbserver ;;
      E) tok=native-extended-gdbserver ;;
    esac
    out="$out,$tok"
  done
  bl=${out#,}
  if [ ! -f "$TS_SRC/$exp" ]; then
    # A typo in the CI list must not silently drop coverage.
    [ "$CI" = 1 ] && die "no such test $exp"
    echo "run.sh: warning: no such test $exp" >&2
    return 0
  fi
  for b in $BOARDS; do
    if [ -z "$bl" ] || [[ ",$bl," == *",$b,"* ]]; then
      [ -n "${SEEN[$b/$exp]:-}" ] && continue
      SEEN[$b/$exp]=1
      PAIRS+=("$b"$'\t'"$exp")
    fi
  done
}
read_list() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    # shellcheck disable=SC2086
    set -- $line
    [ $# -eq 0 ] && continue
    add_entry "$1" "${2:-}"
  done < "$1"
}
for arg in "$@"; do
  if [[ "$arg" == *.exp ]]; then
    add_entry "$arg"; LABELS+=("$arg")
  elif [ -f "$HERE/lists/$arg.txt" ]; then
    read_list "$HERE/lists/$arg.txt"; LABELS+=("$arg")
  elif [ -f "$arg" ]; then
    read_list "$arg"; LABELS+=("$(basename "$arg" .txt)")
  else
    die "unknown list '$arg' (not lists/$arg.txt, not a file, not an .exp)"
  fi
done
[ ${#PAIRS[@]} -gt 0 ] || die "empty test list"

# ---- results directory ---------------------------------------------------------------
RUNID=$(date +%Y%m%d-%H%M%S)-$$
if [ -z "$RESULTS" ]; then
  RESULTS=$CACHE/results/$RUNID-$(basename "$SERVER")-$(IFS=+; echo "${LABELS[*]}" | tr '/' '_')
fi
mkdir -p "$RESULTS" || die "cannot create $RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
printf '%s\n' "${PAIRS[@]}" > "$RESULTS/pairs.tsv"
for b in $BOARDS; do
  mkdir -p "$RESULTS/$b/logs"
  cp "$TS_BUILD/site.exp" "$RESULTS/$b/site.exp"
done

# Environment hygiene for gdb, the server and the test programs.
unset DEBUGINFOD_URLS GDBHISTFILE INSIDE_EMACS
export LC_ALL=C

{
  echo "server:  $SERVER"
  echo "gdb:     $GDB ($("$GDB" --version | head -1)); testsuite $GDB_VERSION"
  echo "boards:  $BOARDS"
  echo "lists:   ${LABELS[*]} (${#PAIRS[@]} board/.exp runs)"
  echo "jobs:    $JOBS"
  echo "results: $RESULTS"
  echo "started: $(date -Is)"
} | tee "$RESULTS/run-info.txt"

# ---- kill what one .exp left behind ------------------------------------------------------
# Every process a test starts inherits CONFORMANCE_TAG=<tag of that test>;
# after the test, the ones still alive (not zombies) are logged and killed.
kill_tagged() {   # TAG LOGFILE -> prints the number of real leftovers
  local tag=$1 log=$2 e p st cmd pids=() nreal=0
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}; p=${p%/environ}
    [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
    grep -qzxF "CONFORMANCE_TAG=$tag" "$e" 2>/dev/null || continue
    st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
    [ "$st" = Z ] && continue
    pids+=("$p")
    cmd=$(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline") || true
    case "$cmd" in
      "sleep "*|"sh -c exec > /dev/null"*) continue ;;   # DejaGnu's delayed-kill helpers
    esac
    nreal=$((nreal + 1))
    echo "pid=$p state=$st comm=$(cat "/proc/$p/comm" 2>/dev/null) cmd=$cmd" >> "$log"
  done
  [ ${#pids[@]} -eq 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true
  echo "$nreal"
}

count() { local n; n=$(grep -c "^$1: " "$2" 2>/dev/null) || true; echo "${n:-0}"; }

# ---- run one (board, .exp) -------------------------------------------------------------
# run_exp runs one .exp with one server in one results root (ROOT/BOARD holds
# the board's site.exp; runtest's outputs land beside it) and writes
# LOGDIR/row.tsv; run_one is it for the server under test.
run_exp() {   # SERVER ROOT BOARD EXP LOGDIR TAG NOTE
  local server=$1 root=$2 board=$3 exp=$4 logdir=$5 tag=$6 extra=$7 t0 t1 rc sum note left
  rm -rf "$logdir"
  mkdir -p "$logdir"
  t0=$(date +%s.%N)
  rc=0
  # shellcheck disable=SC2086
  ( cd "$root/$board" &&
    exec env CONFORMANCE_TAG="$tag" timeout -k 15 "$EXP_TIMEOUT" \
      runtest --tool gdb GDB="$GDB" GDBSERVER="$server" GDB_PARALLEL=yes \
        --target_board="$board" --outdir="$logdir" $RUNTESTFLAGS "$exp" \
      > "$logdir/runtest.out" 2>&1 < /dev/null ) || rc=$?
  t1=$(date +%s.%N)
  left=$(kill_tagged "$tag" "$logdir/leftovers.txt")
  sum=$logdir/gdb.sum
  note=""
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then note="TIMEOUT(${EXP_TIMEOUT}s)"; fi
  [ -f "$sum" ] || note="${note:+$note,}NO-SUM"
  [ "$left" = 0 ] || note="${note:+$note,}killed-$left-leftover"
  [ -z "$extra" ] || note="${note:+$note,}$extra"
  printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%s\n' \
    "$board" "$exp" \
    "$(count PASS "$sum")" "$(count FAIL "$sum")" \
    "$(( $(count XFAIL "$sum") + $(count KFAIL "$sum") ))" \
    "$(( $(count XPASS "$sum") + $(count KPASS "$sum") ))" \
    "$(count UNRESOLVED "$sum")" "$(count UNSUPPORTED "$sum")" \
    "$(count UNTESTED "$sum")" "$(count ERROR "$sum")" \
    "$(count WARNING "$sum")" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$note" > "$logdir/row.tsv"
  awk -F"\t" \
    '{printf "  done %-26s %-44s P=%s F=%s UR=%s E=%s %ss %s\n",$1,$2,$3,$4,$7,$10,$12,$13}' \
    "$logdir/row.tsv"
}

run_one() {   # BOARD EXP [ATTEMPT]
  local board=$1 exp=$2 attempt=${3:-0} logdir extra=""
  logdir=$RESULTS/$board/logs/${exp%.exp}
  [ "$attempt" = 0 ] || { logdir=$logdir.retry$attempt; extra=retry$attempt; }
  run_exp "$SERVER" "$RESULTS" "$board" "$exp" "$logdir" "$RUNID/$board/${exp%.exp}/$attempt" "$extra"
}

# Results of one (board, .exp) log dir, one per line:
#   board<TAB>exp<TAB>STATUS<TAB>name
# where name is the test name without the "EXP: " prefix and without the
# " (timeout)"-style suffixes gdb adds, so a timeout matches a plain FAIL, and
# with the source and results paths (the referee's too) written <src>, <out>.
# STATUSES is an ERE of the statuses to print (default: every non-PASS one).
results_of() {   # BOARD EXP LOGDIR [STATUSES]
  [ -f "$3/gdb.sum" ] || return 0
  awk -v b="$1" -v x="$2" -v src="$TS_SRC" -v out="$RESULTS" -v ref="$RESULTS/referee" \
      -v re="^(${4:-FAIL|UNRESOLVED|ERROR|XFAIL|KFAIL|XPASS|KPASS|UNSUPPORTED|UNTESTED}): " '
    $0 ~ re {
      st=$1; sub(/:$/, "", st)
      name=$0; sub(/^[A-Z]+: /, "", name)
      if (index(name, x ": ") == 1) name=substr(name, length(x) + 3)
      sub(/ \((timeout|eof|GDB internal error|the program exited|the program is no longer running)\)$/, "", name)
      gsub(/[[:space:]]+$/, "", name)
      while ((i = index(name, src)) > 0) name=substr(name, 1, i-1) "<src>" substr(name, i+length(src))
      while ((i = index(name, ref)) > 0) name=substr(name, 1, i-1) "<out>" substr(name, i+length(ref))
      while ((i = index(name, out)) > 0) name=substr(name, 1, i-1) "<out>" substr(name, i+length(out))
      printf "%s\t%s\t%s\t%s\n", b, x, st, name
    }' "$3/gdb.sum"
}

# Unexpected results of one (board, .exp) log dir against the known failures;
# prints them (board exp STATUS name), or "board exp TIMEOUT/NO-SUM".
unexpected_of() {   # BOARD EXP LOGDIR
  local board=$1 exp=$2 dir=$3 note
  note=$(cut -f13 "$dir/row.tsv")
  case ",$note," in
    *,TIMEOUT*) printf '%s\t%s\tTIMEOUT\t(the whole .exp hit EXP_TIMEOUT=%ss)\n' "$board" "$exp" "$EXP_TIMEOUT" ;;
  esac
  case ",$note," in
    *,NO-SUM,*) printf '%s\t%s\tNO-SUM\t(runtest left no gdb.sum: crashed?)\n' "$board" "$exp" ;;
  esac
  results_of "$board" "$exp" "$dir" |
    awk -F'\t' 'FILENAME == ARGV[1] { known[$1 FS $2 FS $3]=1; next }
                ($3=="FAIL" || $3=="UNRESOLVED" || $3=="ERROR") && !(($1 FS $2 FS $4) in known)' \
      "$KNOWN_TSV" -
}

# The known-failures file as board<TAB>exp<TAB>name lines (boards expanded).
parse_known() {   # FILE
  awk -v boards="$BOARDS" '
    BEGIN { nb = split(boards, all, " ") }
    { sub(/\r$/, "") }
    /^[[:space:]]*(#|$)/ { next }
    {
      line=$0
      # the reason follows the last " -- "
      cut=0; s=line
      while ((i = index(s, " -- ")) > 0) { cut += i + 3; s = substr(s, i + 4) }
      if (cut == 0) { printf "known-failures.txt:%d: no \" -- reason\"\n", NR > "/dev/stderr"; bad=1; next }
      head=substr(line, 1, cut - 4)
      n=split(head, f, " ")
      if (n < 3) { printf "known-failures.txt:%d: want BOARD EXP NAME -- reason\n", NR > "/dev/stderr"; bad=1; next }
      board=f[1]; ex=f[2]
      name=head; sub(/^[[:space:]]*[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+/, "", name)
      gsub(/[[:space:]]+$/, "", name)
      if (board == "N") board="native-gdbserver"
      else if (board == "E") board="native-extended-gdbserver"
      if (board == "*") { for (k = 1; k <= nb; k++) printf "%s\t%s\t%s\n", all[k], ex, name }
      else printf "%s\t%s\t%s\n", board, ex, name
    }
    END { exit bad }' "$1"
}

KNOWN_TSV=$RESULTS/known.tsv
: > "$KNOWN_TSV"
if [ "$CI" = 1 ]; then
  [ -f "$KNOWN" ] || die "no known-failures file $KNOWN"
  parse_known "$KNOWN" > "$KNOWN_TSV" || die "malformed $KNOWN"
fi

# ---- --ci: the same-machine referee ----------------------------------------------------
# A result the known-failures file does not list is counted against the server
# under test only where GNU gdbserver ($REFEREE, the Debian package setup.sh
# installs), run on the same .exp and board on this machine, does better.
# Machines differ (kernel, CPU features, packages, load), so a verdict made
# against results recorded elsewhere would not hold. Per unexpected result:
#   a test name        counts ("ours") when GNU PASSes it, or when GNU's run was
#                      clean (nothing unexpected) and never reported that name;
#                      excused when GNU fails it too (FAIL, UNRESOLVED, ERROR,
#                      XFAIL, KFAIL), or when GNU's own run went wrong and never
#                      reached it
#   TIMEOUT, NO-SUM    excused only when GNU's run timed out / crashed too
# GNU runs each such (board, .exp) once, into RESULTS/referee/. REFEREE=none
# turns the referee off: then every unexpected result counts.
REFEREE=${REFEREE:-/usr/bin/gdbserver}
if [ "$CI" = 1 ] && [ "$REFEREE" != none ]; then
  [ -x "$REFEREE" ] || die "referee '$REFEREE' is not an executable (REFEREE=none to run without)"
  for b in $BOARDS; do
    mkdir -p "$RESULTS/referee/$b/logs"
    cp "$TS_BUILD/site.exp" "$RESULTS/referee/$b/site.exp"
  done
fi
referee_dir() { echo "$RESULTS/referee/$1/logs/${2%.exp}"; }   # BOARD EXP

# Our unexpected results in LOGDIR, judged: prints
#   board<TAB>exp<TAB>STATUS<TAB>name<TAB>ours|excused<TAB>why
judge_of() {   # BOARD EXP LOGDIR
  local board=$1 exp=$2 dir=$3 gnu gnunote clean
  unexpected_of "$board" "$exp" "$dir" > "$dir/unexpected.tsv"
  [ -s "$dir/unexpected.tsv" ] || return 0
  if [ "$REFEREE" = none ] || [ "$REFEREE" -ef "$SERVER" ]; then
    awk -F'\t' -v OFS='\t' '{ print $0, "ours", "no referee" }' "$dir/unexpected.tsv"
    return 0
  fi
  gnu=$(referee_dir "$board" "$exp")
  if [ ! -f "$gnu/row.tsv" ]; then
    echo "  referee $board $exp: GNU gdbserver runs it" >&2
    run_exp "$REFEREE" "$RESULTS/referee" "$board" "$exp" "$gnu" "$RUNID/referee/$board/${exp%.exp}" referee >&2
  fi
  gnunote=$(cut -f13 "$gnu/row.tsv")
  results_of "$board" "$exp" "$gnu" 'PASS|FAIL|UNRESOLVED|ERROR|XFAIL|KFAIL' > "$gnu/judged-by.tsv"
  clean=1
  [ -z "$(unexpected_of "$board" "$exp" "$gnu")" ] || clean=0
  awk -F'\t' -v OFS='\t' -v gnunote=",$gnunote," -v clean="$clean" '
    FILENAME == ARGV[1] { if ($3 == "PASS") pass[$4]=1; else if (!($4 in fail)) fail[$4]=$3; next }
    $3 == "TIMEOUT" {
      if (gnunote ~ /,TIMEOUT/) print $0, "excused", "GNU gdbserver timed out too"
      else print $0, "ours", "GNU gdbserver finished"
      next }
    $3 == "NO-SUM" {
      if (gnunote ~ /,NO-SUM,/) print $0, "excused", "GNU gdbserver left no gdb.sum either"
      else print $0, "ours", "GNU gdbserver left a gdb.sum"
      next }
    $4 in fail { print $0, "excused", "GNU gdbserver: " fail[$4]; next }
    $4 in pass { print $0, "ours", "GNU gdbserver passes it"; next }
    clean      { print $0, "ours", "GNU gdbserver ran clean and never reported it"; next }
               { print $0, "excused", "GNU gdbserver went wrong before it" }' \
    "$gnu/judged-by.tsv" "$dir/unexpected.tsv"
}
counts_against() { awk -F'\t' '$5 == "ours"' "$1/judged.tsv"; }   # LOGDIR

run_pair() {   # BOARD EXP: run; in --ci mode judge, and retry while something counts
  local board=$1 exp=$2 a=0 dir=$RESULTS/$1/logs/${2%.exp} last
  run_one "$board" "$exp" 0
  [ "$CI" = 1 ] || return 0
  judge_of "$board" "$exp" "$dir" > "$dir/judged.tsv"
  last=$dir
  while [ "$a" -lt "$CI_RETRIES" ] && [ -n "$(counts_against "$last")" ]; do
    a=$((a + 1))
    echo "  retry $board $exp (attempt $a): had unexpected results GNU gdbserver does not share"
    run_one "$board" "$exp" "$a"
    last=$dir.retry$a
    judge_of "$board" "$exp" "$last" > "$last/judged.tsv"
    if [ -z "$(counts_against "$last")" ]; then
      echo "$board $exp" >> "$RESULTS/flaky.txt"
      return 0
    fi
  done
}

T0=$(date +%s)
running=0
for pair in "${PAIRS[@]}"; do
  board=${pair%%$'\t'*}; exp=${pair#*$'\t'}
  if [ "$JOBS" -le 1 ]; then
    run_pair "$board" "$exp"
  else
    run_pair "$board" "$exp" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
  fi
done
wait
T1=$(date +%s)

# ---- summary --------------------------------------------------------------------------
{
  printf 'board\texp\tPASS\tFAIL\tXFAIL/KFAIL\tXPASS/KPASS\tUNRESOLVED\tUNSUPPORTED\tUNTESTED\tERROR\tWARNING\tsecs\tnote\n'
  for pair in "${PAIRS[@]}"; do
    board=${pair%%$'\t'*}; exp=${pair#*$'\t'}
    cat "$RESULTS/$board/logs/${exp%.exp}/row.tsv"
  done
} > "$RESULTS/summary.tsv"

for pair in "${PAIRS[@]}"; do
  board=${pair%%$'\t'*}; exp=${pair#*$'\t'}
  results_of "$board" "$exp" "$RESULTS/$board/logs/${exp%.exp}"
done > "$RESULTS/results.tsv"

{
  awk -F'\t' -v wall=$((T1 - T0)) '
    BEGIN {
      printf "%-26s %-44s %5s %4s %4s %3s %5s %5s %5s %3s %5s  %s\n", \
        "board","test","PASS","FAIL","XKF","XP","UNRES","UNSUP","UNTST","ERR","secs","note"
    }
    NR == 1 { next }
    {
      if (!($1 in seen)) { seen[$1]=1; order[++nb]=$1 }
      printf "%-26s %-44s %5s %4s %4s %3s %5s %5s %5s %3s %5s  %s\n", \
        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $13
      for (i = 3; i <= 12; i++) { tot[$1,i] += $i; all[i] += $i }
      n[$1]++
    }
    END {
      print ""
      for (k = 1; k <= nb; k++) { b=order[k]
        printf "%-71s %5d %4d %4d %3d %5d %5d %5d %3d %5d\n", \
          "TOTAL " b " (" n[b] " files)", tot[b,3], tot[b,4], tot[b,5], tot[b,6], \
          tot[b,7], tot[b,8], tot[b,9], tot[b,10], tot[b,12] }
      printf "%-71s %5d %4d %4d %3d %5d %5d %5d %3d %5d\n", \
        "TOTAL (wall " wall "s)", all[3], all[4], all[5], all[6], all[7], all[8], all[9], all[10], all[12]
    }' "$RESULTS/summary.tsv"
  echo
  echo "XKF = expected/known failures (XFAIL+KFAIL), XP = XPASS+KPASS"
  echo "results: $RESULTS"
} | tee "$RESULTS/summary.txt"

if [ "$BASELINE" != none ] && [ -f "$BASELINE" ]; then
  echo
  "$HERE/compare.sh" --areas "$HERE/lists/default.txt" "$BASELINE" "$RESULTS/summary.txt" |
    tee "$RESULTS/compare.txt"
fi

[ "$CI" = 1 ] || exit 0

# ---- --ci: the known-failures verdict ---------------------------------------------------
status=0
{
  echo
  echo "== known-failures check ($KNOWN) =="
  : > "$RESULTS/judged.tsv"
  for pair in "${PAIRS[@]}"; do
    board=${pair%%$'\t'*}; exp=${pair#*$'\t'}
    dir=$RESULTS/$board/logs/${exp%.exp}
    last=$dir
    for d in "$dir".retry*; do [ -d "$d" ] && last=$d; done
    # A retried .exp counts by its last attempt; all attempts are kept.
    cat "$last/judged.tsv" >> "$RESULTS/judged.tsv"
  done
  awk -F'\t' -v OFS='\t' '$5 == "ours" { print $1, $2, $3, $4, $6 }' "$RESULTS/judged.tsv" > "$RESULTS/unexpected.tsv"
  nexp=$(awk -F'\t' 'FILENAME == ARGV[1] { known[$1 FS $2 FS $3]=1; next }
                     ($3=="FAIL"||$3=="UNRESOLVED"||$3=="ERROR") && (($1 FS $2 FS $4) in known)' \
           "$KNOWN_TSV" "$RESULTS/results.tsv" | wc -l)
  echo "expected (listed) failures seen: $nexp"
  # Listed failures of (board, .exp) pairs that ran to completion but did not fail.
  awk -F'\t' '
      FILENAME == ARGV[1] { ran[$1 FS $2]=1; next }
      FILENAME == ARGV[2] { if (($1 FS $2) in ran) want[$0]=1; next }
      ($3=="FAIL"||$3=="UNRESOLVED"||$3=="ERROR") { seen[$1 FS $2 FS $4]=1 }
      END { for (k in want) if (!(k in seen)) { split(k, a, FS); printf "  %s %s %s\n", a[1], a[2], a[3] } }' \
      "$RESULTS/pairs.tsv" "$KNOWN_TSV" "$RESULTS/results.tsv" | sort > "$RESULTS/fixed.txt"
  if [ -s "$RESULTS/fixed.txt" ]; then
    echo "listed failures that did not happen (fixed? remove them from the list):"
    cat "$RESULTS/fixed.txt"
  fi
  if [ -s "$RESULTS/flaky.txt" ]; then
    echo "FLAKY: unexpected results that a re-run did not repeat (see *.retry*/):"
    sed 's/^/  /' "$RESULTS/flaky.txt"
  fi
  # Per refereed (board, .exp): both servers' rows and what was excused.
  if [ -d "$RESULTS/referee" ]; then
    find "$RESULTS/referee" -name row.tsv | sort | while IFS= read -r row; do
      board=$(cut -f1 "$row"); exp=$(cut -f2 "$row")
      dir=$RESULTS/$board/logs/${exp%.exp}
      last=$dir
      for d in "$dir".retry*; do [ -d "$d" ] && last=$d; done
      echo "referee: $board $exp"
      awk -F'\t' '{ printf "    %-22s P=%s F=%s UR=%s E=%s %ss %s\n", FNR != NR ? "GNU gdbserver" : "rgdbserver" (FILENAME ~ /\.retry[0-9]+\/row.tsv$/ ? " (last retry)" : ""), $3, $4, $7, $10, $12, $13 }' \
        "$last/row.tsv" "$row"
      awk -F'\t' -v OFS='\t' '
        { n[$5]++; if (n[$5] <= 5) ex[$5] = ex[$5] sprintf("      %s %s: %s\n", $3, $4, $6) }
        END { for (v in n) printf "    %s: %d\n%s%s", (v == "ours" ? "counted against us" : "excused by the referee"), n[v], ex[v], (n[v] > 5 ? "      ...\n" : "") }' \
        "$last/judged.tsv"
    done
  fi
  nexc=$(awk -F'\t' '$5 == "excused"' "$RESULTS/judged.tsv" | wc -l)
  echo "unexpected results excused by the referee (GNU gdbserver on this machine fails them too): $nexc"
  if [ -s "$RESULTS/unexpected.tsv" ]; then
    echo "UNEXPECTED ($(wc -l < "$RESULTS/unexpected.tsv")): not in the known-failures file, and GNU gdbserver does better:"
    awk -F'\t' '{ printf "  %s %s %s: %s (%s)\n", ($1=="native-gdbserver"?"N":($1=="native-extended-gdbserver"?"E":$1)), $2, $3, $4, $5 }' \
      "$RESULTS/unexpected.tsv"
    echo "Fix the server; only a cause outside it that is stable on every machine of this kind"
    echo "belongs in $KNOWN, as 'BOARD EXP NAME -- reason'."
    echo "CONFORMANCE: FAILED"
  else
    echo "CONFORMANCE: OK (no FAIL/UNRESOLVED/ERROR, timeout or crash that is neither listed nor shared by GNU gdbserver here)"
  fi
} | tee "$RESULTS/ci.txt"
[ -s "$RESULTS/unexpected.tsv" ] && status=1
exit "$status"
