/* nn_norm.c: the front end of batch_norm, layer_norm, embedding and
 * dropout. layer_norm's forward is one fused op (LAYER_NORM); the others
 * are short compositions of existing front-end ops (mean and var
 * reductions, broadcast arithmetic, index_select, bernoulli). Each runs with
 * grad mode off, then is recorded as one node (NativeBatchNormBackward0,
 * NativeLayerNormBackward0, EmbeddingBackward0, NativeDropoutBackward0;
 * rules in grad_nn.c). Norms compute float16/bfloat16 in float32. */
#include <string.h>

#include "create.h"
#include "index.h"
#include "mathops.h"
#include "nn_impl.h"
#include "reduce.h"

/* t (C) viewed as (1, C, 1, ...) to broadcast against an ndim-d input. */
static tsh_status channel_view(tsh_tensor *t, int ndim, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS];
    for (int d = 0; d < ndim; d++) shape[d] = 1;
    shape[1] = t->shape[0];
    return tsh_view(t, ndim, shape, out);
}

static tsh_status add_scalar(tsh_tensor *t, double v, tsh_tensor **out)
{
    tsh_stack_scalar s;
    tsh_scalar sv = {.kind = TSH_SCALAR_FLOAT, .f = v};
    return tsh_binary(TSH_OP_ADD, t, tsh_stack_scalar_init(&s, &sv), NULL, NULL, out);
}

/* y = x * scale + shift with scale = invstd * w and shift = b - mean * scale
 * (all in mean's broadcast shape): two passes over x. */
static tsh_status normalize(tsh_tensor *x, tsh_tensor *mean, tsh_tensor *invstd, tsh_tensor *w, tsh_tensor *b,
                            tsh_tensor **out)
{
    tsh_tensor *scale = NULL, *ms = NULL, *shift = NULL, *xs = NULL;
    tsh_status st = w ? tsh_binary(TSH_OP_MUL, invstd, w, NULL, NULL, &scale) : TSH_OK;
    if (!w) scale = tsh_tensor_retain(invstd);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, mean, scale, NULL, NULL, &ms);
    if (st == TSH_OK) st = b ? tsh_binary(TSH_OP_SUB, b, ms, NULL, NULL, &shift) : tsh_unary(TSH_OP_NEG, ms, 0, NULL, &shift);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, x, scale, NULL, NULL, &xs);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, xs, shift, NULL, xs, NULL);
    tsh_tensor_release(scale);
    tsh_tensor_release(ms);
    tsh_tensor_release(shift);
    if (st != TSH_OK) {
        tsh_tensor_release(xs);
        return st;
    }
    *out = xs;
    return TSH_OK;
}

/* layer_norm through the fused LAYER_NORM op: x (compute dtype) seen as
 * rows x D, with w and b flattened to D; returns y with x's shape, and mean
 * and invstd with the kept-dims shape the backward expects (x's leading
 * dims, then nd ones). */
static tsh_status layer_norm_rows(tsh_tensor *x, int nd, tsh_tensor *w, tsh_tensor *b, double eps, tsh_tensor **y,
                                  tsh_tensor **mean, tsh_tensor **invstd)
{
    int lead = x->ndim - nd;
    int64_t D = 1, kept[TSH_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        if (d >= lead) D *= x->shape[d];
        kept[d] = d < lead ? x->shape[d] : 1;
    }
    int64_t rows = tsh_numel(x) / D, s2[2] = {rows, D}, st2[2] = {rows, 2};
    tsh_tensor *xc = NULL, *x2 = NULL, *wc = NULL, *w1 = NULL, *bc = NULL, *b1 = NULL, *y2 = NULL, *stats = NULL;
    tsh_tensor *col = NULL, *cc = NULL;
    *y = *mean = *invstd = NULL;
    tsh_status st = tsh_contiguous(x, &xc);
    if (st == TSH_OK) st = tsh_reshape(xc, 2, s2, &x2);
    if (st == TSH_OK && w) st = tsh_contiguous(w, &wc);
    if (st == TSH_OK && w) st = tsh_reshape(wc, 1, &D, &w1);
    if (st == TSH_OK && b) st = tsh_contiguous(b, &bc);
    if (st == TSH_OK && b) st = tsh_reshape(bc, 1, &D, &b1);
    if (st == TSH_OK) st = tsh_tensor_empty(2, s2, x->dtype, x->storage->device, &y2);
    if (st == TSH_OK) st = tsh_tensor_empty(2, st2, x->dtype, x->storage->device, &stats);
    if (st == TSH_OK) {
        tsh_kargs k = {.out = y2, .out2 = stats, .in = {x2, w1, b1}, .f = {eps}};
        st = tsh_dispatch(TSH_OP_LAYER_NORM, &k);
    }
    if (st == TSH_OK) st = tsh_reshape(y2, x->ndim, x->shape, y);
    for (int k = 0; k < 2 && st == TSH_OK; k++) {
        st = tsh_select(stats, 1, k, &col);
        if (st == TSH_OK) st = tsh_contiguous(col, &cc);
        if (st == TSH_OK) st = tsh_reshape(cc, x->ndim, kept, k ? invstd : mean);
        tsh_tensor_release(col);
        tsh_tensor_release(cc);
        col = cc = NULL;
    }
    tsh_tensor *tmp[8] = {xc, x2, wc, w1, bc, b1, y2, stats};
    for (int k = 0; k < 8; k++) tsh_tensor_release(tmp[k]);
    if (st != TSH_OK) {
        tsh_tensor_release(*y);
        tsh_tensor_release(*mean);
        tsh_tensor_release(*invstd);
        *y = *mean = *invstd = NULL;
    }
    return st;
}

