/* cpu/nn_conv.c: fast 2-d convolution and its two backwards. float32 takes
 * the direct kernel where it applies (nn_direct.c: stride-1 first layers on
 * AVX-512), else oneDNN where it is built in and takes the case (nn_dnnl.c:
 * several times faster than GEMM on LeNet's shapes, see
 * docs/nn_functional.md); float64, and whatever those decline, use im2col +
 * GEMM through OpenBLAS, one image per thread. Backward-weight sums
 * per-thread partials in a fixed order, so results do not depend on
 * scheduling. Not here: shape checks (front end). */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iter.h"
#include "nn.h"

/* The geometry of one convolution, read off the tensors and window args. */
typedef struct {
    int64_t N, C, H, W, O, KH, KW, OH, OW;
    int64_t sh, sw, ph, pw, dh, dw, G;
    int64_t cin_g, cout_g, K, P; /* K = cin_g*KH*KW rows of a column matrix, P = OH*OW */
    bool direct;                 /* 1x1, stride 1, no padding: x is its own column matrix */
    tsh_dtype dt;
    size_t es;
} geom;

static geom geom_of(const tsh_tensor *x, const tsh_tensor *w, const tsh_tensor *y, const tsh_kargs *a)
{
    geom g = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[2], w->shape[3],
              y->shape[2], y->shape[3], tsh_hw_h(a->i[0]), tsh_hw_w(a->i[0]), tsh_hw_h(a->i[1]),
              tsh_hw_w(a->i[1]), tsh_hw_h(a->i[2]), tsh_hw_w(a->i[2]), a->i[3], 0, 0, 0, 0, false,
              x->dtype, tsh_dtype_size(x->dtype)};
    g.cin_g = w->shape[1];
    g.cout_g = g.O / g.G;
    g.K = g.cin_g * g.KH * g.KW;
    g.P = g.OH * g.OW;
    g.direct = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
               g.OH == g.H && g.OW == g.W;
    return g;
}

/* The valid output columns [lo, hi) for kernel column kw: those whose input
 * column ow*sw - pw + kw*dw lies in [0, W). */
static void valid_cols(const geom *g, int64_t off, int64_t *lo, int64_t *hi)
{
    /* iw = ow*sw + off >= 0  <=>  ow >= ceil(-off / sw) */
    int64_t l = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
    int64_t h = g->W - off <= 0 ? 0 : (g->W - off + g->sw - 1) / g->sw;
    *lo = l < g->OW ? l : g->OW;
    *hi = h < g->OW ? h : g->OW;
    if (*hi < *lo) *hi = *lo;
}

/* col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw],
 * zero outside the image. Moves elements by size, so it serves every dtype. */
static void im2col(const geom *g, const char *x, char *col)
{
    size_t es = g->es;
    for (int64_t c = 0; c < g->cin_g; c++)
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) {
                char *row = col + (size_t)(((c * g->KH + kh) * g->KW + kw) * g->P) * es;
                int64_t off = kw * g->dw - g->pw, lo, hi;
                valid_cols(g, off, &lo, &hi);
                for (int64_t oh = 0; oh < g->OH; oh++) {
                    char *d = row + (size_t)(oh * g->OW) * es;
                    int64_t ih = oh * g->sh - g->ph + kh * g->dh;
                    if (ih < 0 || ih >= g->H) {
                        memset(d, 0, (size_t)g->OW * es);
                        continue;
                    }
                    const char *xr = x + (size_t)((c * g->H + ih) * g->W) * es;
                    memset(d, 0, (size_t)lo * es);
                    if (g->sw == 1) memcpy(d + lo * es, xr + (lo + off) * (int64_t)es, (size_t)(hi - lo) * es);
                    else
                        for (int64_t ow = lo; ow < hi; ow++)
                            memcpy(d + ow * (int64_t)es, xr + (ow * g->sw + off) * (int64_t)es, es);
                    memset(d + hi * (int64_t)es, 0, (size_t)(g->OW - hi) * es);
                }
            }
}

/* The adjoint of im2col: x[c][ih][iw] += col[...] over every column entry
 * that im2col would have read from there. x is zeroed first. */
#define COL2IM_BODY(T)                                                                     \
    do {                                                                                   \
        T *xt = (T *)x;                                                                    \
        const T *ct = (const T *)col;                                                      \
        memset(xt, 0, sizeof(T) * (size_t)(g->cin_g * g->H * g->W));                       \
        for (int64_t c = 0; c < g->cin_g; c++)                                             \
            for (int64_t kh = 0; kh < g->KH; kh++)                                         \
                for (int64_t kw = 0; kw < g->KW; kw++) {                                   \
                    const T *row = ct + ((c * g->KH + kh) * g->KW + kw) * g->P;            \
                    int64_t off = kw * g->dw - g->pw, lo, hi;                              \
                    valid_cols(g, off, &lo, &hi);                                          \
                    for (int64_t oh = 0; oh < g->OH; oh++) {                               \
                        int64_t ih = oh * g->sh - g->ph + kh * g->dh;                      \
                        if (ih < 0 || ih >= g->H) continue;                                \
                        T *xr = xt + (c * g->H + ih) * g->W + off;                         \
                        const T *s = row + oh * g->OW;                                     \
                        if (g->sw == 1)                                                    \
                            for (int64_t ow = lo; ow < hi; ow++) xr[ow] += s[ow];          \
                        else                                                               \
                            for (int64_t ow = lo; ow < hi; ow++) xr[ow * g->sw] += s[ow];  \
                    }                                                                      \
                }                                                                          \
    } while (0)

