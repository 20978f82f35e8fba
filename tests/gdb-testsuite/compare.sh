#!/usr/bin/env bash
# compare.sh -- difference between two run.sh summaries, per (board, .exp)
# and in total; typically the recorded GNU gdbserver baseline against a run:
#
#   compare.sh [-a] [--areas LIST] BASE NEW
#
#   BASE, NEW   a summary.txt written by run.sh (or a results directory
#               holding one).  Only the counts per (board, .exp) are compared.
#   -a          print every (board, .exp) of NEW, not only those that differ
#   --areas LIST  also print totals per area, the areas being the
#               "# ---- AREA: description" section headers of the list file LIST
#               (e.g. lists/default.txt)
#
# Totals are taken over the (board, .exp) pairs of NEW that BASE has too, so a
# run of a sub-list (quick, ci) compares with the same pairs of the baseline.
# Exit status 0 (this is a report, not a verdict; run.sh --ci judges).
set -euo pipefail

ALL=0
AREAS=""
while [ $# -gt 0 ]; do
  case "$1" in
    -a) ALL=1; shift ;;
    --areas) AREAS=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
summ() { if [ -d "$1" ]; then echo "$1/summary.txt"; else echo "$1"; fi; }
BASE=$(summ "$1")
NEW=$(summ "$2")
[ -f "$BASE" ] || { echo "compare.sh: no $BASE" >&2; exit 2; }
[ -f "$NEW" ] || { echo "compare.sh: no $NEW" >&2; exit 2; }

# area of each .exp: "exp<TAB>area" (first section a .exp appears in)
areas_tsv=$(mktemp)
trap 'rm -f "$areas_tsv"' EXIT
if [ -n "$AREAS" ]; then
  awk '/^# ---- / { a=$0; sub(/^# ---- /, "", a); sub(/:.*$/, "", a); next }
       /^[[:space:]]*(#|$)/ { next }
       { if (!($1 in seen)) { seen[$1]=1; printf "%s\t%s\n", $1, (a == "" ? "other" : a) } }' \
    "$AREAS" > "$areas_tsv"
fi

# Rows of a summary.txt: board exp PASS FAIL XKF XP UNRES UNSUP UNTST ERR secs [note]
awk -v all="$ALL" -v bname="$(basename "$(dirname "$BASE")")/$(basename "$BASE")" \
    -v nname="$(basename "$(dirname "$NEW")")/$(basename "$NEW")" '
  function row(f) { return ($1 ~ /^native-/ && $2 ~ /\.exp$/ && NF >= 11) }
  FILENAME == ARGV[1] { split($0, t, "\t"); area[t[1]] = t[2]; if (!(t[2] in ao)) { ao[t[2]]=1; aorder[++na]=t[2] } next }
  FILENAME == ARGV[2] { if (row()) { k=$1 SUBSEP $2; bp[k]=$3; bf[k]=$4; bu[k]=$7; be[k]=$10; inb[k]=1 } next }
  row() {
    k=$1 SUBSEP $2; order[++n]=k; np[k]=$3; nf[k]=$4; nu[k]=$7; ne[k]=$10; note[k]=(NF >= 12 ? $12 : "")
  }
  function d(a, b) { return (b - a > 0 ? "+" : "") (b - a) }
  function line(label, a1, a2, b1, b2, c1, c2, e1, e2, extra) {
    printf "%-50s %6s %6s %6s  %5s %5s %5s  %5s %5s  %4s %4s  %s\n", \
      label, a1, a2, d(a1, a2), b1, b2, d(b1, b2), c1, c2, e1, e2, extra
  }
  END {
    printf "== %s (base) vs %s (new) ==\n", bname, nname
    printf "%-50s %6s %6s %6s  %5s %5s %5s  %5s %5s  %4s %4s\n", \
      "board .exp", "PASS", "new", "diff", "FAIL", "new", "diff", "UNRES", "new", "ERR", "new"
    for (i = 1; i <= n; i++) {
      k=order[i]; split(k, kk, SUBSEP)
      b=(kk[1] == "native-gdbserver" ? "N" : (kk[1] == "native-extended-gdbserver" ? "E" : kk[1]))
      label=b " " kk[2]
      if (!(k in inb)) {
        printf "%-50s %6s %6s %6s  %5s %5s %5s  %5s %5s  %4s %4s  %s\n", label, "-", np[k], "", "-", nf[k], "", "-", nu[k], "-", ne[k], "(not in base) " note[k]
        missing++
        continue
      }
      same=(bp[k] == np[k] && bf[k] == nf[k] && bu[k] == nu[k] && be[k] == ne[k])
      if (all || !same) line(label, bp[k], np[k], bf[k], nf[k], bu[k], nu[k], be[k], ne[k], note[k])
      tb[1]+=bp[k]; tb[2]+=bf[k]; tb[3]+=bu[k]; tb[4]+=be[k]
      tn[1]+=np[k]; tn[2]+=nf[k]; tn[3]+=nu[k]; tn[4]+=ne[k]
      bb=kk[1]; pb[bb,1]+=bp[k]; pb[bb,2]+=bf[k]; pb[bb,3]+=bu[k]; pb[bb,4]+=be[k]
      pn[bb,1]+=np[k]; pn[bb,2]+=nf[k]; pn[bb,3]+=nu[k]; pn[bb,4]+=ne[k]; boards[bb]=1; cnt++
      if (kk[2] in area) { a=area[kk[2]]; areas[a]=1
        ab[a,1]+=bp[k]; ab[a,2]+=bf[k]; ab[a,3]+=bu[k]; ab[a,4]+=be[k]
        an[a,1]+=np[k]; an[a,2]+=nf[k]; an[a,3]+=nu[k]; an[a,4]+=ne[k] }
    }
    print ""
    for (bb in boards)
      line("TOTAL " bb, pb[bb,1], pn[bb,1], pb[bb,2], pn[bb,2], pb[bb,3], pn[bb,3], pb[bb,4], pn[bb,4], "")
    line("TOTAL (" cnt " runs in both)", tb[1], tn[1], tb[2], tn[2], tb[3], tn[3], tb[4], tn[4], "")
    if (missing) printf "(%d runs of new are not in base and not in the totals)\n", missing
    if (length(areas) > 0) {
      print ""
      print "== per area (both boards) =="
      for (j = 1; j <= na; j++) if ((a = aorder[j]) in areas)
        line("area: " a, ab[a,1], an[a,1], ab[a,2], an[a,2], ab[a,3], an[a,3], ab[a,4], an[a,4], "")
    }
  }' "$areas_tsv" "$BASE" "$NEW"
