/* test_kernels_nn.c: the fast nn kernels (conv2d and its backwards through
 * the direct kernel, oneDNN and im2col + GEMM; the poolings; the fused class
 * losses) against the reference ones, through the front end and autograd:
 * each case runs forward and backward once on the reference kernels and
 * once on the fast ones, and compares outputs and every input gradient.
 * Random shapes, strides, padding, dilation, groups, ceil_mode, every input
 * layout, empty batches, NaN in max pooling, every float dtype; the
 * compositions (linear, norms, embedding, dropout, regression losses) the
 * same way; a few known values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "create.h"
#include "cpu/nn.h"
#include "kcheck.h"
#include "nn.h"
#include "optim.h"

static const tsh_dtype dtypes[] = {TSH_F32, TSH_F64, TSH_F16, TSH_BF16};

/* What one run produces: outputs, then input gradients (NULL: none). */
typedef struct {
    tsh_tensor *t[8];
    int n;
} results;

static void results_free(results *r)
{
    for (int k = 0; k < r->n; k++) tsh_tensor_release(r->t[k]);
    r->n = 0;
}

static void add(results *r, tsh_tensor *t) { r->t[r->n++] = t; }

/* Leaves of a case: inputs that take gradients; their grads are collected. */
typedef struct {
    tsh_tensor *in[4];
    int nin;
} leaves;

static void collect_grads(const leaves *lv, results *r)
{
    for (int k = 0; k < lv->nin; k++) add(r, tsh_tensor_retain(tsh_grad(lv->in[k])));
}

static void clear_grads(const leaves *lv)
{
    for (int k = 0; k < lv->nin; k++) tsh_set_grad(lv->in[k], NULL);
}

typedef tsh_status (*run_fn)(void *ctx, results *r);

/* Runs f on the reference kernels, then on the fast ones, and compares
 * every result (NULL on both sides is fine). */
static void both(const char *what, run_fn f, void *ctx, double rtol, double atol)
{
    results want = {0}, got = {0};
    kc_use_ref(1);
    tsh_status s1 = f(ctx, &want);
    kc_use_ref(0);
    tsh_status s2 = s1 == TSH_OK ? f(ctx, &got) : s1;
    KC_CHECK(s1 == TSH_OK && s2 == TSH_OK, "%s: status %d/%d: %s", what, s1, s2, tsh_errmsg());
    if (s1 == TSH_OK && s2 == TSH_OK) {
        KC_CHECK(got.n == want.n, "%s: %d results vs %d", what, got.n, want.n);
        for (int k = 0; k < got.n && k < want.n; k++) {
            char w[300];
            snprintf(w, sizeof w, "%s [result %d]", what, k);
            if (!got.t[k] || !want.t[k]) KC_CHECK(!got.t[k] && !want.t[k], "%s: one side missing", w);
            else KC_CHECK(kc_compare(w, got.t[k], want.t[k], rtol, atol), "%s", w);
        }
    }
    results_free(&want);
    results_free(&got);
}

static kc_layout rand_layout(void) { return (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1); }

static tsh_tensor *leaf(int nd, const int64_t *shape, tsh_dtype dt, bool grad)
{
    tsh_tensor *t = kc_tensor(nd, shape, dt, rand_layout(), -1, 1);
    if (grad) tsh_set_requires_grad(t, true);
    return t;
}

/* Element i of a contiguous t, as a double. */
static double item(tsh_tensor *t, int64_t i)
{
    return tsh_load_f64(t->dtype, tsh_data(t) + i * (int64_t)tsh_dtype_size(t->dtype));
}

/* A random output gradient of y's shape, made once per case (both runs
 * must see the same one). */
static tsh_status backward_with(tsh_tensor *y, tsh_tensor **g)
{
    if (!*g) *g = kc_tensor(y->ndim, y->shape, y->dtype, rand_layout(), -1, 1);
    return tsh_backward(y, *g, false);
}

/* ---- conv2d ---- */

typedef struct {
    leaves lv;
    tsh_tensor *x, *w, *b, *g;
    tsh_conv_opts o;
} conv_case;

static tsh_status run_conv(void *vc, results *r)
{
    conv_case *c = vc;
    clear_grads(&c->lv);
    tsh_tensor *y = NULL;
    TSH_TRY(tsh_conv2d(c->x, c->w, c->b, &c->o, &y));
    tsh_status st = backward_with(y, &c->g);
    add(r, y);
    if (st == TSH_OK) collect_grads(&c->lv, r);
    return st;
}

