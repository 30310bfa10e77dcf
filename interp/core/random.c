/* random.c: the generator's state (seed and offset of one Philox stream)
 * and the front end of the random ops: argument checks, dtypes, the
 * reservation of Philox blocks, and dispatch. The stream layout that makes
 * results independent of threads and devices is in random.h. randperm is the
 * one host algorithm here: a Fisher-Yates shuffle driven by the stream, as
 * PyTorch's CPU randperm is. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "create.h"
#include "random.h"

/* PyTorch's default CPU seed, so that an unseeded script repeats itself. */
#define TSH_DEFAULT_SEED 67280421310721ull

static uint64_t rng_seed = TSH_DEFAULT_SEED, rng_offset;

void tsh_rng_manual_seed(uint64_t seed)
{
    rng_seed = seed;
    rng_offset = 0;
}

uint64_t tsh_rng_seed(void)
{
    uint64_t s = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &s, sizeof s) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 32;
    }
    if (fd >= 0) close(fd);
    s &= INT64_MAX; /* a non-negative Lua integer */
    tsh_rng_manual_seed(s);
    return s;
}

uint64_t tsh_rng_initial_seed(void) { return rng_seed; }

void tsh_rng_get_state(uint64_t *seed, uint64_t *offset)
{
    *seed = rng_seed;
    *offset = rng_offset;
}

void tsh_rng_set_state(uint64_t seed, uint64_t offset)
{
    rng_seed = seed;
    rng_offset = offset;
}

/* Atomic, so that a loader thread drawing at the same time as the main one
 * never gets overlapping blocks (which thread gets which is then up to the
 * scheduler, of course). */
uint64_t tsh_rng_reserve(uint64_t blocks, uint64_t *seed)
{
    *seed = __atomic_load_n(&rng_seed, __ATOMIC_RELAXED);
    return __atomic_fetch_add(&rng_offset, blocks, __ATOMIC_RELAXED);
}

/* ---- checks ---- */

static tsh_status check_float(const char *op, tsh_dtype dt)
{
    if (tsh_dtype_is_float(dt)) return TSH_OK;
    return tsh_fail(TSH_ERR_DTYPE, "%s: dtype %s is not supported (expected float32, float64, float16 or bfloat16)",
                    op, tsh_dtype_name(dt));
}

static tsh_status check_size(const char *op, int ndim, const int64_t *shape)
{
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0)
            return tsh_fail(TSH_ERR_SHAPE, "%s: size of dimension %d must be non-negative, got %lld", op,
                            d + 1, (long long)shape[d]);
    return TSH_OK;
}

static tsh_status check_int_range(const char *op, tsh_dtype dt, int64_t low, int64_t high)
{
    if (low >= high)
        return tsh_fail(TSH_ERR_ARG, "%s: expected low < high, got low = %lld and high = %lld", op,
                        (long long)low, (long long)high);
    if (!tsh_dtype_holds_int(dt, low) || !tsh_dtype_holds_int(dt, high - 1))
        return tsh_fail(TSH_ERR_ARG, "%s: values in [%lld, %lld) do not all fit in dtype %s", op,
                        (long long)low, (long long)high, tsh_dtype_name(dt));
    return TSH_OK;
}

/* ---- the common path: reserve blocks, run the kernel on a contiguous
 * tensor of the compute dtype, copy back into t when t is not one ---- */

static tsh_status run_random(const char *name, tsh_op op, tsh_tensor *t, tsh_kargs *a, uint64_t range)
{
    int64_t n = tsh_numel(t);
    if (n == 0) return TSH_OK;
    for (int d = 0; d < t->ndim; d++) /* as PyTorch: no in-place draws into an expanded view */
        if (t->stride[d] == 0 && t->shape[d] > 1)
            return tsh_fail(TSH_ERR_ARG, "%s: cannot fill a tensor whose elements share memory "
                            "(dim %d is expanded); clone it first", name, d + 1);
    tsh_dtype cd = tsh_dtype_compute(t->dtype);
    tsh_tensor *o = NULL;
    if (tsh_is_contiguous(t) && cd == t->dtype) o = tsh_tensor_retain(t);
    else TSH_TRY(tsh_tensor_empty_like(t, cd, &o));
    uint64_t seed;
    a->out = o;
    a->i[1] = (int64_t)tsh_rng_reserve(tsh_rand_blocks(op, cd, range, n), &seed);
    a->i[0] = (int64_t)seed;
    tsh_status st = tsh_dispatch(op, a);
    if (st == TSH_OK && o != t) st = tsh_copy_(t, o);
    tsh_tensor_release(o);
    return st;
}

