/* grad_reduce.c: backward rules of reductions and of ops along a dim, and
 * their recording (reduce.c calls the tsh_grad_* functions at the end of
 * its entry points). PyTorch's formulas and node names; rules use
 * front-end ops only. Not here: argmax/argmin, any/all and the indices of
 * max/min/sort/topk, which are not differentiable and record nothing. */
#include "grad_reduce.h"

#include <math.h>
#include <string.h>

#include "grad_math.h"
#include "index.h"
#include "shape.h"

enum { SLOT_X = 0, SLOT_IDX = 1, SLOT_OUT = 2 };

/* Node parameters: i[0] reduced dims (bit mask, never 0 for a reduction of
 * a tensor with dims), i[1] keepdim, i[2] the op, i[3] a flag (std);
 * f[0] correction or p. Dim-wise ops: i[0] the dim. */

static uint32_t all_dims(int ndim) { return ndim ? (uint32_t)((1ull << ndim) - 1) : 0; }

/* g, the gradient of a reduced output, as a view with the input's rank:
 * the reduced dims have size 1 (expand false) or the input's size (expand
 * true), both with stride 0. */
static tsh_status restore_dims(tsh_node *n, tsh_tensor *g, bool expand, tsh_tensor **out)
{
    int nd = n->in_ndim[0];
    uint32_t dims = (uint32_t)n->i[0];
    bool keepdim = n->i[1];
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS];
    for (int d = 0, j = 0; d < nd; d++) {
        if (dims & (1u << d)) {
            shape[d] = expand ? n->in_shape[0][d] : 1;
            stride[d] = 0;
            j += keepdim;
        } else {
            shape[d] = g->shape[j];
            stride[d] = g->stride[j];
            j++;
        }
    }
    return tsh_tensor_view(g, nd, shape, stride, g->offset, out);
}

/* Elements reduced into each output. */
static int64_t reduced_count(tsh_node *n)
{
    int64_t c = 1;
    for (int d = 0; d < n->in_ndim[0]; d++)
        if (n->i[0] & (1ll << d)) c *= n->in_shape[0][d];
    return c;
}

static tsh_reduce_spec keep_spec(tsh_node *n)
{
    return (tsh_reduce_spec){(uint32_t)n->i[0], true, -1};
}

/* sum: g expanded; mean: g / N expanded (scaled while still small) */
static tsh_status sum_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    if (n->i[2] == TSH_OP_SUM) return restore_dims(n, g, true, &grads[0]);
    tsh_tensor *s = NULL;
    TSH_TRY(tsh_gr_bin_n(TSH_OP_MUL, g, 1.0 / (double)reduced_count(n), &s));
    tsh_status st = restore_dims(n, s, true, &grads[0]);
    tsh_tensor_release(s);
    return st;
}

/* prod: g * prod / x where no element of a slice is zero. With zeros, the
 * product of the others: at a slice's only zero, the product of its
 * nonzero elements; everywhere else 0. */
static tsh_status prod_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_tensor *x, *y, *t[12] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_X, &x));
    TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    tsh_reduce_spec all = TSH_REDUCE_ALL, keep = keep_spec(n);
    bool zeros = false;
    tsh_status st = restore_dims(n, g, false, &t[0]);
    if (st == TSH_OK) st = restore_dims(n, y, false, &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, x, 0, &t[2]);
    if (st == TSH_OK) st = tsh_any(t[2], &all, &t[3]);
    if (st == TSH_OK) {
        int64_t v = 0;
        st = tsh_item_i64(t[3], &v);
        zeros = v != 0;
    }
    if (st == TSH_OK && !zeros) {
        st = tsh_gr_bin(TSH_OP_DIV, t[1], x, &t[4]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[0], t[4], &grads[0]);
    } else if (st == TSH_OK) {
        tsh_stack_scalar one;
        st = tsh_where(t[2], tsh_gr_num(&one, 1), x, &t[4]);             /* zeros made 1 */
        if (st == TSH_OK) st = tsh_prod(t[4], &keep, &t[5]);               /* of the nonzeros */
        if (st == TSH_OK) st = tsh_sum(t[2], &keep, &t[6]);                /* zeros per slice */
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, t[6], 1, &t[7]);
        if (st == TSH_OK) st = tsh_gr_mask(t[7], t[5], true, &t[8]);       /* at a zero */
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, t[5], x, &t[9]);
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, t[6], 0, &t[10]);
        if (st == TSH_OK) st = tsh_gr_mask(t[10], t[9], true, &t[11]);     /* elsewhere */
        tsh_tensor_release(t[4]);
        if (st == TSH_OK) st = tsh_where(t[2], t[8], t[11], &t[4]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[0], t[4], &grads[0]);
    }
    tsh_gr_release(12, t);
    return st;
}

