/* ref/linalg.c: the reference GEMM, the oracle for the OpenBLAS path: one
 * dot product per output element, read straight from the strides, summed in
 * double (float dtypes) or in wrapping 64-bit integers (integer and bool
 * dtypes). Not for speed, and it validates nothing (the front end did). */
#include "ref.h"

static char *elem3(const tsh_tensor *t, int64_t b, int64_t i, int64_t j)
{
    int64_t off = b * t->stride[0] + i * t->stride[1] + j * t->stride[2];
    return tsh_data(t) + off * (int64_t)tsh_dtype_size(t->dtype);
}

/* out[b] = alpha * x[b] @ y[b] + beta * out[b]; out is not read when beta is
 * 0 (so NaN there does not leak through) and the product is not formed when
 * alpha is 0, as BLAS does. Integer dtypes take alpha and beta truncated to
 * integers, as PyTorch does, and wrap on overflow; bool is "any(x & y)". */
static tsh_status ref_gemm(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0], *y = a->in[1];
    int64_t nb = o->shape[0], m = o->shape[1], n = o->shape[2], k = x->shape[2];
    tsh_dtype dt = o->dtype;
    bool ints = tsh_ref_isint(dt);
    double alpha = a->f[0], beta = a->f[1];
    /* saturating double -> int64 (a plain cast is undefined out of range) */
    uint64_t ialpha = (uint64_t)tsh_load_i64(TSH_F64, &alpha);
    uint64_t ibeta = (uint64_t)tsh_load_i64(TSH_F64, &beta);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                char *po = elem3(o, b, i, j);
                if (ints) {
                    uint64_t acc = 0;
                    for (int64_t p = 0; p < k && ialpha; p++)
                        acc += (uint64_t)tsh_load_i64(dt, elem3(x, b, i, p)) *
                               (uint64_t)tsh_load_i64(dt, elem3(y, b, p, j));
                    uint64_t v = ialpha * acc;
                    if (ibeta) v += ibeta * (uint64_t)tsh_load_i64(dt, po);
                    tsh_store_i64(dt, po, (int64_t)v);
                } else {
                    double acc = 0;
                    for (int64_t p = 0; p < k && alpha != 0; p++)
                        acc += tsh_load_f64(dt, elem3(x, b, i, p)) * tsh_load_f64(dt, elem3(y, b, p, j));
                    double v = alpha * acc;
                    if (beta != 0) v += beta * tsh_load_f64(dt, po);
                    tsh_store_f64(dt, po, v);
                }
            }
    return TSH_OK;
}

void tsh_ref_register_linalg(tsh_kernel_fn *k)
{
    k[TSH_OP_GEMM] = ref_gemm;
}