static void test_conv_random(const char *path)
{
    for (int iter = 0; iter < 160; iter++) {
        tsh_dtype dt = dtypes[iter % 4];
        conv_case c = {0};
        int64_t groups = kc_randint(1, 3), cin_g = kc_randint(1, 3), cout_g = kc_randint(1, 3);
        int64_t N = kc_uniform() < 0.1 ? 0 : kc_randint(1, 3), k[2], in[2];
        for (int d = 0; d < 2; d++) {
            k[d] = kc_randint(1, 4);
            c.o.stride[d] = kc_randint(1, 3);
            c.o.padding[d] = kc_randint(0, 2);
            c.o.dilation[d] = kc_randint(1, 2);
            int64_t span = c.o.dilation[d] * (k[d] - 1) + 1 - 2 * c.o.padding[d];
            in[d] = (span > 1 ? span : 1) + kc_randint(0, 7);
        }
        c.o.groups = groups;
        if (iter % 5 == 0) { /* the direct kernel's cases: stride 1, rows 12..32 wide */
            static const int64_t widths[] = {3, 5, 7, 2}; /* its specialised kernel widths, and another */
            c.o.stride[0] = c.o.stride[1] = c.o.dilation[0] = c.o.dilation[1] = 1;
            k[1] = widths[kc_randint(0, 3)];
            if (kc_uniform() < 0.5) cout_g = kc_randint(4, 13); /* partial channel blocks */
            in[1] = k[1] - 2 * c.o.padding[1] - 1 + kc_randint(12, 32);
        }
        bool batched = iter % 7 != 3, bias = kc_uniform() < 0.7;
        int64_t xs[4] = {N, groups * cin_g, in[0], in[1]}, ws[4] = {groups * cout_g, cin_g, k[0], k[1]};
        int64_t bs[1] = {groups * cout_g};
        c.x = leaf(batched ? 4 : 3, batched ? xs : xs + 1, dt, kc_uniform() < 0.8);
        c.w = leaf(4, ws, dt, true);
        c.b = bias ? leaf(1, bs, dt, true) : NULL;
        c.lv = (leaves){{c.x, c.w, c.b}, bias ? 3 : 2};
        double terms = (double)(cin_g * k[0] * k[1] + (N + 1) * in[0] * in[1] + cout_g * k[0] * k[1]);
        double rtol = kc_rtol(dt) * 10, atol = (dt == TSH_F64 ? 1e-13 : 3e-6) * terms;
        if (dt == TSH_F16) atol += 4e-3, rtol = 4e-3;
        if (dt == TSH_BF16) atol += 3e-2, rtol = 3e-2;
        char what[256];
        snprintf(what, sizeof what, "conv2d[%s] %s N=%lld groups=%lld cin/g=%lld cout/g=%lld %lldx%lld k=%lldx%lld "
                 "s=%lldx%lld p=%lldx%lld d=%lldx%lld%s", path, tsh_dtype_name(dt), (long long)N, (long long)groups,
                 (long long)cin_g, (long long)cout_g, (long long)in[0], (long long)in[1], (long long)k[0],
                 (long long)k[1], (long long)c.o.stride[0], (long long)c.o.stride[1], (long long)c.o.padding[0],
                 (long long)c.o.padding[1], (long long)c.o.dilation[0], (long long)c.o.dilation[1],
                 batched ? "" : " unbatched");
        both(what, run_conv, &c, rtol, atol);
        tsh_tensor_release(c.x);
        tsh_tensor_release(c.w);
        tsh_tensor_release(c.b);
        tsh_tensor_release(c.g);
    }
}

/* LeNet's two convolutions and a 1x1 one (the im2col path's direct case),
 * at their real sizes; then the direct kernel's specialised weight-gradient
 * widths (3, 5, 7), each with rows of one and of two vectors and with full
 * and partial channel blocks. {N, C, H = W, O, K, padding} */
static const int64_t conv_shapes[][6] = {{8, 1, 28, 6, 5, 2}, {8, 6, 14, 16, 5, 0}, {4, 8, 9, 5, 1, 0},
                                         {3, 3, 16, 6, 3, 1}, {3, 3, 20, 11, 3, 1}, {3, 1, 12, 4, 5, 2},
                                         {3, 2, 22, 9, 5, 0}, {3, 1, 14, 5, 7, 3}, {3, 1, 24, 10, 7, 3}};
#define LENET_SHAPES 3
#define ALL_SHAPES ((int)(sizeof conv_shapes / sizeof conv_shapes[0]))

/* Cases [from, to) of conv_shapes. */
static void test_conv_shapes(const char *path, int from, int to)
{
    const int64_t (*cases)[6] = conv_shapes;
    for (int i = from; i < to; i++) {
        conv_case c = {0};
        int64_t xs[4] = {cases[i][0], cases[i][1], cases[i][2], cases[i][2]};
        int64_t ws[4] = {cases[i][3], cases[i][1], cases[i][4], cases[i][4]}, bs[1] = {cases[i][3]};
        c.o = (tsh_conv_opts){{1, 1}, {cases[i][5], cases[i][5]}, {1, 1}, 1};
        c.x = leaf(4, xs, TSH_F32, true);
        c.w = leaf(4, ws, TSH_F32, true);
        c.b = leaf(1, bs, TSH_F32, true);
        c.lv = (leaves){{c.x, c.w, c.b}, 3};
        char what[96];
        snprintf(what, sizeof what, "conv2d[%s] shape case %d", path, i);
        both(what, run_conv, &c, 1e-4, 2e-3);
        tsh_tensor_release(c.x);
        tsh_tensor_release(c.w);
        tsh_tensor_release(c.b);
        tsh_tensor_release(c.g);
    }
}

/* ---- pooling ---- */

typedef struct {
    leaves lv;
    tsh_tensor *x, *g;
    tsh_pool_opts o;
    int kind; /* 0 max, 1 avg, 2 adaptive */
    int64_t size[2];
} pool_case;

static tsh_status run_pool(void *vc, results *r)
{
    pool_case *c = vc;
    clear_grads(&c->lv);
    tsh_tensor *y = NULL, *ix = NULL;
    tsh_status st = c->kind == 0 ? tsh_max_pool2d(c->x, &c->o, &y, &ix)
                    : c->kind == 1 ? tsh_avg_pool2d(c->x, &c->o, &y)
                                   : tsh_adaptive_avg_pool2d(c->x, c->size, &y);
    if (st != TSH_OK) return st;
    st = backward_with(y, &c->g);
    add(r, y);
    if (ix) add(r, ix);
    if (st == TSH_OK) collect_grads(&c->lv, r);
    return st;
}

