/* test_kernels_reduce.c: the fast reduction and dim-wise kernels against
 * the reference ones, through the front end: random shapes in every
 * layout, broadcast (stride-0) and empty inputs, 0-dim tensors, every dtype
 * each op takes, ties, NaN and infinities, and sizes that take the
 * parallel paths (many rows, many columns, one long reduced dim). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "kcheck.h"
#include "reduce.h"

typedef enum { SUM, PROD, MEAN, VAR, STD, NORM, LSE, ANY, ALL, MAX, MIN, MAXD, MIND, ARGMAX, ARGMIN,
               CUMSUM, CUMPROD, SOFTMAX, LOGSOFTMAX, SORT, TOPK, NCASE } kcase;

static const char *const case_names[NCASE] = {
    "sum", "prod", "mean", "var", "std", "norm", "logsumexp", "any", "all", "max", "min",
    "max(dim)", "min(dim)", "argmax", "argmin", "cumsum", "cumprod", "softmax", "log_softmax",
    "sort", "topk"};

typedef struct call {
    kcase c;
    tsh_reduce_spec spec;
    int dim;
    double p; /* norm p, var correction */
    int64_t k;
    bool flag; /* descending / largest / keepdim for dim ops */
} call;

static tsh_status run_call(tsh_tensor *x, const call *c, tsh_tensor **o1, tsh_tensor **o2)
{
    switch (c->c) {
    case SUM: return tsh_sum(x, &c->spec, o1);
    case PROD: return tsh_prod(x, &c->spec, o1);
    case MEAN: return tsh_mean(x, &c->spec, o1);
    case VAR: return tsh_var(x, &c->spec, c->p, false, o1);
    case STD: return tsh_var(x, &c->spec, c->p, true, o1);
    case NORM: return tsh_norm(x, &c->spec, c->p, o1);
    case LSE: return tsh_logsumexp(x, &c->spec, o1);
    case ANY: return tsh_any(x, &c->spec, o1);
    case ALL: return tsh_all(x, &c->spec, o1);
    case MAX: return tsh_max(x, o1);
    case MIN: return tsh_min(x, o1);
    case MAXD: return tsh_max_dim(x, c->dim, c->flag, o1, o2);
    case MIND: return tsh_min_dim(x, c->dim, c->flag, o1, o2);
    case ARGMAX: return tsh_argmax(x, c->dim, c->flag, o1);
    case ARGMIN: return tsh_argmin(x, c->dim, c->flag, o1);
    case CUMSUM: return tsh_cumsum(x, c->dim, c->spec.dtype, o1);
    case CUMPROD: return tsh_cumprod(x, c->dim, c->spec.dtype, o1);
    case SOFTMAX: return tsh_softmax(x, c->dim, c->spec.dtype, o1);
    case LOGSOFTMAX: return tsh_log_softmax(x, c->dim, c->spec.dtype, o1);
    case SORT: return tsh_sort(x, c->dim, c->flag, o1, o2);
    case TOPK: return tsh_topk(x, c->k, c->dim, c->flag, o1, o2);
    default: return TSH_ERR_ARG;
    }
}

/* Tolerance for a result of dtype dt from op c (the reference is double). */
static void tolerance(kcase c, tsh_dtype dt, double *rtol, double *atol)
{
    *rtol = kc_rtol(dt);
    *atol = dt == TSH_F64 ? 1e-9 : dt == TSH_F32 ? 1e-5 : dt == TSH_F16 || dt == TSH_BF16 ? 1e-2 : 0;
    if (c == LSE || c == LOGSOFTMAX || c == SOFTMAX || c == VAR || c == STD || c == NORM)
        if (dt == TSH_F32) *rtol = 2e-5;
}

