/* index_mask.c: the front end of masks (masked_fill/select/scatter), where,
 * nonzero, and the indexing syntax t[...] / t[...] = v, built on the ops of
 * index.c. It checks and dispatches; the only thing it computes is the
 * count of true mask elements that sizes an output. */
#include <string.h>

#include "grad_index.h"
#include "index.h"

/* ---- masks, where, nonzero ---- */

static tsh_status check_mask(const char *op, const tsh_tensor *mask)
{
    if (mask->dtype != TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s: mask must be a bool tensor, got %s", op, tsh_dtype_name(mask->dtype));
    return TSH_OK;
}

/* Can x broadcast to shape (without changing it)? */
static bool fits(const tsh_tensor *x, int nd, const int64_t *shape)
{
    if (x->ndim > nd) return false;
    for (int d = 0; d < x->ndim; d++) {
        int64_t s = x->shape[d], o = shape[nd - x->ndim + d];
        if (s != o && s != 1) return false;
    }
    return true;
}

/* mask broadcast to t's shape (in-place ops cannot grow t). */
static tsh_status mask_to(const char *op, tsh_tensor *mask, const tsh_tensor *t, tsh_tensor **out)
{
    if (!fits(mask, t->ndim, t->shape)) {
        char a[128], b[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: mask of shape %s does not broadcast to the input's shape %s", op,
                        tsh_shape_str(a, sizeof a, mask->ndim, mask->shape),
                        tsh_shape_str(b, sizeof b, t->ndim, t->shape));
    }
    return tsh_expand(mask, t->ndim, t->shape, out);
}

static tsh_status count_true(tsh_tensor *mask, int64_t *n)
{
    tsh_tensor *h;
    TSH_TRY(tsh_idx_host(mask, &h));
    const uint8_t *p = (const uint8_t *)tsh_data(h);
    int64_t c = 0, k = tsh_numel(h);
    for (int64_t i = 0; i < k; i++) c += p[i] != 0;
    tsh_tensor_release(h);
    *n = c;
    return TSH_OK;
}

static tsh_status masked_fill_raw(const char *op, tsh_tensor *t, tsh_tensor *me, tsh_tensor *value)
{
    double f;
    int64_t i;
    TSH_TRY(tsh_idx_fill_value(op, value, t->dtype, &f, &i));
    tsh_kargs a = {.out = t, .in = {me}, .f = {f}, .i = {i}};
    return tsh_dispatch(TSH_OP_MASKED_FILL, &a);
}

tsh_status tsh_masked_fill_(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *value)
{
    const char *op = "masked_fill";
    tsh_tensor *ts[2] = {t, mask}, *me;
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_mask(op, mask));
    TSH_TRY(mask_to(op, mask, t, &me));
    tsh_node *node;
    tsh_index_grad g = {.kind = TSH_GI_MASKED_FILL, .idx = mask, .src = value};
    tsh_status st = tsh_grad_index_begin("masked_fill_", t, &g, &node);
    if (st == TSH_OK) st = masked_fill_raw(op, t, me, value);
    tsh_tensor_release(me);
    return tsh_grad_index_end(t, node, st);
}

tsh_status tsh_masked_fill(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *value, tsh_tensor **out)
{
    const char *op = "masked_fill";
    tsh_tensor *ts[2] = {t, mask}, *o;
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_mask(op, mask));
    TSH_TRY(tsh_broadcast_shape(op, 2, ts, &nd, shape));
    TSH_TRY(tsh_tensor_empty(nd, shape, t->dtype, t->storage->device, &o));
    tsh_tensor *tv[2] = {t, value};
    bool ag = tsh_ag_needed(2, tv), was = tsh_grad_pause();
    tsh_status st = tsh_copy_(o, t);
    if (st == TSH_OK) st = tsh_masked_fill_(o, mask, value);
    tsh_set_grad_enabled(was);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    if (!ag) return TSH_OK;
    return tsh_grad_index_record(t, &(tsh_index_grad){.kind = TSH_GI_MASKED_FILL, .idx = mask, .src = value}, out);
}

