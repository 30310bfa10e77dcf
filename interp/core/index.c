/* index.c: the front end of the ops that index along a dim: index_select,
 * gather, take_along_dim, scatter, index_add/copy/fill, and the helpers the
 * whole family shares. It checks devices, dtypes, shapes and every index
 * value (1-based), then dispatches. Masks, where, nonzero and the t[...]
 * syntax are in index_mask.c. */
#include "index.h"

#include <math.h>
#include <string.h>

#include "grad_index.h"

/* ---- helpers ---- */

static tsh_status check_dim(const char *op, int dim, int ndim)
{
    int n = ndim ? ndim : 1;
    if (dim < 0 || dim >= n)
        return tsh_fail(TSH_ERR_INDEX, "%s: dim %d is out of range for a %d-d tensor", op, dim + 1, ndim);
    return TSH_OK;
}

static tsh_status as_1d(tsh_tensor *t, tsh_tensor **out)
{
    if (t->ndim) {
        *out = tsh_tensor_retain(t);
        return TSH_OK;
    }
    int64_t one = 1;
    return tsh_tensor_view(t, 1, &one, &one, t->offset, out);
}

tsh_status tsh_idx_host(tsh_tensor *t, tsh_tensor **out)
{
    /* Index values and mask counts are read on the host to validate them
     * and size outputs (PyTorch synchronises for the same reasons). */
    if (t->storage->device.type != TSH_CPU)
        return tsh_fail(TSH_ERR_NOTIMPL, "index tensors are only supported on the cpu for now");
    return tsh_contiguous(t, out);
}

#define IDX_PARALLEL_MIN ((int64_t)1 << 16) /* indices worth more than one thread to check */

/* TSH_ERR_INDEX naming the first of h's values outside 1..size. The pass
 * is bound by memory (1.2 ms for 4M indices on one core, 1.1 ms with
 * AVX-512), so it runs on every thread: scatter dim 2 on (4096,1024) at 2
 * threads, 3.9 -> 2.8 ms. */
static tsh_status idx_in_range(const char *op, const tsh_tensor *h, int dim, int64_t size)
{
    const int64_t *p = (const int64_t *)tsh_data(h);
    int64_t n = tsh_numel(h);
    /* p < 1 or p > size sets the sign bit of p - 1 or size - p: subtracts
     * and ors, which vectorise on any x86-64 (min/max of int64 needed
     * SSE4.2 blends: 2.9 ms for 4M indices against 1.7 ms) */
    uint64_t acc = 0;
    #pragma omp parallel for reduction(|:acc) schedule(static) if (n > IDX_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) acc |= ((uint64_t)p[i] - 1) | ((uint64_t)size - (uint64_t)p[i]);
    if ((int64_t)acc >= 0) return TSH_OK;
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (p[i] < 1 || p[i] > size) { bad = p[i]; break; }
    const char *pre = op ? op : "", *sep = op ? ": " : "";
    return tsh_fail(TSH_ERR_INDEX, "%s%sindex %lld is out of range for dim %d of size %lld%s", pre, sep,
                    (long long)bad, dim + 1, (long long)size, bad < 1 ? " (indices are 1-based)" : "");
}

/* idx (int64 or int32) as a contiguous host int64 tensor, values unchecked. */
static tsh_status idx_host_i64(const char *op, tsh_tensor *idx, tsh_tensor **out)
{
    const char *pre = op ? op : "", *sep = op ? ": " : "";
    if (idx->dtype != TSH_I64 && idx->dtype != TSH_I32)
        return tsh_fail(TSH_ERR_DTYPE, "%s%sindex must be an int64 tensor of 1-based positions, got %s%s",
                        pre, sep, tsh_dtype_name(idx->dtype),
                        idx->dtype == TSH_U8 ? " (a mask must be a bool tensor)"
                        : idx->dtype == TSH_BOOL ? " (use masked_select or t[mask] for a mask)" : "");
    tsh_tensor *i64;
    TSH_TRY(tsh_to_dtype(idx, TSH_I64, &i64));
    tsh_status st = tsh_idx_host(i64, out);
    tsh_tensor_release(i64);
    return st;
}

