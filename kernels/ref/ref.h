/* ref.h: helpers for the reference kernels. Reference kernels are the test
 * oracle: one element at a time, in double or int64, with no cleverness, so
 * that they are obviously right. Speed does not matter here. */
#ifndef TSH_REF_H
#define TSH_REF_H

#include "../kernels.h"

/* Element offset (in elements, from tsh_data(t)) of the linear index i in
 * row-major order over t's shape. */
static inline int64_t tsh_ref_offset(const tsh_tensor *t, int64_t i)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t s = t->shape[d];
        if (s == 0) return 0;
        off += (i % s) * t->stride[d];
        i /= s;
    }
    return off;
}

static inline char *tsh_ref_ptr(const tsh_tensor *t, int64_t i)
{
    return tsh_data(t) + tsh_ref_offset(t, i) * (int64_t)tsh_dtype_size(t->dtype);
}

static inline double tsh_ref_get(const tsh_tensor *t, int64_t i)
{
    return tsh_load_f64(t->dtype, tsh_ref_ptr(t, i));
}

static inline int64_t tsh_ref_geti(const tsh_tensor *t, int64_t i)
{
    return tsh_load_i64(t->dtype, tsh_ref_ptr(t, i));
}

static inline void tsh_ref_set(const tsh_tensor *t, int64_t i, double v)
{
    tsh_store_f64(t->dtype, tsh_ref_ptr(t, i), v);
}

static inline void tsh_ref_seti(const tsh_tensor *t, int64_t i, int64_t v)
{
    tsh_store_i64(t->dtype, tsh_ref_ptr(t, i), v);
}

/* Integer dtypes go through int64 so that values past 2^53 stay exact. */
static inline bool tsh_ref_isint(tsh_dtype dt) { return !tsh_dtype_is_float(dt); }

#endif
