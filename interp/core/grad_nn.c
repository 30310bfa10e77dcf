/* grad_nn.c: backward rules of the nn layers (the front ends in nn_conv.c,
 * nn_pool.c and nn_norm.c record them): linear, conv2d, the poolings,
 * batch_norm, layer_norm, embedding and dropout. Convolution and pooling
 * go to their backward kernels; the rest are written with front-end ops.
 * Gradients may come back in a broadcast shape: the engine sums them down.
 * Rules run with grad mode off. The loss rules are in grad_nn_loss.c. */
#include <string.h>

#include "index.h"
#include "linalg.h"
#include "mathops.h"
#include "nn_impl.h"
#include "reduce.h"

/* g viewed as (rows, last dim). */
static tsh_status rows_of(tsh_tensor *t, int64_t cols, tsh_tensor **out)
{
    int64_t shape[2] = {cols ? tsh_numel(t) / cols : 0, cols};
    if (!cols) {
        shape[0] = 1;
        for (int d = 0; d < t->ndim - 1; d++) shape[0] *= t->shape[d];
    }
    return tsh_reshape(t, 2, shape, out);
}

/* y = x @ w^T + b: gx = g @ w, gw = g^T @ x, gb = g (summed by the engine). */
tsh_status tsh_nn_linear_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x, *w, *g2 = NULL, *x2 = NULL, *gt = NULL, *gx = NULL;
    TSH_TRY(tsh_node_saved(n, 0, &x));
    TSH_TRY(tsh_node_saved(n, 1, &w));
    tsh_status st = rows_of(g, w->shape[0], &g2);
    if (st == TSH_OK && n->next[0]) {
        st = tsh_mm(g2, w, &gx);
        if (st == TSH_OK) st = tsh_reshape(gx, x->ndim, x->shape, &grads[0]);
    }
    if (st == TSH_OK && n->next[1]) {
        st = rows_of(x, w->shape[1], &x2);
        if (st == TSH_OK) st = tsh_transpose(g2, 0, 1, &gt);
        if (st == TSH_OK) st = tsh_mm(gt, x2, &grads[1]);
    }
    if (st == TSH_OK && n->next[2]) grads[2] = tsh_tensor_retain(g);
    tsh_tensor_release(g2);
    tsh_tensor_release(x2);
    tsh_tensor_release(gt);
    tsh_tensor_release(gx);
    return st;
}

/* g in the compute dtype, contiguous, as (N, C, H, W) with N = 1 for an
 * unbatched output. */
static tsh_status grad4(tsh_tensor *g, tsh_dtype cdt, tsh_tensor **out)
{
    tsh_tensor *c = NULL;
    TSH_TRY(nn_prep(g, cdt, &c));
    int64_t shape[4] = {1, 0, 0, 0};
    memcpy(shape + 4 - g->ndim, g->shape, sizeof(int64_t) * (size_t)g->ndim);
    tsh_status st = tsh_view(c, 4, shape, out);
    tsh_tensor_release(c);
    return st;
}

/* A new (N, C, H, W) tensor for the gradient of an input of rank in_ndim
 * and shape in_shape (3-d or 4-d). */
static tsh_status input_grad4(const tsh_node *n, const tsh_tensor *like, tsh_tensor **out)
{
    int64_t shape[4] = {1, 0, 0, 0};
    memcpy(shape + 4 - n->in_ndim[0], n->in_shape[0], sizeof(int64_t) * (size_t)n->in_ndim[0]);
    return tsh_tensor_empty(4, shape, like->dtype, like->storage->device, out);
}

/* Runs a window op into out unless there is nothing to compute (zeros). */
static tsh_status window_or_zero(tsh_op op, tsh_tensor *out, tsh_tensor *out2, tsh_tensor *in0, tsh_tensor *in1,
                                 const int64_t *win, int64_t flags, bool empty)
{
    if (tsh_numel(out) == 0) return TSH_OK;
    if (empty) {
        TSH_TRY(tsh_fill_(out, 0));
        return out2 ? tsh_fill_(out2, 0) : TSH_OK;
    }
    return nn_window_op(op, out, out2, in0, in1, NULL, win, flags);
}

/* The input's rank back: (1, C, H, W) -> (C, H, W) where it was unbatched. */
static tsh_status to_input_shape(const tsh_node *n, int k, tsh_tensor *t, tsh_tensor **out)
{
    return tsh_reshape(t, n->in_ndim[k], n->in_shape[k], out);
}

