/* test_kernels_linalg.c: the fast GEMM, flip and tril/triu kernels against
 * the reference ones, through the front end (matmul and friends, addmm,
 * cat/stack/repeat, flip, tril/triu) and, for output layouts the front end
 * never makes, through direct GEMM dispatch. Random shapes, every operand
 * layout, broadcast batch dims (stride 0), k = 0 and empty results, every
 * dtype the op takes. Also checks a few results against known values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "kcheck.h"
#include "shape.h"

static const tsh_dtype gemm_dtypes[] = {TSH_F32, TSH_F64, TSH_I32, TSH_I64, TSH_U8, TSH_F16, TSH_BF16};
#define N_GEMM_DTYPES (int)(sizeof gemm_dtypes / sizeof gemm_dtypes[0])

/* Float sums of k products drift by about k ulps between BLAS and the
 * double-precision reference; float16/bfloat16 add one rounding of the
 * result. Integers must match exactly (wrapping included). */
static void gemm_tol(tsh_dtype dt, int64_t k, double *rtol, double *atol)
{
    double kk = (double)(k > 1 ? k : 1);
    switch (dt) {
    case TSH_F32: *rtol = 1e-5, *atol = 2e-6 * kk; break;
    case TSH_F64: *rtol = 1e-12, *atol = 1e-14 * kk; break;
    case TSH_F16: *rtol = 2e-3, *atol = 2e-3; break;
    case TSH_BF16: *rtol = 1.6e-2, *atol = 1.6e-2; break;
    default: *rtol = 0, *atol = 0; break;
    }
}

static void value_range(tsh_dtype dt, double *lo, double *hi)
{
    *lo = dt == TSH_U8 ? 0 : -5;
    *hi = 5;
    if (tsh_dtype_is_float(dt)) *lo = -1, *hi = 1;
}

static kc_layout rand_layout(void) { return (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1); }

static int64_t rand_size(void)
{
    double u = kc_uniform();
    if (u < 0.08) return 0;
    if (u < 0.2) return 1;
    if (u < 0.9) return kc_randint(2, 9);
    return kc_randint(20, 70);
}

typedef tsh_status (*bin_fn)(tsh_tensor *, tsh_tensor *, tsh_tensor **);

/* Runs f on the reference kernels, then on the fast ones, and compares. */
static void check_bin(const char *what, bin_fn f, tsh_tensor *a, tsh_tensor *b, double rtol, double atol)
{
    tsh_tensor *want = NULL, *got = NULL;
    kc_use_ref(1);
    tsh_status s1 = f(a, b, &want);
    kc_use_ref(0);
    tsh_status s2 = f(a, b, &got);
    KC_CHECK(s1 == TSH_OK && s2 == TSH_OK, "%s: status %d/%d: %s", what, s1, s2, tsh_errmsg());
    if (s1 == TSH_OK && s2 == TSH_OK) KC_CHECK(kc_compare(what, got, want, rtol, atol), "%s", what);
    tsh_tensor_release(want);
    tsh_tensor_release(got);
}

static void describe(char *buf, size_t n, const char *op, const tsh_tensor *a, const tsh_tensor *b)
{
    char x[64], y[64];
    snprintf(buf, n, "%s %s %s(%s) x %s(%s)", op, tsh_dtype_name(a->dtype),
             tsh_shape_str(x, sizeof x, a->ndim, a->shape), tsh_is_contiguous(a) ? "c" : "nc",
             tsh_shape_str(y, sizeof y, b->ndim, b->shape), tsh_is_contiguous(b) ? "c" : "nc");
}

/* matmul over every rank combination PyTorch defines, with broadcast batch
 * dims (a batch dim of 1 on one side) and batched operands folded or not. */