/* var: g * 2 (x - mean) / (N - correction); std: the same with
 * g / (2 std), zero where std is 0. With N <= correction PyTorch gives nan
 * at the mean and inf elsewhere; so does this. */
static tsh_status var_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_tensor *x, *y = NULL, *t[8] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_X, &x));
    bool std = n->i[3];
    if (std) TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    tsh_reduce_spec keep = keep_spec(n);
    double dof = (double)reduced_count(n) - n->f[0];
    tsh_status st = restore_dims(n, g, false, &t[0]);
    if (st == TSH_OK && std) {
        st = restore_dims(n, y, false, &t[1]);
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_MUL, t[1], 2, &t[2]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, t[0], t[2], &t[3]);
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, t[1], 0, &t[4]);
        tsh_tensor_release(t[0]);
        t[0] = NULL;
        if (st == TSH_OK) st = tsh_gr_mask(t[4], t[3], false, &t[0]);
    }
    if (st == TSH_OK) st = tsh_mean(x, &keep, &t[5]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_SUB, x, t[5], &t[6]);
    if (st == TSH_OK && dof > 0) {
        st = tsh_gr_bin_n(TSH_OP_MUL, t[0], 2 / dof, &t[7]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[6], t[7], &grads[0]);
    } else if (st == TSH_OK) {
        tsh_stack_scalar nan_, inf_;
        tsh_tensor *at_mean = t[5];
        t[5] = NULL;
        tsh_tensor_release(at_mean);
        st = tsh_gr_bin_n(TSH_OP_EQ, t[6], 0, &t[5]);
        if (st == TSH_OK) st = tsh_where(t[5], tsh_gr_num(&nan_, NAN), tsh_gr_num(&inf_, INFINITY), &t[7]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[0], t[7], &grads[0]);
    }
    tsh_gr_release(8, t);
    return st;
}

/* The vector p-norm, as PyTorch's norm_backward: p = 0 has no gradient;
 * 1: sign(x); 2: x / norm; inf: sign(x) shared among the elements of
 * largest |x|; otherwise sign(x) |x|^(p-1) / norm^(p-1). Zero where the
 * norm is zero (and, for p < 1, where x is). */
static tsh_status norm_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    double p = n->f[0];
    if (p == 0) return tsh_gr_zeros(n, 0, g, &grads[0]);
    tsh_tensor *x, *y, *t[12] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_X, &x));
    TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    tsh_status st = restore_dims(n, g, false, &t[0]);
    if (st == TSH_OK) st = restore_dims(n, y, false, &t[1]);
    if (st != TSH_OK) goto done;
    if (p == 1) {
        st = tsh_gr_un(TSH_OP_SIGN, x, &t[2]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[2], t[0], &grads[0]);
    } else if (isinf(p)) {
        tsh_reduce_spec keep = keep_spec(n);
        st = tsh_gr_un(TSH_OP_ABS, x, &t[2]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_EQ, t[2], t[1], &t[3]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_NE, t[2], t[2], &t[4]); /* nan */
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_LOGICAL_OR, t[3], t[4], &t[5]);
        if (st == TSH_OK) st = tsh_sum(t[5], &keep, &t[6]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, t[0], t[6], &t[7]);
        if (st == TSH_OK) st = tsh_gr_un(TSH_OP_SIGN, x, &t[8]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[8], t[7], &t[9]);
        if (st == TSH_OK) st = tsh_gr_mask(t[5], t[9], true, &grads[0]);
    } else {
        /* scale = g / norm^(p-1), zero where the norm is 0 (p >= 1);
         * for p < 1, g * norm^(1-p) and zero where x is 0 */
        if (p == 2) st = tsh_gr_bin(TSH_OP_DIV, t[0], t[1], &t[2]);
        else {
            st = tsh_gr_bin_n(TSH_OP_POW, t[1], p < 1 ? 1 - p : p - 1, &t[3]);
            if (st == TSH_OK) st = tsh_gr_bin(p < 1 ? TSH_OP_MUL : TSH_OP_DIV, t[0], t[3], &t[2]);
        }
        if (st == TSH_OK && p >= 1) {
            st = tsh_gr_bin_n(TSH_OP_EQ, t[1], 0, &t[4]);
            if (st == TSH_OK) st = tsh_gr_mask(t[4], t[2], false, &t[5]);
        } else if (st == TSH_OK) {
            t[5] = tsh_tensor_retain(t[2]);
        }
        /* the direction: x (p = 2), x |x|^(p-2) (p > 2), sign(x) |x|^(p-1) */
        if (st == TSH_OK && p == 2) {
            t[8] = tsh_tensor_retain(x);
        } else if (st == TSH_OK) {
            st = tsh_gr_un(TSH_OP_ABS, x, &t[6]);
            if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_POW, t[6], p > 2 ? p - 2 : p - 1, &t[7]);
            if (st == TSH_OK && p > 2) st = tsh_gr_bin(TSH_OP_MUL, x, t[7], &t[8]);
            else if (st == TSH_OK) {
                st = tsh_gr_un(TSH_OP_SIGN, x, &t[9]);
                if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[9], t[7], &t[10]);
                if (st == TSH_OK && p < 1) {
                    st = tsh_gr_bin_n(TSH_OP_EQ, x, 0, &t[11]);
                    if (st == TSH_OK) st = tsh_gr_mask(t[11], t[10], false, &t[8]);
                } else if (st == TSH_OK) {
                    t[8] = tsh_tensor_retain(t[10]);
                }
            }
        }
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[8], t[5], &grads[0]);
    }