tsh_status tsh_nn_conv_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x4, *w;
    TSH_TRY(tsh_node_saved(n, 0, &x4));
    TSH_TRY(tsh_node_saved(n, 1, &w));
    tsh_tensor *g4 = NULL, *gx = NULL, *gw = NULL, *gb = NULL;
    tsh_status st = grad4(g, w->dtype, &g4);
    bool empty = st == TSH_OK && (tsh_numel(g4) == 0 || tsh_numel(w) == 0);
    if (st == TSH_OK && n->next[0]) {
        st = tsh_tensor_empty(4, x4->shape, w->dtype, w->storage->device, &gx);
        if (st == TSH_OK) st = window_or_zero(TSH_OP_CONV2D_BWD_DATA, gx, NULL, g4, w, n->i, 0, empty);
        if (st == TSH_OK) st = to_input_shape(n, 0, gx, &grads[0]);
    }
    if (st == TSH_OK && (n->next[1] || n->next[2])) {
        st = tsh_tensor_empty(4, w->shape, w->dtype, w->storage->device, &gw);
        if (st == TSH_OK && n->next[2]) st = tsh_tensor_empty(1, w->shape, w->dtype, w->storage->device, &gb);
        if (st == TSH_OK && tsh_numel(gw) == 0 && gb) { /* no weights: the bias gradient alone */
            tsh_reduce_spec r = {0xDu, false, -1};
            tsh_tensor_release(gb);
            gb = NULL;
            st = tsh_sum(g4, &r, &gb);
        } else if (st == TSH_OK) {
            st = window_or_zero(TSH_OP_CONV2D_BWD_WEIGHT, gw, gb, g4, x4, n->i, 0, empty);
        }
        if (st == TSH_OK && n->next[1]) grads[1] = tsh_tensor_retain(gw);
        if (st == TSH_OK && n->next[2]) grads[2] = tsh_tensor_retain(gb);
    }
    tsh_tensor_release(g4);
    tsh_tensor_release(gx);
    tsh_tensor_release(gw);
    tsh_tensor_release(gb);
    return st;
}

/* Pooling: one backward kernel scattering g back over each window. */
static tsh_status pool_backward(tsh_op op, tsh_node *n, tsh_tensor *g, tsh_tensor *idx, tsh_tensor **grads)
{
    tsh_tensor *g4 = NULL, *gx = NULL;
    tsh_status st = grad4(g, tsh_dtype_compute(n->in_dtype[0]), &g4);
    if (st == TSH_OK) st = input_grad4(n, g4, &gx);
    if (st == TSH_OK) st = window_or_zero(op, gx, NULL, g4, idx, n->i, n->i[4], tsh_numel(g4) == 0);
    if (st == TSH_OK) st = to_input_shape(n, 0, gx, &grads[0]);
    tsh_tensor_release(g4);
    tsh_tensor_release(gx);
    return st;
}

tsh_status tsh_nn_max_pool_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *idx;
    TSH_TRY(tsh_node_saved(n, 0, &idx));
    return pool_backward(TSH_OP_MAX_POOL2D_BWD, n, g, idx, grads);
}

tsh_status tsh_nn_avg_pool_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return pool_backward(TSH_OP_AVG_POOL2D_BWD, n, g, NULL, grads);
}

tsh_status tsh_nn_adaptive_avg_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return pool_backward(TSH_OP_ADAPTIVE_AVG_POOL2D_BWD, n, g, NULL, grads);
}

/* xhat = (x - mean) * invstd */
static tsh_status normalized(tsh_tensor *x, tsh_tensor *mean, tsh_tensor *invstd, tsh_tensor **out)
{
    tsh_tensor *d = NULL;
    TSH_TRY(tsh_binary(TSH_OP_SUB, x, mean, NULL, NULL, &d));
    tsh_status st = tsh_binary(TSH_OP_MUL, d, invstd, NULL, d, NULL);
    if (st != TSH_OK) {
        tsh_tensor_release(d);
        return st;
    }
    *out = d;
    return TSH_OK;
}

/* Training: gx = w*invstd * (g - mean(g) - xhat * mean(g*xhat)), the means
 * over every dim but the channel's; eval: gx = g * w * invstd. gw and gb
 * are the per-channel sums of g*xhat and g. */
tsh_status tsh_nn_batch_norm_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x, *wv, *mean, *invstd;
    TSH_TRY(tsh_node_saved(n, 0, &x));
    TSH_TRY(tsh_node_saved(n, 1, &wv));
    TSH_TRY(tsh_node_saved(n, 2, &mean));
    TSH_TRY(tsh_node_saved(n, 3, &invstd));
    bool training = n->f[0] != 0;
    int64_t C = x->shape[1], M = C ? tsh_numel(x) / C : 0;
    tsh_reduce_spec keep = {((1u << x->ndim) - 1) & ~2u, true, -1};
    tsh_tensor *gc = NULL, *xhat = NULL, *gxh = NULL, *gb = NULL, *gw = NULL, *scale = NULL, *t = NULL, *u = NULL;
    tsh_status st = tsh_to_dtype(g, x->dtype, &gc);
    if (st == TSH_OK) st = normalized(x, mean, invstd, &xhat);
    if (st == TSH_OK && (training || n->next[2])) st = tsh_sum(gc, &keep, &gb);
    if (st == TSH_OK && (training || n->next[1])) st = tsh_binary(TSH_OP_MUL, gc, xhat, NULL, NULL, &gxh);
    if (st == TSH_OK && (training || n->next[1])) st = tsh_sum(gxh, &keep, &gw);
    if (st == TSH_OK && n->next[1]) st = tsh_reshape(gw, 1, &C, &grads[1]);
    if (st == TSH_OK && n->next[2]) st = tsh_reshape(gb, 1, &C, &grads[2]);
    if (st == TSH_OK && n->next[0]) {
        st = wv ? tsh_binary(TSH_OP_MUL, invstd, wv, NULL, NULL, &scale) : TSH_OK;
        if (!wv) scale = tsh_tensor_retain(invstd);
        if (st == TSH_OK && training) {
            /* g - gb/M - xhat * gw/M, then times scale */
            st = nn_scale(gb, 1.0 / (double)M, &t);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, gc, t, NULL, NULL, &u);
            tsh_tensor_release(t);
            t = NULL;
            if (st == TSH_OK) st = nn_scale(gw, 1.0 / (double)M, &t);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, xhat, t, NULL, xhat, NULL);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, u, xhat, NULL, u, NULL);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, u, scale, NULL, NULL, &grads[0]);
        } else if (st == TSH_OK) {
            st = tsh_binary(TSH_OP_MUL, gc, scale, NULL, NULL, &grads[0]);
        }
    }
    tsh_tensor *all[8] = {gc, xhat, gxh, gb, gw, scale, t, u};
    for (int k = 0; k < 8; k++) tsh_tensor_release(all[k]);
    return st;
}