/* Runs the call with the reference and the fast kernels and compares. */
static void check_call(tsh_tensor *x, const call *c, const char *layout)
{
    tsh_tensor *w1 = NULL, *w2 = NULL, *g1 = NULL, *g2 = NULL;
    char what[256], sh[96];
    snprintf(what, sizeof what, "%s %s %s [%s] dims=%#x dim=%d p=%g k=%lld flag=%d keep=%d",
             case_names[c->c], tsh_dtype_name(x->dtype), layout,
             tsh_shape_str(sh, sizeof sh, x->ndim, x->shape), c->spec.dims, c->dim, c->p,
             (long long)c->k, c->flag, c->spec.keepdim);
    kc_use_ref(1);
    tsh_status s1 = run_call(x, c, &w1, &w2);
    char msg1[512];
    snprintf(msg1, sizeof msg1, "%s", tsh_errmsg());
    kc_use_ref(0);
    tsh_status s2 = run_call(x, c, &g1, &g2);
    KC_CHECK(s1 == s2, "%s: ref status %d (%s), fast status %d (%s)", what, s1, msg1, s2, tsh_errmsg());
    if (s1 == TSH_OK && s2 == TSH_OK) {
        double rtol, atol;
        tolerance(c->c, w1->dtype, &rtol, &atol);
        KC_CHECK(kc_compare(what, g1, w1, rtol, atol), "%s values", what);
        if (w2) KC_CHECK(kc_compare(what, g2, w2, 0, 0), "%s indices", what);
    }
    tsh_tensor_release(w1);
    tsh_tensor_release(w2);
    tsh_tensor_release(g1);
    tsh_tensor_release(g2);
}

/* Sets a fraction of a float tensor's elements to v (NaN, inf, -inf, 0). */
static void sprinkle(tsh_tensor *t, double frac, double v)
{
    if (!tsh_dtype_is_float(t->dtype) && v != 0) return;
    int64_t n = tsh_numel(t);
    for (int64_t i = 0; i < n; i++) {
        if (kc_uniform() >= frac) continue;
        int64_t off = 0, rem = i;
        for (int d = t->ndim - 1; d >= 0; d--) {
            off += (rem % t->shape[d]) * t->stride[d];
            rem /= t->shape[d];
        }
        tsh_store_f64(t->dtype, tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype), v);
    }
}

/* A random input for case c: values chosen so results stay finite where
 * that matters (prod), with ties (small integer ranges) and, for floats,
 * NaN or infinities now and then. Sometimes a broadcast (stride 0) view. */
static tsh_tensor *make_input(kcase c, int nd, const int64_t *shape, tsh_dtype dt, kc_layout lay,
                              const char **lname)
{
    static const char *const names[] = {"contig", "transposed", "strided", "offset"};
    double lo = -3, hi = 3;
    if (c == PROD || c == CUMPROD) lo = 0.5, hi = 1.5;
    if (c == SOFTMAX || c == LOGSOFTMAX || c == LSE) lo = -40, hi = 40;
    if (!tsh_dtype_is_float(dt) && (c == PROD || c == CUMPROD)) lo = -2, hi = 2;
    *lname = names[lay];
    tsh_tensor *x;
    if (nd > 0 && kc_uniform() < 0.15) { /* broadcast along one dim */
        int64_t small[TSH_MAX_DIMS];
        memcpy(small, shape, sizeof(int64_t) * (size_t)nd);
        int d = (int)kc_randint(0, nd - 1);
        small[d] = shape[d] ? 1 : 0;
        tsh_tensor *s = kc_tensor(nd, small, dt, lay, lo, hi);
        tsh_expand_shape(s, nd, shape, &x);
        tsh_tensor_release(s);
        *lname = "broadcast";
        return x;
    }
    x = kc_tensor(nd, shape, dt, lay, lo, hi);
    if (tsh_dtype_is_float(dt) && kc_uniform() < 0.5 && c != PROD && c != CUMPROD) {
        /* rounded values tie often */
        tsh_tensor *i, *f;
        tsh_to_dtype(x, TSH_I64, &i);
        tsh_to_dtype(i, dt, &f);
        tsh_tensor_release(i);
        tsh_tensor_release(x);
        x = f;
    }
    double u = kc_uniform();
    if (u < 0.1) sprinkle(x, 0.05, NAN);
    else if (u < 0.2) sprinkle(x, 0.1, -INFINITY);
    else if (u < 0.25) sprinkle(x, 0.05, INFINITY);
    if (c == ANY || c == ALL) sprinkle(x, 0.7, kc_uniform() < 0.5 ? 0 : 1);
    if (c == SORT || c == TOPK) { /* -0.0 and 0.0 are equal: stable order decides */
        sprinkle(x, 0.15, -0.0);
        sprinkle(x, 0.15, 0.0);
    }
    return x;
}

static bool takes(kcase c, tsh_dtype dt)
{
    bool fl = tsh_dtype_is_float(dt);
    switch (c) {
    case MEAN: case VAR: case STD: case NORM: case SOFTMAX: case LOGSOFTMAX: return fl;
    case ARGMAX: case ARGMIN: case TOPK: return dt != TSH_BOOL;
    default: return true;
    }
}