done:
    tsh_gr_release(12, t);
    return st;
}

/* logsumexp: g * exp(x - result) */
static tsh_status logsumexp_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_tensor *x, *y, *t[4] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_X, &x));
    TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    tsh_status st = restore_dims(n, y, false, &t[0]);
    if (st == TSH_OK) st = restore_dims(n, g, false, &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_SUB, x, t[0], &t[2]);
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_EXP, t[2], &t[3]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[1], t[3], &grads[0]);
    tsh_gr_release(4, t);
    return st;
}

/* max/min of every element: g shared evenly among the elements equal to
 * the result (the NaNs, when it is NaN), as PyTorch */
static tsh_status extreme_all_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_tensor *x, *y, *t[3] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_X, &x));
    TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    double v = 0;
    tsh_reduce_spec all = TSH_REDUCE_ALL;
    tsh_status st = tsh_item_f64(y, &v);
    if (st == TSH_OK) st = v != v ? tsh_gr_bin(TSH_OP_NE, x, x, &t[0]) : tsh_gr_bin(TSH_OP_EQ, x, y, &t[0]);
    if (st == TSH_OK) st = tsh_sum(t[0], &all, &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, g, t[1], &t[2]);
    if (st == TSH_OK) st = tsh_gr_mask(t[0], t[2], true, &grads[0]);
    tsh_gr_release(3, t);
    return st;
}

