/* ref/shape.c: reference kernels for the shape ops that move elements:
 * flip, and the triangle masks tril/triu. One element at a time from the
 * multi-index; every dtype, since nothing is computed (integers go through
 * int64, floats through double, both exact). cat, stack, repeat and the
 * rest are views and copies in the front end and have no kernel. */
#include "ref.h"

static void unravel(const tsh_tensor *t, int64_t i, int64_t *idx)
{
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = i % t->shape[d];
        i /= t->shape[d];
    }
}

static char *at(const tsh_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
    return tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype);
}

static void move(const tsh_tensor *o, char *po, const tsh_tensor *x, const char *px)
{
    if (tsh_ref_isint(o->dtype)) tsh_store_i64(o->dtype, po, tsh_load_i64(x->dtype, px));
    else tsh_store_f64(o->dtype, po, tsh_load_f64(x->dtype, px));
}

/* out[idx] = in0[idx with idx[d] -> size-1-idx[d] for each d in mask i[0]] */
static tsh_status ref_flip(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0];
    int64_t n = tsh_numel(o), idx[TSH_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(o, i, idx);
        char *po = at(o, idx);
        for (int d = 0; d < o->ndim; d++)
            if (a->i[0] & ((int64_t)1 << d)) idx[d] = o->shape[d] - 1 - idx[d];
        move(o, po, x, at(x, idx));
    }
    return TSH_OK;
}

/* out[..., r, c] = in0[..., r, c] where (tril) c - r <= k, (triu) c - r >= k,
 * else 0. out may be in0 itself (tril_): each element is read, then written. */
static tsh_status ref_tri(tsh_op op, const tsh_kargs *a)
{
    const tsh_tensor *o = a->out, *x = a->in[0];
    int64_t n = tsh_numel(o), idx[TSH_MAX_DIMS], k = a->i[0];
    int nd = o->ndim;
    for (int64_t i = 0; i < n; i++) {
        unravel(o, i, idx);
        int64_t diff = idx[nd - 1] - idx[nd - 2];
        bool keep = op == TSH_OP_TRIL ? diff <= k : diff >= k;
        char *po = at(o, idx);
        if (keep) move(o, po, x, at(x, idx));
        else if (tsh_ref_isint(o->dtype)) tsh_store_i64(o->dtype, po, 0);
        else tsh_store_f64(o->dtype, po, 0.0);
    }
    return TSH_OK;
}

void tsh_ref_register_shape(tsh_kernel_fn *k)
{
    k[TSH_OP_FLIP] = ref_flip;
    k[TSH_OP_TRIL] = ref_tri;
    k[TSH_OP_TRIU] = ref_tri;
}
