/* ref/nn.c: reference kernels of the neural-network functions: 2-d
 * convolution and its backwards, max/avg/adaptive-avg pooling and theirs,
 * the fused cross-entropy / nll losses, layer_norm, and the reduced mse and
 * l1 losses. The test oracle: each output is
 * computed straight from the definition, one element at a time in double,
 * with backwards as explicit scatters of each output's contribution. Not
 * for speed, and it validates nothing (the front end did: ops.h). */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

/* Element (a, b, c, d) of a 4-d tensor, any strides. */
static char *at4(const tsh_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d)
{
    int64_t off = a * t->stride[0] + b * t->stride[1] + c * t->stride[2] + d * t->stride[3];
    return tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype);
}

static double get4(const tsh_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d)
{
    return tsh_load_f64(t->dtype, at4(t, a, b, c, d));
}

static void set4(const tsh_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d, double v)
{
    tsh_store_f64(t->dtype, at4(t, a, b, c, d), v);
}

/* The window parameters of ops.h, unpacked. */
typedef struct {
    int64_t sh, sw, ph, pw, dh, dw, kh, kw;
} win;

static win win_of(const tsh_kargs *a)
{
    return (win){tsh_hw_h(a->i[0]), tsh_hw_w(a->i[0]), tsh_hw_h(a->i[1]), tsh_hw_w(a->i[1]),
                 tsh_hw_h(a->i[2]), tsh_hw_w(a->i[2]), tsh_hw_h(a->i[3]), tsh_hw_w(a->i[3])};
}

/* A zeroed double buffer shaped like t (4-d, row-major), for scatters. */
static double *acc_like(const tsh_tensor *t)
{
    int64_t n = tsh_numel(t);
    return calloc((size_t)(n > 0 ? n : 1), sizeof(double));
}

static int64_t idx4(const tsh_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d)
{
    return ((a * t->shape[1] + b) * t->shape[2] + c) * t->shape[3] + d;
}

static void store_acc(const tsh_tensor *t, const double *acc)
{
    for (int64_t a = 0; a < t->shape[0]; a++)
        for (int64_t b = 0; b < t->shape[1]; b++)
            for (int64_t c = 0; c < t->shape[2]; c++)
                for (int64_t d = 0; d < t->shape[3]; d++) set4(t, a, b, c, d, acc[idx4(t, a, b, c, d)]);
}

/* ---- convolution ---- */

/* Calls fn for every (output element, weight element) pair that meets an
 * input element inside the image: the whole convolution as a sum of terms
 * y[n,oc,oh,ow] += x[n,ic,ih,iw] * w[oc,icg,kh,kw]. Each kernel below
 * spends these terms its own way. */
typedef struct {
    int64_t n, oc, oh, ow, ic, icg, kh, kw, ih, iw;
} term;

typedef void (*term_fn)(void *ctx, const term *t);

static void conv_terms(const tsh_tensor *x, const tsh_tensor *w, const tsh_tensor *y, const win *p,
                       int64_t groups, term_fn fn, void *ctx)
{
    int64_t cout_g = w->shape[0] / groups, cin_g = w->shape[1];
    for (term t = {0}; t.n < y->shape[0]; t.n++)
        for (t.oc = 0; t.oc < y->shape[1]; t.oc++)
            for (t.oh = 0; t.oh < y->shape[2]; t.oh++)
                for (t.ow = 0; t.ow < y->shape[3]; t.ow++)
                    for (t.icg = 0; t.icg < cin_g; t.icg++)
                        for (t.kh = 0; t.kh < w->shape[2]; t.kh++)
                            for (t.kw = 0; t.kw < w->shape[3]; t.kw++) {
                                t.ic = t.oc / cout_g * cin_g + t.icg;
                                t.ih = t.oh * p->sh - p->ph + t.kh * p->dh;
                                t.iw = t.ow * p->sw - p->pw + t.kw * p->dw;
                                if (t.ih < 0 || t.ih >= x->shape[2] || t.iw < 0 || t.iw >= x->shape[3])
                                    continue;
                                fn(ctx, &t);
                            }
}

typedef struct {
    const tsh_tensor *x, *w, *y; /* x, w, y or their gradients, by kernel */
    double *acc;
} conv_ctx;

static void fwd_term(void *vc, const term *t)
{
    conv_ctx *c = vc;
    c->acc[idx4(c->y, t->n, t->oc, t->oh, t->ow)] +=
        get4(c->x, t->n, t->ic, t->ih, t->iw) * get4(c->w, t->oc, t->icg, t->kh, t->kw);
}

