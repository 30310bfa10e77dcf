/* nn_loss.c: the front end of the losses. cross_entropy and nll_loss check
 * the target (1-based class indices, or probabilities for cross entropy),
 * run the fused kernel for per-sample losses and reduce; mse_loss and
 * l1_loss run the fused REGRESSION_LOSS op when reduced, and are a
 * difference and its square or abs with reduction none;
 * binary_cross_entropy_with_logits is a short composition. Each records
 * one node (CrossEntropyLossBackward0, NllLossBackward0, MseLossBackward0,
 * L1LossBackward0, BinaryCrossEntropyWithLogitsBackward0; rules in
 * grad_nn_loss.c). float16/bfloat16 compute in float32. */
#include <math.h>
#include <string.h>

#include "mathops.h"
#include "nn_impl.h"
#include "reduce.h"

/* The class-loss call, viewed the way the kernels want it. */
typedef struct {
    const char *op;
    tsh_tensor *x3, *t, *w; /* (outer, C, inner); target (outer, inner) int64 or x3's shape; weights */
    bool index;
    int64_t C;
    int tnd;                /* the shape of a per-sample loss: the input's without dim 2 */
    int64_t tshape[TSH_MAX_DIMS];
} class_call;

static void class_call_free(class_call *c)
{
    tsh_tensor_release(c->x3);
    tsh_tensor_release(c->t);
    tsh_tensor_release(c->w);
}

/* Every class index in 1..C or equal to ignore_index (CPU data). */
static tsh_status check_classes(const char *op, tsh_tensor *t, int64_t C, int64_t ignore)
{
    tsh_tensor *host = t;
    if (t->storage->device.type != TSH_CPU) {
        TSH_TRY(tsh_tensor_empty(t->ndim, t->shape, TSH_I64, tsh_cpu_device(), &host));
        tsh_status st = tsh_copy_(host, t);
        if (st != TSH_OK) {
            tsh_tensor_release(host);
            return st;
        }
    }
    const int64_t *v = (const int64_t *)tsh_data(host);
    int64_t n = tsh_numel(host), bad = 0;
    bool found = false;
    for (int64_t k = 0; k < n && !found; k++)
        if ((v[k] < 1 || v[k] > C) && v[k] != ignore) found = true, bad = v[k];
    if (host != t) tsh_tensor_release(host);
    if (found)
        return tsh_fail(TSH_ERR_INDEX, "%s: target %lld is out of bounds for %lld classes (class indices are "
                                       "1-based: 1..%lld)", op, (long long)bad, (long long)C, (long long)C);
    return TSH_OK;
}