/* mean and 1/sqrt(var + eps) over dims (kept), var biased. */
static tsh_status moments(tsh_tensor *x, uint32_t dims, double eps, tsh_tensor **mean, tsh_tensor **var,
                          tsh_tensor **invstd)
{
    tsh_reduce_spec r = {dims, true, -1};
    tsh_tensor *ve = NULL;
    *mean = *var = *invstd = NULL;
    tsh_status st = tsh_mean(x, &r, mean);
    if (st == TSH_OK) st = tsh_var(x, &r, 0, false, var);
    if (st == TSH_OK) st = add_scalar(*var, eps, &ve);
    if (st == TSH_OK) st = tsh_unary(TSH_OP_RSQRT, ve, 0, NULL, invstd);
    tsh_tensor_release(ve);
    return st;
}

/* running = (1 - m) * running + m * stat, in place (stat kept-dims, C values). */
static tsh_status update_running(tsh_tensor *running, tsh_tensor *stat, double m)
{
    tsh_tensor *flat = NULL, *a = NULL, *b = NULL;
    tsh_status st = tsh_reshape(stat, 1, running->shape, &flat);
    if (st == TSH_OK) st = nn_scale(running, 1 - m, &a);
    if (st == TSH_OK) st = nn_scale(flat, m, &b);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, a, b, NULL, a, NULL);
    if (st == TSH_OK) st = tsh_copy_(running, a);
    tsh_tensor_release(flat);
    tsh_tensor_release(a);
    tsh_tensor_release(b);
    return st;
}

static tsh_status check_channel_param(const char *what, const tsh_tensor *x, const tsh_tensor *t, bool stat)
{
    char s1[128], s2[128];
    if (!t) return TSH_OK;
    TSH_TRY(stat ? nn_check_float("batch_norm", what, t) : nn_check_dtype("batch_norm", what, x, t));
    if (t->ndim != 1 || t->shape[0] != x->shape[1])
        return tsh_fail(TSH_ERR_SHAPE, "batch_norm: %s must have shape %lld (the input's channels, input %s), got %s",
                        what, (long long)x->shape[1], NN_SHAPE(s1, x), NN_SHAPE(s2, t));
    return TSH_OK;
}

/* The shared end of batch_norm and layer_norm: record the node (f[0] and
 * i[0] are its parameters; saved = input, weight, mean, invstd, each in
 * the compute dtype) when autograd needs it, release the caller's
 * references to `saved`, and hand y over or release it on failure. */
static tsh_status norm_finish(tsh_status st, bool ag, const char *name, tsh_backward_fn rule,
                              tsh_tensor **ins, double f0, int64_t i0, tsh_tensor **saved,
                              tsh_tensor *y, tsh_tensor **out)
{
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new(name, rule, 3, ins, &n);
        if (st == TSH_OK) {
            n->f[0] = f0;
            n->i[0] = i0;
            st = nn_record(n, y, 4, saved);
        }
    }
    for (int k = 0; k < 4; k++) tsh_tensor_release(saved[k]);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

