# bench/torch_bench.py: the PyTorch half of bench/run.sh, case for case the
# same as bench/tensh_bench.lua. Prints "case<TAB>key<TAB>value" lines for
# bench/report.lua; asserts nothing about time.
# Usage: /usr/bin/python3 bench/torch_bench.py THREADS
import gc
import statistics
import sys
import time

clock = time.perf_counter


def emit(case, key, value):
    print(f"{case}\t{key}\t{value}", flush=True)


try:
    import torch
except Exception as e:  # no python3-torch: say so, and let tensh's side stand
    emit("meta", "na", f"cannot import torch ({e})".replace("\n", " "))
    sys.exit(0)

threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
# "first": each case times its first call only (run.sh takes the median
# over several fresh processes)
first_only = len(sys.argv) > 2 and sys.argv[2] == "first"
torch.set_num_threads(threads)
emit("meta", "threads", torch.get_num_threads())
emit("meta", "version", torch.__version__)
emit("meta", "python", sys.executable)
with open("/proc/self/maps") as maps:
    for line in maps:
        path = line.split()[-1]
        if "openblas" in path or "libblas" in path or "mkl" in path:
            emit("meta", "blas", path.rsplit("/", 1)[0] + "/")
            break


def run_case(name, setup, reps, inner, warm, flops=None):
    """setup() makes the inputs and returns run(n), which calls the op n times
    and drops the results. Seconds per call: the very first call in this
    process, then median and min over `reps` loops of `inner` calls after
    `warm` untimed ones. gc runs between loops, outside the timing."""
    try:
        run = setup()
        t0 = clock()
        run(1)
        first = clock() - t0
        if first_only:
            emit(name, "first", first)
            return
        run(warm)
        per = []
        for _ in range(reps):
            gc.collect()
            t0 = clock()
            run(inner)
            per.append((clock() - t0) / inner)
        mid = statistics.median(per)
        emit(name, "first", first)
        emit(name, "median", mid)
        emit(name, "min", min(per))
        if flops:
            emit(name, "rate", flops / mid)
    except Exception as e:
        emit(name, "na", str(e).split("\n")[0])
    gc.collect()


M16 = 16 * 1024 * 1024
N = 1024


def tiny_add():
    a, b = torch.randn(2), torch.randn(2)

    def run(n):
        for _ in range(n):
            a + b
    return run


def add_alloc():
    a, b = torch.randn(M16), torch.randn(M16)

    def run(n):
        for _ in range(n):
            a + b
    return run


def add_inplace():
    a, b = torch.randn(M16), torch.randn(M16)

    def run(n):
        for _ in range(n):
            a.add_(b)
    return run


def softmax():
    x = torch.randn(4096, 1000)

    def run(n):
        for _ in range(n):
            x.softmax(-1)
    return run


def matmul():
    a, b = torch.randn(N, N), torch.randn(N, N)

    def run(n):
        for _ in range(n):
            a.matmul(b)
    return run


# Inference mode, as tensh has no autograd yet: no graph bookkeeping per op.
with torch.no_grad():
    run_case("tiny_add", tiny_add, 7, 50000, 1000)
    run_case("add_alloc", add_alloc, 7, 5, 2)
    run_case("add_inplace", add_inplace, 7, 5, 2)
    run_case("softmax", softmax, 7, 20, 3)
    run_case("matmul", matmul, 7, 5, 2, 2 * N * N * N)
