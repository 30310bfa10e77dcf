/* grad_nn_loss.c: backward rules of the losses (nn_loss.c records them).
 * cross_entropy and nll_loss run their fused backward kernel (softmax minus
 * the target distribution, weighted, per sample) and scale it by the output
 * gradient; mse, l1 and bce-with-logits are written with front-end ops.
 * Rules run with grad mode off. */
#include "mathops.h"
#include "nn_impl.h"
#include "reduce.h"

/* The factor each sample's gradient takes: g itself (reduction none, viewed
 * (outer, 1, inner)), g (sum), g / sum of weights or g / count (mean). */
static tsh_status loss_scale(tsh_node *n, tsh_tensor *g, tsh_tensor *x3, tsh_tensor *wsum, tsh_tensor **out)
{
    tsh_tensor *gc = NULL;
    TSH_TRY(tsh_to_dtype(g, x3->dtype, &gc));
    tsh_status st = TSH_OK;
    switch ((tsh_reduction)n->i[1]) {
    case TSH_REDUCTION_NONE: {
        int64_t shape[3] = {x3->shape[0], 1, x3->shape[2]};
        st = tsh_reshape(gc, 3, shape, out);
        break;
    }
    case TSH_REDUCTION_SUM: *out = tsh_tensor_retain(gc); break;
    default: st = wsum ? tsh_binary(TSH_OP_DIV, gc, wsum, NULL, NULL, out) : nn_scale(gc, n->f[1], out); break;
    }
    tsh_tensor_release(gc);
    return st;
}

/* d/d target of cross entropy with probabilities: -(1-eps) w[c] logp[c]. */
static tsh_status target_grad(tsh_node *n, tsh_tensor *x3, tsh_tensor *w, tsh_tensor *scale, tsh_tensor **out)
{
    tsh_tensor *lp = NULL, *wv = NULL;
    tsh_status st = tsh_log_softmax(x3, 1, -1, &lp);
    if (st == TSH_OK && w) {
        int64_t shape[3] = {1, w->shape[0], 1};
        st = tsh_view(w, 3, shape, &wv);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, lp, wv, NULL, lp, NULL);
    }
    if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, lp, scale, NULL, lp, NULL);
    tsh_tensor *t = NULL;
    if (st == TSH_OK) st = nn_scale(lp, -(1 - n->f[0]), &t);
    if (st == TSH_OK) st = tsh_reshape(t, n->in_ndim[1], n->in_shape[1], out);
    tsh_tensor_release(lp);
    tsh_tensor_release(wv);
    tsh_tensor_release(t);
    return st;
}

tsh_status tsh_nn_class_loss_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x3, *t, *w, *wsum;
    TSH_TRY(tsh_node_saved(n, 0, &x3));
    TSH_TRY(tsh_node_saved(n, 1, &t));
    TSH_TRY(tsh_node_saved(n, 2, &w));
    TSH_TRY(tsh_node_saved(n, 3, &wsum));
    tsh_tensor *gin = NULL, *scale = NULL;
    tsh_status st = loss_scale(n, g, x3, wsum, &scale);
    if (st == TSH_OK && n->next[0]) {
        st = tsh_tensor_empty(3, x3->shape, x3->dtype, x3->storage->device, &gin);
        if (st == TSH_OK && tsh_numel(gin) > 0) {
            /* nll's backward needs no input values (ops.h) */
            tsh_tensor *in0 = n->i[2] == TSH_OP_NLL_LOSS_BWD ? NULL : x3;
            tsh_kargs k = {.out = gin, .in = {in0, t, w}, .f = {n->f[0]}, .i = {n->i[0]}};
            st = tsh_dispatch((tsh_op)n->i[2], &k);
        }
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, gin, scale, NULL, gin, NULL);
        if (st == TSH_OK) st = tsh_reshape(gin, n->in_ndim[0], n->in_shape[0], &grads[0]);
    }
    if (st == TSH_OK && n->next[1]) st = target_grad(n, x3, w, scale, &grads[1]);
    tsh_tensor_release(gin);
    tsh_tensor_release(scale);
    return st;
}

/* g times the mean's 1/N when reduced by mean. */
static tsh_status reduced_grad(tsh_node *n, tsh_tensor *g, tsh_tensor **out)
{
    if ((tsh_reduction)n->i[0] == TSH_REDUCTION_MEAN) return nn_scale(g, n->f[0], out);
    *out = tsh_tensor_retain(g);
    return TSH_OK;
}