tsh_status tsh_batch_norm(tsh_tensor *x, tsh_tensor *rmean, tsh_tensor *rvar, tsh_tensor *w, tsh_tensor *b,
                          bool training, double momentum, double eps, tsh_tensor **out)
{
    char s[128];
    tsh_tensor *devs[5] = {x, rmean, rvar, w, b}, *ins[3] = {x, w, b};
    int nd = 0;
    for (int k = 0; k < 5; k++)
        if (devs[k]) devs[nd++] = devs[k];
    TSH_TRY(tsh_check_same_device("batch_norm", nd, devs));
    TSH_TRY(nn_check_float("batch_norm", "input", x));
    if (x->ndim < 2)
        return tsh_fail(TSH_ERR_SHAPE, "batch_norm: expected an input of 2 or more dims (N, C, ...), got shape %s",
                        NN_SHAPE(s, x));
    TSH_TRY(check_channel_param("running_mean", x, rmean, true));
    TSH_TRY(check_channel_param("running_var", x, rvar, true));
    TSH_TRY(check_channel_param("weight", x, w, false));
    TSH_TRY(check_channel_param("bias", x, b, false));
    if (!training && (!rmean || !rvar))
        return tsh_fail(TSH_ERR_ARG, "batch_norm: running_mean and running_var are needed when training=false");
    if (eps < 0) return tsh_fail(TSH_ERR_ARG, "batch_norm: eps must be non-negative, got %g", eps);
    int64_t count = x->shape[1] ? tsh_numel(x) / x->shape[1] : 0;
    if (training && count <= 1)
        return tsh_fail(TSH_ERR_SHAPE, "batch_norm: expected more than 1 value per channel when training, got input "
                                       "of shape %s", NN_SHAPE(s, x));
    TSH_TRY(nn_no_grad_arg("batch_norm", "running_mean", rmean));
    TSH_TRY(nn_no_grad_arg("batch_norm", "running_var", rvar));
    bool ag = tsh_ag_needed(3, ins), was = nn_grad_off();
    tsh_dtype cdt = tsh_dtype_compute(x->dtype);
    uint32_t dims = ((1u << x->ndim) - 1) & ~2u;
    tsh_tensor *xc = NULL, *wv = NULL, *bv = NULL, *mean = NULL, *var = NULL, *invstd = NULL, *yc = NULL, *y = NULL;
    tsh_tensor *tmp = NULL;
    tsh_status st = tsh_to_dtype(x, cdt, &xc);
    if (st == TSH_OK && w && (st = tsh_to_dtype(w, cdt, &tmp)) == TSH_OK) st = channel_view(tmp, x->ndim, &wv);
    tsh_tensor_release(tmp);
    tmp = NULL;
    if (st == TSH_OK && b && (st = tsh_to_dtype(b, cdt, &tmp)) == TSH_OK) st = channel_view(tmp, x->ndim, &bv);
    tsh_tensor_release(tmp);
    tmp = NULL;
    if (st == TSH_OK && training) {
        st = moments(xc, dims, eps, &mean, &var, &invstd);
        if (st == TSH_OK && rmean) st = update_running(rmean, mean, momentum);
        if (st == TSH_OK && rvar && (st = nn_scale(var, (double)count / (double)(count - 1), &tmp)) == TSH_OK)
            st = update_running(rvar, tmp, momentum);
    } else if (st == TSH_OK) {
        tsh_tensor *rm = NULL, *rv = NULL, *ve = NULL;
        st = tsh_to_dtype(rmean, cdt, &rm);
        if (st == TSH_OK) st = tsh_to_dtype(rvar, cdt, &rv);
        if (st == TSH_OK) st = channel_view(rm, x->ndim, &mean);
        if (st == TSH_OK) st = channel_view(rv, x->ndim, &tmp);
        if (st == TSH_OK) st = add_scalar(tmp, eps, &ve);
        if (st == TSH_OK) st = tsh_unary(TSH_OP_RSQRT, ve, 0, NULL, &invstd);
        tsh_tensor_release(rm);
        tsh_tensor_release(rv);
        tsh_tensor_release(ve);
    }
    tsh_tensor_release(tmp);
    if (st == TSH_OK) st = normalize(xc, mean, invstd, wv, bv, &yc);
    if (st == TSH_OK) st = tsh_to_dtype(yc, x->dtype, &y);
    tsh_tensor_release(yc);
    tsh_tensor_release(var);
    tsh_tensor_release(bv);
    tsh_set_grad_enabled(was);
    tsh_tensor *saved[4] = {xc, wv, mean, invstd};
    return norm_finish(st, ag, "NativeBatchNormBackward0", tsh_nn_batch_norm_backward, ins, training, 0,
                       saved, y, out);
}