tsh_status tsh_idx_checked(const char *op, tsh_tensor *idx, int dim, int64_t size, tsh_tensor **out)
{
    tsh_tensor *h;
    TSH_TRY(idx_host_i64(op, idx, &h));
    tsh_status st = idx_in_range(op, h, dim, size);
    if (st != TSH_OK) {
        tsh_tensor_release(h);
        return st;
    }
    *out = h;
    return TSH_OK;
}

tsh_status tsh_idx_fill_value(const char *op, tsh_tensor *value, tsh_dtype dt, double *f, int64_t *i)
{
    if (value->ndim != 0) {
        char b[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: value must be a number or a 0-d tensor, got shape %s", op,
                        tsh_shape_str(b, sizeof b, value->ndim, value->shape));
    }
    if (tsh_dtype_is_float(value->dtype)) {
        double v;
        TSH_TRY(tsh_item_f64(value, &v));
        if (tsh_dtype_is_int(dt) && !isfinite(v))
            return tsh_fail(TSH_ERR_ARG, "%s: cannot fill %s %s tensor with %s", op,
                            dt == TSH_BOOL ? "a" : "an", tsh_dtype_name(dt),
                            isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        *f = v;
        *i = dt == TSH_BOOL ? v != 0 : tsh_load_i64(TSH_F64, &v);
    } else {
        int64_t v;
        TSH_TRY(tsh_item_i64(value, &v));
        *f = (double)v;
        *i = dt == TSH_BOOL ? v != 0 : v;
    }
    return TSH_OK;
}

/* Runs a SCATTER or INDEX_ADD on x; arithmetic on float16/bfloat16 runs in
 * float32 on a copy that is written back. */
tsh_status tsh_idx_run(tsh_op op, tsh_tensor *x, tsh_tensor *src, tsh_tensor *idx, int dim, int mode,
                       double fa, int64_t ia)
{
    tsh_kargs a = {.out = x, .in = {src, idx}, .f = {fa}, .i = {dim, op == TSH_OP_SCATTER ? mode : ia}};
    tsh_dtype ct = tsh_dtype_compute(x->dtype);
    if (mode == TSH_SCATTER_SET || ct == x->dtype) return tsh_dispatch(op, &a);
    tsh_tensor *x32 = NULL, *s32 = NULL;
    tsh_status st = tsh_to_dtype(x, ct, &x32);
    if (st == TSH_OK) st = tsh_to_dtype(src, ct, &s32);
    if (st == TSH_OK) {
        a.out = x32;
        a.in[0] = s32;
        st = tsh_dispatch(op, &a);
    }
    if (st == TSH_OK) st = tsh_copy_(x, x32);
    tsh_tensor_release(x32);
    tsh_tensor_release(s32);
    return st;
}

/* ---- index_select, gather, take_along_dim ---- */

tsh_status tsh_idx_select_raw(tsh_tensor *x, int dim, tsh_tensor *ix, tsh_tensor **out)
{
    int64_t shape[TSH_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[dim] = tsh_numel(ix);
    tsh_tensor *o;
    TSH_TRY(tsh_tensor_empty(x->ndim, shape, x->dtype, x->storage->device, &o));
    tsh_kargs a = {.out = o, .in = {x, ix}, .i = {dim}};
    tsh_status st = tsh_dispatch(TSH_OP_INDEX_SELECT, &a);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    return TSH_OK;
}

tsh_status tsh_index_select(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor **out)
{
    const char *op = "index_select";
    tsh_tensor *ts[2] = {t, idx};
    char b[128];
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_dim(op, dim, t->ndim));
    if (idx->ndim > 1)
        return tsh_fail(TSH_ERR_SHAPE, "%s: index must be 1-d, got shape %s", op,
                        tsh_shape_str(b, sizeof b, idx->ndim, idx->shape));
    if (t->ndim == 0 && tsh_numel(idx) != 1)
        return tsh_fail(TSH_ERR_SHAPE, "%s: a 0-d input takes exactly one index, got %lld", op,
                        (long long)tsh_numel(idx));
    tsh_tensor *x = NULL, *h = NULL, *ix = NULL, *o = NULL;
    tsh_status st = as_1d(t, &x);
    if (st == TSH_OK) st = tsh_idx_checked(op, idx, dim, x->shape[dim], &h);
    if (st == TSH_OK) st = as_1d(h, &ix);
    if (st == TSH_OK) st = tsh_idx_select_raw(x, dim, ix, &o);
    if (st == TSH_OK && t->ndim == 0) {
        tsh_tensor *v;
        st = tsh_tensor_view(o, 0, NULL, NULL, o->offset, &v);
        tsh_tensor_release(o);
        o = st == TSH_OK ? v : NULL;
    }
    if (st == TSH_OK && tsh_ag_needed(1, &t))
        st = tsh_grad_index_record(t, &(tsh_index_grad){.kind = TSH_GI_SELECT, .dim = dim, .idx = h}, &o);
    tsh_tensor_release(x);
    tsh_tensor_release(h);
    tsh_tensor_release(ix);
    if (st == TSH_OK) *out = o;
    return st;
}

/* Shared shape rule of gather and scatter: as many dims as the input, and
 * no larger than `limit` off dim (or anywhere when all_dims). */
static tsh_status check_fits(const char *op, const char *what, const tsh_tensor *idx, const char *lname,
                             const tsh_tensor *limit, int dim, bool all_dims)
{
    char a[128], b[128];
    int ni = idx->ndim ? idx->ndim : 1, nl = limit->ndim ? limit->ndim : 1;
    if (ni != nl)
        return tsh_fail(TSH_ERR_SHAPE, "%s: %s must have as many dims as the %s (%d), got %d", op, what,
                        lname, limit->ndim, idx->ndim);
    for (int d = 0; d < idx->ndim && limit->ndim; d++) {
        if ((d == dim && !all_dims) || idx->shape[d] <= limit->shape[d]) continue;
        return tsh_fail(TSH_ERR_SHAPE, "%s: %s of shape %s is larger than the %s (%s) at dim %d (%lld > %lld)",
                        op, what, tsh_shape_str(a, sizeof a, idx->ndim, idx->shape), lname,
                        tsh_shape_str(b, sizeof b, limit->ndim, limit->shape), d + 1,
                        (long long)idx->shape[d], (long long)limit->shape[d]);
    }
    return TSH_OK;
}

tsh_status tsh_gather(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor **out)
{
    const char *op = "gather";
    tsh_tensor *ts[2] = {t, idx};
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_dim(op, dim, t->ndim));
    TSH_TRY(check_fits(op, "index", idx, "input", t, dim, false));
    tsh_tensor *x = NULL, *h = NULL, *ix = NULL, *o = NULL;
    tsh_status st = as_1d(t, &x);
    if (st == TSH_OK) st = tsh_idx_checked(op, idx, dim, x->shape[dim], &h);
    if (st == TSH_OK) st = as_1d(h, &ix);
    if (st == TSH_OK) st = tsh_tensor_empty(idx->ndim, idx->shape, t->dtype, t->storage->device, &o);
    if (st == TSH_OK) {
        tsh_tensor *o1 = NULL;
        st = as_1d(o, &o1);
        tsh_kargs a = {.out = o1, .in = {x, ix}, .i = {dim}};
        if (st == TSH_OK) st = tsh_dispatch(TSH_OP_GATHER, &a);
        tsh_tensor_release(o1);
    }
    if (st == TSH_OK && tsh_ag_needed(1, &t))
        st = tsh_grad_index_record(t, &(tsh_index_grad){.kind = TSH_GI_GATHER, .dim = dim, .idx = idx}, &o);
    tsh_tensor_release(x);
    tsh_tensor_release(h);
    tsh_tensor_release(ix);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    return TSH_OK;
}