static void bwd_data_term(void *vc, const term *t)
{
    conv_ctx *c = vc; /* y holds dy; acc is dx */
    c->acc[idx4(c->x, t->n, t->ic, t->ih, t->iw)] +=
        get4(c->y, t->n, t->oc, t->oh, t->ow) * get4(c->w, t->oc, t->icg, t->kh, t->kw);
}

static void bwd_weight_term(void *vc, const term *t)
{
    conv_ctx *c = vc; /* y holds dy; acc is dw */
    c->acc[idx4(c->w, t->oc, t->icg, t->kh, t->kw)] +=
        get4(c->y, t->n, t->oc, t->oh, t->ow) * get4(c->x, t->n, t->ic, t->ih, t->iw);
}

static tsh_status ref_conv(tsh_op op, const tsh_kargs *a)
{
    win p = win_of(a);
    int64_t groups = a->i[3];
    conv_ctx c;
    const tsh_tensor *o = a->out;
    if (op == TSH_OP_CONV2D) c = (conv_ctx){a->in[0], a->in[1], o, NULL};
    else if (op == TSH_OP_CONV2D_BWD_DATA) c = (conv_ctx){o, a->in[1], a->in[0], NULL};
    else c = (conv_ctx){a->in[1], o, a->in[0], NULL};
    c.acc = acc_like(o);
    if (!c.acc) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    term_fn fn = op == TSH_OP_CONV2D ? fwd_term : op == TSH_OP_CONV2D_BWD_DATA ? bwd_data_term : bwd_weight_term;
    conv_terms(c.x, c.w, c.y, &p, groups, fn, &c);
    const tsh_tensor *bias = op == TSH_OP_CONV2D ? a->in[2] : NULL;
    if (bias) /* y[n, oc, :, :] += bias[oc] */
        for (int64_t n = 0; n < o->shape[0]; n++)
            for (int64_t oc = 0; oc < o->shape[1]; oc++)
                for (int64_t k = 0; k < o->shape[2] * o->shape[3]; k++)
                    c.acc[idx4(o, n, oc, 0, 0) + k] += tsh_ref_get(bias, oc);
    store_acc(o, c.acc);
    free(c.acc);
    const tsh_tensor *db = op == TSH_OP_CONV2D_BWD_WEIGHT ? a->out2 : NULL, *dy = a->in[0];
    if (db)
        for (int64_t oc = 0; oc < dy->shape[1]; oc++) {
            double s = 0;
            for (int64_t n = 0; n < dy->shape[0]; n++)
                for (int64_t h = 0; h < dy->shape[2]; h++)
                    for (int64_t w = 0; w < dy->shape[3]; w++) s += get4(dy, n, oc, h, w);
            tsh_ref_set(db, oc, s);
        }
    return TSH_OK;
}

/* ---- pooling ---- */

/* Input rows/columns of one pooling window, dilated, clipped to the input. */
static bool in_image(const tsh_tensor *x, int64_t ih, int64_t iw)
{
    return ih >= 0 && ih < x->shape[2] && iw >= 0 && iw < x->shape[3];
}

static tsh_status ref_max_pool(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    win p = win_of(a);
    const tsh_tensor *y = a->out, *x = a->in[0], *ix = a->out2;
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t c = 0; c < y->shape[1]; c++)
            for (int64_t oh = 0; oh < y->shape[2]; oh++)
                for (int64_t ow = 0; ow < y->shape[3]; ow++) {
                    double best = -INFINITY;
                    int64_t where = -1;
                    for (int64_t kh = 0; kh < p.kh; kh++)
                        for (int64_t kw = 0; kw < p.kw; kw++) {
                            int64_t ih = oh * p.sh - p.ph + kh * p.dh, iw = ow * p.sw - p.pw + kw * p.dw;
                            if (!in_image(x, ih, iw)) continue;
                            double v = get4(x, n, c, ih, iw);
                            bool nan_best = where >= 0 && isnan(best);
                            if (where < 0 || (!nan_best && (v > best || isnan(v)))) {
                                best = v;
                                where = ih * x->shape[3] + iw;
                            }
                        }
                    set4(y, n, c, oh, ow, best);
                    if (ix) tsh_store_i64(TSH_I64, at4(ix, n, c, oh, ow), where + 1);
                }
    return TSH_OK;
}