static void col2im(const geom *g, const char *col, char *x)
{
    if (g->dt == TSH_F32) COL2IM_BODY(float);
    else COL2IM_BODY(double);
}

/* Row-major C = alpha op(A) op(B) + beta C in the geometry's dtype. */
static void gemm(const geom *g, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const char *A,
                 int64_t lda, const char *B, int64_t ldb, double beta, char *C, int64_t ldc)
{
    enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    if (g->dt == TSH_F32)
        cblas_sgemm(CblasRowMajor, TA, TB, (blasint)m, (blasint)n, (blasint)k, 1.0f, (const float *)A,
                    (blasint)lda, (const float *)B, (blasint)ldb, (float)beta, (float *)C, (blasint)ldc);
    else
        cblas_dgemm(CblasRowMajor, TA, TB, (blasint)m, (blasint)n, (blasint)k, 1.0, (const double *)A,
                    (blasint)lda, (const double *)B, (blasint)ldb, beta, (double *)C, (blasint)ldc);
}

typedef struct {
    const tsh_kargs *a;
    geom g;
    int64_t grain;
    char *partials; /* backward weight: one dw (+ dbias) per chunk */
    int64_t part_len;
    int failed;     /* a chunk could not get its buffer */
} conv_ctx;

static void fail_chunk(conv_ctx *c)
{
#pragma omp atomic write
    c->failed = 1;
}

static char *image(const tsh_tensor *t, const geom *g, int64_t n, int64_t ch, int64_t plane)
{
    return tsh_data(t) + (size_t)((n * t->shape[1] + ch) * plane) * g->es;
}

static void fwd_range(void *vc, int64_t begin, int64_t end)
{
    conv_ctx *c = vc;
    const geom *g = &c->g;
    const tsh_tensor *x = c->a->in[0], *w = c->a->in[1], *b = c->a->in[2], *y = c->a->out;
    char *col = g->direct ? NULL : malloc((size_t)(g->K * g->P) * g->es);
    if (!g->direct && !col) {
        fail_chunk(c);
        return;
    }
    for (int64_t n = begin; n < end && !tsh_interrupt_flag; n++)
        for (int64_t grp = 0; grp < g->G; grp++) {
            const char *xg = image(x, g, n, grp * g->cin_g, g->H * g->W);
            char *yg = image(y, g, n, grp * g->cout_g, g->P);
            if (!g->direct) im2col(g, xg, col);
            if (b)
                for (int64_t o = 0; o < g->cout_g; o++) {
                    int64_t oc = grp * g->cout_g + o;
                    if (g->dt == TSH_F32) {
                        float v = ((const float *)tsh_data(b))[oc], *r = (float *)yg + o * g->P;
                        for (int64_t p = 0; p < g->P; p++) r[p] = v;
                    } else {
                        double v = ((const double *)tsh_data(b))[oc], *r = (double *)yg + o * g->P;
                        for (int64_t p = 0; p < g->P; p++) r[p] = v;
                    }
                }
            gemm(g, false, false, g->cout_g, g->P, g->K, tsh_data(w) + (size_t)(grp * g->cout_g * g->K) * g->es,
                 g->K, g->direct ? xg : col, g->P, b ? 1.0 : 0.0, yg, g->P);
        }
    free(col);
}

static void bwd_data_range(void *vc, int64_t begin, int64_t end)
{
    conv_ctx *c = vc;
    const geom *g = &c->g;
    const tsh_tensor *dy = c->a->in[0], *w = c->a->in[1], *dx = c->a->out;
    char *col = g->direct ? NULL : malloc((size_t)(g->K * g->P) * g->es);
    if (!g->direct && !col) {
        fail_chunk(c);
        return;
    }
    for (int64_t n = begin; n < end && !tsh_interrupt_flag; n++)
        for (int64_t grp = 0; grp < g->G; grp++) {
            char *dxg = image(dx, g, n, grp * g->cin_g, g->H * g->W);
            const char *dyg = image(dy, g, n, grp * g->cout_g, g->P);
            gemm(g, true, false, g->K, g->P, g->cout_g, tsh_data(w) + (size_t)(grp * g->cout_g * g->K) * g->es,
                 g->K, dyg, g->P, 0.0, g->direct ? dxg : col, g->P);
            if (!g->direct) col2im(g, col, dxg);
        }
    free(col);
}

/* Row sums of dy's channels into part (dbias partial). */
static void add_bias_grad(const geom *g, const char *dyg, char *part)
{
    for (int64_t o = 0; o < g->cout_g; o++) {
        double s = 0;
        if (g->dt == TSH_F32) {
            const float *r = (const float *)dyg + o * g->P;
            float f = 0;
            for (int64_t p = 0; p < g->P; p++) f += r[p];
            s = f;
            ((float *)part)[o] += (float)s;
        } else {
            const double *r = (const double *)dyg + o * g->P;
            for (int64_t p = 0; p < g->P; p++) s += r[p];
            ((double *)part)[o] += s;
        }
    }
}