/* Puts NaN at a few random elements (max pooling must pick them). */
static void sprinkle_nan(tsh_tensor *t)
{
    int64_t n = tsh_numel(t);
    for (int64_t i = 0; i < n; i++)
        if (kc_uniform() < 0.05) {
            int64_t off = 0, rem = i;
            for (int d = t->ndim - 1; d >= 0; d--) {
                off += (rem % t->shape[d]) * t->stride[d];
                rem /= t->shape[d];
            }
            tsh_store_f64(t->dtype, tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype), NAN);
        }
}

static void test_pool_random(void)
{
    for (int iter = 0; iter < 240; iter++) {
        tsh_dtype dt = dtypes[iter % 4];
        pool_case c = {0};
        c.kind = iter % 3;
        int64_t N = kc_uniform() < 0.1 ? 0 : kc_randint(1, 3), C = kc_randint(1, 3), in[2];
        for (int d = 0; d < 2; d++) {
            c.o.kernel[d] = kc_randint(1, 4);
            c.o.stride[d] = kc_randint(1, 3);
            c.o.padding[d] = kc_randint(0, c.o.kernel[d] / 2);
            c.o.dilation[d] = c.kind == 0 ? kc_randint(1, 2) : 1;
            in[d] = c.o.dilation[d] * (c.o.kernel[d] - 1) + 1 + kc_randint(0, 6);
            c.size[d] = kc_randint(1, in[d] + 2);
        }
        c.o.ceil_mode = kc_uniform() < 0.5;
        c.o.count_include_pad = kc_uniform() < 0.5;
        if (iter % 11 == 0) /* LeNet's pooling: the 2x2 stride-2 fast path, and its ceil_mode */
        {
            c.o = (tsh_pool_opts){{2, 2}, {2, 2}, {0, 0}, {1, 1}, iter % 22 == 0, true};
            for (int d = 0; d < 2; d++) in[d] = in[d] < 2 ? 2 + kc_randint(0, 5) : in[d];
        }
        if (c.kind == 2 && iter % 4 == 0) /* windows of 16 columns or more: the vector row sums */
            for (int d = 0; d < 2; d++) {
                in[d] = kc_randint(14, 40);
                c.size[d] = kc_randint(1, 3);
            }
        bool batched = iter % 5 != 2;
        int64_t xs[4] = {N, C, in[0], in[1]};
        c.x = leaf(batched ? 4 : 3, batched ? xs : xs + 1, dt, true);
        if (c.kind == 0 && kc_uniform() < 0.3) sprinkle_nan(c.x);
        c.lv = (leaves){{c.x}, 1};
        char what[200];
        snprintf(what, sizeof what, "%s %s %lldx%lld k=%lldx%lld s=%lldx%lld p=%lldx%lld d=%lldx%lld ceil=%d incl=%d",
                 c.kind == 0 ? "max_pool2d" : c.kind == 1 ? "avg_pool2d" : "adaptive_avg_pool2d", tsh_dtype_name(dt),
                 (long long)in[0], (long long)in[1], (long long)c.o.kernel[0], (long long)c.o.kernel[1],
                 (long long)c.o.stride[0], (long long)c.o.stride[1], (long long)c.o.padding[0],
                 (long long)c.o.padding[1], (long long)c.o.dilation[0], (long long)c.o.dilation[1], c.o.ceil_mode,
                 c.o.count_include_pad);
        double rtol = kc_rtol(dt) * 10, atol = dt == TSH_F64 ? 1e-13 : 1e-6;
        if (dt == TSH_F16 || dt == TSH_BF16) atol = rtol = dt == TSH_F16 ? 4e-3 : 3e-2;
        both(what, run_pool, &c, rtol, atol);
        tsh_tensor_release(c.x);
        tsh_tensor_release(c.g);
    }
}

/* Sets each element of t (any layout) to one drawn from vals. */
static void fill_from(tsh_tensor *t, const double *vals, int nvals)
{
    int64_t n = tsh_numel(t);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0, rem = i;
        for (int d = t->ndim - 1; d >= 0; d--) {
            off += (rem % t->shape[d]) * t->stride[d];
            rem /= t->shape[d];
        }
        double v = vals[kc_randint(0, nvals - 1)];
        tsh_store_f64(t->dtype, tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype), v);
    }
}

/* The 2x2, stride-2 loops of max pooling (AVX-512, and the portable
 * forward), against the reference: rows of 4, 5 and 8 windows (two rows a
 * forward vector, from one plane or two, an odd count of rows leaving the
 * last alone), 9, 14, 16, 17 and 33 (whole and partial groups of 16
 * windows forward, 8 backward), odd H and W (a row or column no window
 * covers, which backward must zero), and windows of ties (the first wins,
 * -0 before 0 included), infinities and NaN (the first NaN wins). Backward
 * runs on the indices the forward made. */