static tsh_status prepare_class(class_call *c, tsh_tensor *input, tsh_tensor *target, tsh_tensor *weight,
                                int64_t ignore, bool probs_ok)
{
    char s1[128], s2[128], s3[128];
    const char *op = c->op;
    tsh_tensor *devs[3] = {input, target, weight};
    TSH_TRY(tsh_check_same_device(op, weight ? 3 : 2, devs));
    TSH_TRY(nn_check_float(op, "input", input));
    if (input->ndim < 1)
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected an input of shape (C), (N, C) or (N, C, d1, ...), got a scalar",
                        op);
    int cd = input->ndim == 1 ? 0 : 1;
    c->C = input->shape[cd];
    c->tnd = 0;
    for (int d = 0; d < input->ndim; d++)
        if (d != cd) c->tshape[c->tnd++] = input->shape[d];
    bool same = tsh_same_shape(target, input);
    c->index = !(probs_ok && same);
    if (!c->index) {
        if (!tsh_dtype_is_float(target->dtype))
            return tsh_fail(TSH_ERR_DTYPE, "%s: a target of the input's shape %s holds class probabilities and must "
                                           "be floating point, got %s", op, NN_SHAPE(s1, input),
                            tsh_dtype_name(target->dtype));
        TSH_TRY(nn_check_dtype(op, "target", input, target));
        if (ignore >= 0)
            return tsh_fail(TSH_ERR_ARG, "%s: ignore_index is not supported for probability targets", op);
    } else {
        if (target->ndim != c->tnd || memcmp(target->shape, c->tshape, sizeof(int64_t) * (size_t)c->tnd) != 0) {
            if (probs_ok)
                return tsh_fail(TSH_ERR_SHAPE, "%s: for input of shape %s expected a target of shape %s (class "
                                               "indices) or %s (probabilities), got %s", op, NN_SHAPE(s1, input),
                                tsh_shape_str(s2, sizeof s2, c->tnd, c->tshape), NN_SHAPE(s3, input),
                                NN_SHAPE(s2, target));
            return tsh_fail(TSH_ERR_SHAPE, "%s: for input of shape %s expected a target of shape %s, got %s", op,
                            NN_SHAPE(s1, input), tsh_shape_str(s2, sizeof s2, c->tnd, c->tshape),
                            NN_SHAPE(s3, target));
        }
        if (target->dtype != TSH_I64)
            return tsh_fail(TSH_ERR_DTYPE, "%s: target must hold int64 class indices (1..C), got %s", op,
                            tsh_dtype_name(target->dtype));
    }
    if (weight) {
        TSH_TRY(nn_check_dtype(op, "weight", input, weight));
        if (weight->ndim != 1 || weight->shape[0] != c->C)
            return tsh_fail(TSH_ERR_SHAPE, "%s: weight must have one value per class (%lld), got shape %s", op,
                            (long long)c->C, NN_SHAPE(s1, weight));
    }
    TSH_TRY(nn_no_grad_arg(op, "weight", weight));
    if (c->index && tsh_requires_grad(target))
        return tsh_fail(TSH_ERR_ARG, "%s: class-index targets cannot require grad", op);
    /* the kernels' views: (outer, C, inner) and (outer, inner) */
    int64_t outer = input->ndim == 1 ? 1 : input->shape[0], inner = 1;
    for (int d = 2; d < input->ndim; d++) inner *= input->shape[d];
    int64_t s3d[3] = {outer, c->C, inner}, s2d[2] = {outer, inner};
    tsh_dtype cdt = tsh_dtype_compute(input->dtype);
    tsh_tensor *xc = NULL, *tc = NULL;
    tsh_status st = nn_prep(input, cdt, &xc);
    if (st == TSH_OK) st = tsh_view(xc, 3, s3d, &c->x3);
    if (st == TSH_OK) st = nn_prep(target, c->index ? TSH_I64 : cdt, &tc);
    if (st == TSH_OK) st = c->index ? tsh_view(tc, 2, s2d, &c->t) : tsh_view(tc, 3, s3d, &c->t);
    if (st == TSH_OK && weight) st = nn_prep(weight, cdt, &c->w);
    if (st == TSH_OK && c->index) st = check_classes(op, c->t, c->C, ignore);
    tsh_tensor_release(xc);
    tsh_tensor_release(tc);
    return st;
}

/* Reduces per-sample losses (compute dtype): none keeps them, sum adds,
 * mean divides by denom (a 0-dim tensor) or multiplies by inv_count. */
static tsh_status reduce_loss(tsh_tensor *loss, tsh_reduction r, tsh_tensor *denom, double inv_count,
                              tsh_tensor **out)
{
    if (r == TSH_REDUCTION_NONE) {
        *out = tsh_tensor_retain(loss);
        return TSH_OK;
    }
    tsh_tensor *s = NULL;
    TSH_TRY(tsh_sum(loss, &TSH_REDUCE_ALL, &s));
    if (r == TSH_REDUCTION_SUM) {
        *out = s;
        return TSH_OK;
    }
    tsh_status st = denom ? tsh_binary(TSH_OP_DIV, s, denom, NULL, NULL, out) : nn_scale(s, inv_count, out);
    tsh_tensor_release(s);
    return st;
}