static void test_matmul_random(void)
{
    for (int iter = 0; iter < 400; iter++) {
        tsh_dtype dt = gemm_dtypes[iter % N_GEMM_DTYPES];
        int64_t m = rand_size(), n = rand_size(), k = rand_size();
        int na = (int)kc_randint(1, 4), nb = (int)kc_randint(1, 4);
        int64_t sa[TSH_MAX_DIMS], sb[TSH_MAX_DIMS];
        int ba = na > 2 ? na - 2 : 0, bb = nb > 2 ? nb - 2 : 0, nbatch = ba > bb ? ba : bb;
        for (int d = 0; d < nbatch; d++) {
            int64_t s = kc_randint(1, 3);
            int da = d - (nbatch - ba), db = d - (nbatch - bb);
            bool one_a = kc_uniform() < 0.3, one_b = !one_a && kc_uniform() < 0.3;
            if (da >= 0) sa[da] = one_a ? 1 : s;
            if (db >= 0) sb[db] = one_b ? 1 : s;
        }
        if (na == 1) sa[0] = k;
        else sa[na - 2] = m, sa[na - 1] = k;
        if (nb == 1) sb[0] = k;
        else sb[nb - 2] = k, sb[nb - 1] = n;
        double lo, hi, rtol, atol;
        value_range(dt, &lo, &hi);
        gemm_tol(dt, k, &rtol, &atol);
        tsh_tensor *a = kc_tensor(na, sa, dt, rand_layout(), lo, hi);
        tsh_tensor *b = kc_tensor(nb, sb, dt, rand_layout(), lo, hi);
        char what[256];
        describe(what, sizeof what, "matmul", a, b);
        check_bin(what, tsh_matmul, a, b, rtol, atol);
        tsh_tensor_release(a);
        tsh_tensor_release(b);
    }
}

/* Operands broadcast by expand (stride 0 in batch dims and inside a matrix),
 * which the kernel sees as batch stride 0 or has to pack. */
static void test_matmul_expanded(void)
{
    for (int iter = 0; iter < 60; iter++) {
        tsh_dtype dt = gemm_dtypes[iter % N_GEMM_DTYPES];
        int64_t m = kc_randint(1, 6), n = kc_randint(1, 6), k = kc_randint(1, 6), bsz = kc_randint(2, 4);
        double lo, hi, rtol, atol;
        value_range(dt, &lo, &hi);
        gemm_tol(dt, k, &rtol, &atol);
        int64_t s1[3] = {1, m, k}, s2[3] = {bsz, k, n}, e1[3] = {bsz, m, k};
        tsh_tensor *a0 = kc_tensor(3, s1, dt, rand_layout(), lo, hi), *a = NULL;
        tsh_tensor *b = kc_tensor(3, s2, dt, rand_layout(), lo, hi);
        tsh_expand(a0, 3, e1, &a);
        char what[256];
        describe(what, sizeof what, "bmm(expanded)", a, b);
        check_bin(what, tsh_bmm, a, b, rtol, atol);
        /* a row vector expanded to a matrix: row stride 0, must be packed */
        int64_t r1[2] = {1, k}, re[2] = {m, k}, r2[2] = {k, n};
        tsh_tensor *row = kc_tensor(2, r1, dt, KC_CONTIG, lo, hi), *rowx = NULL;
        tsh_tensor *mat = kc_tensor(2, r2, dt, rand_layout(), lo, hi);
        tsh_expand(row, 2, re, &rowx);
        describe(what, sizeof what, "mm(row stride 0)", rowx, mat);
        check_bin(what, tsh_mm, rowx, mat, rtol, atol);
        tsh_tensor *ts[] = {a0, a, b, row, rowx, mat};
        for (int i = 0; i < 6; i++) tsh_tensor_release(ts[i]);
    }
}