/* A random call of case c on x. */
static call random_call(kcase c, const tsh_tensor *x)
{
    call k = {.c = c, .spec = {0, kc_uniform() < 0.3, -1}, .dim = 0, .p = 1};
    int nd = x->ndim, n = nd ? nd : 1;
    double u = kc_uniform();
    if (u < 0.4) k.spec.dims = 0;
    else if (u < 0.8) k.spec.dims = 1u << kc_randint(0, n - 1);
    else k.spec.dims = (uint32_t)kc_randint(1, (1 << n) - 1);
    k.dim = (int)kc_randint(0, n - 1);
    k.flag = kc_uniform() < 0.5;
    if (c == ARGMAX || c == ARGMIN) k.dim = kc_uniform() < 0.3 ? -1 : k.dim;
    if (c == VAR || c == STD) k.p = (double)kc_randint(0, 2);
    if (c == NORM) {
        static const double ps[] = {2, 1, 0, 3, 0.5, -1, INFINITY, -INFINITY};
        k.p = ps[kc_randint(0, 7)];
    }
    if (c == TOPK) k.k = kc_randint(0, nd ? x->shape[k.dim] : 1);
    if ((c == SUM || c == CUMSUM) && kc_uniform() < 0.2) k.spec.dtype = TSH_F64;
    return k;
}

static void test_random(void)
{
    static const tsh_dtype dts[] = {TSH_F32, TSH_F64, TSH_I64, TSH_I32, TSH_U8, TSH_BOOL, TSH_F16, TSH_BF16};
    for (int c = 0; c < NCASE; c++)
        for (int iter = 0; iter < 48; iter++) {
            int64_t shape[TSH_MAX_DIMS];
            int nd = kc_rand_shape(4, 7, 1, shape);
            tsh_dtype dt = dts[iter % 8];
            if (!takes((kcase)c, dt)) dt = dts[iter % 2];
            const char *lname;
            tsh_tensor *x = make_input((kcase)c, nd, shape, dt, (kc_layout)(iter % KC_LAYOUT_COUNT), &lname);
            call k = random_call((kcase)c, x);
            check_call(x, &k, lname);
            tsh_tensor_release(x);
        }
}

/* Shapes that take each parallel path: many rows, many columns, a long
 * reduced dim with few outputs (split and combined), with inner > 1 too,
 * rows wider than a sum's column block (1024: two full, one partial), and
 * one narrow row of columns over many rows (the rows split in 4 chunks,
 * then for float32 over a full and a partial block). sum and mean take
 * float16/bfloat16 on the row, column and split paths. */
static void test_large(void)
{
    static const int64_t shapes[][3] = {{3000, 97, 1}, {5, 300, 700}, {1, 100000, 1},
                                        {2, 70001, 3}, {1, 40000, 1}, {200, 9, 300},
                                        {3, 40, 2100}, {1, 1000, 500}, {1, 300, 1100}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int c = 0; c < NCASE; c++) {
            int64_t shape[3] = {shapes[s][0], shapes[s][1], shapes[s][2]};
            tsh_dtype dt = (c + (int)s) % 3 == 0 ? TSH_F64 : TSH_F32;
            if ((c == SUM || c == MEAN) && (s == 0 || s == 1 || s == 4 || s == 8))
                dt = (s + (size_t)c) % 2 ? TSH_F16 : TSH_BF16; /* kernels that widen halves */
            if ((c == ARGMAX || c == SORT || c == ANY) && s % 2) dt = TSH_I32;
            if (c == SORT && s == 2) dt = TSH_F32;
            if (c == SUM && s == 7) dt = TSH_I32; /* integer partial sums combined */
            const char *lname;
            tsh_tensor *x = make_input((kcase)c, 3, shape, dt, KC_CONTIG, &lname);
            call k = {.c = (kcase)c, .spec = {1u << 1, false, -1}, .dim = 1, .p = 2, .k = 5, .flag = true};
            if (c == MAX || c == MIN || (s == 4 && c < MAX)) k.spec.dims = 0;
            if ((c == CUMPROD || c == PROD) && shape[1] > 1000) {
                tsh_tensor_release(x);
                continue; /* products of that many terms only under/overflow */
            }
            check_call(x, &k, lname);
            tsh_tensor_release(x);
        }
}

/* The paths of sort and topk: lines long enough for the radix sort (over 32
 * elements) and for topk's heap scan (k * 16 <= n, with a partial last
 * block of 16), in every dtype, ascending and descending, along the last
 * dim and a middle one, with ties, NaN, infinities and signed zeros; k = 1,
 * k = n and rows sorted the wrong way round (every item beats the heap). */