tsh_status tsh_take_along_dim(tsh_tensor *t, tsh_tensor *idx, int dim, tsh_tensor **out)
{
    const char *op = "take_along_dim";
    tsh_tensor *x = NULL, *ix = NULL;
    tsh_status st;
    if (dim < 0) {
        int64_t m1 = -1;
        st = tsh_reshape(t, 1, &m1, &x);
        if (st == TSH_OK) st = tsh_reshape(idx, 1, &m1, &ix);
        dim = 0;
    } else {
        TSH_TRY(check_dim(op, dim, t->ndim));
        if ((t->ndim ? t->ndim : 1) != (idx->ndim ? idx->ndim : 1))
            return tsh_fail(TSH_ERR_SHAPE, "%s: index must have as many dims as the input (%d), got %d", op,
                            t->ndim, idx->ndim);
        /* broadcast the dims other than `dim` */
        int64_t ts_[TSH_MAX_DIMS], is_[TSH_MAX_DIMS];
        char a[128], b[128];
        for (int d = 0; d < t->ndim; d++) {
            int64_t p = t->shape[d], q = idx->shape[d];
            ts_[d] = p, is_[d] = q;
            if (d == dim) continue;
            if (p != q && p != 1 && q != 1)
                return tsh_fail(TSH_ERR_SHAPE, "%s: input %s and index %s cannot be broadcast at dim %d", op,
                                tsh_shape_str(a, sizeof a, t->ndim, t->shape),
                                tsh_shape_str(b, sizeof b, idx->ndim, idx->shape), d + 1);
            ts_[d] = is_[d] = p == 1 ? q : p;
        }
        st = tsh_expand_shape(t, t->ndim, ts_, &x); /* recorded: gradients sum back */
        if (st == TSH_OK) st = tsh_expand(idx, idx->ndim, is_, &ix);
    }
    if (st == TSH_OK) st = tsh_gather(x, dim, ix, out);
    tsh_tensor_release(x);
    tsh_tensor_release(ix);
    return st;
}