static void test_products_random(void)
{
    for (int iter = 0; iter < 200; iter++) {
        tsh_dtype dt = gemm_dtypes[iter % N_GEMM_DTYPES];
        int64_t m = rand_size(), n = rand_size(), k = rand_size(), bsz = kc_randint(0, 4);
        double lo, hi, rtol, atol;
        value_range(dt, &lo, &hi);
        gemm_tol(dt, k, &rtol, &atol);
        int64_t s2a[2] = {m, k}, s2b[2] = {k, n}, s3a[3] = {bsz, m, k}, s3b[3] = {bsz, k, n};
        int64_t vk = k, vn = n;
        tsh_tensor *ma = kc_tensor(2, s2a, dt, rand_layout(), lo, hi);
        tsh_tensor *mb = kc_tensor(2, s2b, dt, rand_layout(), lo, hi);
        tsh_tensor *ba = kc_tensor(3, s3a, dt, rand_layout(), lo, hi);
        tsh_tensor *bb = kc_tensor(3, s3b, dt, rand_layout(), lo, hi);
        tsh_tensor *v1 = kc_tensor(1, &vk, dt, rand_layout(), lo, hi);
        tsh_tensor *v2 = kc_tensor(1, &vk, dt, rand_layout(), lo, hi);
        tsh_tensor *v3 = kc_tensor(1, &vn, dt, rand_layout(), lo, hi);
        char what[256];
        describe(what, sizeof what, "mm", ma, mb);
        check_bin(what, tsh_mm, ma, mb, rtol, atol);
        describe(what, sizeof what, "bmm", ba, bb);
        check_bin(what, tsh_bmm, ba, bb, rtol, atol);
        describe(what, sizeof what, "mv", ma, v1);
        check_bin(what, tsh_mv, ma, v1, rtol, atol);
        describe(what, sizeof what, "dot", v1, v2);
        check_bin(what, tsh_dot, v1, v2, rtol, atol);
        describe(what, sizeof what, "outer", v1, v3);
        check_bin(what, tsh_outer, v1, v3, rtol, atol);
        tsh_tensor *ts[] = {ma, mb, ba, bb, v1, v2, v3};
        for (int i = 0; i < 7; i++) tsh_tensor_release(ts[i]);
    }
}

/* outer promotes, and bool x bool is "and" through the kernel's bool path. */
static void test_outer_bool(void)
{
    for (int iter = 0; iter < 20; iter++) {
        int64_t m = rand_size(), n = rand_size();
        tsh_tensor *a = kc_tensor(1, &m, TSH_BOOL, rand_layout(), 0, 1);
        tsh_tensor *b = kc_tensor(1, &n, iter % 2 ? TSH_BOOL : TSH_I32, rand_layout(), 0, 1);
        char what[256];
        describe(what, sizeof what, "outer", a, b);
        check_bin(what, tsh_outer, a, b, 0, 0);
        tsh_tensor_release(a);
        tsh_tensor_release(b);
    }
}

/* The nb > 1 big-product path (sequential batches, threaded BLAS) and the
 * threaded integer row loop. */
static void test_big(void)
{
    int64_t sa[3] = {2, 100, 90}, sb[3] = {2, 90, 110};
    tsh_dtype dts[] = {TSH_F32, TSH_I64};
    for (int i = 0; i < 2; i++) {
        double lo, hi, rtol, atol;
        value_range(dts[i], &lo, &hi);
        gemm_tol(dts[i], 90, &rtol, &atol);
        tsh_tensor *a = kc_tensor(3, sa, dts[i], KC_TRANSPOSED, lo, hi);
        tsh_tensor *b = kc_tensor(3, sb, dts[i], KC_CONTIG, lo, hi);
        char what[256];
        describe(what, sizeof what, "bmm(big)", a, b);
        check_bin(what, tsh_bmm, a, b, rtol, atol);
        tsh_tensor_release(a);
        tsh_tensor_release(b);
    }
}

typedef struct {
    double alpha, beta;
} ab_pair;

