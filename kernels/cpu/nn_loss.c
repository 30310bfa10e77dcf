/* cpu/nn_loss.c: the fused classification losses: cross entropy (log_softmax
 * and nll in one pass over each sample's classes) and nll_loss, forward and
 * backward. Samples run in parallel; each reads its C logits (contiguous
 * when inner == 1, else strided by inner), accumulating in double. The
 * backward of cross entropy is softmax minus the target distribution,
 * weighted, written in one pass. Not here: target checks (front end).
 * float32 samples of 16 classes or more, contiguous, with a class index
 * for a target, take a vectorised path (ce_row_f32): (4096, 1000) logits
 * at 1 thread, forward 21.2 -> 1.75 ms and forward with backward 65 -> 8.3
 * ms (torch 3.9-9.2 and 20.7). Fewer classes keep the scalar loop, which
 * is as fast there (10 classes). Also here: mse_loss and l1_loss reduced
 * in one pass over both inputs, through the reductions' driver. */
#include <math.h>

#include "iter.h"
#include "nn.h"
#include "reduce_impl.h" /* tsh_exp_neg, row kernels */

typedef struct {
    const tsh_kargs *a;
    bool softmax, bwd, index;
    int64_t C, K;
    double eps, wsum; /* label smoothing; sum of the class weights (C without) */
} loss_ctx;

static double weight_at(const tsh_tensor *w, int64_t c)
{
    if (!w) return 1.0;
    return w->dtype == TSH_F32 ? ((const float *)tsh_data(w))[c] : ((const double *)tsh_data(w))[c];
}

/* One sample: x (C values, stride K) -> its loss, or its gradient row g.
 * coef_c, the factor of -logp[c] in the loss, is (1-eps)*w[t]*[c == t] +
 * eps/C*w[c] for a class index t, and w[c]*((1-eps)*q[c] + eps/C) for
 * probabilities q (see ref/nn.c); the gradient is p*sum(coef) - coef. */
#define SAMPLE(T)                                                                            \
    do {                                                                                     \
        const T *x = (const T *)xp, *q = (const T *)qp;                                      \
        const tsh_tensor *wt_ = c->a->in[2];                                                 \
        double m = -INFINITY, lse = 0;                                                       \
        if (c->softmax) {                                                                    \
            for (int64_t j = 0; j < C; j++) m = (double)x[j * K] > m ? (double)x[j * K] : m; \
            double se = 0;                                                                   \
            for (int64_t j = 0; j < C; j++) se += exp((double)x[j * K] - m);                 \
            lse = m + log(se);                                                               \
        }                                                                                    \
        double loss = 0, total = 0, wt = 0;                                                  \
        if (c->index) {                                                                      \
            if (t == c->a->i[0]) { /* ignored: no loss, no gradient, no weight */            \
                if (c->bwd)                                                                  \
                    for (int64_t j = 0; j < C; j++) ((T *)gp)[j * K] = 0;                    \
                else {                                                                       \
                    *(T *)lp = 0;                                                            \
                    if (wp) *(T *)wp = 0;                                                    \
                }                                                                            \
                break;                                                                       \
            }                                                                                \
            wt = weight_at(wt_, t - 1);                                                      \
            double hard = (1 - c->eps) * wt, soft = c->eps / (double)C;                      \
            total = hard + soft * c->wsum;                                                   \
            if (c->bwd) {                                                                    \
                for (int64_t j = 0; j < C; j++) {                                            \
                    double coef = soft * weight_at(wt_, j) + (j == t - 1 ? hard : 0);        \
                    double p = c->softmax ? exp((double)x[j * K] - lse) * total : 0;         \
                    ((T *)gp)[j * K] = (T)(p - coef);                                        \
                }                                                                            \
                break;                                                                       \
            }                                                                                \
            loss = -hard * ((double)x[(t - 1) * K] - lse);                                   \
            if (soft != 0)                                                                   \
                for (int64_t j = 0; j < C; j++)                                              \
                    loss -= soft * weight_at(wt_, j) * ((double)x[j * K] - lse);             \
        } else {                                                                             \
            for (int64_t j = 0; j < C; j++)                                                  \
                total += weight_at(wt_, j) * ((1 - c->eps) * (double)q[j * K] + c->eps / (double)C); \
            for (int64_t j = 0; j < C; j++) {                                                \
                double coef = weight_at(wt_, j) * ((1 - c->eps) * (double)q[j * K] + c->eps / (double)C); \
                if (c->bwd) {                                                                \
                    double p = c->softmax ? exp((double)x[j * K] - lse) * total : 0;         \
                    ((T *)gp)[j * K] = (T)(p - coef);                                        \
                } else if (coef != 0) {                                                      \
                    loss -= coef * ((double)x[j * K] - lse);                                 \
                }                                                                            \
            }                                                                                \
            if (c->bwd) break;                                                               \
            wt = 1;                                                                          \
        }                                                                                    \
        *(T *)lp = (T)loss;                                                                  \
        if (wp) *(T *)wp = (T)wt;                                                            \
    } while (0)

