/* test_kernels_create.c: the construction and random kernels. Philox against
 * Random123's published known answers; every random op, fast against
 * reference, bit for bit (same seed and offset), over random shapes, dtypes
 * and layouts, including broadcast probabilities, empty and 0-dim tensors;
 * the same numbers for 1 and 2 threads; offsets advanced as random.h says;
 * arange/linspace/logspace/eye fast against reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "kcheck.h"
#include "random.h"

static void test_philox_kat(void)
{
    /* Random123 tests/kat_vectors, "philox4x32 10": counter, key, answer */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
         0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        uint32_t out[4];
        tsh_philox4x32_10(kat[v], kat[v] + 4, out);
        KC_CHECK(memcmp(out, kat[v] + 6, sizeof out) == 0, "philox KAT %d: got %08x %08x %08x %08x", v,
                 out[0], out[1], out[2], out[3]);
    }
    /* Seed 0, offset 0: block 0 is the first vector, so rand(4) must be its
     * four words' top 24 bits, on both backends (the fast one has its own
     * batched rounds). */
    for (int ref = 1; ref >= 0; ref--) {
        kc_use_ref(ref);
        tsh_rng_manual_seed(0);
        int64_t n = 4;
        tsh_tensor *t = NULL;
        KC_CHECK(tsh_rand(1, &n, TSH_F32, tsh_cpu_device(), &t) == TSH_OK, "rand: %s", tsh_errmsg());
        if (!t) continue;
        const float *f = (const float *)tsh_data(t);
        for (int k = 0; k < 4; k++)
            KC_CHECK(f[k] == (float)(kat[0][6 + k] >> 8) * 0x1.0p-24f && f[k] == tsh_rand_unit_f32(kat[0][6 + k], 24), "%s rand[%d] from KAT block: %.9g",
                     ref ? "ref" : "cpu", k, f[k]);
        tsh_tensor_release(t);
    }
}

static const tsh_dtype float_dts[] = {TSH_F32, TSH_F64, TSH_F16, TSH_BF16};
static const tsh_dtype all_dts[] = {TSH_BOOL, TSH_U8, TSH_I32, TSH_I64, TSH_F16, TSH_BF16, TSH_F32, TSH_F64};

typedef enum { R_UNIFORM, R_NORMAL, R_RANDINT, R_BERNOULLI, R_BERNOULLI_T, R_KINDS } rkind;
static const char *const rnames[] = {"uniform_", "normal_", "random_", "bernoulli_", "bernoulli_(p)"};

typedef struct {
    double lo, hi;    /* uniform / normal parameters */
    int64_t ilo, ihi; /* randint range */
    tsh_tensor *p;    /* bernoulli probabilities */
} rparams;

static tsh_status apply(rkind k, tsh_tensor *t, const rparams *pr)
{
    switch (k) {
    case R_UNIFORM: return tsh_uniform_(t, pr->lo, pr->hi);
    case R_NORMAL: return tsh_normal_(t, pr->lo, pr->hi);
    case R_RANDINT: return tsh_random_(t, pr->ilo, pr->ihi);
    case R_BERNOULLI: return tsh_bernoulli_(t, NULL, pr->lo);
    default: return tsh_bernoulli_(t, pr->p, 0);
    }
}

/* How far the fast kernel may be from the reference: exact, but for normal,
 * whose log, sin and cos come from libmvec in the one and scalar libm in the
 * other (random.h): a few ulps apart in double, which is an ulp of a
 * narrower dtype now and then. atol covers mean + std * z cancelling. */
static void tolerance(rkind k, tsh_dtype dt, const rparams *pr, double *rtol, double *atol)
{
    *rtol = *atol = 0;
    if (k != R_NORMAL) return;
    *rtol = dt == TSH_F64 ? 0x1p-46 : dt == TSH_F32 ? 0x1p-23 : dt == TSH_F16 ? 0x1p-10 : 0x1p-7;
    *atol = 0x1p-40 * fabs(pr->hi);
}