tsh_status tsh_uniform_(tsh_tensor *t, double lo, double hi)
{
    TSH_TRY(check_float("uniform_", t->dtype));
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo))
        return tsh_fail(TSH_ERR_ARG, "uniform_: from and to must be finite, got %.17g and %.17g", lo, hi);
    if (lo > hi)
        return tsh_fail(TSH_ERR_ARG, "uniform_: expected from <= to, got from = %.17g and to = %.17g", lo, hi);
    /* float16/bfloat16 draw as many bits as they hold: u is then exact */
    int bits = t->dtype == TSH_F16 ? 11 : t->dtype == TSH_BF16 ? 8 : 24;
    tsh_kargs a = {.f = {lo, hi}, .i = {0, 0, bits}};
    return run_random("uniform_", TSH_OP_RAND_UNIFORM, t, &a, 0);
}

tsh_status tsh_normal_(tsh_tensor *t, double mean, double std)
{
    TSH_TRY(check_float("normal_", t->dtype));
    if (!isfinite(mean) || !isfinite(std))
        return tsh_fail(TSH_ERR_ARG, "normal_: mean and std must be finite, got %.17g and %.17g", mean, std);
    if (std < 0) return tsh_fail(TSH_ERR_ARG, "normal_: expected std >= 0, got %.17g", std);
    tsh_kargs a = {.f = {mean, std}};
    return run_random("normal_", TSH_OP_RAND_NORMAL, t, &a, 0);
}

static tsh_status random_impl(const char *op, tsh_tensor *t, int64_t low, int64_t high)
{
    TSH_TRY(check_int_range(op, t->dtype, low, high));
    tsh_kargs a = {.i = {0, 0, low, high}};
    return run_random(op, TSH_OP_RANDINT, t, &a, (uint64_t)high - (uint64_t)low);
}

tsh_status tsh_random_(tsh_tensor *t, int64_t low, int64_t high)
{
    return random_impl("random_", t, low, high);
}

/* p as a contiguous float32/float64 tensor of t's shape, every value checked
 * to lie in [0, 1] (on the host: this is validation, not computation). */