/* The gradient row below runs in whole chunks of CE_LANES floats, the
 * last one copied into a padded buffer: the compiler's own epilogue for a
 * remainder cost about 40 ns a row. */
#define CE_LANES 16

/* x's chunk at b (of C), padded with zeros past C. */
static inline const float *ce_chunk(const float *x, int64_t b, int64_t C, float *buf)
{
    if (b + CE_LANES <= C) return x + b;
    for (int k = 0; k < CE_LANES; k++) buf[k] = b + k < C ? x[b + k] : 0;
    return buf;
}

/* log(sum(exp(x))) over C contiguous floats, through the reductions' row
 * kernels (the max, then exp(x - max) in float lanes); NaN where the max
 * is not finite, as the scalar loop gives. */
static double lse_f32(const float *x, int64_t C)
{
    double m;
    int64_t unused;
    tsh_cpu_row_best(TSH_F32, (const char *)x, C, true, &m, &unused);
    return isfinite(m) ? m + log(tsh_cpu_row_expsum(TSH_F32, (const char *)x, C, m)) : NAN;
}

/* g = softmax(x) * total - soft * w over C contiguous floats (w NULL: 1;
 * the hard target's share is taken off by the caller). */
TSH_MULTIVERSION
static void ce_grad_f32(const float *x, int64_t C, double lse, double total, double soft, const float *w, float *g)
{
    /* in float, so that it vectorises; lse as hi + lo keeps x - lse to
     * about an ulp of x */
    float hi = (float)lse, lo = (float)(lse - (double)hi), tf = (float)total, sf = (float)soft;
    float buf[CE_LANES], wbuf[CE_LANES], out[CE_LANES], ones[CE_LANES];
    for (int k = 0; k < CE_LANES; k++) ones[k] = 1;
    for (int64_t b = 0; b < C; b += CE_LANES) {
        const float *restrict p = ce_chunk(x, b, C, buf);
        const float *restrict q = w ? ce_chunk(w, b, C, wbuf) : ones;
        float *restrict o = b + CE_LANES <= C ? g + b : out;
#pragma omp simd
        for (int k = 0; k < CE_LANES; k++) o[k] = tsh_exp_neg((p[k] - hi) - lo) * tf - sf * q[k];
        if (o == out)
            for (int64_t k = 0; b + k < C; k++) g[b + k] = out[k];
    }
}

/* One float32 sample with contiguous classes and class index t (1-based,
 * not ignored): its loss (lp, wp) or its gradient row gp. */
static void ce_row_f32(const loss_ctx *c, const float *x, int64_t t, float *gp, float *lp, float *wp)
{
    const tsh_tensor *wt_ = c->a->in[2];
    const float *w = wt_ ? (const float *)tsh_data(wt_) : NULL;
    int64_t C = c->C;
    double lse = lse_f32(x, C), wt = weight_at(wt_, t - 1);
    double hard = (1 - c->eps) * wt, soft = c->eps / (double)C, total = hard + soft * c->wsum;
    if (gp) {
        ce_grad_f32(x, C, lse, total, soft, w, gp);
        gp[t - 1] = (float)((double)gp[t - 1] - hard);
        return;
    }
    double loss = -hard * ((double)x[t - 1] - lse);
    if (soft != 0)
        for (int64_t j = 0; j < C; j++) loss -= soft * (w ? w[j] : 1.0) * ((double)x[j] - lse);
    *lp = (float)loss;
    if (wp) *wp = (float)wt;
}