/* ---- scatter ---- */

static const char *scatter_name(tsh_scatter_mode mode)
{
    return mode == TSH_SCATTER_ADD ? "scatter_add" : "scatter";
}

/* src already has idx's shape (a view or an expanded value). */
static tsh_status scatter_common(const char *op, tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src,
                                 tsh_scatter_mode mode)
{
    tsh_tensor *x = NULL, *h = NULL, *ix = NULL, *s1 = NULL;
    tsh_status st = as_1d(t, &x);
    if (st == TSH_OK) st = tsh_idx_checked(op, idx, dim, x->shape[dim], &h);
    if (st == TSH_OK) st = as_1d(h, &ix);
    if (st == TSH_OK) st = tsh_tensor_view(src, ix->ndim, ix->shape, src->ndim ? src->stride : (int64_t[]){0},
                                           src->offset, &s1);
    if (st == TSH_OK) st = tsh_idx_run(TSH_OP_SCATTER, x, s1, ix, dim, mode, 1.0, 1);
    tsh_tensor_release(x);
    tsh_tensor_release(h);
    tsh_tensor_release(ix);
    tsh_tensor_release(s1);
    return st;
}

tsh_status tsh_scatter_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src, tsh_scatter_mode mode)
{
    const char *op = scatter_name(mode);
    tsh_tensor *ts[3] = {t, idx, src};
    TSH_TRY(tsh_check_same_device(op, 3, ts));
    TSH_TRY(check_dim(op, dim, t->ndim));
    if (src->dtype != t->dtype)
        return tsh_fail(TSH_ERR_DTYPE, "%s: src must have the input's dtype %s, got %s", op,
                        tsh_dtype_name(t->dtype), tsh_dtype_name(src->dtype));
    TSH_TRY(check_fits(op, "index", idx, "input", t, dim, false));
    TSH_TRY(check_fits(op, "index", idx, "src", src, dim, true));
    tsh_node *node;
    tsh_index_grad g = {.kind = TSH_GI_SCATTER, .dim = dim, .idx = idx, .src = src, .mode = mode};
    TSH_TRY(tsh_grad_index_begin(op, t, &g, &node));
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    tsh_status st = scatter_common(op, t, dim, idx, src, mode);
    tsh_set_grad_enabled(was);
    return tsh_grad_index_end(t, node, st);
}

