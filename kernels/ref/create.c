/* ref/create.c: reference kernels for arange, linspace/logspace and the
 * random ops. One element at a time, in double or int64; each random element
 * is computed on its own from the accessors of random.h (which Philox block,
 * which words), so the fast kernels' batching is checked against a plain
 * reading of the layout. Not for speed. */
#include <math.h>

#include "../../interp/core/random.h"
#include "ref.h"

static tsh_status ref_arange(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    int64_t n = tsh_numel(o);
    for (int64_t k = 0; k < n; k++) {
        if (tsh_ref_isint(o->dtype)) /* wrapping arithmetic: the true value fits */
            tsh_ref_seti(o, k, (int64_t)((uint64_t)a->i[0] + (uint64_t)k * (uint64_t)a->i[1]));
        else
            tsh_ref_set(o, k, a->f[0] + (double)k * a->f[1]);
    }
    return TSH_OK;
}

static tsh_status ref_linspace(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    int64_t n = tsh_numel(o);
    double s = a->f[0], e = a->f[1], step = n > 1 ? (e - s) / (double)(n - 1) : 0;
    for (int64_t k = 0; k < n; k++) {
        /* from the start for the first half, from the end for the second,
         * so that both ends are exact */
        double v = n == 1 ? s : k < n / 2 ? s + step * (double)k : e - step * (double)(n - 1 - k);
        if (a->i[0]) v = pow(a->f[2], v);
        tsh_ref_set(o, k, v);
    }
    return TSH_OK;
}

static tsh_status ref_uniform(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    uint64_t seed = (uint64_t)a->i[0], base = (uint64_t)a->i[1];
    int64_t n = tsh_numel(o);
    for (int64_t k = 0; k < n; k++) {
        if (o->dtype == TSH_F64)
            tsh_ref_set(o, k, tsh_rand_uniform_f64(tsh_rand_unit_f64(tsh_rand_bits64(seed, base, k)), a->f[0], a->f[1]));
        else
            tsh_ref_set(o, k, tsh_rand_uniform_f32(tsh_rand_unit_f32(tsh_rand_bits32(seed, base, k), (int)a->i[2]), a->f[0], a->f[1]));
    }
    return TSH_OK;
}

static tsh_status ref_normal(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out;
    uint64_t seed = (uint64_t)a->i[0], base = (uint64_t)a->i[1];
    int64_t n = tsh_numel(o);
    for (int64_t k = 0; k < n; k++) {
        uint32_t w[4];
        double z0, z1;
        tsh_philox_block(seed, base + (uint64_t)k / 2, w);
        tsh_rand_normal_pair(w, &z0, &z1);
        tsh_ref_set(o, k, a->f[0] + a->f[1] * (k % 2 ? z1 : z0));
    }
    return TSH_OK;
}

static tsh_status ref_randint(tsh_op op, const tsh_kargs *a)
{
    const tsh_tensor *o = a->out;
    uint64_t seed = (uint64_t)a->i[0], base = (uint64_t)a->i[1];
    uint64_t low = (uint64_t)a->i[2], r = (uint64_t)a->i[3] - low;
    int per = tsh_rand_per_block(op, o->dtype, r);
    int64_t n = tsh_numel(o);
    for (int64_t k = 0; k < n; k++) {
        uint64_t v;
        if (per == 2) {
            v = tsh_rand_below64(tsh_rand_bits64(seed, base, k), r);
        } else {
            uint32_t w[4];
            tsh_philox_block(seed, base + (uint64_t)k, w);
            v = tsh_rand_below128(w, r);
        }
        tsh_ref_seti(o, k, (int64_t)(low + v));
    }
    return TSH_OK;
}

static tsh_status ref_bernoulli(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *p = a->in[0];
    uint64_t seed = (uint64_t)a->i[0], base = (uint64_t)a->i[1];
    int64_t n = tsh_numel(o);
    for (int64_t k = 0; k < n; k++) {
        double u = tsh_rand_unit_f64(tsh_rand_bits64(seed, base, k));
        tsh_ref_seti(o, k, u < (p ? tsh_ref_get(p, k) : a->f[0]));
    }
    return TSH_OK;
}

void tsh_ref_register_create(tsh_kernel_fn *k)
{
    k[TSH_OP_ARANGE] = ref_arange;
    k[TSH_OP_LINSPACE] = ref_linspace;
    k[TSH_OP_RAND_UNIFORM] = ref_uniform;
    k[TSH_OP_RAND_NORMAL] = ref_normal;
    k[TSH_OP_RANDINT] = ref_randint;
    k[TSH_OP_BERNOULLI] = ref_bernoulli;
}