/* An integer range [lo, hi) that dt holds, now and then wider than 2^32. */
static void int_range(tsh_dtype dt, int64_t *lo, int64_t *hi)
{
    switch (dt) {
    case TSH_BOOL: *lo = 0, *hi = 2; return;
    case TSH_U8: *lo = kc_randint(0, 100), *hi = *lo + kc_randint(1, 155); return;
    case TSH_BF16: *lo = -kc_randint(0, 256), *hi = kc_randint(1, 257); return;
    case TSH_F16: *lo = -kc_randint(0, 2048), *hi = kc_randint(1, 2049); return;
    case TSH_I64:
        if (kc_uniform() < 0.3) { *lo = INT64_MIN + kc_randint(0, 9), *hi = INT64_MAX - kc_randint(0, 9); return; }
        if (kc_uniform() < 0.5) { *lo = -((int64_t)1 << 40), *hi = (int64_t)1 << 41; return; }
        /* fall through */
    default: *lo = kc_randint(-1000, 1000), *hi = *lo + kc_randint(1, 1 << 20); return;
    }
}

/* Runs op k on a fresh view (dtype dt, layout lay) with the state (seed, off)
 * on one backend; returns the view and the offset afterwards. */
static tsh_tensor *run_on(int ref, rkind k, int nd, const int64_t *shape, tsh_dtype dt, kc_layout lay,
                          const rparams *pr, uint64_t seed, uint64_t off, uint64_t *off_after)
{
    tsh_tensor *t = kc_tensor(nd, shape, dt, lay, 0, 1);
    kc_use_ref(ref);
    tsh_rng_set_state(seed, off);
    tsh_status st = apply(k, t, pr);
    KC_CHECK(st == TSH_OK, "%s on %s: %s", rnames[k], tsh_dtype_name(dt), tsh_errmsg());
    uint64_t s2;
    tsh_rng_get_state(&s2, off_after);
    kc_use_ref(0);
    return t;
}

static void test_random_vs_ref(void)
{
    for (int iter = 0; iter < 240; iter++) {
        rkind k = (rkind)(iter % R_KINDS);
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(4, 9, 1, shape);
        bool isfloat = k == R_UNIFORM || k == R_NORMAL;
        tsh_dtype dt = isfloat ? float_dts[kc_randint(0, 3)] : all_dts[kc_randint(0, 7)];
        kc_layout lay = (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1);
        rparams pr = {.lo = kc_uniform() * 4 - 2, .hi = kc_uniform() * 3};
        if (k == R_UNIFORM) pr.hi = pr.lo + kc_uniform() * 5;
        if (k == R_BERNOULLI) pr.lo = iter % 7 == 0 ? (double)(iter % 2) : kc_uniform();
        int_range(dt, &pr.ilo, &pr.ihi);
        if (k == R_BERNOULLI_T) { /* probabilities broadcast from some size-1 dims */
            int64_t ps[TSH_MAX_DIMS];
            for (int d = 0; d < nd; d++) ps[d] = kc_uniform() < 0.4 ? 1 : shape[d];
            int pnd = nd && kc_uniform() < 0.3 ? nd - 1 : nd;
            static const tsh_dtype pdts[] = {TSH_F32, TSH_F64, TSH_F16};
            pr.p = kc_tensor(pnd, ps + (nd - pnd), pdts[kc_randint(0, 2)],
                             (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1), 0, 1);
        }
        uint64_t seed = ((uint64_t)kc_randint(0, INT32_MAX) << 32 | (uint64_t)kc_randint(0, INT32_MAX) << 1) ^ (uint64_t)iter, off = (uint64_t)kc_randint(0, 1 << 30);
        if (iter % 11 == 0) off = UINT64_MAX - 3; /* the block counter wraps into the high word */
        uint64_t oa, ob;
        tsh_tensor *a = run_on(1, k, nd, shape, dt, lay, &pr, seed, off, &oa);
        tsh_tensor *b = run_on(0, k, nd, shape, dt, lay, &pr, seed, off, &ob);
        char what[96];
        snprintf(what, sizeof what, "%s %s layout %d", rnames[k], tsh_dtype_name(dt), (int)lay);
        double rtol, atol;
        tolerance(k, dt, &pr, &rtol, &atol);
        KC_CHECK(kc_compare(what, b, a, rtol, atol), "%s: fast != ref", what);
        tsh_dtype cd = tsh_dtype_compute(dt);
        uint64_t range = k == R_RANDINT ? (uint64_t)pr.ihi - (uint64_t)pr.ilo : 0;
        tsh_op op = k == R_UNIFORM ? TSH_OP_RAND_UNIFORM : k == R_NORMAL ? TSH_OP_RAND_NORMAL
                    : k == R_RANDINT ? TSH_OP_RANDINT : TSH_OP_BERNOULLI;
        uint64_t want = off + tsh_rand_blocks(op, cd, range, tsh_numel(a));
        KC_CHECK(oa == want && ob == want, "%s: offset %llu/%llu, want %llu", what, (unsigned long long)oa,
                 (unsigned long long)ob, (unsigned long long)want);
        tsh_tensor_release(a);
        tsh_tensor_release(b);
        tsh_tensor_release(pr.p);
    }
}