static void test_addmm(void)
{
    const ab_pair abs[] = {{1, 1}, {2, 0.5}, {-1.5, 3}, {1, 0}, {0, 2}, {3, -2}};
    for (int iter = 0; iter < 120; iter++) {
        tsh_dtype dt = gemm_dtypes[iter % N_GEMM_DTYPES];
        ab_pair p = abs[iter % 6];
        int64_t m = rand_size(), n = rand_size(), k = rand_size();
        double lo, hi, rtol, atol;
        value_range(dt, &lo, &hi);
        gemm_tol(dt, k + 2, &rtol, &atol);
        int64_t s1[2] = {m, k}, s2[2] = {k, n}, si[2] = {m, n};
        int ni = (int)kc_randint(0, 2); /* input 0-d, 1-d (n) or 2-d (m x n) */
        tsh_tensor *in = kc_tensor(ni, ni == 1 ? &si[1] : si, dt, rand_layout(), lo, hi);
        tsh_tensor *a = kc_tensor(2, s1, dt, rand_layout(), lo, hi);
        tsh_tensor *b = kc_tensor(2, s2, dt, rand_layout(), lo, hi);
        tsh_tensor *want = NULL, *got = NULL;
        kc_use_ref(1);
        tsh_status s_1 = tsh_addmm(in, a, b, p.beta, p.alpha, &want);
        kc_use_ref(0);
        tsh_status s_2 = tsh_addmm(in, a, b, p.beta, p.alpha, &got);
        char what[256];
        describe(what, sizeof what, "addmm", a, b);
        KC_CHECK(s_1 == TSH_OK && s_2 == TSH_OK, "%s: %s", what, tsh_errmsg());
        if (s_1 == TSH_OK && s_2 == TSH_OK) KC_CHECK(kc_compare(what, got, want, rtol, atol), "%s", what);
        tsh_tensor *ts[] = {in, a, b, want, got};
        for (int i = 0; i < 5; i++) tsh_tensor_release(ts[i]);
    }
}

/* Direct GEMM dispatch: outputs the front end never makes (transposed,
 * strided, batch-broadcast inputs with any stride, operands BLAS cannot
 * read so they must be packed), with alpha/beta and NaN in out for beta 0. */
static tsh_tensor *strided_last(int nd, const int64_t *shape, tsh_dtype dt, double lo, double hi)
{
    /* every other element along the last dim: neither stride is 1 */
    int64_t big[TSH_MAX_DIMS];
    memcpy(big, shape, sizeof(int64_t) * (size_t)nd);
    big[nd - 1] = shape[nd - 1] * 2;
    tsh_tensor *b = kc_tensor(nd, big, dt, KC_CONTIG, lo, hi), *v = NULL;
    tsh_slice(b, nd - 1, 0, big[nd - 1], 2, &v);
    tsh_tensor_release(b);
    return v;
}

static tsh_tensor *make_operand(int kind, const int64_t *shape, tsh_dtype dt, double lo, double hi)
{
    if (kind == 4) return strided_last(3, shape, dt, lo, hi);
    if (kind == 5) { /* batch stride 0 */
        int64_t one[3] = {1, shape[1], shape[2]};
        tsh_tensor *t = kc_tensor(3, one, dt, rand_layout(), lo, hi), *e = NULL;
        tsh_expand(t, 3, shape, &e);
        tsh_tensor_release(t);
        return e;
    }
    return kc_tensor(3, shape, dt, (kc_layout)kind, lo, hi);
}

/* o = alpha a b + beta o on the reference kernels and on the fast ones,
 * from the same starting o, compared; releases a, b and o. With beta = 0
 * the starting o is NaN (float dtypes), which must not be read. */
static void check_gemm(const char *what, tsh_tensor *o, tsh_tensor *a, tsh_tensor *b, double alpha, double beta,
                       double rtol, double atol)
{
    if (beta == 0 && tsh_dtype_is_float(o->dtype)) tsh_fill_(o, NAN);
    tsh_tensor *init = NULL, *want = NULL;
    tsh_clone(o, &init);
    kc_use_ref(1);
    tsh_status s1 = tsh_gemm_(o, a, b, alpha, beta);
    tsh_clone(o, &want);
    tsh_copy_(o, init); /* the same starting values for the fast kernel */
    kc_use_ref(0);
    tsh_status s2 = tsh_gemm_(o, a, b, alpha, beta);
    KC_CHECK(s1 == TSH_OK && s2 == TSH_OK, "%s: %s", what, tsh_errmsg());
    if (s1 == TSH_OK && s2 == TSH_OK) KC_CHECK(kc_compare(what, o, want, rtol, atol), "%s", what);
    tsh_tensor_release(a);
    tsh_tensor_release(b);
    tsh_tensor_release(o);
    tsh_tensor_release(init);
    tsh_tensor_release(want);
}