static void test_pool_2x2(void)
{
    static const int64_t shapes[][4] = {
        {2, 3, 10, 10}, {1, 3, 11, 11}, {3, 1, 7, 9}, {2, 2, 28, 28}, {1, 3, 29, 29}, {1, 2, 7, 32},
        {2, 1, 6, 33},  {1, 2, 5, 34},  {1, 1, 4, 35}, {1, 2, 3, 66},  {1, 1, 9, 67},  {1, 2, 2, 2},
        {1, 1, 17, 16}, {1, 1, 8, 18},  {2, 1, 3, 3},
    };
    static const double ties[] = {0.0, -0.0, 1.0, 1.0, -1.0, 2.0, 2.0, 0.5};
    static const double specials[] = {-INFINITY, INFINITY, NAN, 0.0, -INFINITY, -INFINITY};
    int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    int64_t before = tsh_pool512_calls(), want512 = 0;
    for (int avx = 1; avx >= 0; avx--) {
        setenv("TENSH_POOL_AVX512", avx ? "1" : "0", 1);
        for (int s = 0; s < nshapes; s++)
            for (int data = 0; data < 4; data++)
                for (int d = 0; d < 2; d++) {
                    tsh_dtype dt = d ? TSH_F64 : TSH_F32;
                    if (avx && dt == TSH_F32) want512 += 2; /* forward and backward */
                    pool_case c = {0};
                    c.o = (tsh_pool_opts){{2, 2}, {2, 2}, {0, 0}, {1, 1}, false, true};
                    c.x = leaf(4, shapes[s], dt, true);
                    if (data == 1) sprinkle_nan(c.x);
                    if (data == 2) fill_from(c.x, ties, 8);
                    if (data == 3) fill_from(c.x, specials, 6);
                    c.lv = (leaves){{c.x}, 1};
                    char what[160];
                    snprintf(what, sizeof what, "max_pool2d 2x2 %s %lldx%lldx%lldx%lld data %d avx512 %s",
                             tsh_dtype_name(dt), (long long)shapes[s][0], (long long)shapes[s][1],
                             (long long)shapes[s][2], (long long)shapes[s][3], data, avx ? "on" : "off");
                    both(what, run_pool, &c, kc_rtol(dt), 0);
                    tsh_tensor_release(c.x);
                    tsh_tensor_release(c.g);
                }
    }
    setenv("TENSH_POOL_AVX512", "1", 1);
    if (before >= 0)
        KC_CHECK(tsh_pool512_calls() - before == want512, "the AVX-512 pooling loops ran %lld of %lld ops",
                 (long long)(tsh_pool512_calls() - before), (long long)want512);
}

/* The AVX-512 loops write through masks, which the sanitizers do not see:
 * check by hand that they write nothing past their outputs, for runs that
 * end on a lone row (pairs of rows) or a partial group; and that backward
 * refuses an index far outside its plane. */
static void test_pool512_bounds(void)
{
    if (tsh_pool512_calls() < 0) return;
    enum { GUARD = 40 };
    static const int64_t dims[][5] = {{10, 10, 5, 5, 3}, {7, 9, 3, 4, 1}, {16, 16, 8, 8, 1}, {6, 34, 3, 17, 1},
                                      {5, 29, 2, 14, 3}};
    for (int i = 0; i < 5; i++) {
        tsh_pool_dims d = {dims[i][0], dims[i][1], dims[i][2], dims[i][3]};
        int64_t planes = dims[i][4], nin = planes * d.H * d.W, nout = planes * d.OH * d.OW;
        float *x = malloc(sizeof(float) * (size_t)nin), *y = malloc(sizeof(float) * (size_t)(nout + GUARD));
        float *dx = malloc(sizeof(float) * (size_t)(nin + GUARD));
        int64_t *ix = malloc(sizeof(int64_t) * (size_t)(nout + GUARD));
        for (int64_t k = 0; k < nin; k++) x[k] = (float)kc_uniform();
        for (int k = 0; k < GUARD; k++) y[nout + k] = dx[nin + k] = -7.0f, ix[nout + k] = -7;
        tsh_pool512_max2x2(x, &d, planes, y, ix);
        KC_CHECK(tsh_pool512_max2x2_bwd(dx, &d, planes, y, ix), "pool512 backward refused its own indices");
        int bad = 0;
        for (int k = 0; k < GUARD; k++) bad += y[nout + k] != -7.0f || ix[nout + k] != -7 || dx[nin + k] != -7.0f;
        KC_CHECK(!bad, "pool512 %lldx%lld x %lld planes wrote past its outputs", (long long)d.H, (long long)d.W,
                 (long long)planes);
        /* an index 2^59 past a good one: 32 times its offset wraps to the good one's */
        ix[nout - 1] += (int64_t)1 << 59;
        KC_CHECK(!tsh_pool512_max2x2_bwd(dx, &d, planes, y, ix), "pool512 backward took an index of 2^59");
        free(x), free(y), free(dx), free(ix);
    }
}

/* A dy of -0 comes back as +0 (the general loop adds it to a zeroed
 * gradient; the 2x2 loops, which write it, must not keep its sign). */
static void test_pool_2x2_negative_zero(void)
{
    int64_t xs[4] = {1, 1, 4, 6};
    tsh_pool_opts o = {{2, 2}, {2, 2}, {0, 0}, {1, 1}, false, true};
    for (int path = 0; path < 3; path++)
        for (int d = 0; d < 2; d++) {
            kc_use_ref(path == 2);
            setenv("TENSH_POOL_AVX512", path == 0 ? "1" : "0", 1);
            tsh_tensor *x = kc_tensor(4, xs, d ? TSH_F64 : TSH_F32, KC_CONTIG, -1, 1), *y = NULL, *g = NULL;
            tsh_set_requires_grad(x, true);
            KC_CHECK(tsh_max_pool2d(x, &o, &y, NULL) == TSH_OK, "max_pool2d: %s", tsh_errmsg());
            KC_CHECK(y && tsh_full(y->ndim, y->shape, -0.0, y->dtype, tsh_cpu_device(), &g) == TSH_OK, "full");
            KC_CHECK(g && tsh_backward(y, g, false) == TSH_OK, "backward: %s", tsh_errmsg());
            tsh_tensor *gx = tsh_grad(x);
            for (int64_t i = 0; gx && i < tsh_numel(gx); i++)
                KC_CHECK(!signbit(item(gx, i)), "max_pool2d 2x2 backward of -0 (path %d, %s) [%lld] is -0", path,
                         tsh_dtype_name(x->dtype), (long long)i);
            tsh_tensor_release(x);
            tsh_tensor_release(y);
            tsh_tensor_release(g);
        }
    kc_use_ref(0);
    setenv("TENSH_POOL_AVX512", "1", 1);
}