/* Values that must hold on either backend: ranges and the 0/1 of bernoulli. */
static void test_random_bounds(void)
{
    int64_t n = 5000;
    for (int ref = 0; ref < 2; ref++) {
        kc_use_ref(ref);
        tsh_rng_manual_seed(7);
        tsh_tensor *t;
        tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &t);
        tsh_uniform_(t, -1, -0.999999f);
        const float *f = (const float *)tsh_data(t);
        int ok = 1;
        for (int64_t i = 0; i < n; i++) ok &= f[i] >= -1 && f[i] < -0.999999f;
        KC_CHECK(ok, "uniform_ stays in [from, to) after rounding to float32");
        tsh_tensor_release(t);
        for (int h = 0; h < 2; h++) { /* few mantissa bits: rand must still stay below 1 */
            int64_t big = 200000;
            tsh_rand(1, &big, h ? TSH_BF16 : TSH_F16, tsh_cpu_device(), &t);
            ok = 1;
            for (int64_t i = 0; i < big; i++) {
                double v = tsh_load_f64(t->dtype, tsh_data(t) + 2 * i);
                ok &= v >= 0 && v < 1;
            }
            KC_CHECK(ok, "rand in %s stays in [0, 1)", tsh_dtype_name(t->dtype));
            tsh_tensor_release(t);
        }
        tsh_tensor_empty(1, &n, TSH_I64, tsh_cpu_device(), &t);
        tsh_random_(t, INT64_MIN, INT64_MAX);
        const int64_t *v = (const int64_t *)tsh_data(t);
        int neg = 0, pos = 0;
        ok = 1;
        for (int64_t i = 0; i < n; i++) ok &= v[i] != INT64_MAX, neg += v[i] < 0, pos += v[i] > 0;
        KC_CHECK(ok && neg > n / 3 && pos > n / 3, "random_ over the whole int64 range: %d neg, %d pos", neg, pos);
        tsh_tensor_release(t);
    }
    kc_use_ref(0);
}

static void test_threads(void)
{
    int64_t n = 300001; /* several chunks of blocks, and a partial last block */
    tsh_tensor *p;
    tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &p);
    tsh_uniform_(p, 0, 1);
    for (int k = 0; k < R_KINDS; k++) {
        tsh_tensor *r[2];
        rparams pr = {.lo = 0.5, .hi = 2, .ilo = -5, .ihi = 1000, .p = p};
        for (int th = 1; th <= 2; th++) {
            tsh_set_num_threads(th);
            tsh_rng_set_state(99, 12345);
            tsh_tensor_empty(1, &n, k == R_RANDINT ? TSH_I64 : TSH_F32, tsh_cpu_device(), &r[th - 1]);
            apply((rkind)k, r[th - 1], &pr);
        }
        KC_CHECK(kc_compare(rnames[k], r[0], r[1], 0, 0), "%s: 1 thread != 2 threads", rnames[k]);
        /* and the big draw against the reference too */
        tsh_tensor *q;
        tsh_tensor_empty(1, &n, r[0]->dtype, tsh_cpu_device(), &q);
        kc_use_ref(1);
        tsh_rng_set_state(99, 12345);
        apply((rkind)k, q, &pr);
        kc_use_ref(0);
        double rtol, atol;
        tolerance((rkind)k, q->dtype, &pr, &rtol, &atol);
        KC_CHECK(kc_compare(rnames[k], r[0], q, rtol, atol), "%s: big draw fast != ref", rnames[k]);
        tsh_tensor_release(q);
        tsh_tensor_release(r[0]);
        tsh_tensor_release(r[1]);
    }
    tsh_set_num_threads(2);
    tsh_tensor_release(p);
}