static tsh_status class_loss(tsh_op op, const char *name, tsh_tensor *input, tsh_tensor *target,
                             tsh_tensor *weight, int64_t ignore, tsh_reduction r, double eps, tsh_tensor **out)
{
    if (!(eps >= 0 && eps <= 1))
        return tsh_fail(TSH_ERR_ARG, "%s: label_smoothing must be between 0 and 1, got %g", name, eps);
    class_call c = {.op = name};
    tsh_status st = prepare_class(&c, input, target, weight, ignore, op == TSH_OP_CROSS_ENTROPY);
    if (st != TSH_OK) {
        class_call_free(&c);
        return st;
    }
    tsh_tensor *ins[2] = {input, c.index ? NULL : target};
    bool ag = tsh_ag_needed(2, ins), was = nn_grad_off();
    tsh_tensor *loss = NULL, *wts = NULL, *wsum = NULL, *red = NULL, *shaped = NULL, *y = NULL;
    int64_t s2d[2] = {c.x3->shape[0], c.x3->shape[2]}, count = s2d[0] * s2d[1];
    st = tsh_tensor_empty(2, s2d, c.x3->dtype, c.x3->storage->device, &loss);
    if (st == TSH_OK && c.index) st = tsh_tensor_empty(2, s2d, c.x3->dtype, c.x3->storage->device, &wts);
    if (st == TSH_OK && count > 0 && c.C > 0) {
        tsh_kargs k = {.out = loss, .out2 = wts, .in = {c.x3, c.t, c.w}, .f = {eps}, .i = {ignore}};
        st = tsh_dispatch(op, &k);
    } else if (st == TSH_OK) { /* no samples, or no classes: nothing to add */
        st = tsh_fill_(loss, 0);
        if (st == TSH_OK && wts) st = tsh_fill_(wts, 0);
    }
    if (st == TSH_OK && c.index && r == TSH_REDUCTION_MEAN) st = tsh_sum(wts, &TSH_REDUCE_ALL, &wsum);
    if (st == TSH_OK) st = reduce_loss(loss, r, wsum, count ? 1.0 / (double)count : NAN, &red);
    if (st == TSH_OK && r == TSH_REDUCTION_NONE) st = tsh_reshape(red, c.tnd, c.tshape, &shaped);
    else if (st == TSH_OK) shaped = tsh_tensor_retain(red);
    if (st == TSH_OK) st = tsh_to_dtype(shaped, input->dtype, &y);
    tsh_tensor_release(loss);
    tsh_tensor_release(wts);
    tsh_tensor_release(red);
    tsh_tensor_release(shaped);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new(op == TSH_OP_NLL_LOSS ? "NllLossBackward0" : "CrossEntropyLossBackward0",
                          tsh_nn_class_loss_backward, 2, ins, &n);
        if (st == TSH_OK) {
            n->f[0] = eps;
            n->f[1] = count ? 1.0 / (double)count : NAN;
            n->i[0] = ignore;
            n->i[1] = r;
            n->i[2] = op == TSH_OP_NLL_LOSS ? TSH_OP_NLL_LOSS_BWD : TSH_OP_CROSS_ENTROPY_BWD;
            tsh_tensor *saved[4] = {c.x3, c.t, c.w, wsum};
            st = nn_record(n, y, 4, saved);
        }
    }
    tsh_tensor_release(wsum);
    class_call_free(&c);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

tsh_status tsh_cross_entropy(tsh_tensor *input, tsh_tensor *target, tsh_tensor *weight, int64_t ignore_index,
                             tsh_reduction r, double label_smoothing, tsh_tensor **out)
{
    return class_loss(TSH_OP_CROSS_ENTROPY, "cross_entropy", input, target, weight, ignore_index, r,
                      label_smoothing, out);
}

tsh_status tsh_nll_loss(tsh_tensor *input, tsh_tensor *target, tsh_tensor *weight, int64_t ignore_index,
                        tsh_reduction r, tsh_tensor **out)
{
    return class_loss(TSH_OP_NLL_LOSS, "nll_loss", input, target, weight, ignore_index, r, 0, out);
}

/* ---- regression losses ---- */

/* The dtype of a - b and its broadcast shape, or an error naming the op. */
static tsh_status regression_check(const char *op, tsh_tensor *a, tsh_tensor *b, tsh_dtype *dt, int *nd,
                                   int64_t *shape)
{
    tsh_tensor *ts[2] = {a, b};
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(tsh_broadcast_shape(op, 2, ts, nd, shape));
    *dt = tsh_result_type(2, ts);
    if (!tsh_dtype_is_float(*dt))
        return tsh_fail(TSH_ERR_DTYPE, "%s: expected floating point inputs, got %s and %s", op,
                        tsh_dtype_name(a->dtype), tsh_dtype_name(b->dtype));
    return TSH_OK;
}

/* The mean or sum of (a - b)^2 or |a - b| by the fused REGRESSION_LOSS op:
 * both inputs in the compute dtype, expanded to the broadcast shape and
 * contiguous (a copy only where an input is not so already). */
