#!/usr/bin/env bash
# bench/nn_lenet.sh: LeNet-5's layers and the whole network (batch 64,
# Fashion-MNIST shapes) in tensh and in PyTorch, side by side, with the
# ratio tensh/torch (below 1: tensh is faster). A benchmark, not a test.
#   bench/nn_lenet.sh [THREADS=2] [REPS=50]
# TENSH_DNNL=0 runs tensh's convolutions on im2col + GEMM instead of oneDNN.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
T=${1:-2} R=${2:-50}
TENSH=${TENSH:-build/tensh} PY=${BENCH_PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=1
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
"$TENSH" bench/nn_lenet.lua "$T" "$R" >"$a" || exit 1
"$PY" bench/nn_lenet.py "$T" "$R" >"$b" || { echo "torch side failed (python3-torch?)"; cat "$a"; exit 0; }
printf "%-32s %10s %10s %7s   (%s threads, median of %s)\n" case "tensh ms" "torch ms" ratio "$T" "$R"
# backward alone: forward+backward minus forward, per side (not for the
# network, whose forward row runs under no_grad)
join -t $'\t' <(sort "$a") <(sort "$b") | sort -t $'\t' -k1,1 |
  awk -F'\t' '{ printf "%-32s %10.3f %10.3f %7.2f\n", $1, $2, $3, $2 / $3
                 n = $1; if (sub(/ fwd$/, "", n)) { f1[n] = $2; f2[n] = $3 }
                 n = $1; if (sub(/ fwd\+bwd$/, "", n)) { b1[n] = $2; b2[n] = $3 } }
               END { for (n in b1) if ((n in f1) && n != "LeNet") { x = b1[n] - f1[n]; y = b2[n] - f2[n]
                       printf "%-32s %10.3f %10.3f %7.2f\n", n " bwd", x, y, (y > 0 ? x / y : 0) } }'
