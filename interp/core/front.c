/* front.c: promotion, broadcasting, copies, casts and fills: the shared
 * part of the op front end. Op families build on these. */
#include "front.h"

#include <string.h>

#include "grad_view.h"

tsh_device tsh_cpu_device(void) { return (tsh_device){TSH_CPU, 0}; }

static tsh_dtype combine_categories(int has_hi, tsh_dtype hi, int has_lo, tsh_dtype lo)
{
    if (!has_hi) return lo;
    if (!has_lo) return hi;
    if (tsh_dtype_is_float(hi)) return hi;
    if (hi == TSH_BOOL || tsh_dtype_is_float(lo)) return tsh_promote(hi, lo);
    return hi;
}

tsh_dtype tsh_result_type(int n, tsh_tensor *const *ts)
{
    int has[3] = {0, 0, 0};
    tsh_dtype dt[3] = {TSH_BOOL, TSH_BOOL, TSH_BOOL};
    for (int i = 0; i < n; i++) {
        const tsh_tensor *t = ts[i];
        if (!t) continue;
        int g = t->wrapped ? 2 : t->ndim == 0 ? 1 : 0;
        tsh_dtype d = t->dtype;
        if (t->wrapped && tsh_dtype_is_float(d)) d = TSH_DEFAULT_DTYPE;
        dt[g] = has[g] ? tsh_promote(dt[g], d) : d;
        has[g] = 1;
    }
    tsh_dtype lo = combine_categories(has[1], dt[1], has[2], dt[2]);
    return combine_categories(has[0], dt[0], has[1] || has[2], lo);
}

tsh_status tsh_broadcast_shape(const char *opname, int n, tsh_tensor *const *ts, int *ndim,
                               int64_t *shape)
{
    int nd = 0;
    for (int i = 0; i < n; i++)
        if (ts[i] && ts[i]->ndim > nd) nd = ts[i]->ndim;
    for (int d = 0; d < nd; d++) shape[d] = 1;
    for (int i = 0; i < n; i++) {
        const tsh_tensor *t = ts[i];
        if (!t) continue;
        for (int d = 0; d < t->ndim; d++) {
            int64_t s = t->shape[d], *o = &shape[nd - t->ndim + d];
            if (s == *o || s == 1) continue;
            if (*o == 1) { *o = s; continue; }
            char a[128], b[128];
            const tsh_tensor *first = ts[0] == t && n > 1 ? ts[1] : ts[0];
            return tsh_fail(TSH_ERR_SHAPE,
                            "%s: shapes %s and %s cannot be broadcast (size %lld vs %lld at dim %d)",
                            opname, tsh_shape_str(a, sizeof a, first->ndim, first->shape),
                            tsh_shape_str(b, sizeof b, t->ndim, t->shape), (long long)*o,
                            (long long)s, d + 1 + (nd - t->ndim));
        }
    }
    *ndim = nd;
    return TSH_OK;
}

tsh_status tsh_check_same_device(const char *opname, int n, tsh_tensor *const *ts)
{
    const tsh_tensor *first = NULL;
    for (int i = 0; i < n; i++) {
        if (!ts[i] || ts[i]->wrapped) continue; /* Lua numbers live anywhere */
        if (!first) { first = ts[i]; continue; }
        if (!tsh_device_eq(first->storage->device, ts[i]->storage->device)) {
            char a[32], b[32];
            return tsh_fail(TSH_ERR_DEVICE, "%s: tensors are on different devices (%s and %s)",
                            opname, tsh_device_str(first->storage->device, a, sizeof a),
                            tsh_device_str(ts[i]->storage->device, b, sizeof b));
        }
    }
    return TSH_OK;
}

tsh_status tsh_expand(tsh_tensor *t, int ndim, const int64_t *shape, tsh_tensor **out)
{
    int64_t stride[TSH_MAX_DIMS];
    if (ndim < t->ndim) return tsh_fail(TSH_ERR_SHAPE, "expand: cannot drop dimensions");
    for (int d = 0; d < ndim; d++) {
        int sd = d - (ndim - t->ndim);
        if (sd < 0) { stride[d] = 0; continue; }
        if (t->shape[sd] == shape[d]) stride[d] = t->stride[sd];
        else if (t->shape[sd] == 1) stride[d] = 0;
        else {
            char a[128], b[128];
            return tsh_fail(TSH_ERR_SHAPE, "expand: shape %s cannot be expanded to %s",
                            tsh_shape_str(a, sizeof a, t->ndim, t->shape),
                            tsh_shape_str(b, sizeof b, ndim, shape));
        }
    }
    return tsh_tensor_view(t, ndim, shape, stride, t->offset, out);
}

static tsh_status copy_raw(tsh_tensor *dst, tsh_tensor *src)
{
    tsh_tensor *ts[2] = {dst, src};
    TSH_TRY(tsh_check_same_device("copy", 2, ts));
    tsh_tensor *e = NULL;
    TSH_TRY(tsh_expand(src, dst->ndim, dst->shape, &e));
    tsh_kargs a = {.out = dst, .in = {e}};
    tsh_status st = tsh_dispatch(TSH_OP_COPY, &a);
    tsh_tensor_release(e);
    return st;
}