tsh_status tsh_masked_select(tsh_tensor *t, tsh_tensor *mask, tsh_tensor **out)
{
    const char *op = "masked_select";
    tsh_tensor *ts[2] = {t, mask}, *te = NULL, *me = NULL, *o = NULL;
    int nd;
    int64_t shape[TSH_MAX_DIMS], n = 0;
    TSH_TRY(tsh_check_same_device(op, 2, ts));
    TSH_TRY(check_mask(op, mask));
    TSH_TRY(tsh_broadcast_shape(op, 2, ts, &nd, shape));
    tsh_status st = tsh_expand(t, nd, shape, &te);
    if (st == TSH_OK) st = tsh_expand(mask, nd, shape, &me);
    if (st == TSH_OK) st = count_true(me, &n);
    if (st == TSH_OK) st = tsh_tensor_empty(1, &n, t->dtype, t->storage->device, &o);
    if (st == TSH_OK) {
        tsh_kargs a = {.out = o, .in = {te, me}};
        st = tsh_dispatch(TSH_OP_MASKED_SELECT, &a);
    }
    tsh_tensor_release(te);
    tsh_tensor_release(me);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    if (!tsh_ag_needed(1, &t)) return TSH_OK;
    tsh_index_grad g = {.kind = TSH_GI_MASKED_SELECT, .idx = mask, .ndim = nd};
    memcpy(g.shape, shape, sizeof g.shape);
    return tsh_grad_index_record(t, &g, out);
}

/* t's true positions of me (t's shape) take src's first `count` elements. */
static tsh_status masked_scatter_raw(const char *op, tsh_tensor *t, tsh_tensor *me, int64_t count, tsh_tensor *src)
{
    int64_t n = tsh_numel(src), one = 1;
    if (n < count)
        return tsh_fail(TSH_ERR_SHAPE, "%s: source has %lld elements but the mask selects %lld", op,
                        (long long)n, (long long)count);
    tsh_tensor *c = NULL, *flat = NULL;
    tsh_status st = tsh_contiguous(src, &c);
    if (st == TSH_OK) st = tsh_tensor_view(c, 1, &n, &one, c->offset, &flat);
    if (st == TSH_OK) {
        tsh_kargs a = {.out = t, .in = {me, flat}};
        st = tsh_dispatch(TSH_OP_MASKED_SCATTER, &a);
    }
    tsh_tensor_release(c);
    tsh_tensor_release(flat);
    return st;
}

tsh_status tsh_masked_scatter_(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *src)
{
    const char *op = "masked_scatter";
    tsh_tensor *ts[3] = {t, mask, src}, *me;
    int64_t count = 0;
    TSH_TRY(tsh_check_same_device(op, 3, ts));
    TSH_TRY(check_mask(op, mask));
    if (src->dtype != t->dtype)
        return tsh_fail(TSH_ERR_DTYPE, "%s: source must have the input's dtype %s, got %s", op,
                        tsh_dtype_name(t->dtype), tsh_dtype_name(src->dtype));
    TSH_TRY(mask_to(op, mask, t, &me));
    tsh_node *node = NULL;
    tsh_index_grad g = {.kind = TSH_GI_MASKED_SCATTER, .idx = mask, .src = src};
    tsh_status st = count_true(me, &count);
    if (st == TSH_OK) st = tsh_grad_index_begin("masked_scatter_", t, &g, &node);
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    if (st == TSH_OK) st = masked_scatter_raw(op, t, me, count, src);
    tsh_set_grad_enabled(was);
    tsh_tensor_release(me);
    return tsh_grad_index_end(t, node, st);
}

tsh_status tsh_where(tsh_tensor *cond, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out)
{
    const char *op = "where";
    tsh_tensor *ts[3] = {cond, a, b}, *ab[2] = {a, b};
    tsh_tensor *ca = NULL, *cb = NULL, *ea = NULL, *eb = NULL, *ec = NULL, *o = NULL;
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    TSH_TRY(tsh_check_same_device(op, 3, ts));
    if (cond->dtype != TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s: condition must be a bool tensor, got %s", op,
                        tsh_dtype_name(cond->dtype));
    TSH_TRY(tsh_broadcast_shape(op, 3, ts, &nd, shape));
    tsh_dtype dt = tsh_result_type(2, ab);
    bool ag = tsh_ag_needed(2, ab), was = tsh_grad_pause();
    tsh_status st = tsh_to_dtype(a, dt, &ca);
    if (st == TSH_OK) st = tsh_to_dtype(b, dt, &cb);
    if (st == TSH_OK) st = tsh_expand(ca, nd, shape, &ea);
    if (st == TSH_OK) st = tsh_expand(cb, nd, shape, &eb);
    if (st == TSH_OK) st = tsh_expand(cond, nd, shape, &ec);
    if (st == TSH_OK) st = tsh_tensor_empty(nd, shape, dt, cond->storage->device, &o);
    if (st == TSH_OK) {
        tsh_kargs k = {.out = o, .in = {ec, ea, eb}};
        st = tsh_dispatch(TSH_OP_WHERE, &k);
    }
    tsh_set_grad_enabled(was);
    tsh_tensor_release(ca);
    tsh_tensor_release(cb);
    tsh_tensor_release(ea);
    tsh_tensor_release(eb);
    tsh_tensor_release(ec);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    if (!ag) return TSH_OK;
    return tsh_grad_index_record(a, &(tsh_index_grad){.kind = TSH_GI_WHERE, .idx = cond, .src = b}, out);
}