static void loss_range(void *vc, int64_t begin, int64_t end)
{
    const loss_ctx *c = vc;
    /* (nll's backward reads no input values: in0 may be NULL there) */
    const tsh_tensor *xt = c->a->in[0], *tt = c->a->in[1], *shape = c->bwd ? c->a->out : xt;
    int64_t C = c->C, K = c->K;
    size_t es = tsh_dtype_size(shape->dtype);
    for (int64_t s = begin; s < end; s++) {
        int64_t n = s / K, k = s % K, row = (n * C * K + k) * (int64_t)es;
        const char *xp = xt ? tsh_data(xt) + row : NULL, *qp = c->index ? NULL : tsh_data(tt) + row;
        int64_t t = c->index ? ((const int64_t *)tsh_data(tt))[s] : 0;
        char *gp = c->bwd ? tsh_data(c->a->out) + row : NULL;
        char *lp = c->bwd ? NULL : tsh_data(c->a->out) + s * (int64_t)es;
        char *wp = !c->bwd && c->a->out2 ? tsh_data(c->a->out2) + s * (int64_t)es : NULL;
        if (shape->dtype == TSH_F32 && K == 1 && C >= CE_LANES && c->softmax && c->index && t != c->a->i[0] &&
            (!c->a->in[2] || c->a->in[2]->dtype == TSH_F32))
            ce_row_f32(c, (const float *)xp, t, (float *)gp, (float *)lp, (float *)wp);
        else if (shape->dtype == TSH_F32) SAMPLE(float);
        else SAMPLE(double);
    }
}

static tsh_status cpu_class_loss(tsh_op op, const tsh_kargs *a)
{
    bool bwd = op == TSH_OP_CROSS_ENTROPY_BWD || op == TSH_OP_NLL_LOSS_BWD;
    const tsh_tensor *x = bwd ? a->out : a->in[0];
    loss_ctx c = {a, op == TSH_OP_CROSS_ENTROPY || op == TSH_OP_CROSS_ENTROPY_BWD, bwd, a->in[1]->dtype == TSH_I64,
                  x->shape[1], x->shape[2], a->f[0], 0};
    for (int64_t j = 0; j < c.C; j++) c.wsum += weight_at(a->in[2], j);
    int64_t samples = x->shape[0] * x->shape[2], grain = TSH_GRAIN / (4 * c.C > 0 ? 4 * c.C : 1);
    return tsh_parallel_for(samples, grain > 0 ? grain : 1, loss_range, &c);
}

/* ---- regression losses (see ops.h) ---- */

/* State: v = the sum over positions [r0, r1) of the flat inputs (outer and
 * inner are 1). */
static void reg_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1, int64_t r0, int64_t r1,
                      tsh_rstate *st)
{
    (void)o0, (void)o1, (void)j0, (void)j1;
    int64_t es = (int64_t)tsh_dtype_size(job->dt);
    st[0].v = tsh_cpu_row_dmsum(job->dt, job->x + r0 * es, tsh_data(job->a->in[1]) + r0 * es, r1 - r0, job->mode);
}

static void reg_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    (void)job;
    for (int64_t k = 0; k < n; k++) acc[k].v += part[k].v;
}

static void reg_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    (void)k0, (void)n;
    double v = st[0].v * job->a->f[0];
    if (job->dt == TSH_F32) *(float *)tsh_data(job->a->out) = (float)v;
    else *(double *)tsh_data(job->a->out) = v;
}

static const tsh_rop reg_fn = {reg_block, reg_combine, reg_finish};

/* One reduction of numel positions: the driver cuts a long one into
 * chunks by its size alone and adds them in order, so the loss is the same
 * at every thread count. Before this op the loss was three passes (a - b,
 * its square, the sum) over two full-size temporaries: (4096, 1024)
 * float32 mse_loss took 4.4-4.5 ms at 1 thread, 2.1-2.2 at 2 (torch 3.6-3.9
 * and 1.35). */
static tsh_status cpu_regression_loss(tsh_op op, const tsh_kargs *a)
{
    tsh_rjob job = {.a = a, .op = op, .g = {1, tsh_numel(a->in[0]), 1}, .dt = a->in[0]->dtype,
                    .x = tsh_data(a->in[0]), .fn = &reg_fn, .mode = a->i[0] == 2 ? MAP_SQ : MAP_ABS};
    return tsh_reduce_run(&job);
}

void tsh_cpu_register_nn_loss(tsh_kernel_fn *k)
{
    k[TSH_OP_REGRESSION_LOSS] = cpu_regression_loss;
    k[TSH_OP_CROSS_ENTROPY] = cpu_class_loss;
    k[TSH_OP_CROSS_ENTROPY_BWD] = cpu_class_loss;
    k[TSH_OP_NLL_LOSS] = cpu_class_loss;
    k[TSH_OP_NLL_LOSS_BWD] = cpu_class_loss;
}
