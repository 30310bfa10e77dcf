/* ref/copy.c: reference copy (with dtype conversion) and fill. */
#include "ref.h"

static tsh_status ref_copy(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0];
    int64_t n = tsh_numel(o);
    bool ints = tsh_ref_isint(o->dtype) && tsh_ref_isint(x->dtype);
    for (int64_t i = 0; i < n; i++) {
        if (ints) tsh_ref_seti(o, i, tsh_ref_geti(x, i));
        else if (tsh_ref_isint(o->dtype) && !tsh_ref_isint(x->dtype))
            tsh_ref_seti(o, i, o->dtype == TSH_BOOL ? tsh_ref_get(x, i) != 0 : tsh_ref_geti(x, i));
        else tsh_ref_set(o, i, tsh_ref_get(x, i));
    }
    return TSH_OK;
}

static tsh_status ref_fill(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    int64_t n = tsh_numel(o);
    for (int64_t i = 0; i < n; i++) {
        if (tsh_ref_isint(o->dtype)) tsh_ref_seti(o, i, a->i[0]);
        else tsh_ref_set(o, i, a->f[0]);
    }
    return TSH_OK;
}

void tsh_ref_register_copy(tsh_kernel_fn *k)
{
    k[TSH_OP_COPY] = ref_copy;
    k[TSH_OP_FILL] = ref_fill;
}