static void bwd_weight_range(void *vc, int64_t begin, int64_t end)
{
    conv_ctx *c = vc;
    const geom *g = &c->g;
    const tsh_tensor *dy = c->a->in[0], *x = c->a->in[1];
    char *part = c->partials + (size_t)(begin / c->grain * c->part_len) * g->es;
    char *dbias = c->a->out2 ? part + (size_t)(g->O * g->K) * g->es : NULL;
    char *col = g->direct ? NULL : malloc((size_t)(g->K * g->P) * g->es);
    if (!g->direct && !col) {
        fail_chunk(c);
        return;
    }
    for (int64_t n = begin; n < end && !tsh_interrupt_flag; n++)
        for (int64_t grp = 0; grp < g->G; grp++) {
            const char *xg = image(x, g, n, grp * g->cin_g, g->H * g->W);
            const char *dyg = image(dy, g, n, grp * g->cout_g, g->P);
            if (!g->direct) im2col(g, xg, col);
            gemm(g, false, true, g->cout_g, g->K, g->P, dyg, g->P, g->direct ? xg : col, g->P, 1.0,
                 part + (size_t)(grp * g->cout_g * g->K) * g->es, g->K);
            if (dbias) add_bias_grad(g, dyg, dbias + (size_t)(grp * g->cout_g) * g->es);
        }
    free(col);
}

/* Images in parallel, one per thread at a time, when there are several;
 * one image runs alone and lets OpenBLAS use the threads. */
static int64_t image_grain(int64_t n)
{
    int nt = omp_get_max_threads();
    return n <= 1 || nt <= 1 ? (n > 0 ? n : 1) : (n + nt - 1) / nt;
}

static tsh_status conv_im2col(tsh_op op, const tsh_kargs *a)
{
    conv_ctx c = {.a = a};
    if (op == TSH_OP_CONV2D) c.g = geom_of(a->in[0], a->in[1], a->out, a);
    else if (op == TSH_OP_CONV2D_BWD_DATA) c.g = geom_of(a->out, a->in[1], a->in[0], a);
    else c.g = geom_of(a->in[1], a->out, a->in[0], a);
    geom *g = &c.g;
    c.grain = image_grain(g->N);
    tsh_range_fn fn = op == TSH_OP_CONV2D ? fwd_range : op == TSH_OP_CONV2D_BWD_DATA ? bwd_data_range : bwd_weight_range;
    int64_t nchunk = g->N > 0 ? (g->N + c.grain - 1) / c.grain : 0;
    if (op == TSH_OP_CONV2D_BWD_WEIGHT) {
        c.part_len = g->O * g->K + (a->out2 ? g->O : 0);
        c.partials = calloc((size_t)(nchunk > 0 ? nchunk : 1) * (size_t)c.part_len, g->es);
        if (!c.partials) return tsh_fail(TSH_ERR_OOM, "conv2d: out of memory for the weight gradient");
    }
    tsh_status st = tsh_parallel_for(g->N, c.grain, fn, &c);
    if (st == TSH_OK && c.failed) st = tsh_fail(TSH_ERR_OOM, "conv2d: out of memory for a column buffer");
    if (st == TSH_OK && op == TSH_OP_CONV2D_BWD_WEIGHT) {
        /* partials summed in chunk order: the same result whatever the schedule */
        for (int64_t j = 0; j < c.part_len; j++) {
            double s = 0;
            for (int64_t k = 0; k < nchunk; k++) {
                const char *p = c.partials + (size_t)(k * c.part_len + j) * g->es;
                s += g->dt == TSH_F32 ? *(const float *)p : *(const double *)p;
            }
            char *dst = j < g->O * g->K ? tsh_data(a->out) + (size_t)j * g->es
                                         : tsh_data(a->out2) + (size_t)(j - g->O * g->K) * g->es;
            if (g->dt == TSH_F32) *(float *)dst = (float)s;
            else *(double *)dst = s;
        }
    }
    free(c.partials);
    return st;
}

static tsh_status cpu_conv(tsh_op op, const tsh_kargs *a)
{
    if (a->out->dtype == TSH_F32) {
        tsh_status st = tsh_direct_conv(op, a);
        if (st == TSH_ERR_NOTIMPL) st = tsh_dnnl_conv(op, a);
        if (st != TSH_ERR_NOTIMPL) return st;
    }
    return conv_im2col(op, a);
}

void tsh_cpu_register_nn(tsh_kernel_fn *k)
{
    k[TSH_OP_CONV2D] = cpu_conv;
    k[TSH_OP_CONV2D_BWD_DATA] = cpu_conv;
    k[TSH_OP_CONV2D_BWD_WEIGHT] = cpu_conv;
    tsh_cpu_register_nn_pool(k);
    tsh_cpu_register_nn_loss(k);
    tsh_cpu_register_nn_norm(k);
}
