/* cpu/optim.c: optimizer updates in one pass over each parameter, where
 * the composed form makes three to five (the gradient, the buffer and the
 * parameter are each read once, the last two written once). Chunks of
 * elements run in parallel; each element's arithmetic is the one ref/optim.c
 * writes in double, done here in the parameter's dtype. */
#include "../kernels.h"
#include "iter.h"

/* The four loops of SGD for one way of forming d from the gradient (with
 * or without weight decay). The options are loop-invariant: each case is
 * its own branch-free loop, so every loop vectorises. */
#define SGD_LOOPS(T, D)                                                                                   \
    do {                                                                                                \
        if (!buf)                                                                                       \
            for (int64_t k = 0; k < n; k++) p[k] -= lr * (D);                                           \
        else if (first)                                                                                 \
            for (int64_t k = 0; k < n; k++) {                                                           \
                T d = D;                                                                                \
                buf[k] = d;                                                                             \
                p[k] -= lr * (d + nest * d);                                                            \
            }                                                                                           \
        else if (nest != 0)                                                                             \
            for (int64_t k = 0; k < n; k++) {                                                           \
                T d = D, b = mom * buf[k] + damp * d;                                                   \
                buf[k] = b;                                                                             \
                p[k] -= lr * (d + nest * b);                                                            \
            }                                                                                           \
        else                                                                                            \
            for (int64_t k = 0; k < n; k++) {                                                           \
                T b = mom * buf[k] + damp * (D);                                                        \
                buf[k] = b;                                                                             \
                p[k] -= lr * b;                                                                         \
            }                                                                                           \
    } while (0)

/* One chunk of SGD in type T (nest: the momentum with Nesterov, else 0). */
#define SGD_CHUNK(T)                                                                                    \
    TSH_MULTIVERSION static void sgd_##T(T *restrict p, T *restrict buf, const T *restrict g, int64_t n, \
                                         const tsh_kargs *a)                                            \
    {                                                                                                   \
        const T lr = (T)a->f[0], mom = (T)a->f[1], damp = (T)(1 - a->f[2]), wd = (T)a->f[3];          \
        const T sign = a->i[0] & 2 ? -1 : 1, nest = a->i[0] & 1 ? mom : 0;                             \
        const bool first = a->i[0] & 4;                                                                 \
        if (wd != 0) SGD_LOOPS(T, sign * g[k] + wd * p[k]);                                                \
        else SGD_LOOPS(T, sign * g[k]);                                                                    \
    }
SGD_CHUNK(float)
SGD_CHUNK(double)

static void sgd_range(void *va, int64_t begin, int64_t end)
{
    const tsh_kargs *a = va;
    char *p = tsh_data(a->out), *buf = a->out2 ? tsh_data(a->out2) : NULL;
    const char *g = tsh_data(a->in[0]);
    if (a->out->dtype == TSH_F32)
        sgd_float((float *)p + begin, buf ? (float *)buf + begin : NULL, (const float *)g + begin, end - begin, a);
    else
        sgd_double((double *)p + begin, buf ? (double *)buf + begin : NULL, (const double *)g + begin, end - begin,
                   a);
}

static tsh_status cpu_sgd(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    return tsh_parallel_for(tsh_numel(a->out), TSH_GRAIN, sgd_range, (void *)a);
}

void tsh_cpu_register_optim(tsh_kernel_fn *k) { k[TSH_OP_SGD_UPDATE] = cpu_sgd; }