static tsh_status ref_max_pool_bwd(tsh_op op, const tsh_kargs *a)
{
    const tsh_tensor *dx = a->out, *dy = a->in[0], *ix = a->in[1];
    double *acc = acc_like(dx);
    if (!acc) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    for (int64_t n = 0; n < dy->shape[0]; n++)
        for (int64_t c = 0; c < dy->shape[1]; c++)
            for (int64_t oh = 0; oh < dy->shape[2]; oh++)
                for (int64_t ow = 0; ow < dy->shape[3]; ow++) {
                    int64_t where = tsh_load_i64(TSH_I64, at4(ix, n, c, oh, ow)) - 1;
                    acc[idx4(dx, n, c, 0, 0) + where] += get4(dy, n, c, oh, ow);
                }
    store_acc(dx, acc);
    free(acc);
    return TSH_OK;
}

/* torch's avg_pool2d divisor: the window clipped to the padded input when
 * padding counts, to the input itself when it does not. */
static int64_t avg_divisor(const win *p, int64_t H, int64_t W, int64_t oh, int64_t ow, bool include)
{
    int64_t h0 = oh * p->sh - p->ph, w0 = ow * p->sw - p->pw;
    int64_t h1 = h0 + p->kh < H + p->ph ? h0 + p->kh : H + p->ph;
    int64_t w1 = w0 + p->kw < W + p->pw ? w0 + p->kw : W + p->pw;
    if (include) return (h1 - h0) * (w1 - w0);
    h0 = h0 > 0 ? h0 : 0, w0 = w0 > 0 ? w0 : 0;
    h1 = h1 < H ? h1 : H, w1 = w1 < W ? w1 : W;
    return (h1 - h0) * (w1 - w0);
}

static tsh_status ref_avg_pool(tsh_op op, const tsh_kargs *a)
{
    win p = win_of(a);
    p.dh = p.dw = 1;
    bool include = a->i[4] & 1, bwd = op == TSH_OP_AVG_POOL2D_BWD;
    const tsh_tensor *x = bwd ? a->out : a->in[0], *y = bwd ? a->in[0] : a->out;
    double *acc = NULL;
    if (bwd && !(acc = acc_like(x))) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t c = 0; c < y->shape[1]; c++)
            for (int64_t oh = 0; oh < y->shape[2]; oh++)
                for (int64_t ow = 0; ow < y->shape[3]; ow++) {
                    double div = (double)avg_divisor(&p, x->shape[2], x->shape[3], oh, ow, include);
                    double s = 0, g = bwd ? get4(y, n, c, oh, ow) / div : 0;
                    for (int64_t kh = 0; kh < p.kh; kh++)
                        for (int64_t kw = 0; kw < p.kw; kw++) {
                            int64_t ih = oh * p.sh - p.ph + kh, iw = ow * p.sw - p.pw + kw;
                            if (!in_image(x, ih, iw)) continue;
                            if (bwd) acc[idx4(x, n, c, ih, iw)] += g;
                            else s += get4(x, n, c, ih, iw);
                        }
                    if (!bwd) set4(y, n, c, oh, ow, s / div);
                }
    if (bwd) {
        store_acc(x, acc);
        free(acc);
    }
    return TSH_OK;
}

static tsh_status ref_adaptive_avg(tsh_op op, const tsh_kargs *a)
{
    bool bwd = op == TSH_OP_ADAPTIVE_AVG_POOL2D_BWD;
    const tsh_tensor *x = bwd ? a->out : a->in[0], *y = bwd ? a->in[0] : a->out;
    int64_t H = x->shape[2], W = x->shape[3], OH = y->shape[2], OW = y->shape[3];
    double *acc = NULL;
    if (bwd && !(acc = acc_like(x))) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    for (int64_t n = 0; n < y->shape[0]; n++)
        for (int64_t c = 0; c < y->shape[1]; c++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
                    int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
                    double div = (double)((h1 - h0) * (w1 - w0)), s = 0;
                    double g = bwd ? get4(y, n, c, oh, ow) / div : 0;
                    for (int64_t ih = h0; ih < h1; ih++)
                        for (int64_t iw = w0; iw < w1; iw++) {
                            if (bwd) acc[idx4(x, n, c, ih, iw)] += g;
                            else s += get4(x, n, c, ih, iw);
                        }
                    if (!bwd) set4(y, n, c, oh, ow, s / div);
                }
    if (bwd) {
        store_acc(x, acc);
        free(acc);
    }
    return TSH_OK;
}

/* ---- classification losses ---- */