static tsh_status regression_reduced(bool mse, tsh_tensor *a, tsh_tensor *b, tsh_dtype dt, int nd,
                                     const int64_t *shape, tsh_reduction r, tsh_tensor **out)
{
    tsh_dtype cdt = tsh_dtype_compute(dt);
    tsh_tensor *ins[2] = {a, b}, *c[2] = {NULL, NULL}, *e = NULL, *s = NULL;
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    tsh_status st = TSH_OK;
    for (int k = 0; k < 2 && st == TSH_OK; k++) {
        st = tsh_expand(ins[k], nd, shape, &e);
        if (st == TSH_OK) st = nn_prep(e, cdt, &c[k]);
        tsh_tensor_release(e);
        e = NULL;
    }
    if (st == TSH_OK) st = tsh_tensor_empty(0, NULL, cdt, a->storage->device, &s);
    if (st == TSH_OK && n == 0) { /* torch: the mean of nothing is NaN, the sum 0 */
        st = tsh_fill_(s, r == TSH_REDUCTION_MEAN ? NAN : 0);
    } else if (st == TSH_OK) {
        tsh_kargs k = {.out = s, .in = {c[0], c[1]}, .f = {r == TSH_REDUCTION_MEAN ? 1 / (double)n : 1},
                       .i = {mse ? 2 : 1}};
        st = tsh_dispatch(TSH_OP_REGRESSION_LOSS, &k);
    }
    if (st == TSH_OK) st = tsh_to_dtype(s, dt, out);
    tsh_tensor_release(c[0]);
    tsh_tensor_release(c[1]);
    tsh_tensor_release(s);
    return st;
}

/* Reduction none keeps d = a - b for the backward; mean and sum save a and
 * b, and the backward takes their difference again. */
static tsh_status pointwise_loss(bool mse, tsh_tensor *a, tsh_tensor *b, tsh_reduction r, tsh_tensor **out)
{
    const char *op = mse ? "mse_loss" : "l1_loss";
    tsh_tensor *ins[2] = {a, b};
    tsh_dtype dt;
    int nd;
    int64_t shape[TSH_MAX_DIMS], n = 1;
    TSH_TRY(regression_check(op, a, b, &dt, &nd, shape));
    for (int k = 0; k < nd; k++) n *= shape[k];
    bool ag = tsh_ag_needed(2, ins), was = nn_grad_off();
    tsh_tensor *d = NULL, *y = NULL;
    tsh_status st;
    if (r == TSH_REDUCTION_NONE) {
        st = tsh_binary(TSH_OP_SUB, a, b, NULL, NULL, &d);
        if (st == TSH_OK) st = tsh_unary(mse ? TSH_OP_SQUARE : TSH_OP_ABS, d, 0, NULL, &y);
    } else {
        st = regression_reduced(mse, a, b, dt, nd, shape, r, &y);
    }
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *node = NULL;
        st = tsh_node_new(mse ? "MseLossBackward0" : "L1LossBackward0", mse ? tsh_nn_mse_backward : tsh_nn_l1_backward,
                          2, ins, &node);
        if (st == TSH_OK) {
            node->i[0] = r;
            node->f[0] = n ? 1.0 / (double)n : NAN;
            st = d ? nn_record(node, y, 1, &d) : nn_record(node, y, 2, ins);
        }
    }
    tsh_tensor_release(d);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

tsh_status tsh_mse_loss(tsh_tensor *a, tsh_tensor *b, tsh_reduction r, tsh_tensor **out)
{
    return pointwise_loss(true, a, b, r, out);
}

tsh_status tsh_l1_loss(tsh_tensor *a, tsh_tensor *b, tsh_reduction r, tsh_tensor **out)
{
    return pointwise_loss(false, a, b, r, out);
}

tsh_status nn_softplus_neg(tsh_tensor *x, tsh_tensor **out)
{
    tsh_tensor *a = NULL, *nx = NULL, *r = NULL;
    tsh_status st = tsh_unary(TSH_OP_ABS, x, 0, NULL, &a);
    if (st == TSH_OK) st = tsh_unary(TSH_OP_NEG, a, 0, a, NULL);
    if (st == TSH_OK) st = tsh_unary(TSH_OP_EXP, a, 0, a, NULL);
    if (st == TSH_OK) st = tsh_unary(TSH_OP_LOG1P, a, 0, a, NULL);
    if (st == TSH_OK) st = tsh_unary(TSH_OP_NEG, x, 0, NULL, &nx);
    if (st == TSH_OK) st = tsh_unary(TSH_OP_RELU, nx, 0, NULL, &r);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, a, r, NULL, a, NULL);
    tsh_tensor_release(nx);
    tsh_tensor_release(r);
    if (st != TSH_OK) {
        tsh_tensor_release(a);
        return st;
    }
    *out = a;
    return TSH_OK;
}

