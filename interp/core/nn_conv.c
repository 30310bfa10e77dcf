/* nn_conv.c: the front end of linear and conv2d (and the helpers the nn
 * family shares). Checks shapes, dtypes and options as PyTorch does, then
 * computes linear as one addmm and conv2d with the CONV2D kernel, each
 * recording one node (AddmmBackward0 / MmBackward0, ConvolutionBackward0;
 * rules in grad_nn.c). float16/bfloat16 compute in float32. */
#include <string.h>

#include "linalg.h"
#include "mathops.h"
#include "nn_impl.h"

/* ---- shared helpers ---- */

tsh_status nn_prep(tsh_tensor *t, tsh_dtype dt, tsh_tensor **out)
{
    tsh_tensor *c = NULL;
    TSH_TRY(tsh_to_dtype(t, dt, &c));
    tsh_status st = tsh_contiguous(c, out);
    tsh_tensor_release(c);
    return st;
}

tsh_status nn_check_float(const char *op, const char *what, const tsh_tensor *t)
{
    if (tsh_dtype_is_float(t->dtype)) return TSH_OK;
    return tsh_fail(TSH_ERR_DTYPE, "%s: %s must be a floating point tensor, got %s", op, what,
                    tsh_dtype_name(t->dtype));
}

tsh_status nn_check_dtype(const char *op, const char *what, const tsh_tensor *x, const tsh_tensor *t)
{
    if (t->dtype == x->dtype) return TSH_OK;
    return tsh_fail(TSH_ERR_DTYPE, "%s: %s must have the input's dtype %s, got %s", op, what,
                    tsh_dtype_name(x->dtype), tsh_dtype_name(t->dtype));
}

tsh_status nn_scale(tsh_tensor *t, double v, tsh_tensor **out)
{
    tsh_stack_scalar s;
    tsh_scalar sv = {.kind = TSH_SCALAR_FLOAT, .f = v};
    return tsh_binary(TSH_OP_MUL, t, tsh_stack_scalar_init(&s, &sv), NULL, NULL, out);
}

tsh_status nn_full_like(const tsh_tensor *t, double v, tsh_tensor **out)
{
    return tsh_full(t->ndim, t->shape, v, t->dtype, t->storage->device, out);
}

tsh_status nn_record(tsh_node *n, tsh_tensor *out, int nsave, tsh_tensor *const *saved)
{
    for (int k = 0; k < nsave; k++)
        if (tsh_node_save(n, k, saved[k]) != TSH_OK) {
            tsh_node_release(n);
            return tsh_fail(TSH_ERR_OOM, "out of memory saving tensors for backward");
        }
    return tsh_node_attach(n, out);
}

tsh_status nn_no_grad_arg(const char *op, const char *what, const tsh_tensor *t)
{
    if (!t || !tsh_requires_grad(t) || !tsh_grad_enabled()) return TSH_OK;
    return tsh_fail(TSH_ERR_ARG, "%s: the derivative for '%s' is not implemented (detach it or set "
                                 "requires_grad=false)", op, what);
}

tsh_status nn_window_op(tsh_op op, tsh_tensor *out, tsh_tensor *out2, tsh_tensor *in0, tsh_tensor *in1,
                        tsh_tensor *in2, const int64_t *win, int64_t flags)
{
    tsh_kargs k = {.out = out, .out2 = out2, .in = {in0, in1, in2}};
    for (int j = 0; j < 4; j++) k.i[j] = win[j];
    k.i[4] = flags;
    return tsh_dispatch(op, &k);
}

/* ---- linear ---- */

