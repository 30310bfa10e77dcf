#!/bin/sh
# startup.sh: how long tensh takes to start and to give a first result, next
# to PyTorch (Debian's python3-torch) in one hyperfine run, with the ratios.
# A benchmark, not a test: it prints figures and asserts nothing.
#   bench/startup.sh [path/to/tensh]      (default: build/tensh; or $TENSH)
# The first-result command is the issue's matmul + sum; where those ops are
# not built yet it falls back to an op that exists and says so.
set -eu
cd "$(dirname "$0")/.."
TENSH=${1:-${TENSH:-build/tensh}}
PY=/usr/bin/python3
[ -x "$TENSH" ] || { echo "no tensh at $TENSH: build first (cmake --build build)" >&2; exit 1; }
if ! command -v hyperfine >/dev/null 2>&1; then
  echo "hyperfine is missing: apt-get install hyperfine" >&2
  exit 1
fi
out=bench/out
mkdir -p "$out"

# The issue's command first; while matmul or sum are missing, the nearest
# command that this build can run (and the same in torch).
op_tensh=""
for pair in \
  "print(tensor.ones(64,64):matmul(tensor.ones(64,64)):sum())|print(torch.ones(64,64).matmul(torch.ones(64,64)).sum())" \
  "print(tensor.ones(64,64):matmul(tensor.ones(64,64)):numel())|print(torch.ones(64,64).matmul(torch.ones(64,64)).numel())" \
  "print(tensor.ones(64,64):clone():numel())|print(torch.ones(64,64).clone().numel())"; do
  t=${pair%%|*}
  if "$TENSH" -e "$t" >/dev/null 2>&1; then
    op_tensh=$t
    op_torch="import torch; ${pair#*|}"
    break
  fi
done
[ -n "$op_tensh" ] || { echo "tensh cannot run even tensor.ones(64,64):clone()" >&2; exit 1; }
case $op_tensh in
  *":sum()"*) ;;
  *) echo "note: matmul or sum is not in this build; timing $op_tensh instead" ;;
esac

have_torch=0
if [ -x "$PY" ] && "$PY" -c 'import torch' >/dev/null 2>&1; then have_torch=1; fi

set -- "lua5.4 -e ''" "$TENSH -e ''" "$TENSH -e '$op_tensh'"
names="lua5.4_empty tensh_empty tensh_first"
if [ $have_torch = 1 ]; then
  set -- "$@" "$PY -c 'import torch'" "$PY -c '$op_torch'"
  names="$names torch_import torch_first"
else
  echo "note: $PY cannot import torch (apt-get install python3-torch); tensh only"
fi
command -v lua5.4 >/dev/null 2>&1 || { shift; names=${names#lua5.4_empty }; }

hyperfine -N --warmup 3 --min-runs 10 --export-json "$out/startup.json" "$@" >"$out/startup.txt" 2>&1 || {
  cat "$out/startup.txt"
  exit 1
}

"$PY" - "$out/startup.json" $names <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
t = {n: r for n, r in zip(sys.argv[2:], res)}
def ms(n): return t[n]["mean"] * 1e3
def sd(n): return t[n]["stddev"] * 1e3
print("startup and first result (hyperfine, mean ± σ over %d+ runs):" % min(len(r["times"]) for r in res))
label = {"lua5.4_empty": "lua5.4 -e ''", "tensh_empty": "tensh -e ''",
         "tensh_first": "tensh first result", "torch_import": "python3 -c 'import torch'",
         "torch_first": "torch first result"}
for n in t:
    print("  %-28s %9.2f ms ± %.2f" % (label[n], ms(n), sd(n)))
print("ratios:")
if "lua5.4_empty" in t:
    print("  tensh -e '' / lua5.4 -e ''             %8.2fx" % (ms("tensh_empty") / ms("lua5.4_empty")))
if "torch_import" in t:
    print("  tensh -e '' / import torch             %8.4fx  (torch %.0fx slower)"
          % (ms("tensh_empty") / ms("torch_import"), ms("torch_import") / ms("tensh_empty")))
    print("  tensh first result / torch first result %7.4fx  (torch %.0fx slower)"
          % (ms("tensh_first") / ms("torch_first"), ms("torch_first") / ms("tensh_first")))
print("target: first result <= 10 ms: %s (%.2f ms)" % ("met" if ms("tensh_first") <= 10 else "MISSED", ms("tensh_first")))
EOF
