# bench/ops_torch.py: the PyTorch half of bench/ops.sh, case for case (and
# name for name) the same as bench/ops_tensh.lua. Prints "case<TAB>seconds"
# (median per call) or "case<TAB>na<TAB>why"; lines starting with "#" are
# notes. Asserts nothing.
# Usage: /usr/bin/python3 bench/ops_torch.py [THREADS]
#
# Dims and indices here are 0-based; the tensh half uses 1-based ones for the
# same case (sum(1) here is sum(2) there).
import gc
import statistics
import sys
import time

clock = time.perf_counter

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # no python3-torch: say so, and let tensh's side stand
    print(f"# na\tcannot import torch ({e})".replace("\n", " "), flush=True)
    sys.exit(0)

threads = int(sys.argv[1]) if len(sys.argv) > 1 else torch.get_num_threads()
torch.set_num_threads(threads)
print(f"# threads\t{torch.get_num_threads()}")
print(f"# version\t{torch.__version__}")

# The same adaptive repetitions as bench/ops_tensh.lua: WARM calls, then
# `inner` calls filling LOOP seconds, median per call over REPS loops.
REPS, LOOP, WARM = 7, 0.025, 2


def case(name, setup):
    """setup() makes the inputs and returns op(), one call of the case."""
    try:
        op = setup()

        def run(n):
            for _ in range(n):
                op()
        run(WARM)
        n = 1
        while True:  # calibrate: double n until a loop is long enough to time
            t0 = clock()
            run(n)
            dt = clock() - t0
            if dt >= LOOP / 4 or n >= 1 << 24:
                break
            n *= 2
        inner = max(1, int(LOOP * n / max(dt, 1e-9) + 0.5))
        per = []
        for _ in range(REPS):
            gc.collect()
            t0 = clock()
            run(inner)
            per.append((clock() - t0) / inner)
        print(f"{name}\t{statistics.median(per):.9g}", flush=True)
    except Exception as e:
        msg = str(e).split("\n")[0].replace("\t", " ")
        print(f"{name}\tna\t{msg}", flush=True)
    gc.collect()


M4 = 4 * 1024 * 1024
R, C = 4096, 1024


def const(f):
    """A setup for a case whose op needs only the shared inputs."""
    return lambda: f


