#!/usr/bin/env bash
# bench/train.sh: the main job's training, tensh against PyTorch side by side
# in one run: the same model, data, batch, optimizer and seed, one or more
# epochs each, printing epoch time, test accuracy and the ratio. PyTorch runs
# at its fastest setting on this machine, found in the same run: 1 or 2
# threads, OPENBLAS_NUM_THREADS=1 or unset (issue 5 measured the MLP fastest
# at 1 thread, LeNet-5 at 2 threads with OPENBLAS_NUM_THREADS=1). tensh runs
# at its default (all cores). A benchmark: it asserts nothing about time.
#   bench/train.sh [epochs=1] [models="mlp lenet"]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
EPOCHS=${1:-1}
MODELS=${2:-mlp lenet}
PY=${BENCH_PYTHON:-/usr/bin/python3}
TENSH=${TENSH:-build/tensh}
[ -x "$TENSH" ] || make --no-print-directory -s build >/dev/null || exit 1
torch_ok=0
"$PY" -c 'import torch' >/dev/null 2>&1 && torch_ok=1
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %5s  %10s %8s  %10s %8s  %7s  %s\n' model epoch "tensh s" "acc" "torch s" "acc" ratio "target"
for m in $MODELS; do
  tout=$("$TENSH" scripts/train_fmnist.lua --model "$m" --epochs "$EPOCHS" --save '' --plot '' 2>&1 |
         sed -n 's/^epoch \([0-9]*\): train loss [0-9.]*, test accuracy \([0-9.]*\)%, epoch time \([0-9.]*\)s$/\1 \3 \2/p')
  # PyTorch at each setting that can be its fastest here (threads 1 or 2,
  # OpenBLAS pinned to one thread or not); the fastest first epoch wins
  pout="" best="" psetting=""
  if [ "$torch_ok" = 1 ]; then
    for setting in "1 1" "1 -" "2 1" "2 -"; do
      read -r th ob <<<"$setting"
      if [ "$ob" = 1 ]; then out=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$th "$PY" bench/train_fmnist.py "$m" "$EPOCHS" "$th")
      else out=$(env -u OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$th "$PY" bench/train_fmnist.py "$m" "$EPOCHS" "$th"); fi
      t=$(echo "$out" | sed -n '1p' | cut -f2)
      [ -n "$t" ] || continue
      if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a < b)}'; then
        best=$t pout=$out psetting="torch at $th thread(s), OPENBLAS_NUM_THREADS=${ob/-/unset}"
      fi
    done
  fi
  [ -n "$psetting" ] && echo "$m: fastest PyTorch setting: $psetting"

  for e in $(seq 1 "$EPOCHS"); do
    read -r _ ts ta <<<"$(echo "$tout" | sed -n "${e}p")"
    read -r _ ps pa <<<"$(echo "$pout" | sed -n "${e}p")"
    ratio=n/a
    [ -n "${ts:-}" ] && [ -n "${ps:-}" ] && ratio=$(awk -v a="$ts" -v b="$ps" 'BEGIN{printf "%.2fx", a/b}')
    [ -n "${pa:-}" ] && pa=$(awk -v a="$pa" 'BEGIN{printf "%.2f%%", 100*a}')
    printf '%-6s %5s  %10s %8s  %10s %8s  %7s  %s\n' "$m" "$e" "${ts:-n/a}" "${ta:+$ta%}" "${ps:-n/a}" "${pa:-n/a}" "$ratio" "<= 0.6x"
  done
done