static void test_constructors_vs_ref(void)
{
    for (int iter = 0; iter < 30; iter++) {
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(3, 7, 1, shape);
        int64_t n = kc_randint(0, 40);
        tsh_tensor *a[2] = {NULL, NULL};
        uint64_t seed = (uint64_t)kc_randint(0, 1 << 30);
        const char *what[] = {"rand", "randn", "randint", "randperm", "bernoulli"};
        tsh_tensor *p = kc_tensor(nd, shape, TSH_F64, KC_TRANSPOSED, 0, 1);
        for (int w = 0; w < 5; w++) {
            for (int ref = 0; ref < 2; ref++) {
                kc_use_ref(ref);
                tsh_rng_manual_seed(seed);
                tsh_status st;
                switch (w) {
                case 0: st = tsh_rand(nd, shape, TSH_F64, tsh_cpu_device(), &a[ref]); break;
                case 1: st = tsh_randn(nd, shape, TSH_F32, tsh_cpu_device(), &a[ref]); break;
                case 2: st = tsh_randint(-3, 3, nd, shape, TSH_I32, tsh_cpu_device(), &a[ref]); break;
                case 3: st = tsh_randperm(n, TSH_F32, tsh_cpu_device(), &a[ref]); break;
                default: st = tsh_bernoulli(p, &a[ref]); break;
                }
                KC_CHECK(st == TSH_OK, "%s: %s", what[w], tsh_errmsg());
            }
            kc_use_ref(0);
            if (a[0] && a[1]) KC_CHECK(kc_compare(what[w], a[0], a[1], 0, 0), "%s fast != ref", what[w]);
            tsh_tensor_release(a[0]);
            tsh_tensor_release(a[1]);
            a[0] = a[1] = NULL;
        }
        tsh_tensor_release(p);
    }
}

static void test_randperm(void)
{
    int64_t ns[] = {0, 1, 2, 3, 10, 255, 256, 257, 258, 1000, 65537};
    for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
        tsh_tensor *t;
        int64_t n = ns[c];
        uint64_t seed, offset;
        tsh_rng_get_state(&seed, &offset);
        KC_CHECK(tsh_randperm(n, TSH_I64, tsh_cpu_device(), &t) == TSH_OK, "randperm(%lld)", (long long)n);
        char *seen = calloc((size_t)n + 1, 1);
        const int64_t *v = (const int64_t *)tsh_data(t);
        int ok = 1;
        for (int64_t i = 0; i < n; i++) {
            ok &= v[i] >= 1 && v[i] <= n && !seen[v[i]];
            if (v[i] >= 1 && v[i] <= n) seen[v[i]] = 1;
        }
        KC_CHECK(ok, "randperm(%lld) is a permutation of 1..n", (long long)n);
        /* the documented shuffle, one swap at a time (random.c): the batched
         * draws must give the same permutation */
        int64_t *w = malloc(sizeof(int64_t) * (size_t)(n + 1));
        for (int64_t i = 0; i < n; i++) w[i] = i + 1;
        for (int64_t m = 0; m + 1 < n; m++) {
            int64_t i = n - 1 - m, j = (int64_t)tsh_rand_below64(tsh_rand_bits64(seed, offset, m), (uint64_t)i + 1);
            int64_t tmp = w[i];
            w[i] = w[j];
            w[j] = tmp;
        }
        KC_CHECK(n == 0 || memcmp(v, w, sizeof(int64_t) * (size_t)n) == 0, "randperm(%lld) differs from the one-swap-at-a-time shuffle", (long long)n);
        free(w);
        free(seen);
        tsh_tensor_release(t);
    }
}