tsh_status tsh_layer_norm(tsh_tensor *x, int nd, const int64_t *shape, tsh_tensor *w, tsh_tensor *b, double eps,
                          tsh_tensor **out)
{
    char s1[128], s2[128];
    tsh_tensor *ins[3] = {x, w, b}, *devs[3] = {x, NULL, NULL};
    int ndev = 1;
    if (w) devs[ndev++] = w;
    if (b) devs[ndev++] = b;
    TSH_TRY(tsh_check_same_device("layer_norm", ndev, devs));
    TSH_TRY(nn_check_float("layer_norm", "input", x));
    if (nd < 1 || nd > x->ndim || memcmp(x->shape + x->ndim - nd, shape, sizeof(int64_t) * (size_t)nd) != 0)
        return tsh_fail(TSH_ERR_SHAPE, "layer_norm: input of shape %s does not end with normalized_shape %s",
                        NN_SHAPE(s1, x), tsh_shape_str(s2, sizeof s2, nd, shape));
    const char *names[2] = {"weight", "bias"};
    for (int k = 0; k < 2; k++) {
        tsh_tensor *t = k ? b : w;
        if (!t) continue;
        TSH_TRY(nn_check_dtype("layer_norm", names[k], x, t));
        if (t->ndim != nd || memcmp(t->shape, shape, sizeof(int64_t) * (size_t)nd) != 0)
            return tsh_fail(TSH_ERR_SHAPE, "layer_norm: %s must have normalized_shape %s, got %s", names[k],
                            tsh_shape_str(s1, sizeof s1, nd, shape), NN_SHAPE(s2, t));
    }
    if (eps < 0) return tsh_fail(TSH_ERR_ARG, "layer_norm: eps must be non-negative, got %g", eps);
    bool ag = tsh_ag_needed(3, ins), was = nn_grad_off();
    tsh_dtype cdt = tsh_dtype_compute(x->dtype);
    tsh_tensor *xc = NULL, *wc = NULL, *bc = NULL, *mean = NULL, *invstd = NULL, *yc = NULL, *y = NULL;
    tsh_status st = tsh_to_dtype(x, cdt, &xc);
    if (st == TSH_OK && w) st = tsh_to_dtype(w, cdt, &wc);
    if (st == TSH_OK && b) st = tsh_to_dtype(b, cdt, &bc);
    if (st == TSH_OK && tsh_numel(x) == 0) st = tsh_clone(xc, &yc);
    else if (st == TSH_OK)
        st = layer_norm_rows(xc, nd, wc, bc, eps, &yc, &mean, &invstd);
    if (st == TSH_OK) st = tsh_to_dtype(yc, x->dtype, &y);
    tsh_tensor_release(yc);
    tsh_tensor_release(bc);
    tsh_set_grad_enabled(was);
    tsh_tensor *saved[4] = {xc, wc, mean, invstd};
    return norm_finish(st, ag, "NativeLayerNormBackward0", tsh_nn_layer_norm_backward, ins, 0, nd,
                       saved, y, out);
}

/* The indices as a contiguous 1-d int64 tensor, each in 1..num. */
static tsh_status embedding_indices(tsh_tensor *idx, int64_t num, tsh_tensor **out)
{
    tsh_tensor *c = NULL, *flat = NULL, *lo = NULL, *hi = NULL;
    int64_t n = tsh_numel(idx), vmin = 1, vmax = 1;
    TSH_TRY(nn_prep(idx, TSH_I64, &c));
    tsh_status st = tsh_reshape(c, 1, &n, &flat);
    tsh_tensor_release(c);
    if (st == TSH_OK && n > 0) {
        st = tsh_min(flat, &lo);
        if (st == TSH_OK) st = tsh_max(flat, &hi);
        if (st == TSH_OK) st = tsh_item_i64(lo, &vmin);
        if (st == TSH_OK) st = tsh_item_i64(hi, &vmax);
        if (st == TSH_OK && (vmin < 1 || vmax > num))
            st = tsh_fail(TSH_ERR_INDEX, "embedding: index %lld is out of range for %lld embeddings (indices are "
                                         "1-based: 1..%lld)", (long long)(vmin < 1 ? vmin : vmax),
                          (long long)num, (long long)num);
    }
    tsh_tensor_release(lo);
    tsh_tensor_release(hi);
    if (st != TSH_OK) {
        tsh_tensor_release(flat);
        return st;
    }
    *out = flat;
    return TSH_OK;
}