def main():
    torch.manual_seed(0)
    x = torch.randn(M4)
    y = torch.randn(M4)
    xpos = x.abs() + 0.5
    xlog = x.abs() + 1
    xabs = x.abs()
    X = torch.randn(R, C)
    Y = torch.randn(R, C)

    # unary on 4M float32
    case("unary exp", const(lambda: x.exp()))
    case("unary log(abs+1)", const(lambda: xlog.log()))
    case("unary sqrt(abs)", const(lambda: xabs.sqrt()))
    case("unary sigmoid", const(lambda: x.sigmoid()))
    case("unary tanh", const(lambda: x.tanh()))
    case("unary gelu", const(lambda: F.gelu(x)))
    case("unary silu", const(lambda: F.silu(x)))
    case("unary relu", const(lambda: x.relu()))
    case("unary abs", const(lambda: x.abs()))
    case("unary neg", const(lambda: -x))
    case("unary floor", const(lambda: x.floor()))
    case("unary round", const(lambda: x.round()))
    case("unary sin", const(lambda: x.sin()))
    case("unary clamp(-0.5,0.5)", const(lambda: x.clamp(-0.5, 0.5)))

    # binary on 4M float32
    case("binary add", const(lambda: x + y))
    case("binary mul", const(lambda: x * y))
    case("binary div", const(lambda: x / xpos))
    case("binary pow(t,2.5)", const(lambda: xpos ** 2.5))
    case("binary pow(t,t)", const(lambda: xpos ** y))
    case("binary fmod", const(lambda: x.fmod(xpos)))
    case("binary remainder", const(lambda: x % xpos))
    case("binary floor_divide", const(lambda: x // xpos))
    case("binary eq", const(lambda: x.eq(y)))
    case("binary lt", const(lambda: x.lt(y)))

    def where():
        mask = x.gt(0)
        return lambda: torch.where(mask, x, y)
    case("binary where", where)

    def masked_fill():
        mask = y.gt(0)
        return lambda: x.masked_fill(mask, 0.0)
    case("binary masked_fill", masked_fill)

    def add_bcast():
        v = torch.randn(C)
        return lambda: X + v
    case("binary add bcast (4096x1024)+(1024)", add_bcast)

    def add_transposed():
        Bt = torch.randn(C, R).t()
        return lambda: X + Bt
    case("binary add transposed (4096x1024)", add_transposed)

    # reductions on (4096, 1024) float32
    case("reduce sum", const(lambda: X.sum()))
    case("reduce sum dim1", const(lambda: X.sum(0)))
    case("reduce sum dim2", const(lambda: X.sum(1)))
    case("reduce mean dim2", const(lambda: X.mean(1)))
    case("reduce max dim2 (values+indices)", const(lambda: X.max(1)))
    case("reduce argmax dim2", const(lambda: X.argmax(1)))
    case("reduce var dim2", const(lambda: X.var(1)))
    case("reduce std", const(lambda: X.std()))
    case("reduce norm", const(lambda: X.norm()))

    def prod():
        P = X * 0.001 + 1  # near 1: no overflow or underflow
        return lambda: P.prod(1)
    case("reduce prod dim2", prod)
    case("reduce cumsum dim2", const(lambda: X.cumsum(1)))

    def cumprod():
        P = X * 0.001 + 1
        return lambda: P.cumprod(1)
    case("reduce cumprod dim2", cumprod)
    case("reduce logsumexp dim2", const(lambda: X.logsumexp(1)))
    case("reduce softmax dim1", const(lambda: X.softmax(0)))
    case("reduce log_softmax dim2", const(lambda: X.log_softmax(1)))

    # any over all-false and all over all-true: the answer needs every element.
    def any_():
        B = X.ne(X)
        return lambda: B.any()
    case("reduce any (bool, all false)", any_)

    def all_():
        B = X.eq(X)
        return lambda: B.all()
    case("reduce all (bool, all true)", all_)

    # shape and copy
    def transpose_contig():
        T = X.t()
        return lambda: T.contiguous()
    case("shape transpose contiguous (4096x1024)", transpose_contig)

    def permute_contig():
        T = torch.randn(64, 128, 128)
        return lambda: T.permute(2, 0, 1).contiguous()
    case("shape permute(3,1,2) contiguous (64,128,128)", permute_contig)

    def halves():
        return torch.randn(2048, C), torch.randn(2048, C)

    def cat0():
        a, b = halves()
        return lambda: torch.cat([a, b], 0)
    case("shape cat dim1 2x(2048,1024)", cat0)

    def cat1():
        a, b = halves()
        return lambda: torch.cat([a, b], 1)
    case("shape cat dim2 2x(2048,1024)", cat1)

    def stack():
        a, b = halves()
        return lambda: torch.stack([a, b])
    case("shape stack 2x(2048,1024)", stack)
    case("shape flip dim2 (4096x1024)", const(lambda: X.flip(1)))

    def tile():
        T = torch.randn(1024, 1024)
        return lambda: T.repeat(2, 2)
    case("shape tile(2,2) (1024x1024)", tile)

    def tril():
        T = torch.randn(2048, 2048)
        return lambda: T.tril()
    case("shape tril (2048x2048)", tril)
    case("shape clone (4096x1024)", const(lambda: X.clone()))

    # indexing
    def index_select():
        idx = torch.randint(0, R, (1024,))
        return lambda: X.index_select(0, idx)
    case("index index_select rows (1024 of 4096)", index_select)

    def gather():
        idx = torch.randint(0, C, (R, C))
        return lambda: X.gather(1, idx)
    case("index gather dim2 (4096x1024)", gather)

    def scatter():
        idx = torch.randint(0, C, (R, C))
        return lambda: X.scatter(1, idx, Y)
    case("index scatter dim2 (4096x1024)", scatter)

    def masked_select():
        mask = Y.gt(0)
        return lambda: X.masked_select(mask)
    case("index masked_select (4096x1024)", masked_select)

    def sort():
        T = torch.randn(1024, 1024)
        return lambda: T.sort(1)
    case("index sort dim2 (1024x1024)", sort)
    case("index topk k=10 dim2 (4096x1024)", const(lambda: X.topk(10, 1)))
    case("index slice [:,2..512] contiguous", const(lambda: X[:, 1:512].contiguous()))

    # random
    case("random rand 4M", const(lambda: torch.rand(M4)))
    case("random randn 4M", const(lambda: torch.randn(M4)))
    case("random randint(0,100) 4M", const(lambda: torch.randint(0, 100, (M4,))))
    case("random randperm 1M", const(lambda: torch.randperm(1024 * 1024)))

    def bernoulli():
        p = torch.rand(M4)
        return lambda: p.bernoulli()
    case("random bernoulli 4M", bernoulli)
    case("random normal 4M", const(lambda: torch.normal(0.0, 1.0, size=(M4,))))

    # dtype conversion on 4M
    case("convert f32->f64", const(lambda: x.double()))
    case("convert f32->i64", const(lambda: x.long()))

    def i64_f32():
        v = torch.randint(-1000, 1000, (M4,))
        return lambda: v.float()
    case("convert i64->f32", i64_f32)
    case("convert f32->f16", const(lambda: x.half()))
    case("convert f32->bf16", const(lambda: x.bfloat16()))

    def f16_f32():
        h = x.half()
        return lambda: h.float()
    case("convert f16->f32", f16_f32)

    # linear algebra
    def mm(n):
        def setup():
            a, b = torch.randn(n, n), torch.randn(n, n)
            return lambda: a.mm(b)
        return setup
    case("linalg mm 64", mm(64))
    case("linalg mm 256", mm(256))

    def bmm():
        a, b = torch.randn(64, 128, 128), torch.randn(64, 128, 128)
        return lambda: a.bmm(b)
    case("linalg bmm (64,128,128)", bmm)

    def mv():
        v = torch.randn(C)
        return lambda: X.mv(v)
    case("linalg mv (4096x1024)", mv)
    case("linalg dot 4M", const(lambda: x.dot(y)))

    def outer():
        a, b = torch.randn(2048), torch.randn(2048)
        return lambda: torch.outer(a, b)
    case("linalg outer 2048", outer)

    def addmm():
        bias, a, b = torch.randn(512), torch.randn(512, 512), torch.randn(512, 512)
        return lambda: torch.addmm(bias, a, b)
    case("linalg addmm 512 (bias 512)", addmm)

    # more indexing, creation and reductions
    def masked_scatter():
        mask = X.gt(0)
        return lambda: X.masked_scatter(mask, Y)
    case("index masked_scatter (4096x1024)", masked_scatter)

    def nonzero():
        mask = X.gt(0)
        return lambda: mask.nonzero()
    case("index nonzero (4096x1024 bool)", nonzero)

    def index_fill():
        idx = torch.randint(0, R, (R,))
        return lambda: X.index_fill(0, idx, 0)
    case("index index_fill rows (4096 of 4096)", index_fill)

    case("create linspace 4M", const(lambda: torch.linspace(0, 1, M4)))
    case("reduce max (full)", const(lambda: X.max()))

    # nn.functional (forward)

    def cross_entropy():
        logits, target = torch.randn(4096, 1000), torch.randint(0, 1000, (4096,))
        return lambda: F.cross_entropy(logits, target)
    case("nn cross_entropy (4096x1000)", cross_entropy)

    def layer_norm():
        h, w, b = torch.randn(512, 1024), torch.randn(1024), torch.randn(1024)
        return lambda: F.layer_norm(h, (1024,), w, b)
    case("nn layer_norm (512x1024, weight, bias)", layer_norm)

    def adaptive():
        a = torch.randn(64, 32, 32, 32)
        return lambda: F.adaptive_avg_pool2d(a, 1)
    case("nn adaptive_avg_pool2d 1x1 (64,32,32,32)", adaptive)

    def avg_pool():
        a = torch.randn(64, 32, 32, 32)
        return lambda: F.avg_pool2d(a, 2)
    case("nn avg_pool2d 2 (64,32,32,32)", avg_pool)

    case("nn mse_loss (4096x1024)", const(lambda: F.mse_loss(X, Y)))

    # per-call overhead on small tensors
    def small_add():
        a, b = torch.randn(2), torch.randn(2)
        return lambda: a + b
    case("small a+b (2 elements)", small_add)

    def small_sum():
        s = torch.randn(100)
        return lambda: s.sum()
    case("small sum (100 elements)", small_sum)

    def small_view():
        s = torch.randn(2, 3, 4)
        return lambda: s.view(6, 4)
    case("small view (2,3,4)->(6,4)", small_view)

    def small_index():
        s = torch.randn(4, 4)
        return lambda: s[0]
    case("small t[1] (4x4)", small_index)


# Inference mode, as in bench/torch_bench.py: no graph bookkeeping per op.
with torch.no_grad():
    main()

# The process's CPU time, all threads: bench/ops.sh takes it from the
# machine's busy time to tell how much other work ran meanwhile.
print(f"# cpu\t{time.process_time()}")