tsh_status tsh_scatter_value_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *value,
                              tsh_scatter_mode mode)
{
    const char *op = scatter_name(mode);
    tsh_tensor *ts[2] = {t, idx};
    char b[128];
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_dim(op, dim, t->ndim));
    if (value->ndim != 0)
        return tsh_fail(TSH_ERR_SHAPE, "%s: value must be a number or a 0-d tensor, got shape %s", op,
                        tsh_shape_str(b, sizeof b, value->ndim, value->shape));
    TSH_TRY(check_fits(op, "index", idx, "input", t, dim, false));
    tsh_node *node;
    tsh_index_grad g = {.kind = TSH_GI_SCATTER_VALUE, .dim = dim, .idx = idx, .src = value, .mode = mode};
    TSH_TRY(tsh_grad_index_begin(op, t, &g, &node));
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    tsh_tensor *v = NULL, *e = NULL;
    tsh_status st = tsh_to_dtype(value, t->dtype, &v);
    if (st == TSH_OK) st = tsh_expand(v, idx->ndim, idx->shape, &e);
    if (st == TSH_OK) st = scatter_common(op, t, dim, idx, e, mode);
    tsh_set_grad_enabled(was);
    tsh_tensor_release(v);
    tsh_tensor_release(e);
    return tsh_grad_index_end(t, node, st);
}

/* ---- index_add_, index_copy_, index_fill_ ---- */

/* The 1-d index seen with src's shape: stride 0 off dim. */
tsh_status tsh_idx_spread(tsh_tensor *ix, const tsh_tensor *like, int dim, tsh_tensor **out)
{
    int64_t stride[TSH_MAX_DIMS] = {0};
    stride[dim] = ix->stride[0];
    return tsh_tensor_view(ix, like->ndim, like->shape, stride, ix->offset, out);
}

/* Checks idx (1-d) and src against t for index_add_/index_copy_ and
 * returns t and src as >= 1-d views and the checked index. */