static double get3(const tsh_tensor *t, int64_t n, int64_t c, int64_t k)
{
    return tsh_load_f64(t->dtype, tsh_data(t) + (n * t->stride[0] + c * t->stride[1] + k * t->stride[2]) *
                                                    (int64_t)tsh_dtype_size(t->dtype));
}

static void set3(const tsh_tensor *t, int64_t n, int64_t c, int64_t k, double v)
{
    tsh_store_f64(t->dtype, tsh_data(t) + (n * t->stride[0] + c * t->stride[1] + k * t->stride[2]) *
                                              (int64_t)tsh_dtype_size(t->dtype), v);
}

static void set2(const tsh_tensor *t, int64_t n, int64_t k, double v)
{
    tsh_store_f64(t->dtype, tsh_data(t) + (n * t->stride[0] + k * t->stride[1]) * (int64_t)tsh_dtype_size(t->dtype), v);
}

/* One sample's view of the loss: log-probabilities logp[c], and the class
 * weights w[c] (1 without weights). */
typedef struct {
    int64_t C;
    double *logp, *w;
} sample;

/* logp = log_softmax(x[n, :, k]) for cross entropy, x itself for nll. */
static void load_sample(const tsh_kargs *a, bool softmax, int64_t n, int64_t k, sample *s)
{
    const tsh_tensor *x = a->in[0]; /* NULL for nll's backward, which needs no values */
    double m = -INFINITY, sum = 0;
    for (int64_t c = 0; c < s->C; c++) {
        s->logp[c] = x ? get3(x, n, c, k) : 0;
        s->w[c] = a->in[2] ? tsh_ref_get(a->in[2], c) : 1.0;
        if (s->logp[c] > m) m = s->logp[c];
    }
    if (!softmax) return;
    for (int64_t c = 0; c < s->C; c++) sum += exp(s->logp[c] - m);
    double lse = m + log(sum);
    for (int64_t c = 0; c < s->C; c++) s->logp[c] -= lse;
}

/* The target distribution of a sample: class index t with smoothing eps
 * gives (1-eps)*onehot(t) + eps/C; probabilities q give (1-eps)*q + eps/C.
 * Returns false for an ignored sample. For index targets *wt is weight[t]. */
static bool target_of(const tsh_kargs *a, int64_t n, int64_t k, const sample *s, double *q, double *wt)
{
    const tsh_tensor *t = a->in[1];
    double eps = a->f[0];
    if (t->dtype == TSH_I64) {
        int64_t cls = tsh_load_i64(TSH_I64, tsh_data(t) + (n * t->stride[0] + k * t->stride[1]) * 8);
        if (cls == a->i[0]) return false;
        for (int64_t c = 0; c < s->C; c++) q[c] = eps / (double)s->C + (c == cls - 1 ? 1 - eps : 0);
        *wt = s->w[cls - 1];
        return true;
    }
    for (int64_t c = 0; c < s->C; c++) q[c] = (1 - eps) * get3(t, n, c, k) + eps / (double)s->C;
    *wt = 1;
    return true;
}

/* Forward: loss = -sum_c w[c] q[c] logp[c], except that for index targets
 * the one-hot part is weighted by weight[t] and the smoothing part by each
 * class's own weight, as torch does: (1-eps) * -w[t] logp[t] + eps/C *
 * -sum_c w[c] logp[c]. Backward (cross entropy): d/dx_j of that, which is
 * p_j * sum_c(coef_c) - coef_j with coef_c the factor of logp[c] above;
 * (nll): -coef_j. */
static tsh_status ref_class_loss(tsh_op op, const tsh_kargs *a)
{
    bool softmax = op == TSH_OP_CROSS_ENTROPY || op == TSH_OP_CROSS_ENTROPY_BWD;
    bool bwd = op == TSH_OP_CROSS_ENTROPY_BWD || op == TSH_OP_NLL_LOSS_BWD;
    const tsh_tensor *x = bwd ? a->out : a->in[0], *t = a->in[1]; /* x: for the shape */
    bool index = t->dtype == TSH_I64;
    int64_t N = x->shape[0], C = x->shape[1], K = x->shape[2];
    double *buf = malloc(sizeof(double) * (size_t)(3 * C + 1));
    if (!buf) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    sample s = {C, buf, buf + C};
    double *coef = buf + 2 * C, eps = a->f[0];
    for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++) {
            load_sample(a, softmax, n, k, &s);
            double wt = 0;
            bool used = target_of(a, n, k, &s, coef, &wt);
            /* coef_c: the weight of -logp[c] in this sample's loss */
            for (int64_t c = 0; c < C; c++) {
                if (!used) coef[c] = 0;
                else if (index) coef[c] = (coef[c] - eps / (double)C) * wt + eps / (double)C * s.w[c];
                else coef[c] *= s.w[c];
            }
            if (!bwd) {
                double loss = 0;
                for (int64_t c = 0; c < C; c++)
                    if (coef[c] != 0) loss -= coef[c] * s.logp[c];
                set2(a->out, n, k, loss);
                if (a->out2) set2(a->out2, n, k, used ? wt : 0);
                continue;
            }
            double total = 0;
            for (int64_t c = 0; c < C; c++) total += coef[c];
            for (int64_t c = 0; c < C; c++)
                set3(a->out, n, c, k, softmax ? exp(s.logp[c]) * total - coef[c] : -coef[c]);
        }
    free(buf);
    return TSH_OK;
}