tsh_status tsh_nonzero(tsh_tensor *t, tsh_tensor **out)
{
    tsh_tensor *b = NULL, *o = NULL;
    int64_t shape[2] = {0, t->ndim};
    tsh_status st = tsh_to_dtype(t, TSH_BOOL, &b);
    if (st == TSH_OK) st = count_true(b, &shape[0]);
    if (st == TSH_OK) st = tsh_tensor_empty(2, shape, TSH_I64, t->storage->device, &o);
    if (st == TSH_OK && shape[0] > 0 && t->ndim > 0) {
        tsh_kargs a = {.out = o, .in = {b}};
        st = tsh_dispatch(TSH_OP_NONZERO, &a);
    }
    tsh_tensor_release(b);
    if (st != TSH_OK) { tsh_tensor_release(o); return st; }
    *out = o;
    return TSH_OK;
}

/* ---- the indexing syntax ---- */

static tsh_status out_of_range(int64_t given, int dim, int64_t size)
{
    return tsh_fail(TSH_ERR_INDEX, "index %lld is out of range for dim %d of size %lld%s", (long long)given,
                    dim + 1, (long long)size, given == 0 ? " (indices are 1-based; -1 is the last)" : "");
}

/* One range entry on dim of cur; k is the entry's dim in the indexed tensor. */
static tsh_status apply_range(tsh_tensor *cur, int dim, int k, const tsh_index_spec *s, tsh_tensor **out)
{
    int64_t size = cur->shape[dim];
    int64_t a = s->start < 0 ? s->start + size + 1 : s->start, b = s->end < 0 ? s->end + size + 1 : s->end;
    if (s->step < 1)
        return tsh_fail(TSH_ERR_ARG, "range step must be positive, got %lld", (long long)s->step);
    if (s->start == s->end && (a < 1 || a > size)) return out_of_range(s->start, k, size);
    if (a < 1 || a > size + 1 || b < 0 || b > size || (s->end < 0 && b < 1))
        return tsh_fail(TSH_ERR_INDEX, "range %lld..%lld is out of range for dim %d of size %lld%s",
                        (long long)s->start, (long long)s->end, k + 1, (long long)size,
                        s->start == 0 ? " (indices are 1-based)" : "");
    if (b < a - 1)
        return tsh_fail(TSH_ERR_INDEX, "range %lld..%lld runs backwards for dim %d of size %lld "
                        "(ranges are inclusive: {first, last})",
                        (long long)s->start, (long long)s->end, k + 1, (long long)size);
    /* a step past the range picks only its first position; capping it keeps
     * the length arithmetic in tsh_slice from overflowing */
    int64_t step = s->step > size ? (size > 0 ? size : 1) : s->step;
    return tsh_slice(cur, dim, a - 1, b, step, out);
}

/* Applies the entries that make views (positions and ranges) and finds the
 * index tensor, if any: its dim in the view (*at, -1 for none) and its entry
 * number (*entry), which is also its dim in t. */