/* Backward of the 2x2 case with indices the forward could not have made
 * (outside their windows, two windows naming one element): the fast loops
 * must notice and fall back to the general scatter. */
static void test_pool_2x2_foreign_indices(void)
{
    int64_t xs[4] = {1, 2, 5, 7}, ys[4] = {1, 2, 2, 3};
    int64_t win[4] = {tsh_hw_pack(2, 2), tsh_hw_pack(0, 0), tsh_hw_pack(1, 1), tsh_hw_pack(2, 2)};
    for (int d = 0; d < 2; d++) {
        tsh_dtype dt = d ? TSH_F64 : TSH_F32;
        tsh_tensor *dy = kc_tensor(4, ys, dt, KC_CONTIG, -1, 1), *ix = NULL, *dx[2] = {NULL, NULL};
        tsh_tensor_empty(4, ys, TSH_I64, tsh_cpu_device(), &ix);
        int64_t *ip = (int64_t *)tsh_data(ix);
        for (int64_t p = 0; p < 2; p++)
            for (int64_t oh = 0; oh < 2; oh++)
                for (int64_t ow = 0; ow < 3; ow++) /* the window's bottom right, but plane 1's second is 1 */
                    ip[(p * 2 + oh) * 3 + ow] = p == 1 && oh == 0 && ow == 1 ? 1 : (2 * oh + 1) * 7 + 2 * ow + 2;
        for (int ref = 0; ref < 2; ref++) {
            kc_use_ref(ref);
            tsh_tensor_empty(4, xs, dt, tsh_cpu_device(), &dx[ref]);
            tsh_kargs k = {.out = dx[ref], .in = {dy, ix}, .i = {win[0], win[1], win[2], win[3], 0}};
            KC_CHECK(tsh_dispatch(TSH_OP_MAX_POOL2D_BWD, &k) == TSH_OK, "max_pool2d backward: %s", tsh_errmsg());
        }
        kc_use_ref(0);
        KC_CHECK(kc_compare("max_pool2d 2x2 backward, foreign indices", dx[0], dx[1], 0, 0), "foreign indices %s",
                 tsh_dtype_name(dt));
        tsh_tensor *arr[4] = {dy, ix, dx[0], dx[1]};
        for (int j = 0; j < 4; j++) tsh_tensor_release(arr[j]);
    }
}

/* ---- class losses ---- */

typedef struct {
    leaves lv;
    tsh_tensor *x, *t, *w, *g;
    bool nll;
    int64_t ignore;
    tsh_reduction r;
    double eps;
} loss_case;

static tsh_status run_loss(void *vc, results *r)
{
    loss_case *c = vc;
    clear_grads(&c->lv);
    tsh_tensor *y = NULL;
    TSH_TRY(c->nll ? tsh_nll_loss(c->x, c->t, c->w, c->ignore, c->r, &y)
                   : tsh_cross_entropy(c->x, c->t, c->w, c->ignore, c->r, c->eps, &y));
    tsh_status st = backward_with(y, &c->g);
    add(r, y);
    if (st == TSH_OK) collect_grads(&c->lv, r);
    return st;
}

static void test_loss_random(void)
{
    for (int iter = 0; iter < 300; iter++) {
        tsh_dtype dt = dtypes[iter % 4];
        loss_case c = {0};
        c.nll = iter % 4 == 1;
        int nd = (int)kc_randint(1, 4);
        /* C from 16 on reaches the CPU's vectorised float32 rows, and with
         * C not a multiple of 16 their padded last chunk */
        double u = kc_uniform();
        int64_t shape[4], C = u < 0.05 ? 1 : u < 0.35 ? kc_randint(16, 40) : kc_randint(2, 9);
        for (int d = 0; d < nd; d++) shape[d] = kc_randint(1, 5);
        if (nd >= 2 && kc_uniform() < 0.1) shape[0] = 0;
        shape[nd == 1 ? 0 : 1] = C;
        bool probs = !c.nll && kc_uniform() < 0.3;
        c.ignore = kc_uniform() < 0.5 || probs ? -100 : kc_randint(0, C);
        c.r = (tsh_reduction)kc_randint(0, 2);
        c.eps = c.nll || kc_uniform() < 0.4 ? 0 : kc_uniform() * 0.5;
        c.x = leaf(nd, shape, dt, true);
        if (probs) {
            c.t = leaf(nd, shape, dt, kc_uniform() < 0.5);
        } else {
            int tnd = 0;
            int64_t ts[4];
            for (int d = 0; d < nd; d++)
                if (d != (nd == 1 ? 0 : 1)) ts[tnd++] = shape[d];
            tsh_tensor_empty(tnd, ts, TSH_I64, tsh_cpu_device(), &c.t);
            int64_t n = tsh_numel(c.t);
            for (int64_t i = 0; i < n; i++)
                ((int64_t *)tsh_data(c.t))[i] = kc_uniform() < 0.15 ? c.ignore : kc_randint(1, C);
        }
        if (kc_uniform() < 0.4) c.w = kc_tensor(1, &C, dt, KC_CONTIG, 0.1, 2);
        c.lv = (leaves){{c.x, c.t}, probs && tsh_requires_grad(c.t) ? 2 : 1};
        char what[200], s[64];
        snprintf(what, sizeof what, "%s %s %s %s weight=%d ignore=%lld reduction=%d eps=%.3f", c.nll ? "nll_loss" :
                 "cross_entropy", tsh_dtype_name(dt), tsh_shape_str(s, sizeof s, nd, shape), probs ? "probs" : "indices",
                 c.w != NULL, (long long)c.ignore, (int)c.r, c.eps);
        double rtol = kc_rtol(dt) * 10, atol = dt == TSH_F64 ? 1e-12 : 1e-5;
        if (dt == TSH_F16 || dt == TSH_BF16) atol = rtol = dt == TSH_F16 ? 4e-3 : 3e-2;
        both(what, run_loss, &c, rtol, atol);
        tsh_tensor_release(c.x);
        tsh_tensor_release(c.t);
        tsh_tensor_release(c.w);
        tsh_tensor_release(c.g);
    }
}