tsh_status tsh_copy_(tsh_tensor *dst, tsh_tensor *src)
{
    /* autograd (grad_view.c) only when a tensor involved has its state */
    if ((dst->ag || src->ag) && tsh_grad_enabled()) return tsh_grad_copy_(dst, src);
    return copy_raw(dst, src);
}

tsh_status tsh_to_dtype(tsh_tensor *t, tsh_dtype dt, tsh_tensor **out)
{
    if (t->dtype == dt) {
        *out = tsh_tensor_retain(t);
        return TSH_OK;
    }
    tsh_tensor *o;
    TSH_TRY(tsh_tensor_empty_like(t, dt, &o));
    tsh_status st = copy_raw(o, t);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    /* casts between float dtypes carry the gradient; to integers they detach */
    return t->ag ? tsh_grad_identity("ToCopyBackward0", t, out) : TSH_OK;
}

tsh_status tsh_clone(tsh_tensor *t, tsh_tensor **out)
{
    tsh_tensor *o;
    TSH_TRY(tsh_tensor_empty_like(t, t->dtype, &o));
    tsh_status st = copy_raw(o, t);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    return t->ag ? tsh_grad_identity("CloneBackward0", t, out) : TSH_OK;
}

tsh_status tsh_contiguous(tsh_tensor *t, tsh_tensor **out)
{
    if (tsh_is_contiguous(t)) {
        *out = tsh_tensor_retain(t);
        return TSH_OK;
    }
    return tsh_clone(t, out);
}

tsh_status tsh_fill_(tsh_tensor *t, double v)
{
    tsh_kargs a = {.out = t, .f = {v}, .i = {(int64_t)v}};
    if (!tsh_dtype_is_float(t->dtype)) {
        if (v != v) return tsh_fail(TSH_ERR_ARG, "fill: cannot fill %s %s tensor with nan",
                                    t->dtype == TSH_BOOL ? "a" : "an", tsh_dtype_name(t->dtype));
        a.i[0] = t->dtype == TSH_BOOL ? v != 0 : tsh_load_i64(TSH_F64, &v);
    }
    if (t->ag && tsh_grad_enabled()) return tsh_grad_overwrite_("fill_", "FillBackward0", TSH_OP_FILL, &a);
    return tsh_dispatch(TSH_OP_FILL, &a);
}

tsh_status tsh_fill_int_(tsh_tensor *t, int64_t v)
{
    tsh_kargs a = {.out = t, .f = {(double)v}, .i = {v}};
    if (t->ag && tsh_grad_enabled()) return tsh_grad_overwrite_("fill_", "FillBackward0", TSH_OP_FILL, &a);
    return tsh_dispatch(TSH_OP_FILL, &a);
}

tsh_status tsh_full(int ndim, const int64_t *shape, double v, tsh_dtype dt, tsh_device dev,
                    tsh_tensor **out)
{
    tsh_tensor *o;
    TSH_TRY(tsh_tensor_empty(ndim, shape, dt, dev, &o));
    tsh_status st = tsh_fill_(o, v);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    return TSH_OK;
}

tsh_status tsh_scalar_f64(double v, tsh_dtype dt, bool wrapped, tsh_tensor **out)
{
    tsh_tensor *o;
    TSH_TRY(tsh_tensor_empty(0, NULL, dt, tsh_cpu_device(), &o));
    tsh_store_f64(dt, o->storage->data, v);
    o->wrapped = wrapped;
    *out = o;
    return TSH_OK;
}

tsh_status tsh_scalar_i64(int64_t v, tsh_dtype dt, bool wrapped, tsh_tensor **out)
{
    tsh_tensor *o;
    TSH_TRY(tsh_tensor_empty(0, NULL, dt, tsh_cpu_device(), &o));
    tsh_store_i64(dt, o->storage->data, v);
    o->wrapped = wrapped;
    *out = o;
    return TSH_OK;
}

static tsh_status item_ptr(tsh_tensor *t, tsh_tensor **host)
{
    if (tsh_numel(t) != 1) {
        char b[128];
        return tsh_fail(TSH_ERR_SHAPE,
                        "item: only a one-element tensor converts to a number, got shape %s",
                        tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    }
    if (t->storage->device.type != TSH_CPU) {
        tsh_tensor *h;
        TSH_TRY(tsh_tensor_empty(0, NULL, t->dtype, tsh_cpu_device(), &h));
        tsh_status st = tsh_copy_(h, t);
        if (st != TSH_OK) { tsh_tensor_release(h); return st; }
        *host = h;
        return TSH_OK;
    }
    *host = tsh_tensor_retain(t);
    return TSH_OK;
}

tsh_status tsh_item_f64(tsh_tensor *t, double *v)
{
    tsh_tensor *h;
    TSH_TRY(item_ptr(t, &h));
    *v = tsh_load_f64(h->dtype, tsh_data(h));
    tsh_tensor_release(h);
    return TSH_OK;
}

tsh_status tsh_item_i64(tsh_tensor *t, int64_t *v)
{
    tsh_tensor *h;
    TSH_TRY(item_ptr(t, &h));
    *v = tsh_load_i64(h->dtype, tsh_data(h));
    tsh_tensor_release(h);
    return TSH_OK;
}