static tsh_status apply_views(tsh_tensor *t, int n, const tsh_index_spec *s, tsh_tensor **out, int *at,
                              int *entry)
{
    if (t->ndim == 0 && n > 0)
        return tsh_fail(TSH_ERR_INDEX, "cannot index a 0-d tensor (item() gives its value)");
    if (n > t->ndim) return tsh_fail(TSH_ERR_INDEX, "too many indices for a %d-d tensor: got %d", t->ndim, n);
    tsh_tensor *cur = tsh_tensor_retain(t);
    tsh_status st = TSH_OK;
    int dim = 0;
    *at = -1;
    for (int k = 0; k < n && st == TSH_OK; k++) {
        tsh_tensor *nx = NULL;
        int64_t size = cur->shape[dim], i = s[k].start < 0 ? s[k].start + size + 1 : s[k].start;
        switch (s[k].kind) {
        case TSH_INDEX_AT:
            st = i < 1 || i > size ? out_of_range(s[k].start, k, size) : tsh_select(cur, dim, i - 1, &nx);
            break;
        case TSH_INDEX_RANGE: st = apply_range(cur, dim++, k, &s[k], &nx); break;
        case TSH_INDEX_ALL: dim++; break;
        case TSH_INDEX_TENSOR:
            if (s[k].idx->dtype == TSH_BOOL)
                st = tsh_fail(TSH_ERR_INDEX, "a bool mask must be the only index (it was entry %d of %d)", k + 1, n);
            else if (*at >= 0)
                st = tsh_fail(TSH_ERR_INDEX, "only one index tensor per index is supported (entries %d and %d)",
                              *entry + 1, k + 1);
            *at = dim++;
            *entry = k;
            break;
        }
        if (nx) {
            tsh_tensor_release(cur);
            cur = nx;
        }
    }
    if (st != TSH_OK) { tsh_tensor_release(cur); return st; }
    *out = cur;
    return TSH_OK;
}

/* v's shape with dim `at` replaced by idx's shape (what t[idx] yields). */
static tsh_status taken_shape(const tsh_tensor *v, int at, const tsh_tensor *idx, int *nd, int64_t *shape)
{
    *nd = v->ndim - 1 + idx->ndim;
    if (*nd > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "indexing with a %d-d index tensor would make %d dims (at most %d)",
                        idx->ndim, *nd, TSH_MAX_DIMS);
    int w = 0;
    for (int d = 0; d < v->ndim; d++) {
        if (d != at) { shape[w++] = v->shape[d]; continue; }
        for (int e = 0; e < idx->ndim; e++) shape[w++] = idx->shape[e];
    }
    return TSH_OK;
}

/* The checked index tensor as a flat 1-d int64. */
static tsh_status flat_index(tsh_tensor *v, int at, tsh_tensor *idx, int entry, tsh_tensor **out)
{
    tsh_tensor *ts[2] = {v, idx}, *h;
    TSH_TRY(tsh_check_same_device("index", 2, ts));
    TSH_TRY(tsh_idx_checked(NULL, idx, entry, v->shape[at], &h));
    int64_t n = tsh_numel(h), one = 1;
    tsh_status st = tsh_tensor_view(h, 1, &n, &one, h->offset, out);
    tsh_tensor_release(h);
    return st;
}

/* The mask over t's leading dims, expanded to t's shape, and its count. */
static tsh_status lead_mask(tsh_tensor *t, tsh_tensor *mask, tsh_tensor **me, int64_t *count)
{
    char a[128], b[128];
    tsh_tensor *ts[2] = {t, mask}, *mv;
    TSH_TRY(tsh_check_same_device("index", 2, ts));
    bool ok = mask->ndim <= t->ndim;
    for (int d = 0; ok && d < mask->ndim; d++) ok = mask->shape[d] == t->shape[d];
    if (!ok)
        return tsh_fail(TSH_ERR_SHAPE, "mask of shape %s does not match the indexed tensor's shape %s%s",
                        tsh_shape_str(a, sizeof a, mask->ndim, mask->shape),
                        tsh_shape_str(b, sizeof b, t->ndim, t->shape),
                        mask->ndim <= t->ndim ? " (it must equal its leading dims)" : "");
    int64_t shape[TSH_MAX_DIMS], stride[TSH_MAX_DIMS] = {0};
    memcpy(shape, t->shape, sizeof shape);
    for (int d = 0; d < t->ndim; d++) {
        if (d >= mask->ndim) shape[d] = 1;
        else stride[d] = mask->stride[d];
    }
    TSH_TRY(count_true(mask, count));
    TSH_TRY(tsh_tensor_view(mask, t->ndim, shape, stride, mask->offset, &mv));
    tsh_status st = tsh_expand(mv, t->ndim, t->shape, me);
    tsh_tensor_release(mv);
    return st;
}