/* ---- compositions (linear, norms, embedding, dropout, regression losses):
 * they run on other families' kernels, whose fast and reference versions
 * must agree here too; dropout's mask must be the same Philox draw. ---- */

typedef struct {
    leaves lv;
    tsh_tensor *a, *b, *c, *idx, *rm, *rv, *g;
    int kind;
    tsh_reduction r;
} comp_case;

static tsh_status run_comp(void *vc, results *r)
{
    comp_case *c = vc;
    clear_grads(&c->lv);
    tsh_tensor *y = NULL, *rm = NULL, *rv = NULL;
    tsh_status st = TSH_OK;
    int64_t shape[2];
    switch (c->kind) {
    case 0: st = tsh_linear(c->a, c->b, c->c, &y); break;
    case 1: /* the running stats are updated in place: work on copies */
        if ((st = tsh_clone(c->rm, &rm)) == TSH_OK && (st = tsh_clone(c->rv, &rv)) == TSH_OK)
            st = tsh_batch_norm(c->a, rm, rv, c->b, c->c, true, 0.3, 1e-3, &y);
        break;
    case 2:
        shape[0] = c->a->shape[c->a->ndim - 1];
        st = tsh_layer_norm(c->a, 1, shape, c->b, c->c, 1e-4, &y);
        break;
    case 3: st = tsh_embedding(c->idx, c->a, 0, &y); break;
    case 4:
        tsh_rng_manual_seed(42);
        st = tsh_dropout(c->a, 0.4, true, &y);
        break;
    case 5: st = tsh_mse_loss(c->a, c->b, c->r, &y); break;
    case 6: st = tsh_l1_loss(c->a, c->b, c->r, &y); break;
    default: st = tsh_bce_with_logits(c->a, c->b, c->c, NULL, c->r, &y); break;
    }
    if (st == TSH_OK) st = backward_with(y, &c->g);
    if (y) add(r, y);
    if (rm) add(r, rm);
    if (rv) add(r, rv);
    if (st == TSH_OK) collect_grads(&c->lv, r);
    return st;
}

static void test_compositions(void)
{
    static const char *names[8] = {"linear", "batch_norm", "layer_norm", "embedding", "dropout", "mse_loss",
                                   "l1_loss", "bce_with_logits"};
    for (int iter = 0; iter < 160; iter++) {
        tsh_dtype dt = dtypes[iter % 2]; /* float32 and float64 */
        comp_case c = {.kind = iter % 8, .r = (tsh_reduction)kc_randint(0, 2)};
        int64_t n = kc_randint(2, 6), m = kc_randint(1, 7), k = kc_randint(1, 5);
        int64_t s2[2] = {n, m}, s3[3] = {n, m, k}, sm[1] = {m}, sk[1] = {k}, w2[2] = {k, m};
        switch (c.kind) {
        case 0:
            c.a = leaf(2, s2, dt, true), c.b = leaf(2, w2, dt, true), c.c = leaf(1, sk, dt, true);
            c.lv = (leaves){{c.a, c.b, c.c}, 3};
            break;
        case 1:
            c.a = leaf(3, s3, dt, true), c.b = leaf(1, sm, dt, true), c.c = leaf(1, sm, dt, true);
            c.rm = leaf(1, sm, dt, false), c.rv = kc_tensor(1, sm, dt, KC_CONTIG, 0.5, 2);
            c.lv = (leaves){{c.a, c.b, c.c}, 3};
            break;
        case 2:
            c.a = leaf(3, s3, dt, true), c.b = leaf(1, sk, dt, true), c.c = leaf(1, sk, dt, true);
            c.lv = (leaves){{c.a, c.b, c.c}, 3};
            break;
        case 3:
            c.a = leaf(2, s2, dt, true);
            c.idx = kc_tensor(2, w2, TSH_I64, rand_layout(), 1, (double)n);
            c.lv = (leaves){{c.a}, 1};
            break;
        case 4:
            c.a = leaf(3, s3, dt, true);
            c.lv = (leaves){{c.a}, 1};
            break;
        default:
            c.a = leaf(2, s2, dt, true);
            c.b = c.kind == 7 ? kc_tensor(2, s2, dt, rand_layout(), 0, 1) : leaf(iter % 3 ? 2 : 1, iter % 3 ? s2 : sm, dt, true);
            if (c.kind == 7) {
                tsh_set_requires_grad(c.b, true);
                c.c = kc_tensor(1, sm, dt, KC_CONTIG, 0.5, 2);
            }
            c.lv = (leaves){{c.a, c.b}, 2};
            break;
        }
        char what[96];
        snprintf(what, sizeof what, "%s %s reduction=%d", names[c.kind], tsh_dtype_name(dt), (int)c.r);
        both(what, run_comp, &c, dt == TSH_F64 ? 1e-10 : 1e-4, dt == TSH_F64 ? 1e-12 : 1e-5);
        tsh_tensor *all[8] = {c.a, c.b, c.c, c.idx, c.rm, c.rv, c.g, NULL};
        for (int j = 0; j < 7; j++) tsh_tensor_release(all[j]);
    }
}