static tsh_status index_src_common(const char *op, tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src,
                                   tsh_tensor **x, tsh_tensor **s1, tsh_tensor **ix)
{
    char a[128], b[128];
    tsh_tensor *ts[3] = {t, idx, src};
    TSH_TRY(tsh_check_same_device(op, 3, ts));
    TSH_TRY(check_dim(op, dim, t->ndim));
    if (idx->ndim > 1)
        return tsh_fail(TSH_ERR_SHAPE, "%s: index must be 1-d, got shape %s", op,
                        tsh_shape_str(a, sizeof a, idx->ndim, idx->shape));
    if (src->dtype != t->dtype)
        return tsh_fail(TSH_ERR_DTYPE, "%s: source must have the input's dtype %s, got %s", op,
                        tsh_dtype_name(t->dtype), tsh_dtype_name(src->dtype));
    if ((src->ndim ? src->ndim : 1) != (t->ndim ? t->ndim : 1))
        return tsh_fail(TSH_ERR_SHAPE, "%s: source must have as many dims as the input (%d), got %d", op,
                        t->ndim, src->ndim);
    *x = *s1 = *ix = NULL;
    tsh_tensor *h = NULL;
    tsh_status st = as_1d(t, x);
    if (st == TSH_OK) st = as_1d(src, s1);
    for (int d = 0; st == TSH_OK && d < (*x)->ndim; d++) {
        if (d == dim ? (*s1)->shape[d] == tsh_numel(idx) : (*s1)->shape[d] == (*x)->shape[d]) continue;
        if (d == dim)
            st = tsh_fail(TSH_ERR_SHAPE, "%s: the index has %lld entries but the source has %lld along dim %d",
                          op, (long long)tsh_numel(idx), (long long)(*s1)->shape[d], d + 1);
        else
            st = tsh_fail(TSH_ERR_SHAPE, "%s: source of shape %s does not match the input's shape %s at dim %d",
                          op, tsh_shape_str(a, sizeof a, src->ndim, src->shape),
                          tsh_shape_str(b, sizeof b, t->ndim, t->shape), d + 1);
    }
    if (st == TSH_OK) st = tsh_idx_checked(op, idx, dim, (*x)->shape[dim], &h);
    if (st == TSH_OK) st = as_1d(h, ix);
    tsh_tensor_release(h);
    if (st != TSH_OK) {
        tsh_tensor_release(*x);
        tsh_tensor_release(*s1);
        tsh_tensor_release(*ix);
        *x = *s1 = *ix = NULL;
    }
    return st;
}

tsh_status tsh_index_add_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src, tsh_tensor *alpha)
{
    const char *op = "index_add";
    double fa = 1;
    int64_t ia = 1;
    if (alpha) {
        if (tsh_dtype_is_float(alpha->dtype) && !tsh_dtype_is_float(t->dtype))
            return tsh_fail(TSH_ERR_ARG, "%s: alpha must be an integer for a %s tensor", op,
                            tsh_dtype_name(t->dtype));
        if (alpha->ndim != 0) return tsh_fail(TSH_ERR_SHAPE, "%s: alpha must be a number", op);
        TSH_TRY(tsh_item_f64(alpha, &fa));
        TSH_TRY(tsh_item_i64(alpha, &ia));
    }
    tsh_tensor *x, *s1, *ix;
    TSH_TRY(index_src_common(op, t, dim, idx, src, &x, &s1, &ix));
    tsh_node *node;
    tsh_index_grad g = {.kind = TSH_GI_INDEX_ADD, .dim = dim, .idx = ix, .src = src, .alpha = fa};
    tsh_status st = tsh_grad_index_begin(op, t, &g, &node);
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    if (st == TSH_OK) st = tsh_idx_run(TSH_OP_INDEX_ADD, x, s1, ix, dim, TSH_SCATTER_ADD, fa, ia);
    tsh_set_grad_enabled(was);
    tsh_tensor_release(x);
    tsh_tensor_release(s1);
    tsh_tensor_release(ix);
    return tsh_grad_index_end(t, node, st);
}

tsh_status tsh_index_copy_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src)
{
    tsh_tensor *x, *s1, *ix, *ie = NULL;
    TSH_TRY(index_src_common("index_copy", t, dim, idx, src, &x, &s1, &ix));
    tsh_node *node;
    tsh_index_grad g = {.kind = TSH_GI_INDEX_COPY, .dim = dim, .idx = ix, .src = src};
    tsh_status st = tsh_grad_index_begin("index_copy", t, &g, &node);
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    if (st == TSH_OK) st = tsh_idx_spread(ix, s1, dim, &ie);
    if (st == TSH_OK) st = tsh_idx_run(TSH_OP_SCATTER, x, s1, ie, dim, TSH_SCATTER_SET, 1, 1);
    tsh_set_grad_enabled(was);
    tsh_tensor_release(x);
    tsh_tensor_release(s1);
    tsh_tensor_release(ix);
    tsh_tensor_release(ie);
    return tsh_grad_index_end(t, node, st);
}

/* Whether x.select(dim, 0) is one contiguous run (dim is x's outermost dim
 * of size > 1). Callers run with grad mode off wherever x needs grad, so
 * the view records nothing. */