tsh_status tsh_bce_with_logits(tsh_tensor *x, tsh_tensor *y, tsh_tensor *weight, tsh_tensor *pos_weight,
                               tsh_reduction r, tsh_tensor **out)
{
    char s1[128], s2[128];
    const char *op = "binary_cross_entropy_with_logits";
    tsh_tensor *ins[4] = {x, y, weight, pos_weight}, *devs[4] = {x, y, NULL, NULL};
    int ndev = 2;
    if (weight) devs[ndev++] = weight;
    if (pos_weight) devs[ndev++] = pos_weight;
    TSH_TRY(tsh_check_same_device(op, ndev, devs));
    TSH_TRY(nn_check_float(op, "input", x));
    TSH_TRY(nn_check_float(op, "target", y));
    if (!tsh_same_shape(x, y))
        return tsh_fail(TSH_ERR_SHAPE, "%s: target size %s must be the same as input size %s", op, NN_SHAPE(s1, y),
                        NN_SHAPE(s2, x));
    const char *names[2] = {"weight", "pos_weight"};
    for (int k = 0; k < 2; k++) {
        tsh_tensor *t = k ? pos_weight : weight;
        if (!t) continue;
        TSH_TRY(nn_check_float(op, names[k], t));
        TSH_TRY(nn_no_grad_arg(op, names[k], t));
        tsh_tensor *pair[2] = {x, t};
        int nd;
        int64_t shape[TSH_MAX_DIMS];
        TSH_TRY(tsh_broadcast_shape(op, 2, pair, &nd, shape));
        if (nd != x->ndim || memcmp(shape, x->shape, sizeof(int64_t) * (size_t)nd) != 0)
            return tsh_fail(TSH_ERR_SHAPE, "%s: %s of shape %s must broadcast to the input's shape %s", op, names[k],
                            NN_SHAPE(s1, t), NN_SHAPE(s2, x));
    }
    bool ag = tsh_ag_needed(2, ins), was = nn_grad_off();
    tsh_tensor *sp = NULL, *t1 = NULL, *lw = NULL, *loss = NULL, *res = NULL;
    /* loss = (1 - y) * x + (1 + (pw - 1) * y) * softplus(-x), times weight */
    tsh_status st = nn_softplus_neg(x, &sp);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, y, x, NULL, NULL, &t1);
    if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, x, t1, NULL, NULL, &loss);
    if (st == TSH_OK && pos_weight) {
        tsh_tensor *pm = NULL;
        tsh_stack_scalar one;
        tsh_scalar v1 = {.kind = TSH_SCALAR_FLOAT, .f = 1};
        st = tsh_binary(TSH_OP_SUB, pos_weight, tsh_stack_scalar_init(&one, &v1), NULL, NULL, &pm);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, pm, y, NULL, NULL, &lw);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, lw, tsh_stack_scalar_init(&one, &v1), NULL, lw, NULL);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_MUL, lw, sp, NULL, lw, NULL);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_ADD, loss, lw, NULL, loss, NULL);
        tsh_tensor_release(pm);
    } else if (st == TSH_OK) {
        st = tsh_binary(TSH_OP_ADD, loss, sp, NULL, loss, NULL);
    }
    if (st == TSH_OK && weight) st = tsh_binary(TSH_OP_MUL, loss, weight, NULL, loss, NULL);
    int64_t n = tsh_numel(x);
    if (st == TSH_OK) st = reduce_loss(loss, r, NULL, n ? 1.0 / (double)n : NAN, &res);
    tsh_tensor_release(sp);
    tsh_tensor_release(t1);
    tsh_tensor_release(lw);
    tsh_tensor_release(loss);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *node = NULL;
        st = tsh_node_new("BinaryCrossEntropyWithLogitsBackward0", tsh_nn_bce_backward, 4, ins, &node);
        if (st == TSH_OK) {
            node->i[0] = r;
            node->f[0] = n ? 1.0 / (double)n : NAN;
            tsh_tensor *saved[4] = {x, y, weight, pos_weight};
            st = nn_record(node, res, 4, saved);
        }
    }
    if (st != TSH_OK) {
        tsh_tensor_release(res);
        return st;
    }
    *out = res;
    return TSH_OK;
}