/* gx = invstd * (gxh - mean(gxh) - xhat * mean(gxh*xhat)) with gxh = g*w,
 * means over the normalized dims; gw = g*xhat and gb = g, summed down to
 * normalized_shape by the engine. */
tsh_status tsh_nn_layer_norm_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x, *w, *mean, *invstd;
    TSH_TRY(tsh_node_saved(n, 0, &x));
    TSH_TRY(tsh_node_saved(n, 1, &w));
    TSH_TRY(tsh_node_saved(n, 2, &mean));
    TSH_TRY(tsh_node_saved(n, 3, &invstd));
    tsh_tensor *gc = NULL, *xhat = NULL, *gxh = NULL, *a = NULL, *p = NULL, *b = NULL;
    tsh_status st = tsh_to_dtype(g, x->dtype, &gc);
    if (st == TSH_OK && tsh_numel(x) == 0) { /* nothing was normalized */
        if (n->next[0]) grads[0] = tsh_tensor_retain(gc);
        if (n->next[1]) st = tsh_binary(TSH_OP_MUL, gc, x, NULL, NULL, &grads[1]);
        if (st == TSH_OK && n->next[2]) grads[2] = tsh_tensor_retain(gc);
        tsh_tensor_release(gc);
        return st;
    }
    int nd = (int)n->i[0];
    tsh_reduce_spec keep = {((1u << x->ndim) - 1) & ~((1u << (x->ndim - nd)) - 1), true, -1};
    if (st == TSH_OK) st = normalized(x, mean, invstd, &xhat);
    if (st == TSH_OK && n->next[1]) st = tsh_binary(TSH_OP_MUL, gc, xhat, NULL, NULL, &grads[1]);
    if (st == TSH_OK && n->next[2]) grads[2] = tsh_tensor_retain(gc);
    if (st == TSH_OK && n->next[0]) {
        st = w ? tsh_binary(TSH_OP_MUL, gc, w, NULL, NULL, &gxh) : TSH_OK;
        if (!w) gxh = tsh_tensor_retain(gc);
        if (st == TSH_OK) st = tsh_mean(gxh, &keep, &a);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, gxh, xhat, NULL, NULL, &p);
        if (st == TSH_OK) st = tsh_mean(p, &keep, &b);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, xhat, b, NULL, xhat, NULL);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, gxh, a, NULL, p, NULL);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, p, xhat, NULL, p, NULL);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, p, invstd, NULL, NULL, &grads[0]);
    }
    tsh_tensor *all[6] = {gc, xhat, gxh, a, p, b};
    for (int k = 0; k < 6; k++) tsh_tensor_release(all[k]);
    return st;
}

/* The weight's gradient: g's rows added at their indices; the padding row
 * gets none. */
tsh_status tsh_nn_embedding_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *idx;
    TSH_TRY(tsh_node_saved(n, 0, &idx));
    int64_t dim = n->in_shape[0][1];
    tsh_tensor *g2 = NULL, *gw = NULL, *row = NULL;
    tsh_status st = rows_of(g, dim, &g2);
    if (st == TSH_OK) st = tsh_full(2, n->in_shape[0], 0, g->dtype, g->storage->device, &gw);
    if (st == TSH_OK && tsh_numel(idx) > 0) st = tsh_index_add_(gw, 0, idx, g2, NULL);
    if (st == TSH_OK && n->i[0] >= 0) {
        st = tsh_select(gw, 0, n->i[0], &row);
        if (st == TSH_OK) st = tsh_fill_(row, 0);
    }
    tsh_tensor_release(g2);
    tsh_tensor_release(row);
    if (st != TSH_OK) {
        tsh_tensor_release(gw);
        return st;
    }
    grads[0] = gw;
    return TSH_OK;
}

/* g times the mask the forward drew (0 or 1/(1-p)). */
tsh_status tsh_nn_dropout_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *mask;
    TSH_TRY(tsh_node_saved(n, 0, &mask));
    return tsh_binary(TSH_OP_MUL, g, mask, NULL, NULL, &grads[0]);
}