static void test_gemm_direct(void)
{
    const tsh_dtype dts[] = {TSH_F32, TSH_F64, TSH_I32, TSH_I64, TSH_U8, TSH_BOOL};
    for (int iter = 0; iter < 300; iter++) {
        tsh_dtype dt = dts[iter % 6];
        int64_t bsz = kc_randint(1, 3), m = rand_size(), n = rand_size(), k = rand_size();
        if (m > 20 || n > 20) m = m % 20, n = n % 20;
        double lo, hi, rtol, atol;
        value_range(dt, &lo, &hi);
        if (dt == TSH_BOOL) lo = 0, hi = 1;
        gemm_tol(dt, k + 2, &rtol, &atol);
        double alpha = (double)kc_randint(-2, 3), beta = (double)kc_randint(-1, 2);
        if (iter % 4 == 0) alpha = 1, beta = 0;
        if (tsh_dtype_is_float(dt) && iter % 3 == 0) alpha += 0.5, beta = beta ? beta - 0.25 : 0;
        int64_t sa[3] = {bsz, m, k}, sb[3] = {bsz, k, n}, so[3] = {bsz, m, n};
        int ka = (int)kc_randint(0, 5), kb = (int)kc_randint(0, 5), ko = (int)kc_randint(0, 4);
        tsh_tensor *a = make_operand(ka, sa, dt, lo, hi), *b = make_operand(kb, sb, dt, lo, hi);
        tsh_tensor *o = make_operand(ko, so, dt, lo, hi);
        char what[256];
        snprintf(what, sizeof what, "gemm %s b%lld m%lld n%lld k%lld layouts %d/%d/%d alpha %g beta %g",
                 tsh_dtype_name(dt), (long long)bsz, (long long)m, (long long)n, (long long)k, ka, kb,
                 ko, alpha, beta);
        check_gemm(what, o, a, b, alpha, beta, rtol, atol);
    }
}

/* float32 products big enough for oneDNN's sgemm (and, with TENSH_DNNL=0,
 * OpenBLAS's), over every operand and output layout, both orders of C. */
static void test_gemm_sizes(const char *path)
{
    for (int iter = 0; iter < 40; iter++) {
        int64_t bsz = kc_randint(1, 2), m = kc_randint(48, 130), n = kc_randint(48, 130), k = kc_randint(48, 130);
        if (iter % 5 == 0) m = 1 + kc_randint(0, 1) * 300; /* skinny: a vector, or tall */
        double lo, hi, rtol, atol;
        value_range(TSH_F32, &lo, &hi);
        gemm_tol(TSH_F32, k + 2, &rtol, &atol);
        double alpha = iter % 3 == 0 ? 1.5 : 1, beta = iter % 4 == 1 ? -0.5 : 0;
        int64_t sa[3] = {bsz, m, k}, sb[3] = {bsz, k, n}, so[3] = {bsz, m, n};
        int ka = iter % 6, kb = (iter / 6) % 6, ko = iter % 5;
        tsh_tensor *a = make_operand(ka, sa, TSH_F32, lo, hi), *b = make_operand(kb, sb, TSH_F32, lo, hi);
        tsh_tensor *o = make_operand(ko, so, TSH_F32, lo, hi);
        char what[256];
        snprintf(what, sizeof what, "gemm[%s] float32 b%lld m%lld n%lld k%lld layouts %d/%d/%d alpha %g beta %g",
                 path, (long long)bsz, (long long)m, (long long)n, (long long)k, ka, kb, ko, alpha, beta);
        check_gemm(what, o, a, b, alpha, beta, rtol, atol);
    }
}

/* Products with a dimension of 1, which skip GEMM: dot (m = n = 1) and
 * mv/vm (m or n = 1) through level-1/2 BLAS, outer (k = 1) through a row
 * loop; long enough for the vector kernels' bodies and tails, over every
 * operand layout (batch stride 0 and strided vectors included) and output
 * layout, with alpha/beta and a NaN output for beta 0. */