tsh_status tsh_linear(tsh_tensor *x, tsh_tensor *w, tsh_tensor *b, tsh_tensor **out)
{
    char s1[128], s2[128];
    tsh_tensor *ins[3] = {x, w, b};
    TSH_TRY(tsh_check_same_device("linear", b ? 3 : 2, ins));
    TSH_TRY(nn_check_float("linear", "input", x));
    TSH_TRY(nn_check_dtype("linear", "weight", x, w));
    if (b) TSH_TRY(nn_check_dtype("linear", "bias", x, b));
    if (w->ndim != 2)
        return tsh_fail(TSH_ERR_SHAPE, "linear: weight must be 2-d (out_features x in_features), got shape %s",
                        NN_SHAPE(s1, w));
    if (x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1])
        return tsh_fail(TSH_ERR_SHAPE, "linear: input of shape %s does not fit weight %s (its last dim must be "
                                       "in_features = %lld)", NN_SHAPE(s1, x), NN_SHAPE(s2, w),
                        (long long)w->shape[1]);
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
        return tsh_fail(TSH_ERR_SHAPE, "linear: bias must have shape %lld (out_features), got %s",
                        (long long)w->shape[0], NN_SHAPE(s1, b));
    bool ag = tsh_ag_needed(3, ins), was = nn_grad_off();
    int64_t rows = 1, yshape[TSH_MAX_DIMS];
    for (int d = 0; d < x->ndim - 1; d++) rows *= x->shape[d];
    int64_t shape2[2] = {rows, w->shape[1]};
    tsh_tensor *x2 = NULL, *wt = NULL, *y2 = NULL, *y = NULL;
    tsh_status st = tsh_reshape(x, 2, shape2, &x2);
    if (st == TSH_OK) st = tsh_transpose(w, 0, 1, &wt);
    if (st == TSH_OK) st = b ? tsh_addmm(b, x2, wt, 1.0, 1.0, &y2) : tsh_mm(x2, wt, &y2);
    memcpy(yshape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    yshape[x->ndim - 1] = w->shape[0];
    if (st == TSH_OK) st = tsh_reshape(y2, x->ndim, yshape, &y);
    tsh_tensor_release(x2);
    tsh_tensor_release(wt);
    tsh_tensor_release(y2);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new(b ? "AddmmBackward0" : "MmBackward0", tsh_nn_linear_backward, 3, ins, &n);
        tsh_tensor *saved[2] = {x, w};
        if (st == TSH_OK) st = nn_record(n, y, 2, saved);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

/* ---- conv2d ---- */

static bool fits31(int64_t v) { return v >= 0 && v <= INT32_MAX; }

static tsh_status check_conv(tsh_tensor *x, tsh_tensor *w, tsh_tensor *b, const tsh_conv_opts *o, int64_t *oh,
                             int64_t *ow)
{
    char s1[128], s2[128];
    const char *op = "conv2d";
    tsh_tensor *ins[3] = {x, w, b};
    TSH_TRY(tsh_check_same_device(op, b ? 3 : 2, ins));
    TSH_TRY(nn_check_float(op, "input", x));
    TSH_TRY(nn_check_dtype(op, "weight", x, w));
    if (b) TSH_TRY(nn_check_dtype(op, "bias", x, b));
    if (x->ndim != 3 && x->ndim != 4)
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape %s", op,
                        NN_SHAPE(s1, x));
    if (w->ndim != 4)
        return tsh_fail(TSH_ERR_SHAPE, "%s: weight must be 4-d (out_channels, in_channels/groups, kH, kW), got "
                                       "shape %s", op, NN_SHAPE(s1, w));
    for (int k = 0; k < 2; k++) {
        if (o->stride[k] < 1 || !fits31(o->stride[k]))
            return tsh_fail(TSH_ERR_ARG, "%s: stride must be positive, got %lld", op, (long long)o->stride[k]);
        if (o->padding[k] < 0 || !fits31(o->padding[k]))
            return tsh_fail(TSH_ERR_ARG, "%s: padding must be non-negative, got %lld", op, (long long)o->padding[k]);
        if (o->dilation[k] < 1 || !fits31(o->dilation[k]))
            return tsh_fail(TSH_ERR_ARG, "%s: dilation must be positive, got %lld", op, (long long)o->dilation[k]);
    }
    int64_t g = o->groups, cin = x->shape[x->ndim - 3], cout = w->shape[0];
    if (g < 1 || !fits31(g)) return tsh_fail(TSH_ERR_ARG, "%s: groups must be positive, got %lld", op, (long long)g);
    if (cout % g != 0)
        return tsh_fail(TSH_ERR_SHAPE, "%s: out_channels (%lld, weight %s) must be divisible by groups (%lld)", op,
                        (long long)cout, NN_SHAPE(s1, w), (long long)g);
    if (w->shape[1] * g != cin)
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected input %s to have %lld channels (weight %s, groups=%lld), but "
                                       "it has %lld", op, NN_SHAPE(s1, x), (long long)(w->shape[1] * g),
                        NN_SHAPE(s2, w), (long long)g, (long long)cin);
    if (b && (b->ndim != 1 || b->shape[0] != cout))
        return tsh_fail(TSH_ERR_SHAPE, "%s: bias must have shape %lld (out_channels), got %s", op, (long long)cout,
                        NN_SHAPE(s1, b));
    int64_t *os[2] = {oh, ow};
    for (int k = 0; k < 2; k++) {
        int64_t in = x->shape[x->ndim - 2 + k] + 2 * o->padding[k];
        int64_t kd = o->dilation[k] * (w->shape[2 + k] - 1) + 1;
        if (w->shape[2 + k] < 1)
            return tsh_fail(TSH_ERR_SHAPE, "%s: weight %s has an empty kernel", op, NN_SHAPE(s1, w));
        if (kd > in)
            return tsh_fail(TSH_ERR_SHAPE, "%s: kernel size %lldx%lld (dilated %lldx%lld) can't be greater than the "
                                           "padded input %lldx%lld (input %s)", op, (long long)w->shape[2],
                            (long long)w->shape[3], (long long)(o->dilation[0] * (w->shape[2] - 1) + 1),
                            (long long)(o->dilation[1] * (w->shape[3] - 1) + 1),
                            (long long)(x->shape[x->ndim - 2] + 2 * o->padding[0]),
                            (long long)(x->shape[x->ndim - 1] + 2 * o->padding[1]), NN_SHAPE(s2, x));
        *os[k] = (in - kd) / o->stride[k] + 1;
    }
    return TSH_OK;
}