/* layer_norm of each row: the mean, then the biased variance around it,
 * then each element (see ops.h). */
static tsh_status ref_layer_norm(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *x = a->in[0], *w = a->in[1], *b = a->in[2];
    int64_t rows = x->shape[0], D = x->shape[1];
    size_t es = tsh_dtype_size(x->dtype);
    for (int64_t r = 0; r < rows; r++) {
        const char *xr = tsh_data(x) + (size_t)(r * D) * es;
        double mean = 0, var = 0;
        for (int64_t j = 0; j < D; j++) mean += tsh_load_f64(x->dtype, xr + j * (int64_t)es);
        mean /= (double)D;
        for (int64_t j = 0; j < D; j++) {
            double d = tsh_load_f64(x->dtype, xr + j * (int64_t)es) - mean;
            var += d * d;
        }
        double invstd = 1 / sqrt(var / (double)D + a->f[0]);
        for (int64_t j = 0; j < D; j++) {
            double y = (tsh_load_f64(x->dtype, xr + j * (int64_t)es) - mean) * invstd;
            if (w) y *= tsh_load_f64(w->dtype, tsh_data(w) + j * (int64_t)es);
            if (b) y += tsh_load_f64(b->dtype, tsh_data(b) + j * (int64_t)es);
            tsh_store_f64(x->dtype, tsh_data(a->out) + (size_t)(r * D + j) * es, y);
        }
        tsh_store_f64(x->dtype, tsh_data(a->out2) + (size_t)(2 * r) * es, mean);
        tsh_store_f64(x->dtype, tsh_data(a->out2) + (size_t)(2 * r + 1) * es, invstd);
    }
    return TSH_OK;
}

/* f[0] * the sum of (a - b)^2 or |a - b|, one element at a time. */
static tsh_status ref_regression_loss(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *x = a->in[0], *y = a->in[1];
    int64_t n = tsh_numel(x), es = (int64_t)tsh_dtype_size(x->dtype);
    double sum = 0;
    for (int64_t k = 0; k < n; k++) {
        double d = tsh_load_f64(x->dtype, tsh_data(x) + k * es) - tsh_load_f64(y->dtype, tsh_data(y) + k * es);
        sum += a->i[0] == 2 ? d * d : fabs(d);
    }
    tsh_store_f64(a->out->dtype, tsh_data(a->out), sum * a->f[0]);
    return TSH_OK;
}

void tsh_ref_register_nn(tsh_kernel_fn *k)
{
    k[TSH_OP_CONV2D] = ref_conv;
    k[TSH_OP_CONV2D_BWD_DATA] = ref_conv;
    k[TSH_OP_CONV2D_BWD_WEIGHT] = ref_conv;
    k[TSH_OP_MAX_POOL2D] = ref_max_pool;
    k[TSH_OP_MAX_POOL2D_BWD] = ref_max_pool_bwd;
    k[TSH_OP_AVG_POOL2D] = ref_avg_pool;
    k[TSH_OP_AVG_POOL2D_BWD] = ref_avg_pool;
    k[TSH_OP_ADAPTIVE_AVG_POOL2D] = ref_adaptive_avg;
    k[TSH_OP_ADAPTIVE_AVG_POOL2D_BWD] = ref_adaptive_avg;
    k[TSH_OP_CROSS_ENTROPY] = ref_class_loss;
    k[TSH_OP_LAYER_NORM] = ref_layer_norm;
    k[TSH_OP_REGRESSION_LOSS] = ref_regression_loss;
    k[TSH_OP_CROSS_ENTROPY_BWD] = ref_class_loss;
    k[TSH_OP_NLL_LOSS] = ref_class_loss;
    k[TSH_OP_NLL_LOSS_BWD] = ref_class_loss;
}
