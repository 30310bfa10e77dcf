/* ref/index.c: reference kernels for indexing and selection (index_select,
 * gather, scatter, index_add, masked fill/select/scatter, where, nonzero).
 * One element at a time through coordinates, in double or int64: the test
 * oracle. Indices arrive 1-based and already checked by the front end. */
#include "ref.h"

/* Row-major coordinates of linear index i over shape. */
static void unravel(int ndim, const int64_t *shape, int64_t i, int64_t *c)
{
    for (int d = ndim - 1; d >= 0; d--) {
        c[d] = shape[d] ? i % shape[d] : 0;
        i = shape[d] ? i / shape[d] : 0;
    }
}

static char *at(const tsh_tensor *t, const int64_t *c)
{
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) off += c[d] * t->stride[d];
    return tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype);
}

/* One element from p (dtype of x) to q (dtype of o): integers through
 * int64 so large values stay exact, floats through double. */
static void move(const tsh_tensor *o, char *q, const tsh_tensor *x, const char *p)
{
    if (tsh_ref_isint(o->dtype) && tsh_ref_isint(x->dtype)) tsh_store_i64(o->dtype, q, tsh_load_i64(x->dtype, p));
    else tsh_store_f64(o->dtype, q, tsh_load_f64(x->dtype, p));
}

static int64_t index_at(const tsh_tensor *idx, const int64_t *c)
{
    return tsh_load_i64(TSH_I64, at(idx, c)) - 1;
}

/* *q = *q (mode) alpha * *p with mode 1 add, 2 multiply, in the dtype of
 * t. Integers wrap as two's complement (through uint64, never signed
 * overflow); bool's store makes add an "or" and multiply an "and". */
static void combine(const tsh_tensor *t, char *q, const char *p, int mode, double fa, int64_t ia)
{
    if (tsh_ref_isint(t->dtype)) {
        uint64_t a = (uint64_t)tsh_load_i64(t->dtype, q), b = (uint64_t)tsh_load_i64(t->dtype, p);
        uint64_t r = mode == 1 ? a + (uint64_t)ia * b : a * b;
        if (t->dtype == TSH_BOOL) r = mode == 1 ? (a | b) : (a & b);
        tsh_store_i64(t->dtype, q, (int64_t)r);
    } else {
        double a = tsh_load_f64(t->dtype, q), b = tsh_load_f64(t->dtype, p);
        tsh_store_f64(t->dtype, q, mode == 1 ? a + fa * b : a * b);
    }
}

static tsh_status ref_index_select(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0], *idx = a->in[1];
    int dim = (int)a->i[0];
    int64_t n = tsh_numel(o), c[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(o->ndim, o->shape, i, c);
        char *q = at(o, c);
        c[dim] = tsh_load_i64(TSH_I64, tsh_ref_ptr(idx, c[dim])) - 1;
        move(o, q, x, at(x, c));
    }
    return TSH_OK;
}

static tsh_status ref_gather(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0], *idx = a->in[1];
    int dim = (int)a->i[0];
    int64_t n = tsh_numel(o), c[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(o->ndim, o->shape, i, c);
        char *q = at(o, c);
        c[dim] = index_at(idx, c);
        move(o, q, x, at(x, c));
    }
    return TSH_OK;
}

static tsh_status ref_scatter(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *src = a->in[0], *idx = a->in[1];
    int dim = (int)a->i[0], mode = (int)a->i[1];
    int64_t n = tsh_numel(idx), c[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(idx->ndim, idx->shape, i, c);
        const char *p = at(src, c);
        c[dim] = index_at(idx, c);
        if (mode == 0) move(o, at(o, c), src, p);
        else combine(o, at(o, c), p, mode, 1.0, 1);
    }
    return TSH_OK;
}

static tsh_status ref_index_add(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *src = a->in[0], *idx = a->in[1];
    int dim = (int)a->i[0];
    int64_t n = tsh_numel(src), c[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(src->ndim, src->shape, i, c);
        const char *p = at(src, c);
        c[dim] = tsh_load_i64(TSH_I64, tsh_ref_ptr(idx, c[dim])) - 1;
        combine(o, at(o, c), p, 1, a->f[0], a->i[1]);
    }
    return TSH_OK;
}

/* Each element whose position along dim is one of the indices. */
static tsh_status ref_index_fill(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *idx = a->in[0];
    int dim = (int)a->i[0];
    int64_t n = tsh_numel(o), k = tsh_numel(idx), c[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(o->ndim, o->shape, i, c);
        bool hit = false;
        for (int64_t j = 0; j < k && !hit; j++) hit = tsh_load_i64(TSH_I64, tsh_ref_ptr(idx, j)) - 1 == c[dim];
        if (!hit) continue;
        if (tsh_ref_isint(o->dtype)) tsh_ref_seti(o, i, a->i[1]);
        else tsh_ref_set(o, i, a->f[0]);
    }
    return TSH_OK;
}

static tsh_status ref_masked_fill(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *mask = a->in[0];
    int64_t n = tsh_numel(o);
    for (int64_t i = 0; i < n; i++) {
        if (!tsh_ref_geti(mask, i)) continue;
        if (tsh_ref_isint(o->dtype)) tsh_ref_seti(o, i, a->i[0]);
        else tsh_ref_set(o, i, a->f[0]);
    }
    return TSH_OK;
}

static tsh_status ref_where(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    int64_t n = tsh_numel(o);
    for (int64_t i = 0; i < n; i++) {
        const tsh_tensor *x = tsh_ref_geti(a->in[0], i) ? a->in[1] : a->in[2];
        move(o, tsh_ref_ptr(o, i), x, tsh_ref_ptr(x, i));
    }
    return TSH_OK;
}

static tsh_status ref_masked_select(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0], *mask = a->in[1];
    int64_t n = tsh_numel(x), k = 0;
    for (int64_t i = 0; i < n; i++)
        if (tsh_ref_geti(mask, i)) move(o, tsh_ref_ptr(o, k++), x, tsh_ref_ptr(x, i));
    return TSH_OK;
}

static tsh_status ref_masked_scatter(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *mask = a->in[0], *src = a->in[1];
    int64_t n = tsh_numel(o), k = 0;
    for (int64_t i = 0; i < n; i++)
        if (tsh_ref_geti(mask, i)) move(o, tsh_ref_ptr(o, i), src, tsh_ref_ptr(src, k++));
    return TSH_OK;
}

static tsh_status ref_nonzero(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0];
    int64_t n = tsh_numel(x), row = 0, c[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        if (!tsh_ref_geti(x, i)) continue;
        unravel(x->ndim, x->shape, i, c);
        for (int d = 0; d < x->ndim; d++) tsh_ref_seti(o, row * x->ndim + d, c[d] + 1);
        row++;
    }
    return TSH_OK;
}

void tsh_ref_register_index(tsh_kernel_fn *k)
{
    k[TSH_OP_INDEX_SELECT] = ref_index_select;
    k[TSH_OP_GATHER] = ref_gather;
    k[TSH_OP_SCATTER] = ref_scatter;
    k[TSH_OP_INDEX_ADD] = ref_index_add;
    k[TSH_OP_INDEX_FILL] = ref_index_fill;
    k[TSH_OP_MASKED_FILL] = ref_masked_fill;
    k[TSH_OP_WHERE] = ref_where;
    k[TSH_OP_MASKED_SELECT] = ref_masked_select;
    k[TSH_OP_MASKED_SCATTER] = ref_masked_scatter;
    k[TSH_OP_NONZERO] = ref_nonzero;
}