/* ---- mse_loss and l1_loss: the fused REGRESSION_LOSS op (mean, sum) on
 * what the compositions' cases do not reach: sizes the reduction driver
 * cuts into chunks (3 x 20000+), zero-size and 0-dim inputs, every layout
 * and float dtype, mixed dtypes, broadcasting, a target without grad ---- */

static void test_regression_random(void)
{
    for (int iter = 0; iter < 96; iter++) {
        tsh_dtype da = dtypes[iter % 4], db = iter % 5 == 0 ? dtypes[(iter / 4) % 4] : da;
        comp_case c = {.kind = 5 + iter % 2, .r = (tsh_reduction)kc_randint(0, 2)};
        int64_t shape[4];
        int nd = kc_rand_shape(4, 6, 1, shape);
        if (iter % 8 == 1) nd = 2, shape[0] = 3, shape[1] = 20000 + kc_randint(0, 99);
        bool bcast = iter % 3 == 2 && nd > 0;
        c.a = leaf(nd, shape, da, true);
        c.b = leaf(bcast ? nd - 1 : nd, bcast ? shape + 1 : shape, db, iter % 4 != 3);
        c.lv = (leaves){{c.a, c.b}, 2};
        char what[160], s1[64], s2[64];
        snprintf(what, sizeof what, "%s %s %s and %s %s reduction=%d", c.kind == 5 ? "mse_loss" : "l1_loss",
                 tsh_dtype_name(da), tsh_shape_str(s1, sizeof s1, c.a->ndim, c.a->shape), tsh_dtype_name(db),
                 tsh_shape_str(s2, sizeof s2, c.b->ndim, c.b->shape), (int)c.r);
        bool half = da == TSH_F16 || da == TSH_BF16 || db == TSH_F16 || db == TSH_BF16;
        bool f64 = da == TSH_F64 && db == TSH_F64;
        double tol = half ? 3e-2 : f64 ? 1e-10 : 1e-5;
        both(what, run_comp, &c, tol, f64 ? 1e-12 : tol / 10);
        tsh_tensor_release(c.a);
        tsh_tensor_release(c.b);
        tsh_tensor_release(c.g);
    }
}

/* ---- known values ---- */

/* A 3x3 image of 1..9 with a 2x2 kernel of ones sums each 2x2 block; max
 * pooling 2x2 stride 1 picks each block's bottom right, at its 1-based
 * position; cross entropy of equal logits is log C. */
static void test_known_values(void)
{
    for (int ref = 0; ref < 2; ref++) {
        kc_use_ref(ref);
        int64_t xs[4] = {1, 1, 3, 3}, ws[4] = {1, 1, 2, 2};
        tsh_tensor *x, *w, *y = NULL, *ix = NULL;
        tsh_tensor_empty(4, xs, TSH_F32, tsh_cpu_device(), &x);
        for (int i = 0; i < 9; i++) ((float *)tsh_data(x))[i] = (float)(i + 1);
        tsh_full(4, ws, 1, TSH_F32, tsh_cpu_device(), &w);
        tsh_conv_opts o = {{1, 1}, {0, 0}, {1, 1}, 1};
        KC_CHECK(tsh_conv2d(x, w, NULL, &o, &y) == TSH_OK, "conv2d known: %s", tsh_errmsg());
        const double want[4] = {12, 16, 24, 28};
        for (int i = 0; y && i < 4; i++) KC_CHECK(item(y, i) == want[i], "conv2d known [%d] = %g", i, item(y, i));
        tsh_tensor_release(y);
        tsh_pool_opts p = {{2, 2}, {1, 1}, {0, 0}, {1, 1}, false, true};
        y = NULL;
        KC_CHECK(tsh_max_pool2d(x, &p, &y, &ix) == TSH_OK, "max_pool2d known: %s", tsh_errmsg());
        const int64_t wix[4] = {5, 6, 8, 9};
        for (int i = 0; y && i < 4; i++) {
            KC_CHECK(item(y, i) == wix[i], "max_pool2d known value [%d] = %g", i, item(y, i));
            KC_CHECK(((int64_t *)tsh_data(ix))[i] == wix[i], "max_pool2d known index [%d]", i);
        }
        tsh_tensor_release(y);
        tsh_tensor_release(ix);
        int64_t ls[2] = {2, 4}, n2 = 2;
        tsh_tensor *logits, *t, *loss = NULL;
        tsh_full(2, ls, 0.5, TSH_F64, tsh_cpu_device(), &logits);
        tsh_tensor_empty(1, &n2, TSH_I64, tsh_cpu_device(), &t);
        ((int64_t *)tsh_data(t))[0] = 1, ((int64_t *)tsh_data(t))[1] = 4;
        KC_CHECK(tsh_cross_entropy(logits, t, NULL, -100, TSH_REDUCTION_MEAN, 0, &loss) == TSH_OK, "ce known: %s",
                 tsh_errmsg());
        KC_CHECK(loss && fabs(item(loss, 0) - log(4.0)) < 1e-12, "cross_entropy of equal logits is log 4");
        tsh_tensor_release(loss);
        tsh_tensor *arr[4] = {x, w, logits, t};
        for (int k = 0; k < 4; k++) tsh_tensor_release(arr[k]);
    }
    kc_use_ref(0);
}