static void test_sort_paths(void)
{
    static const tsh_dtype dts[] = {TSH_F32, TSH_F64, TSH_I64, TSH_I32, TSH_U8, TSH_BOOL, TSH_F16};
    static const int64_t lens[] = {33, 100, 1000, 4099};
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
            for (int c = SORT; c <= TOPK; c++) {
                if (!takes((kcase)c, dts[d])) continue;
                int64_t n = lens[l], shape[3] = {3, n, 1 + (int64_t)(l % 2) * 4};
                const char *lname;
                tsh_tensor *x = make_input((kcase)c, 3, shape, dts[d], (kc_layout)(l % 2 ? KC_TRANSPOSED : KC_CONTIG), &lname);
                static const int64_t ks[] = {1, 5, 0};
                for (int kk = 0; kk < 3; kk++) {
                    call k = {.c = (kcase)c, .spec = {0, false, -1}, .dim = 1, .k = ks[kk] ? ks[kk] : n,
                              .flag = (kk + (int)l) % 2 == 0};
                    check_call(x, &k, lname);
                    k.dim = 2;
                    k.k = 1;
                    check_call(x, &k, lname);
                }
                tsh_tensor_release(x);
            }
    /* a row in increasing order: for the largest k every element enters the heap */
    int64_t shape[2] = {2, 3000};
    tsh_tensor *r;
    tsh_arange(tsh_num_int(0), tsh_num_int(6000), tsh_num_int(1), TSH_F32, tsh_cpu_device(), &r);
    tsh_tensor *x;
    tsh_view(r, 2, shape, &x);
    for (int flag = 0; flag < 2; flag++) {
        call k = {.c = TOPK, .spec = {0, false, -1}, .dim = 1, .k = 100, .flag = flag};
        check_call(x, &k, "arange");
    }
    tsh_tensor_release(x);
    tsh_tensor_release(r);
}

/* float32 sums of a million elements hold float32 accuracy, checked against
 * an exact expectation (not against the reference). */
static void test_accuracy(void)
{
    int64_t n = 1 << 20;
    tsh_tensor *x;
    tsh_full(1, &n, 0.1, TSH_F32, tsh_cpu_device(), &x);
    double want = 0.1f * (double)n, got;
    tsh_tensor *s;
    tsh_reduce_spec all = TSH_REDUCE_ALL;
    KC_CHECK(tsh_sum(x, &all, &s) == TSH_OK, "sum 1M");
    tsh_item_f64(s, &got);
    KC_CHECK(fabs(got - want) <= 1e-6 * want, "sum of 1M x 0.1f: got %.9g want %.9g", got, want);
    tsh_tensor_release(s);
    KC_CHECK(tsh_mean(x, &all, &s) == TSH_OK, "mean 1M");
    tsh_item_f64(s, &got);
    KC_CHECK(fabs(got - 0.1f) <= 1e-7, "mean of 1M x 0.1f: got %.9g", got);
    tsh_tensor_release(s);
    KC_CHECK(tsh_var(x, &all, 1, false, &s) == TSH_OK, "var 1M");
    tsh_item_f64(s, &got);
    KC_CHECK(fabs(got) <= 1e-12, "var of a constant: got %g", got);
    tsh_tensor_release(s);
    tsh_tensor_release(x);
    /* alternating +1e4, -1e4 + 1: heavy cancellation; exact answer n/2 */
    tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &x);
    for (int64_t i = 0; i < n; i++) ((float *)tsh_data(x))[i] = i % 2 ? -1e4f + 1 : 1e4f;
    tsh_sum(x, &all, &s);
    tsh_item_f64(s, &got);
    KC_CHECK(got == (double)(n / 2), "cancelling sum: got %.9g want %lld", got, (long long)(n / 2));
    tsh_tensor_release(s);
    tsh_tensor_release(x);
}

/* Results must not depend on the number of threads: a long row split in
 * chunks, and columns over many rows split in chunks of rows. */