tsh_status tsh_grad_reduce(tsh_op op, tsh_tensor *t, const tsh_reduce_spec *r, double f, bool flag,
                           tsh_tensor **out)
{
    if (!tsh_ag_needed(1, &t) || !tsh_dtype_is_float((*out)->dtype)) return TSH_OK;
    bool dims = r && r->dims && t->ndim;
    const char *name = NULL;
    tsh_backward_fn fn = NULL;
    int save = 0; /* bit 0: x, bit 1: the output */
    switch (op) {
    case TSH_OP_SUM: name = dims ? "SumBackward1" : "SumBackward0", fn = sum_backward; break;
    case TSH_OP_MEAN: name = dims ? "MeanBackward1" : "MeanBackward0", fn = sum_backward; break;
    case TSH_OP_PROD: name = dims ? "ProdBackward1" : "ProdBackward0", fn = prod_backward, save = 3; break;
    case TSH_OP_VAR:
        name = flag ? "StdBackward0" : "VarBackward0", fn = var_backward, save = flag ? 3 : 1;
        break;
    case TSH_OP_NORM: name = "LinalgVectorNormBackward0", fn = norm_backward, save = f == 0 ? 0 : 3; break;
    case TSH_OP_LOGSUMEXP: name = "LogsumexpBackward0", fn = logsumexp_backward, save = 3; break;
    case TSH_OP_MAX: name = "MaxBackward1", fn = extreme_all_backward, save = 3; break;
    case TSH_OP_MIN: name = "MinBackward1", fn = extreme_all_backward, save = 3; break;
    default: break;
    }
    tsh_node *n = NULL;
    tsh_status st = fn ? tsh_node_new(name, fn, 1, &t, &n)
                       : tsh_fail(TSH_ERR_NOTIMPL, "%s: gradients are not implemented", tsh_op_infos[op].name);
    if (st == TSH_OK) {
        n->i[0] = dims ? (r->dims & all_dims(t->ndim)) : all_dims(t->ndim);
        n->i[1] = r && r->keepdim;
        n->i[2] = op;
        n->i[3] = flag;
        n->f[0] = f;
        if (save & 1) st = tsh_node_save(n, SLOT_X, t);
        if (save & 2) n->save_output = SLOT_OUT + 1;
        if (st != TSH_OK) tsh_node_release(n);
        else st = tsh_node_attach(n, *out);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}

/* ---- values picked by indices: max/min along a dim, sort, topk ---- */

/* zeros of the input's shape with g put back at the picked positions */
static tsh_status select_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    if (n->in_ndim[0] == 0) {
        grads[0] = tsh_tensor_retain(g);
        return TSH_OK;
    }
    tsh_tensor *idx, *t[3] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_IDX, &idx));
    int dim = (int)n->i[0];
    bool keepdim = n->i[1];
    tsh_status st = keepdim ? TSH_OK : tsh_unsqueeze(g, dim, &t[0]);
    if (st == TSH_OK && !keepdim) st = tsh_unsqueeze(idx, dim, &t[1]);
    if (st == TSH_OK) st = tsh_full(n->in_ndim[0], n->in_shape[0], 0.0, g->dtype, g->storage->device, &t[2]);
    if (st == TSH_OK)
        st = tsh_scatter_(t[2], dim, keepdim ? idx : t[1], keepdim ? g : t[0], TSH_SCATTER_SET);
    if (st == TSH_OK) grads[0] = tsh_tensor_retain(t[2]);
    tsh_gr_release(3, t);
    return st;
}

tsh_status tsh_grad_select(tsh_op op, tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                           tsh_tensor **indices)
{
    if (!tsh_ag_needed(1, &t) || !tsh_dtype_is_float(t->dtype)) return TSH_OK;
    const char *name = op == TSH_OP_MAX ? "MaxBackward0" : op == TSH_OP_MIN ? "MinBackward0"
                     : op == TSH_OP_SORT ? "SortBackward0" : "TopkBackward0";
    tsh_node *n = NULL;
    tsh_status st = tsh_node_new(name, select_backward, 1, &t, &n);
    if (st == TSH_OK) {
        n->i[0] = dim;
        n->i[1] = keepdim;
        st = tsh_node_save(n, SLOT_IDX, *indices);
        if (st != TSH_OK) tsh_node_release(n);
        else st = tsh_node_attach(n, *values);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(*values);
        tsh_tensor_release(*indices);
        *values = *indices = NULL;
    }
    return st;
}

/* ---- along one dim ---- */

/* sum over positions >= k along dim: flip, cumsum, flip */
static tsh_status reverse_cumsum(tsh_tensor *g, int dim, tsh_tensor **out)
{
    if (g->ndim == 0) {
        *out = tsh_tensor_retain(g);
        return TSH_OK;
    }
    tsh_tensor *a = NULL, *b = NULL;
    tsh_status st = tsh_flip(g, 1, &dim, &a);
    if (st == TSH_OK) st = tsh_cumsum(a, dim, -1, &b);
    if (st == TSH_OK) st = tsh_flip(b, 1, &dim, out);
    tsh_tensor_release(a);
    tsh_tensor_release(b);
    return st;
}

static tsh_status cumsum_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    return reverse_cumsum(g, (int)n->i[0], &grads[0]);
}

/* cumprod: reverse_cumsum(g * y) / x without zeros. With zeros, per slice:
 * before its first zero the same sum over the positions before that zero;
 * at the first zero, reverse_cumsum(g * y') with y' the running product
 * where that zero is taken as 1; after it, 0. */