tsh_status tsh_embedding(tsh_tensor *idx, tsh_tensor *weight, int64_t padding_row, tsh_tensor **out)
{
    char s[128];
    tsh_tensor *both[2] = {idx, weight};
    TSH_TRY(tsh_check_same_device("embedding", 2, both));
    if (idx->dtype != TSH_I64 && idx->dtype != TSH_I32)
        return tsh_fail(TSH_ERR_DTYPE, "embedding: indices must be int64 or int32, got %s", tsh_dtype_name(idx->dtype));
    TSH_TRY(nn_check_float("embedding", "weight", weight));
    if (weight->ndim != 2)
        return tsh_fail(TSH_ERR_SHAPE, "embedding: weight must be 2-d (num_embeddings, embedding_dim), got shape %s",
                        NN_SHAPE(s, weight));
    if (idx->ndim + 1 > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "embedding: indices of %d dims leave no room for the embedding dim", idx->ndim);
    if (padding_row >= weight->shape[0])
        return tsh_fail(TSH_ERR_INDEX, "embedding: padding_idx %lld is out of range for %lld embeddings",
                        (long long)(padding_row + 1), (long long)weight->shape[0]);
    bool ag = tsh_ag_needed(1, &weight), was = nn_grad_off();
    tsh_tensor *flat = NULL, *rows = NULL, *y = NULL;
    int64_t shape[TSH_MAX_DIMS];
    memcpy(shape, idx->shape, sizeof(int64_t) * (size_t)idx->ndim);
    shape[idx->ndim] = weight->shape[1];
    tsh_status st = embedding_indices(idx, weight->shape[0], &flat);
    if (st == TSH_OK) st = tsh_index_select(weight, 0, flat, &rows);
    if (st == TSH_OK) st = tsh_reshape(rows, idx->ndim + 1, shape, &y);
    tsh_tensor_release(rows);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new("EmbeddingBackward0", tsh_nn_embedding_backward, 1, &weight, &n);
        if (st == TSH_OK) {
            n->i[0] = padding_row;
            st = nn_record(n, y, 1, &flat);
        }
    }
    tsh_tensor_release(flat);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

tsh_status tsh_dropout(tsh_tensor *x, double p, bool training, tsh_tensor **out)
{
    if (!(p >= 0 && p <= 1))
        return tsh_fail(TSH_ERR_ARG, "dropout: probability has to be between 0 and 1, but got %g", p);
    TSH_TRY(nn_check_float("dropout", "input", x));
    if (!training || p == 0) {
        *out = tsh_tensor_retain(x);
        return TSH_OK;
    }
    bool ag = tsh_ag_needed(1, &x), was = nn_grad_off();
    tsh_tensor *mask = NULL, *y = NULL;
    tsh_status st = tsh_tensor_empty(x->ndim, x->shape, x->dtype, x->storage->device, &mask);
    /* mask holds 0 or 1/(1-p): one multiply makes the output, and backward */
    if (st == TSH_OK && p == 1) st = tsh_fill_(mask, 0);
    else if (st == TSH_OK && (st = tsh_bernoulli_(mask, NULL, 1 - p)) == TSH_OK) {
        tsh_stack_scalar s;
        tsh_scalar sv = {.kind = TSH_SCALAR_FLOAT, .f = 1 / (1 - p)};
        st = tsh_binary(TSH_OP_MUL, mask, tsh_stack_scalar_init(&s, &sv), NULL, mask, NULL);
    }
    if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, x, mask, NULL, NULL, &y);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new("NativeDropoutBackward0", tsh_nn_dropout_backward, 1, &x, &n);
        if (st == TSH_OK) st = nn_record(n, y, 1, &mask);
    }
    tsh_tensor_release(mask);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}
