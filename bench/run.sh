#!/usr/bin/env bash
# bench/run.sh: tensh against PyTorch (Debian's python3-torch, /usr/bin/python3)
# side by side in one run, printing a table of times and ratios. A benchmark,
# not a test: it asserts nothing about time and exits 0 unless it cannot run.
#
#   bench/run.sh                 (or: make bench)
#   BENCH_THREADS=1 bench/run.sh threads for both sides (default: all cores)
#   TENSH=path/to/tensh bench/run.sh   bench that binary instead of build/tensh
#   BENCH_PYTHON=python3 bench/run.sh  another Python for the torch side
#
# Raw figures go to bench/out/ (tensh.txt, torch.txt, startup.txt, report.txt).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

OUT=bench/out
PY=${BENCH_PYTHON:-/usr/bin/python3}
THREADS=${BENCH_THREADS:-$(nproc)}
# Both sides' OpenMP pools and OpenBLAS (either build) read this at start;
# each script also sets its library's thread count explicitly.
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.csv

if [ -z "${TENSH:-}" ]; then
  TENSH=build/tensh
  echo "bench: building (make build)" >&2
  make --no-print-directory -s build >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; echo "bench: build failed" >&2; exit 1; }
fi
[ -x "$TENSH" ] || { echo "bench: no tensh binary at $TENSH" >&2; exit 1; }

# PyTorch and hyperfine: install when missing (best effort; the bench goes on
# without them, and says so).
scripts/deps.sh --bench || echo "bench: python3-torch or hyperfine could not be installed; going on without" >&2
torch_ok=0
[ -x "$PY" ] && "$PY" -c 'import torch' >/dev/null 2>&1 && torch_ok=1

# Startup: the whole process, from exec to exit. Writes "side<TAB>min|median<TAB>s".
startup() { # side runs warmup cmd...
  local side=$1 runs=$2 warm=$3; shift 3
  if command -v hyperfine >/dev/null; then
    local csv="$OUT/startup_$side.csv" cmd
    printf -v cmd '%q ' "$@"
    hyperfine -N --style none --warmup "$warm" --runs "$runs" --export-csv "$csv" "$cmd" >/dev/null 2>&1 || return 0
    # command,mean,stddev,median,user,system,min,max: read from the end, as
    # the command itself may hold commas.
    tail -n 1 "$csv" | awk -F, -v s="$side" '{ printf "%s\tmin\t%s\n%s\tmedian\t%s\n", s, $(NF-1), s, $(NF-4) }'
  else
    local i t0 t1 ts=()
    for ((i = 0; i < warm; i++)); do "$@" >/dev/null 2>&1 || return 0; done
    for ((i = 0; i < runs; i++)); do
      t0=${EPOCHREALTIME/[.,]/}
      "$@" >/dev/null 2>&1 || return 0
      t1=${EPOCHREALTIME/[.,]/}
      ts+=($((t1 - t0)))
    done
    printf '%s\n' "${ts[@]}" | sort -n | awk -v s="$side" '
      { t[NR] = $1 / 1e6 }
      END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
            printf "%s\tmin\t%.6f\n%s\tmedian\t%.6f\n", s, t[1], s, m }'
  fi
}

echo "bench: $THREADS threads; startup" >&2
{
  printf 'meta\ttensh_version\t%s\n' "$("$TENSH" -v 2>&1 | head -n 1 | awk '{ print $2 }')"
  # Other work on the machine skews every figure: say how busy it was.
  printf 'meta\tmachine\t%s cores, load average %s at start\n' "$(nproc --all)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  if command -v hyperfine >/dev/null; then printf 'meta\ttool\thyperfine\n'; else printf 'meta\ttool\ta loop of runs (no hyperfine)\n'; fi
  startup tensh 100 5 "$TENSH" -e ''
  [ "$torch_ok" = 1 ] && startup torch 10 2 "$PY" -c 'import torch'
} >"$OUT/startup.txt"

echo "bench: tensh ops" >&2
"$TENSH" bench/tensh_bench.lua "$THREADS" >"$OUT/tensh.txt" || echo "bench: tensh_bench.lua failed (see above)" >&2
if [ "$torch_ok" = 1 ]; then
  echo "bench: torch ops" >&2
  "$PY" bench/torch_bench.py "$THREADS" >"$OUT/torch.txt" || echo "bench: torch_bench.py failed (see above)" >&2
elif [ -x "$PY" ]; then
  "$PY" bench/torch_bench.py "$THREADS" >"$OUT/torch.txt" 2>/dev/null # records why torch is missing
fi

# First calls: one sample of a microsecond is mostly noise (tensh's tiny
# add ranged 1.4-6.1 µs over 25 processes), so each side's first calls are
# timed again in FIRST_RUNS fresh processes, and the median over those
# replaces the main run's single figure (report.lua keeps a key's last line).
FIRST_RUNS=${BENCH_FIRST_RUNS:-9}
first_medians() { # FILE CMD...: run CMD FIRST_RUNS times, append per-case medians to FILE
  local file=$1 i; shift
  for ((i = 0; i < FIRST_RUNS; i++)); do "$@" 2>/dev/null; done |
    awk -F'\t' '$2 == "first" { v[$1, ++n[$1]] = $3; if (n[$1] == 1) order[++k] = $1 }
      END { for (j = 1; j <= k; j++) { c = order[j]; m = n[c]
              for (a = 2; a <= m; a++) { x = v[c, a]; b = a - 1
                while (b > 0 && v[c, b] + 0 > x + 0) { v[c, b + 1] = v[c, b]; b-- }
                v[c, b + 1] = x }
              printf "%s\tfirst\t%s\n", c, (m % 2) ? v[c, (m + 1) / 2] : (v[c, m / 2] + v[c, m / 2 + 1]) / 2 } }' >>"$file"
}
echo "bench: first calls, $FIRST_RUNS fresh processes a side" >&2
grep -q $'\tfirst\t' "$OUT/tensh.txt" 2>/dev/null && first_medians "$OUT/tensh.txt" "$TENSH" bench/tensh_bench.lua "$THREADS" first
[ "$torch_ok" = 1 ] && grep -q $'\tfirst\t' "$OUT/torch.txt" 2>/dev/null &&
  first_medians "$OUT/torch.txt" "$PY" bench/torch_bench.py "$THREADS" first
printf 'meta\tfirst_runs\t%s\n' "$FIRST_RUNS" >>"$OUT/tensh.txt"

echo >&2
"$TENSH" bench/report.lua "$OUT" | tee "$OUT/report.txt"