static void test_gemm_vectors(void)
{
    const tsh_dtype dts[] = {TSH_F32, TSH_F64};
    for (int iter = 0; iter < 120; iter++) {
        tsh_dtype dt = dts[iter % 2];
        int shape = (iter / 2) % 4; /* dot, mv, vm, outer */
        int64_t bsz = kc_randint(1, 2), big = kc_randint(1, 3000), m = kc_randint(1, 70), n = kc_randint(1, 70);
        int64_t k = shape == 3 ? 1 : big;
        if (shape == 0) m = n = 1;
        if (shape == 1) n = 1;
        if (shape == 2) m = 1;
        if (shape == 3) m = kc_randint(1, 300), n = big;
        double lo, hi, rtol, atol;
        value_range(dt, &lo, &hi);
        gemm_tol(dt, k + 2, &rtol, &atol);
        double alpha = iter % 3 == 0 ? 1.5 : 1, beta = iter % 4 == 1 ? -0.5 : 0;
        int64_t sa[3] = {bsz, m, k}, sb[3] = {bsz, k, n}, so[3] = {bsz, m, n};
        int ka = (int)kc_randint(0, 5), kb = (int)kc_randint(0, 5), ko = (int)kc_randint(0, 4);
        tsh_tensor *a = make_operand(ka, sa, dt, lo, hi), *b = make_operand(kb, sb, dt, lo, hi);
        tsh_tensor *o = make_operand(ko, so, dt, lo, hi);
        char what[256];
        snprintf(what, sizeof what, "gemm(vector) %s b%lld m%lld n%lld k%lld layouts %d/%d/%d alpha %g beta %g",
                 tsh_dtype_name(dt), (long long)bsz, (long long)m, (long long)n, (long long)k, ka, kb, ko,
                 alpha, beta);
        check_gemm(what, o, a, b, alpha, beta, rtol, atol);
    }
}

static const tsh_dtype all_dtypes[] = {TSH_BOOL, TSH_U8, TSH_I32, TSH_I64, TSH_F16, TSH_BF16, TSH_F32, TSH_F64};

static void test_flip_tri(void)
{
    for (int iter = 0; iter < 240; iter++) {
        tsh_dtype dt = all_dtypes[iter % 8];
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(4, 6, 1, shape);
        tsh_tensor *t = kc_tensor(nd, shape, dt, rand_layout(), -50, 50);
        int dims[TSH_MAX_DIMS], n = 0;
        for (int d = 0; d < nd; d++)
            if (kc_uniform() < 0.5) dims[n++] = d;
        char x[64], what[256];
        tsh_tensor *want = NULL, *got = NULL;
        kc_use_ref(1);
        tsh_status s1 = tsh_flip(t, n, dims, &want);
        kc_use_ref(0);
        tsh_status s2 = tsh_flip(t, n, dims, &got);
        snprintf(what, sizeof what, "flip %s %s (%d dims)", tsh_dtype_name(dt),
                 tsh_shape_str(x, sizeof x, nd, shape), n);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare(what, got, want, 0, 0), "%s: %s", what, tsh_errmsg());
        tsh_tensor_release(want);
        tsh_tensor_release(got);
        want = got = NULL;
        if (nd >= 2) {
            int64_t k = kc_randint(-7, 7);
            bool lower = iter % 2;
            kc_use_ref(1);
            s1 = lower ? tsh_tril(t, k, &want) : tsh_triu(t, k, &want);
            kc_use_ref(0);
            s2 = lower ? tsh_tril(t, k, &got) : tsh_triu(t, k, &got);
            snprintf(what, sizeof what, "%s(%lld) %s %s", lower ? "tril" : "triu", (long long)k,
                     tsh_dtype_name(dt), tsh_shape_str(x, sizeof x, nd, shape));
            KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare(what, got, want, 0, 0), "%s: %s", what, tsh_errmsg());
            /* in place, on a contiguous copy or on a transposed (non-contiguous)
             * view, must give what the out-of-place op gives */
            bool transposed = kc_uniform() < 0.5;
            tsh_tensor *c = NULL, *tt = NULL, *target = NULL, *expect = NULL;
            if (transposed) {
                tsh_transpose(t, nd - 2, nd - 1, &tt);
                kc_use_ref(1);
                s1 = lower ? tsh_tril(tt, k, &expect) : tsh_triu(tt, k, &expect);
                tsh_clone(t, &c);
                tsh_transpose(c, nd - 2, nd - 1, &target);
            } else {
                s1 = TSH_OK;
                expect = tsh_tensor_retain(want);
                tsh_clone(t, &c);
                target = tsh_tensor_retain(c);
            }
            kc_use_ref(0);
            s2 = lower ? tsh_tril_(target, k) : tsh_triu_(target, k);
            KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare(what, target, expect, 0, 0),
                     "in place %s%s", what, transposed ? " (transposed view)" : "");
            tsh_tensor_release(tt);
            tsh_tensor_release(target);
            tsh_tensor_release(expect);
            tsh_tensor_release(c);
            tsh_tensor_release(want);
            tsh_tensor_release(got);
        }
        tsh_tensor_release(t);
    }
}