static void test_threads(void)
{
    static const int64_t shapes[][2] = {{3, 200003}, {5000, 300}};
    int nt = tsh_get_num_threads();
    for (int s = 0; s < 2; s++) {
        tsh_tensor *x = kc_tensor(2, shapes[s], TSH_F32, KC_CONTIG, -1, 1), *a, *b;
        tsh_reduce_spec spec = {1u << (1 - s), false, -1};
        tsh_set_num_threads(1);
        tsh_sum(x, &spec, &a);
        tsh_set_num_threads(nt > 1 ? nt : 2);
        tsh_sum(x, &spec, &b);
        KC_CHECK(kc_compare("sum 1 vs n threads", b, a, 0, 0), "thread count changes a sum");
        tsh_tensor_release(a);
        tsh_tensor_release(b);
        tsh_tensor_release(x);
    }
    tsh_set_num_threads(nt);
}

/* Errors the front end must report, not crash on. */
static void test_errors(void)
{
    int64_t z[2] = {0, 3}, s1[1] = {4};
    tsh_tensor *e, *x, *o = NULL, *o2 = NULL;
    tsh_tensor_empty(2, z, TSH_F32, tsh_cpu_device(), &e);
    tsh_tensor_empty(1, s1, TSH_I64, tsh_cpu_device(), &x);
    tsh_fill_(x, 1);
    tsh_reduce_spec all = TSH_REDUCE_ALL, bad = {1u << 5, false, -1};
    KC_CHECK(tsh_max(e, &o) == TSH_ERR_SHAPE && strstr(tsh_errmsg(), "non-empty"), "max of empty: %s", tsh_errmsg());
    KC_CHECK(tsh_max_dim(e, 0, false, &o, &o2) == TSH_ERR_SHAPE, "max over a dim of size 0");
    KC_CHECK(tsh_max_dim(e, 1, false, &o, &o2) == TSH_OK && tsh_numel(o) == 0, "max over a nonempty dim of an empty tensor");
    tsh_tensor_release(o), tsh_tensor_release(o2);
    KC_CHECK(tsh_mean(x, &all, &o) == TSH_ERR_DTYPE && strstr(tsh_errmsg(), "Got: Long"), "mean of int64: %s", tsh_errmsg());
    KC_CHECK(tsh_sum(x, &bad, &o) == TSH_ERR_INDEX, "dim out of range: %s", tsh_errmsg());
    KC_CHECK(tsh_topk(x, 5, 0, true, &o, &o2) == TSH_ERR_INDEX, "k too large: %s", tsh_errmsg());
    KC_CHECK(tsh_softmax(x, 0, -1, &o) == TSH_ERR_DTYPE, "softmax of int64: %s", tsh_errmsg());
    KC_CHECK(tsh_softmax(x, 0, TSH_F32, &o) == TSH_OK, "softmax of int64 with dtype");
    tsh_tensor_release(o);
    tsh_tensor_release(e);
    tsh_tensor_release(x);
}

/* float16/bfloat16 sum and mean along rows (the one-pass AVX-512 sum:
 * full blocks of 64, a tail, blocks of 4096 and the split path), along
 * columns and over everything, and max() and min(), with NaN and inf in
 * some; then again with TENSH_HALF512=0 for the path that widens blocks
 * into L1. */
static void test_half_rows(void)
{
    static const kcase cases[] = {SUM, MEAN, MAX, MIN};
    static const int64_t shapes[][3] = {{1, 100000, 1}, {3000, 97, 1}, {3, 4099, 1}, {5, 300, 700}, {2, 13, 1}};
    static const tsh_dtype dts[] = {TSH_F16, TSH_BF16};
    for (int portable = 0; portable < 2; portable++) {
        if (portable) setenv("TENSH_HALF512", "0", 1);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int d = 0; d < 2; d++)
                for (int m = 0; m < 4; m++) {
                    kcase c = cases[m];
                    int64_t shape[3] = {shapes[s][0], shapes[s][1], shapes[s][2]};
                    const char *lname;
                    tsh_tensor *x = make_input(c, 3, shape, dts[d], KC_CONTIG, &lname);
                    if (s == 1 || s == 4) sprinkle(x, s == 1 ? 0.01 : 0.1, d ? NAN : INFINITY);
                    call k = {.c = c, .spec = {1u << 1, false, -1}, .dim = 1};
                    if (c == SUM || c == MEAN) check_call(x, &k, lname);
                    k.spec.dims = 0;
                    check_call(x, &k, lname);
                    tsh_tensor_release(x);
                }
    }
    unsetenv("TENSH_HALF512");
}

int main(void)
{
    tsh_backends_init();
    kc_seed(7);
    test_random();
    test_large();
    test_half_rows();
    test_sort_paths();
    test_accuracy();
    test_threads();
    test_errors();
    return kc_finish();
}
