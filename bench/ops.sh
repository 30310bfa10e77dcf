#!/usr/bin/env bash
# bench/ops.sh: a broad per-op speed comparison of tensh against PyTorch
# (Debian's python3-torch, /usr/bin/python3) in one run: 94 cases (unary,
# binary, reductions, shape, indexing, random, dtype conversion, linalg,
# nn.functional forward, small-op overhead), one table of median times and ratios. A benchmark, not a
# test: it asserts nothing about time and exits 0 unless it cannot run.
#
#   bench/ops.sh                       (about a minute on 2 cores)
#   BENCH_THREADS=1 bench/ops.sh       threads for both sides (default: all cores)
#   TENSH=path/to/tensh bench/ops.sh   bench that binary instead of build/tensh
#   BENCH_PYTHON=python3 bench/ops.sh  another Python for the torch side
#
# The halves are bench/ops_tensh.lua and bench/ops_torch.py; their raw
# "case<TAB>seconds" lines go to bench/out/ops_tensh.txt and ops_torch.txt,
# the table to bench/out/ops_report.txt. Without torch the table has tensh's
# column only (scripts/deps.sh --bench installs python3-torch).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

OUT=bench/out
PY=${BENCH_PYTHON:-/usr/bin/python3}
THREADS=${BENCH_THREADS:-$(nproc)}
# Both sides' OpenMP pools and OpenBLAS read these at start; each script also
# sets its library's thread count. OPENBLAS_CORETYPE and the like are left as
# the environment has them, for both sides alike.
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
# (from here on nproc answers OMP_NUM_THREADS: the machine's cores are nproc --all)
mkdir -p "$OUT"
rm -f "$OUT"/ops_*.txt

if [ -z "${TENSH:-}" ]; then
  TENSH=build/tensh
  echo "ops: building (make build)" >&2
  make --no-print-directory -s build >"$OUT/ops_build.log" 2>&1 || { cat "$OUT/ops_build.log" >&2; echo "ops: build failed" >&2; exit 1; }
fi
[ -x "$TENSH" ] || { echo "ops: no tensh binary at $TENSH" >&2; exit 1; }

torch_ok=0
[ -x "$PY" ] && "$PY" -c 'import torch' >/dev/null 2>&1 && torch_ok=1

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "ops: $THREADS threads; load average $LOAD at start" >&2

# Other work on the machine skews every figure (a busy core makes a parallel
# op wait a whole scheduler slice for its last thread), so each half is run
# through half(), which appends "# others<TAB>P": the share of all cores that
# other processes used meanwhile (busy jiffies less the half's own CPU time,
# which each script prints as "# cpu").
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
half() { # FILE CMD...
  local file=$1 b0 t0 rc others; shift
  b0=$(busy); t0=$(date +%s.%N)
  "$@" >"$file"; rc=$?
  others=$(awk -F'\t' -v b="$(($(busy) - b0))" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$(date +%s.%N)" -v n="$(nproc --all)" '
    $1 == "# cpu" { own = $2 }
    END { o = (b / hz - own) / ((t1 - t0) * n); printf "%.0f", 100 * (o > 0 ? o : 0) }' "$file")
  printf '# others\t%s\n' "$others" >>"$file"
  return $rc
}

echo "ops: tensh" >&2
half "$OUT/ops_tensh.txt" "$TENSH" bench/ops_tensh.lua "$THREADS" || echo "ops: ops_tensh.lua failed (see above)" >&2
if [ "$torch_ok" = 1 ]; then
  echo "ops: torch" >&2
  half "$OUT/ops_torch.txt" "$PY" bench/ops_torch.py "$THREADS" || echo "ops: ops_torch.py failed (see above)" >&2
else
  echo "ops: torch does not import with $PY; tensh's figures only" >&2
  printf '# na\tcannot import torch with %s\n' "$PY" >"$OUT/ops_torch.txt"
fi
echo >&2

# The table: rows in tensh's order (then any torch-only case), ratio =
# tensh / torch, "<" marking a row where tensh is slower; then the n/a
# reasons and the slower rows, worst first.
awk -F'\t' -v threads="$THREADS" -v load="$LOAD" -v cores="$(nproc --all)" '
  function fmt(s) {
    if (s == "" || s == "na") return "n/a"
    if (s < 1e-3) return sprintf("%.2f us", s * 1e6)
    if (s < 0.1) return sprintf("%.2f ms", s * 1e3)
    return sprintf("%.0f ms", s * 1e3)
  }
  /^#/ { if ($1 == "# others") others[FILENAME ~ /torch/ ? "torch" : "tensh"] = $2
         if (FILENAME ~ /torch/ && $1 == "# version") ver = $2
         if (FILENAME ~ /torch/ && $1 == "# na") tna = $2
         next }
  NF < 2 { next }
  {
    side = (FILENAME ~ /torch/) ? "p" : "t"
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
    val[side, $1] = ($2 == "na") ? "na" : $2 + 0
    if ($2 == "na") why[++nw] = sprintf("  %s %s: %s", side == "t" ? "tensh" : "torch", $1, $3)
  }
  END {
    printf "tensh against torch %s, %s threads each; median per call\n", ver != "" ? ver : "(not available: " tna ")", threads
    printf "machine: %s cores, load average %s at start\n", cores, load
    printf "other processes used %s%% of the cores during tensh'"'"'s half, %s%% during torch'"'"'s", \
      others["tensh"] != "" ? others["tensh"] : "?", others["torch"] != "" ? others["torch"] : "?"
    printf "%s\n\n", (others["tensh"] + 0 > 5 || others["torch"] + 0 > 5) ? " (over 5%: figures skewed, run again)" : ""
    printf "%-46s %12s %12s %9s\n", "case", "tensh", "torch", "ratio"
    printf "%-46s %12s %12s %9s\n", "----", "-----", "-----", "-----"
    for (i = 1; i <= n; i++) {
      c = order[i]; t = val["t", c]; p = val["p", c]; r = ""; mark = ""
      if (t != "" && t != "na" && p != "" && p != "na" && p > 0) {
        r = sprintf("%.3fx", t / p)
        if (t / p > 1.0) { mark = " <"; slow[++ns] = sprintf("%.6f\t%s", t / p, c) }
      }
      printf "%-46s %12s %12s %9s%s\n", c, fmt(t), fmt(p), r == "" ? "n/a" : r, mark
    }
    print "(ratio = tensh / torch; < marks a case where tensh is slower)"
    if (nw > 0) { print "\nn/a rows:"; for (i = 1; i <= nw; i++) print why[i] }
    print "\nslower than torch, worst first:"
    if (ns == 0) print (ver != "" ? "  none" : "  n/a (no torch figures)")
    # insertion sort, largest ratio first
    for (i = 2; i <= ns; i++) { v = slow[i]; j = i - 1
      while (j > 0 && (slow[j] + 0) < (v + 0)) { slow[j + 1] = slow[j]; j-- }
      slow[j + 1] = v }
    for (i = 1; i <= ns; i++) { split(slow[i], f, "\t"); printf "  %7.3fx  %s\n", f[1], f[2] }
  }
' "$OUT/ops_tensh.txt" "$OUT/ops_torch.txt" | tee "$OUT/ops_report.txt"
exit 0
