/* nn_pool.c: the front end of max_pool2d, avg_pool2d and
 * adaptive_avg_pool2d: PyTorch's checks and output sizes (ceil_mode
 * included), then one kernel each, recording MaxPool2DWithIndicesBackward0,
 * AvgPool2DBackward0 or AdaptiveAvgPool2DBackward0 (rules in grad_nn.c).
 * Inputs are (N, C, H, W) or unbatched (C, H, W); float16/bfloat16 compute
 * in float32. Max pooling's indices are 1-based positions in each plane. */
#include <string.h>

#include "nn_impl.h"

/* x as a contiguous (N, C, H, W) tensor in the compute dtype. */
static tsh_status as4(tsh_tensor *x, tsh_tensor **out)
{
    tsh_tensor *c = NULL;
    TSH_TRY(nn_prep(x, tsh_dtype_compute(x->dtype), &c));
    int64_t shape[4] = {1, 0, 0, 0};
    memcpy(shape + 4 - x->ndim, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    tsh_status st = tsh_view(c, 4, shape, out);
    tsh_tensor_release(c);
    return st;
}

/* y (4-d, compute dtype) back to x's dtype and rank. */
static tsh_status back_to(tsh_tensor *x, tsh_tensor *y, tsh_tensor **out)
{
    tsh_tensor *c = NULL;
    TSH_TRY(tsh_to_dtype(y, x->dtype, &c));
    if (x->ndim == 4) {
        *out = c;
        return TSH_OK;
    }
    tsh_status st = tsh_squeeze(c, 0, out);
    tsh_tensor_release(c);
    return st;
}

static tsh_status check_input(const char *op, const tsh_tensor *x)
{
    char s[128];
    TSH_TRY(nn_check_float(op, "input", x));
    if (x->ndim != 3 && x->ndim != 4)
        return tsh_fail(TSH_ERR_SHAPE, "%s: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape %s", op,
                        NN_SHAPE(s, x));
    for (int d = x->ndim - 2; d < x->ndim; d++)
        if (x->shape[d] == 0)
            return tsh_fail(TSH_ERR_SHAPE, "%s: expected an input with non-zero height and width, got shape %s", op,
                            NN_SHAPE(s, x));
    return TSH_OK;
}

/* PyTorch's pooling_output_shape, then a check that every window touches
 * the input (so no window is all padding). */
static tsh_status pool_size(const char *op, const tsh_tensor *x, const tsh_pool_opts *o, bool dilated, int64_t *os)
{
    char s[128];
    for (int k = 0; k < 2; k++) {
        int64_t kk = o->kernel[k], st = o->stride[k], p = o->padding[k], d = dilated ? o->dilation[k] : 1;
        if (kk < 1 || kk > INT32_MAX)
            return tsh_fail(TSH_ERR_ARG, "%s: kernel_size must be positive, got %lld", op, (long long)kk);
        if (st < 1 || st > INT32_MAX)
            return tsh_fail(TSH_ERR_ARG, "%s: stride must be positive, got %lld", op, (long long)st);
        if (d < 1 || d > INT32_MAX)
            return tsh_fail(TSH_ERR_ARG, "%s: dilation must be positive, got %lld", op, (long long)d);
        if (p < 0 || p > kk / 2)
            return tsh_fail(TSH_ERR_ARG, "%s: padding should be between 0 and half of the kernel size, got padding "
                                         "%lld for kernel size %lld", op, (long long)p, (long long)kk);
        int64_t in = x->shape[x->ndim - 2 + k];
        int64_t num = in + 2 * p - d * (kk - 1) - 1 + (o->ceil_mode ? st - 1 : 0);
        int64_t out = (num >= 0 ? num / st : -((-num + st - 1) / st)) + 1;
        if (o->ceil_mode && out > 0 && (out - 1) * st >= in + p) out--;
        if (out < 1)
            return tsh_fail(TSH_ERR_SHAPE, "%s: input %s is too small for kernel size %lldx%lld (with padding %lldx%lld"
                                           "%s): the output would be empty", op, NN_SHAPE(s, x),
                            (long long)o->kernel[0], (long long)o->kernel[1], (long long)o->padding[0],
                            (long long)o->padding[1], dilated ? " and dilation" : "");
        for (int64_t j = 0; j < out; j++) {
            int64_t first = j * st - p; /* the window's first position; any of first + m*d inside? */
            int64_t m = first >= 0 ? 0 : (-first + d - 1) / d;
            if (m >= kk || first + m * d >= in)
                return tsh_fail(TSH_ERR_SHAPE, "%s: output position %lld in dim %d has a window that lies entirely in "
                                               "the padding", op, (long long)(j + 1), x->ndim - 1 + k);
        }
        os[k] = out;
    }
    return TSH_OK;
}

static void pack_win(const tsh_pool_opts *o, bool dilated, int64_t *win)
{
    win[0] = tsh_hw_pack(o->stride[0], o->stride[1]);
    win[1] = tsh_hw_pack(o->padding[0], o->padding[1]);
    win[2] = dilated ? tsh_hw_pack(o->dilation[0], o->dilation[1]) : tsh_hw_pack(1, 1);
    win[3] = tsh_hw_pack(o->kernel[0], o->kernel[1]);
}

static tsh_status empty4(const tsh_tensor *x4, const int64_t *os, tsh_dtype dt, tsh_tensor **out)
{
    int64_t shape[4] = {x4->shape[0], x4->shape[1], os[0], os[1]};
    return tsh_tensor_empty(4, shape, dt, x4->storage->device, out);
}

tsh_status tsh_max_pool2d(tsh_tensor *x, const tsh_pool_opts *o, tsh_tensor **out, tsh_tensor **indices)
{
    const char *op = "max_pool2d";
    int64_t os[2], win[4];
    TSH_TRY(check_input(op, x));
    TSH_TRY(pool_size(op, x, o, true, os));
    pack_win(o, true, win);
    bool ag = tsh_ag_needed(1, &x), was = nn_grad_off();
    tsh_tensor *x4 = NULL, *y4 = NULL, *i4 = NULL, *y = NULL, *ix = NULL;
    tsh_status st = as4(x, &x4);
    if (st == TSH_OK) st = empty4(x4, os, x4->dtype, &y4);
    if (st == TSH_OK && (ag || indices)) st = empty4(x4, os, TSH_I64, &i4);
    if (st == TSH_OK && tsh_numel(y4) > 0) st = nn_window_op(TSH_OP_MAX_POOL2D, y4, i4, x4, NULL, NULL, win, 0);
    if (st == TSH_OK) st = back_to(x, y4, &y);
    if (st == TSH_OK && indices) {
        if (x->ndim == 3) st = tsh_squeeze(i4, 0, &ix);
        else ix = tsh_tensor_retain(i4);
    }
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new("MaxPool2DWithIndicesBackward0", tsh_nn_max_pool_backward, 1, &x, &n);
        if (st == TSH_OK) {
            memcpy(n->i, win, sizeof win);
            st = nn_record(n, y, 1, &i4);
        }
    }
    tsh_tensor_release(x4);
    tsh_tensor_release(y4);
    tsh_tensor_release(i4);
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        tsh_tensor_release(ix);
        return st;
    }
    *out = y;
    if (indices) *indices = ix;
    return TSH_OK;
}