/* The computation: x4 (N, C, H, W), wc, bc contiguous in the compute dtype. */
static tsh_status conv_run(tsh_tensor *x4, tsh_tensor *wc, tsh_tensor *bc, const int64_t *win, int64_t oh,
                           int64_t ow, tsh_tensor **out)
{
    int64_t shape[4] = {x4->shape[0], wc->shape[0], oh, ow};
    tsh_tensor *y = NULL;
    TSH_TRY(tsh_tensor_empty(4, shape, wc->dtype, x4->storage->device, &y));
    tsh_status st = TSH_OK;
    if (tsh_numel(y) == 0) {
        /* nothing to compute */
    } else if (tsh_numel(wc) == 0) { /* no input channels: the bias alone */
        st = tsh_fill_(y, 0);
        if (st == TSH_OK && bc) {
            int64_t bs[4] = {1, shape[1], 1, 1};
            tsh_tensor *bv = NULL;
            st = tsh_view(bc, 4, bs, &bv);
            if (st == TSH_OK) st = tsh_copy_(y, bv);
            tsh_tensor_release(bv);
        }
    } else {
        st = nn_window_op(TSH_OP_CONV2D, y, NULL, x4, wc, bc, win, 0);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

tsh_status tsh_conv2d(tsh_tensor *x, tsh_tensor *w, tsh_tensor *b, const tsh_conv_opts *o, tsh_tensor **out)
{
    int64_t oh, ow;
    TSH_TRY(check_conv(x, w, b, o, &oh, &ow));
    tsh_tensor *ins[3] = {x, w, b};
    bool ag = tsh_ag_needed(3, ins), was = nn_grad_off();
    tsh_dtype cdt = tsh_dtype_compute(x->dtype);
    int64_t win[4] = {tsh_hw_pack(o->stride[0], o->stride[1]), tsh_hw_pack(o->padding[0], o->padding[1]),
                      tsh_hw_pack(o->dilation[0], o->dilation[1]), o->groups};
    tsh_tensor *xc = NULL, *x4 = NULL, *wc = NULL, *bc = NULL, *y4 = NULL, *yc = NULL, *y = NULL;
    tsh_status st = nn_prep(x, cdt, &xc);
    if (st == TSH_OK) st = nn_prep(w, cdt, &wc);
    if (st == TSH_OK && b) st = nn_prep(b, cdt, &bc);
    int64_t shape4[4] = {1, 0, 0, 0};
    memcpy(shape4 + 4 - x->ndim, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    if (st == TSH_OK) st = tsh_view(xc, 4, shape4, &x4);
    if (st == TSH_OK) st = conv_run(x4, wc, bc, win, oh, ow, &y4);
    if (st == TSH_OK) st = tsh_to_dtype(y4, x->dtype, &yc);
    if (st == TSH_OK && x->ndim == 3) st = tsh_squeeze(yc, 0, &y);
    else if (st == TSH_OK) y = tsh_tensor_retain(yc);
    tsh_tensor_release(yc);
    tsh_tensor_release(y4);
    tsh_tensor_release(xc);
    tsh_tensor_release(bc);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new("ConvolutionBackward0", tsh_nn_conv_backward, 3, ins, &n);
        if (st == TSH_OK) {
            memcpy(n->i, win, sizeof win);
            tsh_tensor *saved[2] = {x4, wc};
            st = nn_record(n, y, 2, saved);
        }
    }
    tsh_tensor_release(x4);
    tsh_tensor_release(wc);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}