/* ---- optimizer updates ---- */

typedef struct {
    tsh_tensor *p0, *g, *b0; /* starting parameter and buffer (b0 NULL: no momentum) */
    tsh_sgd_opts o;
} sgd_case;

/* Each run updates fresh copies of the same starting values. */
static tsh_status run_sgd(void *vc, results *r)
{
    sgd_case *c = vc;
    tsh_tensor *p = NULL, *b = NULL;
    TSH_TRY(tsh_clone(c->p0, &p));
    tsh_status st = c->b0 ? tsh_clone(c->b0, &b) : TSH_OK;
    for (int step = 0; st == TSH_OK && step < 3; step++) { /* the first step, then two more */
        tsh_sgd_opts o = c->o;
        o.first = o.first && step == 0;
        st = tsh_sgd_update(p, c->g, b, &o);
    }
    add(r, p);
    if (b) add(r, b);
    return st;
}

static void test_sgd(void)
{
    for (int iter = 0; iter < 96; iter++) {
        tsh_dtype dt = iter % 2 ? TSH_F64 : TSH_F32;
        int64_t shape[4];
        int nd = kc_rand_shape(4, 6, 1, shape);
        if (iter % 8 == 0) nd = 1, shape[0] = 3 * 32768 + 5; /* several parallel chunks */
        sgd_case c = {.p0 = kc_tensor(nd, shape, dt, KC_CONTIG, -2, 2),
                      .g = kc_tensor(nd, shape, dt, rand_layout(), -1, 1)};
        bool momentum = iter % 3 != 0;
        if (momentum) c.b0 = kc_tensor(nd, shape, dt, KC_CONTIG, -1, 1);
        c.o = (tsh_sgd_opts){0.05, momentum ? 0.9 : 0, iter % 5 == 1 ? 0.3 : 0, iter % 4 == 2 ? 0.1 : 0,
                             momentum && iter % 5 != 1 && iter % 7 < 3, iter % 6 == 5, momentum && iter % 4 == 1};
        char what[160];
        snprintf(what, sizeof what, "sgd_update %s numel %lld momentum %g dampening %g wd %g nesterov %d maximize %d "
                 "first %d", tsh_dtype_name(dt), (long long)tsh_numel(c.p0), c.o.momentum, c.o.dampening,
                 c.o.weight_decay, c.o.nesterov, c.o.maximize, c.o.first);
        both(what, run_sgd, &c, dt == TSH_F32 ? 1e-5 : 1e-12, dt == TSH_F32 ? 1e-6 : 1e-13);
        tsh_tensor_release(c.p0);
        tsh_tensor_release(c.g);
        tsh_tensor_release(c.b0);
    }
}

int main(void)
{
    tsh_backends_init();
    kc_seed(7);
    test_known_values();
    /* the three paths a float32 convolution can take: direct (where it
     * applies) else oneDNN, oneDNN alone, im2col + GEMM alone */
    setenv("TENSH_DNNL", "1", 1);
    int64_t d0 = tsh_direct_conv_calls(), n0 = tsh_dnnl_conv_calls();
    test_conv_shapes("direct+onednn", 0, LENET_SHAPES);
    int64_t d1 = tsh_direct_conv_calls(), n1 = tsh_dnnl_conv_calls();
    test_conv_shapes("direct+onednn", LENET_SHAPES, ALL_SHAPES);
    test_conv_random("direct+onednn");
    /* LeNet's shapes (forward and both backwards of 3 cases) must run on the
     * fast paths: the first layer's forward and weight gradient direct on
     * AVX-512 machines, its backward-data (one input channel) on im2col */
    if (n0 >= 0) {
        int64_t direct = d0 >= 0 ? d1 - d0 : 0;
        KC_CHECK(direct + n1 - n0 == 8, "the fast paths ran %lld of LeNet's conv ops", (long long)(direct + n1 - n0));
        printf("direct conv ran %lld ops, oneDNN %lld ops of the random cases\n",
               (long long)(d0 >= 0 ? tsh_direct_conv_calls() - d1 : 0), (long long)(tsh_dnnl_conv_calls() - n1));
    }
    setenv("TENSH_CONV_DIRECT", "0", 1);
    test_conv_shapes("onednn", 0, ALL_SHAPES);
    test_conv_random("onednn");
    setenv("TENSH_DNNL", "0", 1);
    test_conv_random("im2col");
    test_conv_shapes("im2col", 0, ALL_SHAPES);
    setenv("TENSH_DNNL", "1", 1);
    setenv("TENSH_CONV_DIRECT", "1", 1);
    test_pool_random();
    test_pool_2x2();
    test_pool_2x2_foreign_indices();
    test_pool_2x2_negative_zero();
    test_pool512_bounds();
    test_sgd();
    test_loss_random();
    test_compositions();
    test_regression_random();
    return kc_finish();
}