static bool slices_are_runs(tsh_tensor *x, int dim)
{
    tsh_tensor *s;
    if (tsh_select(x, dim, 0, &s) != TSH_OK) return false;
    bool run = tsh_is_contiguous(s);
    tsh_tensor_release(s);
    return run;
}

/* Fills the slices x.select(dim, i) for i in the checked host index with
 * the value, by one INDEX_FILL (the slices are contiguous runs). */
static tsh_status fill_slices(tsh_tensor *x, int dim, tsh_tensor *ix, tsh_tensor *value)
{
    double f;
    int64_t i;
    TSH_TRY(tsh_idx_fill_value("index_fill", value, x->dtype, &f, &i));
    tsh_kargs a = {.out = x, .in = {ix}, .f = {f}, .i = {dim, i}};
    return tsh_dispatch(TSH_OP_INDEX_FILL, &a);
}

/* index_fill_ on x (>= 1-d) at the checked 1-d index (host, 1-based).
 * Where each filled slice is one contiguous run (filling along x's
 * outermost dim, rows of a matrix), INDEX_FILL fills them: (4096, 1024)
 * float32 with 4096 row indices, 30.9 ms through SCATTER, 2.0 one FILL
 * per slice (torch 2.4; see cpu/index.c).
 * Elsewhere the value, expanded (stride 0) to the filled slices, is
 * scattered through the spread index, element by element. */
tsh_status tsh_idx_fill_raw(tsh_tensor *x, int dim, tsh_tensor *ix, tsh_tensor *value)
{
    if (tsh_numel(ix) > 0 && slices_are_runs(x, dim))
        return fill_slices(x, dim, ix, value);
    int64_t shape[TSH_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[dim] = tsh_numel(ix);
    tsh_tensor *v = NULL, *e = NULL, *ie = NULL;
    tsh_status st = tsh_to_dtype(value, x->dtype, &v);
    if (st == TSH_OK) st = tsh_expand(v, x->ndim, shape, &e);
    if (st == TSH_OK) st = tsh_idx_spread(ix, e, dim, &ie);
    if (st == TSH_OK) st = tsh_idx_run(TSH_OP_SCATTER, x, e, ie, dim, TSH_SCATTER_SET, 1, 1);
    tsh_tensor_release(v);
    tsh_tensor_release(e);
    tsh_tensor_release(ie);
    return st;
}

tsh_status tsh_index_fill_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *value)
{
    const char *op = "index_fill";
    char b[128];
    tsh_tensor *ts[2] = {t, idx};
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_dim(op, dim, t->ndim));
    if (idx->ndim > 1)
        return tsh_fail(TSH_ERR_SHAPE, "%s: index must be 1-d, got shape %s", op,
                        tsh_shape_str(b, sizeof b, idx->ndim, idx->shape));
    double f;
    int64_t i;
    TSH_TRY(tsh_idx_fill_value(op, value, t->dtype, &f, &i)); /* shape and nan checks */
    tsh_tensor *x = NULL, *h = NULL, *ix = NULL;
    tsh_node *node = NULL;
    tsh_status st = as_1d(t, &x);
    if (st == TSH_OK) st = tsh_idx_checked(op, idx, dim, x->shape[dim], &h);
    if (st == TSH_OK) st = as_1d(h, &ix);
    tsh_index_grad g = {.kind = TSH_GI_INDEX_FILL, .dim = dim, .idx = ix, .src = value};
    if (st == TSH_OK) st = tsh_grad_index_begin(op, t, &g, &node);
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    if (st == TSH_OK) st = tsh_idx_fill_raw(x, dim, ix, value);
    tsh_set_grad_enabled(was);
    tsh_tensor_release(x);
    tsh_tensor_release(h);
    tsh_tensor_release(ix);
    return tsh_grad_index_end(t, node, st);
}