static tsh_status cumprod_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_tensor *x, *y, *t[16] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_X, &x));
    TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    if (x->ndim == 0) {
        grads[0] = tsh_tensor_retain(g);
        return TSH_OK;
    }
    int dim = (int)n->i[0];
    tsh_reduce_spec all = TSH_REDUCE_ALL;
    int64_t zeros = 0;
    tsh_status st = tsh_gr_bin(TSH_OP_MUL, g, y, &t[0]);
    if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, x, 0, &t[1]);
    if (st == TSH_OK) st = tsh_any(t[1], &all, &t[2]);
    if (st == TSH_OK) st = tsh_item_i64(t[2], &zeros);
    if (st == TSH_OK && !zeros) {
        st = reverse_cumsum(t[0], dim, &t[3]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, t[3], x, &grads[0]);
    } else if (st == TSH_OK) {
        tsh_stack_scalar one;
        st = tsh_cumsum(t[1], dim, -1, &t[3]);                                  /* zeros so far */
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, t[3], 0, &t[4]);         /* before the first */
        if (st == TSH_OK) st = tsh_gr_mask(t[4], t[0], true, &t[5]);
        if (st == TSH_OK) st = reverse_cumsum(t[5], dim, &t[6]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, t[6], x, &t[7]);
        if (st == TSH_OK) st = tsh_gr_mask(t[4], t[7], true, &t[8]);
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, t[3], 1, &t[9]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_LOGICAL_AND, t[9], t[1], &t[10]); /* the first */
        if (st == TSH_OK) st = tsh_where(t[10], tsh_gr_num(&one, 1), x, &t[11]);
        if (st == TSH_OK) st = tsh_cumprod(t[11], dim, -1, &t[12]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, g, t[12], &t[13]);
        if (st == TSH_OK) st = reverse_cumsum(t[13], dim, &t[14]);
        if (st == TSH_OK) st = tsh_gr_mask(t[10], t[14], true, &t[15]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_ADD, t[8], t[15], &grads[0]);
    }
    tsh_gr_release(16, t);
    return st;
}

/* softmax: y * (g - sum(g * y)); log_softmax: g - exp(y) * sum(g) */
static tsh_status softmax_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_tensor *y, *t[4] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    tsh_reduce_spec keep = {y->ndim ? 1u << n->i[0] : 0, true, -1};
    tsh_status st;
    if (n->i[2] == TSH_OP_SOFTMAX) {
        st = tsh_gr_bin(TSH_OP_MUL, g, y, &t[0]);
        if (st == TSH_OK) st = tsh_sum(t[0], &keep, &t[1]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_SUB, g, t[1], &t[2]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, y, t[2], &grads[0]);
    } else {
        st = tsh_sum(g, &keep, &t[0]);
        if (st == TSH_OK) st = tsh_gr_un(TSH_OP_EXP, y, &t[1]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[1], t[0], &t[2]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_SUB, g, t[2], &grads[0]);
    }
    tsh_gr_release(4, t);
    return st;
}

tsh_status tsh_grad_dimwise(tsh_op op, tsh_tensor *t, int dim, tsh_tensor **out)
{
    if (!tsh_ag_needed(1, &t) || !tsh_dtype_is_float((*out)->dtype)) return TSH_OK;
    const char *name;
    tsh_backward_fn fn;
    int save = 2; /* bit 0: x, bit 1: the output */
    switch (op) {
    case TSH_OP_CUMSUM: name = "CumsumBackward0", fn = cumsum_backward, save = 0; break;
    case TSH_OP_CUMPROD: name = "CumprodBackward0", fn = cumprod_backward, save = 3; break;
    case TSH_OP_SOFTMAX: name = "SoftmaxBackward0", fn = softmax_backward; break;
    default: name = "LogSoftmaxBackward0", fn = softmax_backward; break;
    }
    tsh_node *n = NULL;
    tsh_status st = tsh_node_new(name, fn, 1, &t, &n);
    if (st == TSH_OK) {
        n->i[0] = dim;
        n->i[2] = op;
        if (save & 1) st = tsh_node_save(n, SLOT_X, t);
        if (save & 2) n->save_output = SLOT_OUT + 1;
        if (st != TSH_OK) tsh_node_release(n);
        else st = tsh_node_attach(n, *out);
    }
    if (st != TSH_OK) {
        tsh_tensor_release(*out);
        *out = NULL;
    }
    return st;
}