/* cat, stack and repeat are copies into views: check the result both ways
 * and against the block structure it must have. */
static void test_cat_stack_repeat(void)
{
    for (int iter = 0; iter < 80; iter++) {
        tsh_dtype dt = all_dtypes[iter % 8], dt2 = all_dtypes[(iter / 8) % 8];
        int64_t shape[TSH_MAX_DIMS];
        int nd = kc_rand_shape(3, 5, 1, shape);
        if (nd == 0) nd = 1, shape[0] = 3;
        int dim = (int)kc_randint(0, nd - 1);
        int64_t shape2[TSH_MAX_DIMS];
        memcpy(shape2, shape, sizeof shape2);
        shape2[dim] = kc_randint(0, 4);
        tsh_tensor *a = kc_tensor(nd, shape, dt, rand_layout(), -9, 9);
        tsh_tensor *b = kc_tensor(nd, shape2, dt2, rand_layout(), -9, 9);
        tsh_tensor *ts[2] = {a, b}, *r1 = NULL, *r2 = NULL, *piece = NULL, *ac = NULL;
        char what[128], x[64];
        snprintf(what, sizeof what, "cat %s+%s %s dim %d", tsh_dtype_name(dt), tsh_dtype_name(dt2),
                 tsh_shape_str(x, sizeof x, nd, shape), dim + 1);
        kc_use_ref(1);
        tsh_status s1 = tsh_cat(2, ts, dim, &r1);
        kc_use_ref(0);
        tsh_status s2 = tsh_cat(2, ts, dim, &r2);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare(what, r2, r1, 0, 0), "%s: %s", what, tsh_errmsg());
        KC_CHECK(r2 && r2->dtype == tsh_promote(dt, dt2), "%s: promoted dtype", what);
        if (r2) { /* the first block is a, converted */
            tsh_narrow(r2, dim, 0, shape[dim], &piece);
            tsh_to_dtype(a, r2->dtype, &ac);
            KC_CHECK(kc_compare(what, piece, ac, 0, 0), "%s: first block", what);
        }
        tsh_tensor_release(r1), tsh_tensor_release(r2), tsh_tensor_release(piece), tsh_tensor_release(ac);
        r1 = r2 = NULL;
        tsh_tensor *same[2] = {a, a};
        s1 = tsh_stack(2, same, dim, &r1);
        tsh_tensor *sel = NULL;
        if (s1 == TSH_OK) tsh_select(r1, dim, 1, &sel);
        KC_CHECK(s1 == TSH_OK && sel && kc_compare("stack", sel, a, 0, 0), "stack %s dim %d", x, dim + 1);
        tsh_tensor_release(sel), tsh_tensor_release(r1);
        r1 = NULL;
        int64_t reps[4] = {kc_randint(0, 3), kc_randint(1, 3), kc_randint(1, 3), kc_randint(1, 3)};
        int nr = nd + (int)kc_randint(0, 1);
        kc_use_ref(1);
        s1 = tsh_repeat(a, nr, reps, &r1);
        kc_use_ref(0);
        s2 = tsh_repeat(a, nr, reps, &r2);
        snprintf(what, sizeof what, "repeat %s", tsh_shape_str(x, sizeof x, nd, shape));
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare(what, r2, r1, 0, 0), "%s: %s", what, tsh_errmsg());
        if (s2 == TSH_OK && tsh_numel(r2) > 0) { /* the last block equals a */
            int64_t st[TSH_MAX_DIMS] = {0}, off = 0, xs[TSH_MAX_DIMS];
            tsh_tensor *blk = NULL;
            for (int d = 0; d < nr; d++) {
                xs[d] = d < nr - nd ? 1 : a->shape[d - (nr - nd)];
                st[d] = r2->stride[d];
                off += (r2->shape[d] - xs[d]) * r2->stride[d];
            }
            tsh_tensor_view(r2, nr, xs, st, off, &blk);
            tsh_tensor *av = NULL;
            tsh_reshape(a, nr, xs, &av);
            KC_CHECK(kc_compare(what, blk, av, 0, 0), "%s: last block", what);
            tsh_tensor_release(blk), tsh_tensor_release(av);
        }
        tsh_tensor_release(r1), tsh_tensor_release(r2);
        tsh_tensor_release(a), tsh_tensor_release(b);
    }
}