static void test_lines_vs_ref(void)
{
    for (int iter = 0; iter < 200; iter++) {
        tsh_dtype dt = all_dts[kc_randint(1, 7)];
        int which = iter % 3; /* arange, linspace, logspace */
        tsh_tensor *a[2] = {NULL, NULL};
        tsh_status st[2];
        int64_t steps = iter % 17 == 0 ? kc_randint(0, 1) : kc_randint(2, iter % 5 == 0 ? 200000 : 50);
        double s = floor(kc_uniform() * 200 - 100), e = floor(kc_uniform() * 200 - 100);
        if (dt == TSH_U8) s = fabs(s), e = fabs(e);
        if (which == 2) s /= 40, e /= 40;
        int64_t istart = kc_randint(-50, 50), istep = kc_randint(1, 4) * (kc_uniform() < 0.5 ? -1 : 1);
        if (dt == TSH_U8) istart = kc_randint(0, 50), istep = kc_randint(1, 3);
        int64_t iend = istart + istep * (steps < 200 ? steps : dt == TSH_U8 ? 60 : 200);
        if (dt == TSH_BF16 || dt == TSH_F16) steps = steps > 200 ? 200 : steps;
        for (int ref = 0; ref < 2; ref++) {
            kc_use_ref(ref);
            if (which == 0)
                st[ref] = tsh_arange(tsh_num_int(istart), tsh_num_int(iend), tsh_num_int(istep), dt,
                                     tsh_cpu_device(), &a[ref]);
            else if (which == 1)
                st[ref] = tsh_linspace(s, e, steps, dt, tsh_cpu_device(), &a[ref]);
            else
                st[ref] = tsh_logspace(s, e, steps, 2.5, dt, tsh_cpu_device(), &a[ref]);
        }
        kc_use_ref(0);
        const char *names[] = {"arange", "linspace", "logspace"};
        char what[64];
        snprintf(what, sizeof what, "%s %s", names[which], tsh_dtype_name(dt));
        KC_CHECK(st[0] == TSH_OK && st[1] == TSH_OK, "%s: %s", what, tsh_errmsg());
        /* float32 linspace steps in float (as PyTorch), the reference in
         * double: allow a few float ulps of the range */
        double scale = which == 2 ? pow(2.5, fmax(fabs(s), fabs(e))) : fmax(fabs(s), fabs(e));
        double atol = dt == TSH_F32 && which ? 4e-7 * scale : 0;
        double rtol = which && tsh_dtype_is_float(dt) ? kc_rtol(dt) : 0;
        if (which && !tsh_dtype_is_float(dt) && a[0] && a[1]) {
            /* truncation can fall either side of an integer by a rounding: allow 1 */
            atol = 1;
            rtol = which == 2 ? 1e-12 : 0;
        }
        if (a[0] && a[1]) KC_CHECK(kc_compare(what, a[0], a[1], rtol, atol), "%s fast != ref", what);
        tsh_tensor_release(a[0]);
        tsh_tensor_release(a[1]);
    }
}

static void test_eye(void)
{
    for (int ref = 0; ref < 2; ref++) {
        kc_use_ref(ref);
        tsh_tensor *t;
        KC_CHECK(tsh_eye(3, 5, TSH_I32, tsh_cpu_device(), &t) == TSH_OK, "eye 3x5");
        const int32_t *v = (const int32_t *)tsh_data(t);
        int ok = 1;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++) ok &= v[i * 5 + j] == (i == j);
        KC_CHECK(ok, "eye 3x5 values");
        tsh_tensor_release(t);
        KC_CHECK(tsh_eye(0, -1, TSH_F32, tsh_cpu_device(), &t) == TSH_OK && tsh_numel(t) == 0, "eye 0");
        tsh_tensor_release(t);
    }
    kc_use_ref(0);
}

static void test_errors(void)
{
    tsh_tensor *t = NULL;
    int64_t neg = -2, three = 3;
    KC_CHECK(tsh_rand(1, &neg, TSH_F32, tsh_cpu_device(), &t) == TSH_ERR_SHAPE && strstr(tsh_errmsg(), "rand:"),
             "negative size: %s", tsh_errmsg());
    KC_CHECK(tsh_randn(1, &three, TSH_I64, tsh_cpu_device(), &t) == TSH_ERR_DTYPE, "randn int64");
    KC_CHECK(tsh_randint(3, 3, 1, &three, TSH_I64, tsh_cpu_device(), &t) == TSH_ERR_ARG, "randint low == high");
    KC_CHECK(tsh_randint(0, 300, 1, &three, TSH_U8, tsh_cpu_device(), &t) == TSH_ERR_ARG, "randint past uint8");
    KC_CHECK(tsh_arange(tsh_num_int(0), tsh_num_int(5), tsh_num_int(0), TSH_DTYPE_AUTO, tsh_cpu_device(), &t) ==
                 TSH_ERR_ARG, "arange step 0");
    KC_CHECK(tsh_linspace(0, 1, -1, TSH_DTYPE_AUTO, tsh_cpu_device(), &t) == TSH_ERR_ARG, "linspace steps < 0");
    KC_CHECK(tsh_randperm(300, TSH_U8, tsh_cpu_device(), &t) == TSH_ERR_ARG, "randperm past uint8");
    KC_CHECK(t == NULL, "no output on failure");
}

int main(void)
{
    tsh_backends_init();
    kc_seed(3);
    test_philox_kat();
    test_random_vs_ref();
    test_random_bounds();
    test_threads();
    test_constructors_vs_ref();
    test_randperm();
    test_lines_vs_ref();
    test_eye();
    test_errors();
    return kc_finish();
}
