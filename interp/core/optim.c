/* optim.c: the front end of the fused optimizer updates: checks that the
 * parameter, gradient and buffer agree, then one kernel call. */
#include "optim.h"

#include "backend.h"
#include "front.h"

/* t agrees with parameter p: shape, dtype, device. */
static tsh_status check_like(const char *what, const tsh_tensor *p, const tsh_tensor *t)
{
    char a[128], b[128];
    if (!tsh_same_shape(p, t))
        return tsh_fail(TSH_ERR_SHAPE, "sgd_update: %s has shape %s, the parameter %s", what,
                        tsh_shape_str(a, sizeof a, t->ndim, t->shape), tsh_shape_str(b, sizeof b, p->ndim, p->shape));
    if (t->dtype != p->dtype)
        return tsh_fail(TSH_ERR_DTYPE, "sgd_update: %s is %s, the parameter %s", what, tsh_dtype_name(t->dtype),
                        tsh_dtype_name(p->dtype));
    tsh_tensor *ts[2] = {(tsh_tensor *)p, (tsh_tensor *)t};
    return tsh_check_same_device("sgd_update", 2, ts);
}

tsh_status tsh_sgd_update(tsh_tensor *p, tsh_tensor *g, tsh_tensor *buf, const tsh_sgd_opts *o)
{
    if (p->dtype != TSH_F32 && p->dtype != TSH_F64)
        return tsh_fail(TSH_ERR_DTYPE, "sgd_update: float32 or float64 parameters only, got %s", tsh_dtype_name(p->dtype));
    TSH_TRY(check_like("the gradient", p, g));
    if (buf) TSH_TRY(check_like("the momentum buffer", p, buf));
    if (!tsh_is_contiguous(p) || (buf && !tsh_is_contiguous(buf)))
        return tsh_fail(TSH_ERR_ARG, "sgd_update: the parameter and its momentum buffer must be contiguous");
    if (buf && buf->storage == p->storage)
        return tsh_fail(TSH_ERR_ARG, "sgd_update: the momentum buffer shares the parameter's storage");
    tsh_tensor *gc = NULL;
    TSH_TRY(tsh_contiguous(g, &gc));
    tsh_kargs a = {.out = p, .out2 = buf, .in = {gc},
                   .f = {o->lr, o->momentum, o->dampening, o->weight_decay},
                   .i = {(o->nesterov ? 1 : 0) | (o->maximize ? 2 : 0) | (o->first ? 4 : 0)}};
    tsh_status st = tsh_dispatch(TSH_OP_SGD_UPDATE, &a);
    tsh_tensor_release(gc);
    return st;
}