/* d(a-b)^2: 2 (a-b) g for a, the negation for b; d|a-b|: sign(a-b) g. The
 * forward saved d = a - b (reduction none) or a and b (see nn_loss.c). */
static tsh_status pointwise_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads, bool mse)
{
    tsh_tensor *s0, *s1, *d = NULL, *gs = NULL, *f = NULL, *ga = NULL;
    TSH_TRY(tsh_node_saved(n, 0, &s0));
    TSH_TRY(tsh_node_saved(n, 1, &s1));
    tsh_status st = s1 ? tsh_binary(TSH_OP_SUB, s0, s1, NULL, NULL, &d) : TSH_OK;
    if (!s1) d = tsh_tensor_retain(s0);
    if (st == TSH_OK) st = reduced_grad(n, g, &gs);
    if (st == TSH_OK) st = mse ? nn_scale(gs, 2, &f) : tsh_unary(TSH_OP_SIGN, d, 0, NULL, &f);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, mse ? d : f, mse ? f : gs, NULL, NULL, &ga);
    if (st == TSH_OK && n->next[1]) st = tsh_unary(TSH_OP_NEG, ga, 0, NULL, &grads[1]);
    if (st == TSH_OK && n->next[0]) grads[0] = tsh_tensor_retain(ga);
    tsh_tensor_release(d);
    tsh_tensor_release(gs);
    tsh_tensor_release(f);
    tsh_tensor_release(ga);
    return st;
}

tsh_status tsh_nn_mse_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return pointwise_backward(n, g, grads, true);
}

tsh_status tsh_nn_l1_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    return pointwise_backward(n, g, grads, false);
}

/* With t = pw*y: d/dx = ((t + 1 - y) sigmoid(x) - t) * weight * g, which is
 * (sigmoid(x) - y) * weight * g without pw; d/dy = (-x + (pw-1) softplus(-x))
 * * weight * g. */
tsh_status tsh_nn_bce_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x, *y, *w, *pw;
    TSH_TRY(tsh_node_saved(n, 0, &x));
    TSH_TRY(tsh_node_saved(n, 1, &y));
    TSH_TRY(tsh_node_saved(n, 2, &w));
    TSH_TRY(tsh_node_saved(n, 3, &pw));
    tsh_tensor *gr = NULL, *gs = NULL, *s = NULL, *t = NULL, *gx = NULL, *gy = NULL, *sp = NULL, *pm = NULL;
    tsh_stack_scalar one;
    tsh_scalar v1 = {.kind = TSH_SCALAR_FLOAT, .f = 1};
    tsh_status st = reduced_grad(n, g, &gr);
    if (st == TSH_OK && w) st = tsh_binary(TSH_OP_MUL, gr, w, NULL, NULL, &gs);
    else if (st == TSH_OK) gs = tsh_tensor_retain(gr);
    if (st == TSH_OK && n->next[0]) {
        st = tsh_unary(TSH_OP_SIGMOID, x, 0, NULL, &s);
        if (st == TSH_OK && pw) {
            st = tsh_binary(TSH_OP_MUL, pw, y, NULL, NULL, &t);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, t, y, NULL, NULL, &gx);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, gx, tsh_stack_scalar_init(&one, &v1), NULL, gx, NULL);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, gx, s, NULL, gx, NULL);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, gx, t, NULL, gx, NULL);
        } else if (st == TSH_OK) {
            st = tsh_binary(TSH_OP_SUB, s, y, NULL, NULL, &gx);
        }
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, gx, gs, NULL, NULL, &grads[0]);
    }
    if (st == TSH_OK && n->next[1]) {
        st = tsh_unary(TSH_OP_NEG, x, 0, NULL, &gy);
        if (st == TSH_OK && pw) {
            st = nn_softplus_neg(x, &sp);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, pw, tsh_stack_scalar_init(&one, &v1), NULL, NULL, &pm);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, sp, pm, NULL, sp, NULL);
            if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, gy, sp, NULL, gy, NULL);
        }
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, gy, gs, NULL, NULL, &grads[1]);
    }
    tsh_tensor *all[8] = {gr, gs, s, t, gx, gy, sp, pm};
    for (int k = 0; k < 8; k++) tsh_tensor_release(all[k]);
    return st;
}