static tsh_status mask_get(tsh_tensor *t, tsh_tensor *mask, tsh_tensor **out)
{
    tsh_tensor *me, *o = NULL;
    int64_t count, shape[TSH_MAX_DIMS];
    int nd = 1 + t->ndim - mask->ndim;
    if (nd > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "a 0-d mask on a %d-d tensor would make %d dims", t->ndim, nd);
    TSH_TRY(lead_mask(t, mask, &me, &count));
    int64_t rest = tsh_shape_numel(t->ndim - mask->ndim, t->shape + mask->ndim), n = count * rest;
    shape[0] = count;
    memcpy(shape + 1, t->shape + mask->ndim, sizeof(int64_t) * (size_t)(nd - 1));
    tsh_status st = tsh_tensor_empty(1, &n, t->dtype, t->storage->device, &o);
    if (st == TSH_OK) {
        tsh_kargs a = {.out = o, .in = {t, me}};
        st = tsh_dispatch(TSH_OP_MASKED_SELECT, &a);
    }
    bool was = tsh_grad_pause(); /* a view of a new tensor, not of t */
    if (st == TSH_OK) st = tsh_view(o, nd, shape, out);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && tsh_ag_needed(1, &t))
        st = tsh_grad_index_record(t, &(tsh_index_grad){.kind = TSH_GI_MASK_GET, .idx = me}, out);
    tsh_tensor_release(me);
    tsh_tensor_release(o);
    return st;
}

tsh_status tsh_index_get(tsh_tensor *t, int n, const tsh_index_spec *s, tsh_tensor **out)
{
    if (n == 1 && s[0].kind == TSH_INDEX_TENSOR && s[0].idx->dtype == TSH_BOOL) return mask_get(t, s[0].idx, out);
    tsh_tensor *v, *flat = NULL, *sel = NULL;
    int at, entry, nd;
    int64_t shape[TSH_MAX_DIMS];
    TSH_TRY(apply_views(t, n, s, &v, &at, &entry));
    if (at < 0) {
        *out = v;
        return TSH_OK;
    }
    tsh_tensor *idx = s[entry].idx;
    tsh_status st = taken_shape(v, at, idx, &nd, shape);
    if (st == TSH_OK) st = flat_index(v, at, idx, entry, &flat);
    if (st == TSH_OK) st = tsh_idx_select_raw(v, at, flat, &sel);
    bool was = tsh_grad_pause(); /* a view of a new tensor, not of t */
    if (st == TSH_OK) st = tsh_view(sel, nd, shape, out);
    tsh_set_grad_enabled(was);
    if (st == TSH_OK && tsh_ag_needed(1, &v))
        st = tsh_grad_index_record(v, &(tsh_index_grad){.kind = TSH_GI_INDEX, .dim = at, .idx = flat}, out);
    tsh_tensor_release(v);
    tsh_tensor_release(flat);
    tsh_tensor_release(sel);
    return st;
}

/* value converted to dt and broadcast to shape, or a message saying why not. */
static tsh_status value_to(tsh_tensor *value, tsh_dtype dt, int nd, const int64_t *shape, tsh_tensor **out)
{
    if (!fits(value, nd, shape)) {
        char a[128], b[128];
        return tsh_fail(TSH_ERR_SHAPE, "cannot assign a tensor of shape %s to an index of shape %s",
                        tsh_shape_str(a, sizeof a, value->ndim, value->shape), tsh_shape_str(b, sizeof b, nd, shape));
    }
    tsh_tensor *c;
    TSH_TRY(tsh_to_dtype(value, dt, &c));
    tsh_status st = tsh_expand(c, nd, shape, out);
    tsh_tensor_release(c);
    return st;
}

static tsh_status mask_set(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *value)
{
    tsh_tensor *me, *e = NULL;
    int64_t count, shape[TSH_MAX_DIMS];
    TSH_TRY(lead_mask(t, mask, &me, &count));
    int nd = 1 + t->ndim - mask->ndim;
    shape[0] = count;
    if (nd <= TSH_MAX_DIMS) memcpy(shape + 1, t->shape + mask->ndim, sizeof(int64_t) * (size_t)(nd - 1));
    tsh_index_grad g = {.kind = TSH_GI_MASK_PUT, .idx = me, .src = value, .ndim = nd};
    memcpy(g.shape, shape, sizeof g.shape);
    tsh_node *node = NULL;
    tsh_status st = nd > TSH_MAX_DIMS && value->ndim ? tsh_fail(TSH_ERR_SHAPE, "too many dims") : TSH_OK;
    if (st == TSH_OK && value->ndim) st = value_to(value, t->dtype, nd, shape, &e); /* shape errors first */
    if (st == TSH_OK) st = tsh_grad_index_begin("index_put_", t, &g, &node);
    bool was = node ? tsh_grad_pause() : tsh_grad_enabled();
    if (st == TSH_OK)
        st = value->ndim == 0 ? masked_fill_raw("index", t, me, value) : masked_scatter_raw("index", t, me, tsh_numel(e), e);
    tsh_set_grad_enabled(was);
    tsh_tensor_release(me);
    tsh_tensor_release(e);
    return tsh_grad_index_end(t, node, st);
}