tsh_status tsh_avg_pool2d(tsh_tensor *x, const tsh_pool_opts *o, tsh_tensor **out)
{
    const char *op = "avg_pool2d";
    int64_t os[2], win[4];
    TSH_TRY(check_input(op, x));
    TSH_TRY(pool_size(op, x, o, false, os));
    pack_win(o, false, win);
    bool ag = tsh_ag_needed(1, &x), was = nn_grad_off();
    tsh_tensor *x4 = NULL, *y4 = NULL, *y = NULL;
    tsh_status st = as4(x, &x4);
    if (st == TSH_OK) st = empty4(x4, os, x4->dtype, &y4);
    if (st == TSH_OK && tsh_numel(y4) > 0)
        st = nn_window_op(TSH_OP_AVG_POOL2D, y4, NULL, x4, NULL, NULL, win, o->count_include_pad);
    if (st == TSH_OK) st = back_to(x, y4, &y);
    tsh_tensor_release(x4);
    tsh_tensor_release(y4);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new("AvgPool2DBackward0", tsh_nn_avg_pool_backward, 1, &x, &n);
        if (st == TSH_OK) {
            memcpy(n->i, win, sizeof win);
            n->i[4] = o->count_include_pad;
            st = nn_record(n, y, 0, NULL);
        }
    }
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}

tsh_status tsh_adaptive_avg_pool2d(tsh_tensor *x, const int64_t size[2], tsh_tensor **out)
{
    const char *op = "adaptive_avg_pool2d";
    TSH_TRY(check_input(op, x));
    int64_t os[2];
    for (int k = 0; k < 2; k++) {
        os[k] = size[k] < 0 ? x->shape[x->ndim - 2 + k] : size[k];
        if (size[k] < -1)
            return tsh_fail(TSH_ERR_ARG, "%s: output_size must be non-negative (or nil to keep the input's), got %lld",
                            op, (long long)size[k]);
    }
    bool ag = tsh_ag_needed(1, &x), was = nn_grad_off();
    int64_t win[4] = {0, 0, 0, 0};
    tsh_tensor *x4 = NULL, *y4 = NULL, *y = NULL;
    tsh_status st = as4(x, &x4);
    if (st == TSH_OK) st = empty4(x4, os, x4->dtype, &y4);
    if (st == TSH_OK && tsh_numel(y4) > 0) st = nn_window_op(TSH_OP_ADAPTIVE_AVG_POOL2D, y4, NULL, x4, NULL, NULL, win, 0);
    if (st == TSH_OK) st = back_to(x, y4, &y);
    tsh_tensor_release(x4);
    tsh_tensor_release(y4);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && ag) {
        tsh_node *n = NULL;
        st = tsh_node_new("AdaptiveAvgPool2DBackward0", tsh_nn_adaptive_avg_backward, 1, &x, &n);
        if (st == TSH_OK) st = nn_record(n, y, 0, NULL);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(y);
        return st;
    }
    *out = y;
    return TSH_OK;
}