static tsh_status prob_tensor(const char *op, tsh_tensor *t, tsh_tensor *p, tsh_tensor **out)
{
    tsh_tensor *ts[2] = {t, p}, *e = NULL, *c = NULL;
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    if (!tsh_dtype_is_float(p->dtype))
        return tsh_fail(TSH_ERR_DTYPE, "%s: probabilities must be a float tensor, got %s", op,
                        tsh_dtype_name(p->dtype));
    tsh_status st = tsh_expand(p, t->ndim, t->shape, &e);
    if (st != TSH_OK) {
        char a[128], b[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: probabilities of shape %s cannot be broadcast to shape %s", op,
                        tsh_shape_str(a, sizeof a, p->ndim, p->shape), tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    }
    tsh_dtype pd = p->dtype == TSH_F64 ? TSH_F64 : TSH_F32;
    st = tsh_tensor_empty_like(e, pd, &c);
    if (st == TSH_OK) st = tsh_copy_(c, e);
    tsh_tensor_release(e);
    if (st != TSH_OK) {
        tsh_tensor_release(c);
        return st;
    }
    if (c->storage->device.type == TSH_CPU) {
        int64_t n = tsh_numel(c);
        const char *d = tsh_data(c);
        for (int64_t i = 0; i < n; i++) {
            double v = pd == TSH_F64 ? ((const double *)d)[i] : ((const float *)d)[i];
            if (!(v >= 0 && v <= 1)) {
                tsh_tensor_release(c);
                return tsh_fail(TSH_ERR_ARG, "%s: probabilities must be in [0, 1], found %.9g", op, v);
            }
        }
    }
    *out = c;
    return TSH_OK;
}

static tsh_status bernoulli_impl(const char *op, tsh_tensor *t, tsh_tensor *p, double pf)
{
    tsh_kargs a = {.f = {pf}};
    if (!p) {
        if (!(pf >= 0 && pf <= 1))
            return tsh_fail(TSH_ERR_ARG, "%s: p must be in [0, 1], got %.17g", op, pf);
        return run_random(op, TSH_OP_BERNOULLI, t, &a, 0);
    }
    TSH_TRY(prob_tensor(op, t, p, &a.in[0]));
    tsh_status st = run_random(op, TSH_OP_BERNOULLI, t, &a, 0);
    tsh_tensor_release(a.in[0]);
    return st;
}

tsh_status tsh_bernoulli_(tsh_tensor *t, tsh_tensor *p, double pf)
{
    return bernoulli_impl("bernoulli_", t, p, pf);
}

/* ---- constructors ---- */

typedef tsh_status (*fill_fn)(const char *op, tsh_tensor *t, const void *ctx);

static tsh_status make(const char *op, int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev,
                       fill_fn fill, const void *ctx, tsh_tensor **out)
{
    TSH_TRY(check_size(op, ndim, shape));
    tsh_tensor *t;
    TSH_TRY(tsh_tensor_empty(ndim, shape, dt, dev, &t));
    tsh_status st = fill(op, t, ctx);
    if (st != TSH_OK) {
        tsh_tensor_release(t);
        return st;
    }
    *out = t;
    return TSH_OK;
}

static tsh_status fill_uniform(const char *op, tsh_tensor *t, const void *ctx)
{
    (void)op;
    (void)ctx;
    return tsh_uniform_(t, 0, 1);
}

static tsh_status fill_normal(const char *op, tsh_tensor *t, const void *ctx)
{
    (void)op;
    const double *ms = ctx;
    return tsh_normal_(t, ms[0], ms[1]);
}

static tsh_status fill_randint(const char *op, tsh_tensor *t, const void *ctx)
{
    const int64_t *lh = ctx;
    return random_impl(op, t, lh[0], lh[1]);
}

tsh_status tsh_rand(int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev, tsh_tensor **out)
{
    if (dt == TSH_DTYPE_AUTO) dt = TSH_DEFAULT_DTYPE;
    TSH_TRY(check_float("rand", dt));
    return make("rand", ndim, shape, dt, dev, fill_uniform, NULL, out);
}

tsh_status tsh_randn(int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev, tsh_tensor **out)
{
    if (dt == TSH_DTYPE_AUTO) dt = TSH_DEFAULT_DTYPE;
    TSH_TRY(check_float("randn", dt));
    static const double ms[2] = {0, 1};
    return make("randn", ndim, shape, dt, dev, fill_normal, ms, out);
}

tsh_status tsh_normal(double mean, double std, int ndim, const int64_t *shape, tsh_dtype dt,
                      tsh_device dev, tsh_tensor **out)
{
    if (dt == TSH_DTYPE_AUTO) dt = TSH_DEFAULT_DTYPE;
    TSH_TRY(check_float("normal", dt));
    if (std < 0) return tsh_fail(TSH_ERR_ARG, "normal: expected std >= 0, got %.17g", std);
    double ms[2] = {mean, std};
    return make("normal", ndim, shape, dt, dev, fill_normal, ms, out);
}

tsh_status tsh_randint(int64_t low, int64_t high, int ndim, const int64_t *shape, tsh_dtype dt,
                       tsh_device dev, tsh_tensor **out)
{
    if (dt == TSH_DTYPE_AUTO) dt = TSH_I64;
    TSH_TRY(check_int_range("randint", dt, low, high));
    int64_t lh[2] = {low, high};
    return make("randint", ndim, shape, dt, dev, fill_randint, lh, out);
}

tsh_status tsh_bernoulli(tsh_tensor *p, tsh_tensor **out)
{
    if (!tsh_dtype_is_float(p->dtype))
        return tsh_fail(TSH_ERR_DTYPE, "bernoulli: probabilities must be a float tensor, got %s",
                        tsh_dtype_name(p->dtype));
    tsh_tensor *t;
    TSH_TRY(tsh_tensor_empty_like(p, p->dtype, &t));
    tsh_status st = bernoulli_impl("bernoulli", t, p, 0);
    if (st != TSH_OK) {
        tsh_tensor_release(t);
        return st;
    }
    *out = t;
    return TSH_OK;
}

/* Compiled for AVX-512, AVX2 and the baseline, chosen at load time, as
 * kernels/cpu/iter.h's TSH_MULTIVERSION does for the kernels (the core does
 * not include kernel headers). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define PERM_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PERM_MULTIVERSION
#endif

#define PERM_BATCH 256 /* swaps whose positions are drawn together (even) */

/* The positions j of swaps m0 .. m0+cnt-1 of randperm(n) (m0 even): the
 * blocks' Philox rounds one lane per block, in registers, so that the lane
 * loop vectorises (as kernels/cpu/create.c's philox_batch); then j from
 * each 64-bit draw by multiply-shift, which has no vector form and stays
 * scalar (one mulx). */
PERM_MULTIVERSION
static void perm_draws(uint64_t seed, uint64_t base, int64_t m0, int64_t cnt, int64_t n, int64_t *j)
{
    enum { NB = PERM_BATCH / 2 };
    uint64_t x[PERM_BATCH];
    uint64_t first = base + (uint64_t)m0 / 2;
#pragma omp simd
    for (int l = 0; l < NB; l++) {
        tsh_philox_words b = tsh_philox_lane(seed, first + (uint64_t)l);
        x[2 * l] = b.w01;     /* swap 2l */
        x[2 * l + 1] = b.w23; /* swap 2l + 1 */
    }
    for (int64_t t = 0; t < cnt; t++)
        j[t] = (int64_t)tsh_rand_below64(x[t], (uint64_t)(n - (m0 + t)));
}

tsh_status tsh_randperm(int64_t n, tsh_dtype dt, tsh_device dev, tsh_tensor **out)
{
    if (dt == TSH_DTYPE_AUTO) dt = TSH_I64;
    if (n < 0) return tsh_fail(TSH_ERR_ARG, "randperm: n must be non-negative, got %lld", (long long)n);
    if (dt == TSH_BOOL || !tsh_dtype_holds_int(dt, n))
        return tsh_fail(TSH_ERR_ARG, "randperm: dtype %s cannot hold the values 1..%lld", tsh_dtype_name(dt),
                        (long long)n);
    tsh_tensor *p, *r = NULL;
    TSH_TRY(tsh_tensor_empty(1, &n, TSH_I64, tsh_cpu_device(), &p));
    int64_t *v = (int64_t *)tsh_data(p);
    for (int64_t i = 0; i < n; i++) v[i] = i + 1;
    /* Swap m (m = 0, 1, ...) exchanges position i = n-1-m with a uniform
     * j in [0, i], using element m of a 64-bit-layout draw (random.h).
     * The positions of a batch are drawn before its swaps: one Philox
     * block at a time, interleaved with the swaps, randperm(1M) took 13 ms
     * (torch 6.4, 1 thread); with vectorised draws 4.6 ms. (Prefetching
     * v[j] a few swaps ahead gained nothing measurable: the swaps of a
     * batch are independent, and out-of-order execution overlaps their
     * misses.) */
    uint64_t seed, base = tsh_rng_reserve(n > 1 ? (uint64_t)(n - 1 + 1) / 2 : 0, &seed);
    tsh_status st = TSH_OK;
    int64_t j[PERM_BATCH];
    enum { AHEAD = 64 };
    for (int64_t m0 = 0; m0 + 1 < n; m0 += PERM_BATCH) {
        if ((m0 & 0xffff) == 0 && (st = tsh_check_interrupt()) != TSH_OK) break;
        int64_t cnt = n - 1 - m0 < PERM_BATCH ? n - 1 - m0 : PERM_BATCH;
        perm_draws(seed, base, m0, cnt, n, j);
        for (int64_t t = 0; t < cnt; t++) {
            int64_t i = n - 1 - (m0 + t), tmp = v[i];
            v[i] = v[j[t]];
            v[j[t]] = tmp;
        }
    }
    if (st == TSH_OK && (dt != TSH_I64 || dev.type != TSH_CPU)) {
        st = tsh_tensor_empty(1, &n, dt, dev, &r);
        if (st == TSH_OK) st = tsh_copy_(r, p);
        tsh_tensor_release(p);
        p = r;
    }
    if (st != TSH_OK) {
        tsh_tensor_release(p);
        return st;
    }
    *out = p;
    return TSH_OK;
}