/* t[...] = value on a view: a Lua number fills, a tensor is broadcast. */
static tsh_status assign(tsh_tensor *v, tsh_tensor *value)
{
    if (value->wrapped) {
        double f;
        int64_t i;
        TSH_TRY(tsh_idx_fill_value("index", value, v->dtype, &f, &i));
        return tsh_dtype_is_float(v->dtype) ? tsh_fill_(v, f) : tsh_fill_int_(v, i);
    }
    if (!fits(value, v->ndim, v->shape)) {
        char a[128], b[128];
        return tsh_fail(TSH_ERR_SHAPE, "cannot assign a tensor of shape %s to an index of shape %s",
                        tsh_shape_str(a, sizeof a, value->ndim, value->shape),
                        tsh_shape_str(b, sizeof b, v->ndim, v->shape));
    }
    return tsh_copy_(v, value); /* casts and broadcasts; records for autograd */
}

/* v[.., idx, ..] = value at dim `at`: index_fill_ for a number, else
 * index_copy_ of the value broadcast to what v[.., idx, ..] would be. */
static tsh_status put_index(tsh_tensor *v, int at, tsh_tensor *idx, int entry, tsh_tensor *value)
{
    tsh_tensor *flat, *e = NULL, *src = NULL, *ie = NULL;
    int64_t shape[TSH_MAX_DIMS];
    int nd;
    TSH_TRY(flat_index(v, at, idx, entry, &flat));
    tsh_node *node = NULL;
    tsh_index_grad g = {.kind = TSH_GI_INDEX_PUT, .dim = at, .idx = flat, .src = value};
    tsh_status st = taken_shape(v, at, idx, &g.ndim, g.shape);
    bool was = tsh_grad_enabled();
    if (value->ndim == 0) {
        double f;
        int64_t i;
        if (st == TSH_OK) st = tsh_idx_fill_value("index", value, v->dtype, &f, &i);
        if (st == TSH_OK) st = tsh_grad_index_begin("index_put_", v, &g, &node);
        if (node) tsh_grad_pause();
        if (st == TSH_OK) st = tsh_idx_fill_raw(v, at, flat, value);
    } else {
        nd = g.ndim;
        memcpy(shape, g.shape, sizeof shape);
        if (st == TSH_OK) st = value_to(value, v->dtype, nd, shape, &e);
        if (st == TSH_OK) st = tsh_grad_index_begin("index_put_", v, &g, &node);
        if (node) tsh_grad_pause();
        memcpy(shape, v->shape, sizeof shape);
        shape[at] = tsh_numel(flat);
        if (st == TSH_OK) st = tsh_reshape(e, v->ndim, shape, &src);
        if (st == TSH_OK) st = tsh_idx_spread(flat, src, at, &ie);
        if (st == TSH_OK) st = tsh_idx_run(TSH_OP_SCATTER, v, src, ie, at, TSH_SCATTER_SET, 1, 1);
    }
    tsh_set_grad_enabled(was);
    st = tsh_grad_index_end(v, node, st);
    tsh_tensor_release(flat);
    tsh_tensor_release(e);
    tsh_tensor_release(src);
    tsh_tensor_release(ie);
    return st;
}

tsh_status tsh_index_set(tsh_tensor *t, int n, const tsh_index_spec *s, tsh_tensor *value)
{
    tsh_tensor *ts[2] = {t, value}, *v;
    int at, entry;
    TSH_TRY(tsh_check_same_device("index", 2, ts));
    if (n == 1 && s[0].kind == TSH_INDEX_TENSOR && s[0].idx->dtype == TSH_BOOL) return mask_set(t, s[0].idx, value);
    TSH_TRY(apply_views(t, n, s, &v, &at, &entry));
    tsh_status st = at < 0 ? assign(v, value) : put_index(v, at, s[entry].idx, entry, value);
    tsh_tensor_release(v);
    return st;
}
