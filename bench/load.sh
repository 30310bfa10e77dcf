#!/usr/bin/env bash
# bench/load.sh: tensh and PyTorch (Debian's python3-torch, /usr/bin/python3)
# when another busy process shares the cores, as when two training runs go
# at once. Each side runs a mixed step in a loop (bench/load_tensh.lua,
# bench/load_torch.py): first alone, then two copies of itself at once. It
# prints the mean time per step, each copy's slowdown against running alone,
# and the ratio tensh / torch. A benchmark, not a test: it asserts nothing
# about time and exits 0 unless it cannot run.
#
#   bench/load.sh                      (about 20 s)
#   LOAD_SECONDS=5 bench/load.sh       seconds each loop runs (default 3)
#   BENCH_THREADS=1 bench/load.sh      threads per process (default: all cores)
#   TENSH=path/to/tensh bench/load.sh  bench that binary instead of build/tensh
#
# Two copies of one program, each with a thread per core, are the case to
# watch: OpenMP's threads spin for milliseconds before they sleep, and a
# parallel op ends only when its last thread has had a core.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

OUT=bench/out
PY=${BENCH_PYTHON:-/usr/bin/python3}
SECS=${LOAD_SECONDS:-3}
THREADS=${BENCH_THREADS:-$(nproc)}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
mkdir -p "$OUT"

if [ -z "${TENSH:-}" ]; then
  TENSH=build/tensh
  echo "load: building (make build)" >&2
  make --no-print-directory -s build >"$OUT/load_build.log" 2>&1 || { cat "$OUT/load_build.log" >&2; echo "load: build failed" >&2; exit 1; }
fi
[ -x "$TENSH" ] || { echo "load: no tensh binary at $TENSH" >&2; exit 1; }
sides="tensh"
[ -x "$PY" ] && "$PY" -c 'import torch' >/dev/null 2>&1 && sides="tensh torch"

cmd() { # side: the command line of one copy
  if [ "$1" = tensh ]; then echo "$TENSH bench/load_tensh.lua $SECS $THREADS"
  else echo "$PY bench/load_torch.py $SECS $THREADS"; fi
}

declare -A alone two
for side in $sides; do
  echo "load: $side alone, then two at once" >&2
  alone[$side]=$($(cmd "$side"))
  $(cmd "$side") >"$OUT/load_$side.1" & $(cmd "$side") >"$OUT/load_$side.2"; wait
  two[$side]=$(cat "$OUT/load_$side.1" "$OUT/load_$side.2" | awk '{ s += $1 } END { if (NR) printf "%.9f", s / NR }')
done

{
  echo "a step (add 4M floats, softmax (1024,1000), 256 matmul, relu 1M) on $(nproc --all) cores, $THREADS threads a process"
  printf '%-6s %12s %18s %10s\n' side alone "two at once, each" slowdown
  for side in $sides; do
    awk -v s="$side" -v a="${alone[$side]}" -v t="${two[$side]}" \
      'BEGIN { printf "%-6s %9.2f ms %15.2f ms %9.2fx\n", s, a * 1e3, t * 1e3, (a > 0 ? t / a : 0) }'
  done
  if [ "$sides" = "tensh torch" ]; then
    awk -v a="${alone[tensh]}" -v b="${alone[torch]}" -v c="${two[tensh]}" -v d="${two[torch]}" \
      'BEGIN { printf "tensh / torch: %.2fx alone, %.2fx two at once\n", a / b, c / d }'
  fi
} | tee "$OUT/load_report.txt"
exit 0
