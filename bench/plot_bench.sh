#!/usr/bin/env bash
# bench/plot_bench.sh: the plot module against matplotlib (Debian's
# python3-matplotlib, /usr/bin/python3) in one run: a 100k-point line plot
# and a 28x28x64 image grid, each rendered and saved to PNG by a fresh
# process, so start-up and import count. Prints the median wall time of each
# side, their ratio, and each side's own split (import, render+save).
# A benchmark, not a test: it asserts nothing about time.
#
#   bench/plot_bench.sh            (RUNS=7 by default)
#   TENSH=path/to/tensh RUNS=11 bench/plot_bench.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

TENSH=${TENSH:-build/tensh}
PY=${BENCH_PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-7}
OUT=bench/out/plot
mkdir -p "$OUT"
[ -x "$TENSH" ] || { echo "plot_bench: no tensh binary at $TENSH (build first)" >&2; exit 1; }
mpl_ok=1
"$PY" -c 'import matplotlib' >/dev/null 2>&1 || { mpl_ok=0; echo "plot_bench: no matplotlib for $PY (apt-get install python3-matplotlib); tensh only" >&2; }

now() { date +%s.%N; }

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# run SIDE WORKLOAD: RUNS fresh processes; prints "wall import render" medians
run() {
  local side=$1 work=$2 i t0 t1 line walls=() imps=() rens=()
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    if [ "$side" = tensh ]; then
      line=$("$TENSH" bench/plot_bench.lua "$work" "$OUT/$work-tensh.png") || return 1
    else
      line=$("$PY" bench/plot_bench.py "$work" "$OUT/$work-mpl.png") || return 1
    fi
    t1=$(now)
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
    imps+=("$(echo "$line" | awk '{print $2}')")
    rens+=("$(echo "$line" | awk '{print $3}')")
  done
  printf '%s %s %s\n' \
    "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${imps[@]}" | median)" \
    "$(printf '%s\n' "${rens[@]}" | median)"
}

printf '%-22s %10s %10s %10s   %s\n' "workload (median of $RUNS)" "total s" "import s" "draw+save" "side"
for work in line grid; do
  read -r tw ti tr < <(run tensh "$work") || { echo "plot_bench: tensh failed on $work" >&2; exit 1; }
  printf '%-22s %10.3f %10.4f %10.4f   %s\n' "$work" "$tw" "$ti" "$tr" "tensh"
  if [ "$mpl_ok" = 1 ]; then
    read -r mw mi mr < <(run mpl "$work") || { echo "plot_bench: matplotlib failed on $work" >&2; exit 1; }
    printf '%-22s %10.3f %10.4f %10.4f   %s\n' "$work" "$mw" "$mi" "$mr" "matplotlib"
    printf '%-22s %9.1fx %10s %9.1fx   %s\n' "" "$(awk -v a="$mw" -v b="$tw" 'BEGIN {print a / b}')" \
      "" "$(awk -v a="$mr" -v b="$tr" 'BEGIN {print a / b}')" "matplotlib / tensh (higher: tensh faster)"
  fi
done
echo "images: $OUT/{line,grid}-{tensh,mpl}.png"