/* Known values, so that ref and fast cannot agree on a wrong answer. */
static tsh_tensor *from(int nd, const int64_t *shape, tsh_dtype dt, const double *v)
{
    tsh_tensor *t;
    tsh_tensor_empty(nd, shape, dt, tsh_cpu_device(), &t);
    for (int64_t i = 0; i < tsh_numel(t); i++)
        tsh_store_f64(dt, tsh_data(t) + i * (int64_t)tsh_dtype_size(dt), v[i]);
    return t;
}

static void test_known(void)
{
    const double av[] = {1, 2, 3, 4, 5, 6}, bv[] = {7, 8, 9, 10, 11, 12};
    const double want[] = {58, 64, 139, 154}; /* [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] */
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s22[2] = {2, 2};
    for (int use_ref = 0; use_ref < 2; use_ref++)
        for (int i = 0; i < N_GEMM_DTYPES; i++) {
            tsh_dtype dt = gemm_dtypes[i];
            kc_use_ref(use_ref);
            tsh_tensor *a = from(2, s23, dt, av), *b = from(2, s32, dt, bv), *w = from(2, s22, dt, want), *c = NULL;
            tsh_status st = tsh_mm(a, b, &c);
            bool exact = dt != TSH_U8 && dt != TSH_BF16; /* 139 and 154 wrap in uint8; bf16 rounds 139 */
            if (exact) KC_CHECK(st == TSH_OK && kc_compare("mm known", c, w, 0, 0), "mm known %s ref=%d", tsh_dtype_name(dt), use_ref);
            else KC_CHECK(st == TSH_OK, "mm %s", tsh_dtype_name(dt));
            if (dt == TSH_U8 && st == TSH_OK) {
                const uint8_t *p = (const uint8_t *)tsh_data(c);
                KC_CHECK(p[0] == 58 && p[3] == (uint8_t)154, "uint8 mm wraps: %d %d", p[0], p[3]);
            }
            tsh_tensor_release(a), tsh_tensor_release(b), tsh_tensor_release(w), tsh_tensor_release(c);
        }
    kc_use_ref(0);
}

int main(void)
{
    tsh_backends_init();
    kc_seed(7);
    test_known();
    test_matmul_random();
    test_matmul_expanded();
    test_products_random();
    test_outer_bool();
    test_big();
    test_addmm();
    test_gemm_direct();
    test_gemm_vectors();
    setenv("TENSH_DNNL", "1", 1);
    test_gemm_sizes("onednn");
    setenv("TENSH_DNNL", "0", 1);
    test_gemm_sizes("openblas");
    unsetenv("TENSH_DNNL");
    test_flip_tri();
    test_cat_stack_repeat();
    return kc_finish();
}
