/* cpu/reduce_extreme.c: fast max, min, argmax and argmin (values and the
 * 1-based index of the first extreme; NaN wins, first NaN). Rows are done
 * in two vectorised passes (the extreme, then its first position); columns
 * keep a running best per column. Driven by tsh_reduce_run (reduce.c). */
#include "half.h"
#include "reduce_impl.h"

#define LANES 16

static bool is_max(tsh_op op) { return op == TSH_OP_MAX || op == TSH_OP_ARGMAX; }

/* float16/bfloat16 (a full max() or min(), values only: see ops.h) a
 * block at a time through the float32 loop, widened into L1. */
static void row_best_half(tsh_dtype dt, const char *src, int64_t n, bool max, double *fv)
{
    enum { BLOCK = 4096 };
    float buf[BLOCK];
    double best = max ? -INFINITY : INFINITY;
    for (int64_t b = 0; b < n; b += BLOCK) {
        int64_t m = n - b < BLOCK ? n - b : BLOCK, iv;
        double v;
        tsh_cpu_half_to_f32(dt, buf, (const uint16_t *)src + b, m);
        tsh_cpu_row_best(TSH_F32, (const char *)buf, m, max, &v, &iv);
        if (v != v) {
            *fv = NAN;
            return;
        }
        best = max ? (v > best ? v : best) : (v < best ? v : best);
    }
    *fv = best;
}

TSH_MULTIVERSION
void tsh_cpu_row_best(tsh_dtype dt, const char *src, int64_t n, bool max, double *fv, int64_t *iv)
{
    if (tsh_dtype_is_half(dt)) {
        row_best_half(dt, src, n, max, fv);
        return;
    }
#define BEST(T, A, INIT, CMP)                                                            \
    do {                                                                                 \
        const T *p = (const T *)src;                                                     \
        A m[LANES];                                                                      \
        int nan[LANES] = {0};                                                            \
        for (int k = 0; k < LANES; k++) m[k] = INIT;                                     \
        int64_t i = 0;                                                                   \
        for (; i + LANES <= n; i += LANES) {                                             \
            _Pragma("omp simd") for (int k = 0; k < LANES; k++) {                        \
                A x = p[i + k];                                                          \
                nan[k] |= x != x;                                                        \
                m[k] = x CMP m[k] ? x : m[k];                                            \
            }                                                                            \
        }                                                                                \
        for (; i < n; i++) {                                                             \
            A x = p[i];                                                                  \
            nan[0] |= x != x;                                                            \
            m[0] = x CMP m[0] ? x : m[0];                                                \
        }                                                                                \
        for (int k = 1; k < LANES; k++) {                                                \
            nan[0] |= nan[k];                                                            \
            m[0] = m[k] CMP m[0] ? m[k] : m[0];                                          \
        }                                                                                \
        best = m[0];                                                                     \
        any_nan = nan[0];                                                                \
    } while (0)
#define BEST2(T, A, LO, HI)                                                              \
    do {                                                                                 \
        if (max) BEST(T, A, LO, >);                                                      \
        else BEST(T, A, HI, <);                                                          \
    } while (0)
    int any_nan = 0;
    if (tsh_dtype_is_float(dt)) {
        double best = 0;
        if (dt == TSH_F32) BEST2(float, float, -INFINITY, INFINITY);
        else BEST2(double, double, -INFINITY, INFINITY);
        *fv = any_nan ? NAN : best;
        return;
    }
    int64_t best = 0;
    switch (dt) {
    case TSH_I32: BEST2(int32_t, int32_t, INT32_MIN, INT32_MAX); break;
    case TSH_I64: BEST2(int64_t, int64_t, INT64_MIN, INT64_MAX); break;
    default: BEST2(uint8_t, uint8_t, 0, UINT8_MAX); break;
    }
#undef BEST
#undef BEST2
    *iv = best;
}

/* First position in a run that holds value fv (NaN: the first NaN) or iv. */
TSH_MULTIVERSION
static int64_t row_find(tsh_dtype dt, const char *src, int64_t n, double fv, int64_t iv)
{
#define FIND(T, TEST)                                                                    \
    do {                                                                                 \
        const T *p = (const T *)src;                                                     \
        for (int64_t b = 0; b < n; b += 64) {                                            \
            int64_t len = n - b < 64 ? n - b : 64, hits = 0;                             \
            _Pragma("omp simd reduction(+:hits)") for (int64_t i = 0; i < len; i++) {    \
                T x = p[b + i];                                                          \
                hits += (TEST);                                                          \
            }                                                                            \
            if (!hits) continue;                                                         \
            for (int64_t i = 0; i < len; i++) {                                          \
                T x = p[b + i];                                                          \
                if (TEST) return b + i;                                                  \
            }                                                                            \
        }                                                                                \
    } while (0)
    bool nan = fv != fv;
    switch (dt) {
    case TSH_F32: if (nan) FIND(float, x != x); else FIND(float, x == (float)fv); break;
    case TSH_F64: if (nan) FIND(double, x != x); else FIND(double, x == fv); break;
    case TSH_I32: FIND(int32_t, x == iv); break;
    case TSH_I64: FIND(int64_t, x == iv); break;
    default: FIND(uint8_t, x == iv); break;
    }
#undef FIND
    return 0; /* not reached: the value came from this run */
}

/* Running best of m columns over rows [r0, r1) (r1 > r0): a best value and
 * its row per column, updated with selects that vectorise. */
TSH_MULTIVERSION
static void col_best(tsh_dtype dt, const char *base, int64_t stride, int64_t r0, int64_t r1,
                     int64_t m, bool max, tsh_rstate *st)
{
#define COL(T, FIELD, BETTER)                                                            \
    do {                                                                                 \
        T best[TSH_RED_JB];                                                              \
        int64_t pos[TSH_RED_JB];                                                         \
        for (int64_t j = 0; j < m; j++) best[j] = ((const T *)base)[r0 * stride + j], pos[j] = r0; \
        for (int64_t r = r0 + 1; r < r1; r++) {                                          \
            const T *p = (const T *)base + r * stride;                                   \
            _Pragma("omp simd") for (int64_t j = 0; j < m; j++) {                        \
                T x = p[j], b = best[j];                                                 \
                bool better = (BETTER);                                                  \
                best[j] = better ? x : b;                                                \
                pos[j] = better ? r : pos[j];                                            \
            }                                                                            \
        }                                                                                \
        for (int64_t j = 0; j < m; j++) st[j].FIELD = best[j], st[j].k = pos[j];         \
    } while (0)
#define FMAX (b == b && (x != x || x > b))
#define FMIN (b == b && (x != x || x < b))
    switch (dt) {
    case TSH_F32: if (max) COL(float, v, FMAX); else COL(float, v, FMIN); break;
    case TSH_F64: if (max) COL(double, v, FMAX); else COL(double, v, FMIN); break;
    case TSH_I32: if (max) COL(int32_t, i, x > b); else COL(int32_t, i, x < b); break;
    case TSH_I64: if (max) COL(int64_t, i, x > b); else COL(int64_t, i, x < b); break;
    default: if (max) COL(uint8_t, i, x > b); else COL(uint8_t, i, x < b); break;
    }
#undef COL
#undef FMAX
#undef FMIN
}

/* State: v (floats) or i (integers) = the best value, k = its position. */
static void best_block(const tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                       int64_t r0, int64_t r1, tsh_rstate *st)
{
    bool max = is_max(job->op);
    size_t es = tsh_dtype_size(job->dt);
    if (job->g.inner == 1) {
        /* the second pass only where a position is asked for: a full max()
         * of 4M float32 took 0.80 ms with it, 0.63 without (torch 0.89);
         * of 4M int32 0.84 and 0.62 (torch 0.62), 1 thread */
        bool pos = job->op == TSH_OP_ARGMAX || job->op == TSH_OP_ARGMIN || job->a->out2;
        for (int64_t o = o0; o < o1; o++) {
            const char *p = job->x + (o * job->g.red + r0) * (int64_t)es;
            tsh_rstate *s = &st[o - o0];
            if (job->half512) {
                s->v = tsh_cpu_half_best512(job->dt, (const uint16_t *)p, r1 - r0, max);
                continue; /* no position: see ops.h */
            }
            tsh_cpu_row_best(job->dt, p, r1 - r0, max, &s->v, &s->i);
            s->k = r0 + (pos ? row_find(job->dt, p, r1 - r0, s->v, s->i) : 0);
        }
        return;
    }
    const char *base = job->x + (o0 * job->g.red * job->g.inner + j0) * (int64_t)es;
    col_best(job->dt, base, job->g.inner, r0, r1, j1 - j0, max, st);
}

static void best_combine(const tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n)
{
    bool max = is_max(job->op), isf = tsh_dtype_is_float(job->dt);
    for (int64_t k = 0; k < n; k++) {
        const tsh_rstate *a = &acc[k], *p = &part[k];
        bool better = isf ? a->v == a->v && (p->v != p->v || (max ? p->v > a->v : p->v < a->v))
                          : (max ? p->i > a->i : p->i < a->i);
        if (better) acc[k] = *p;
    }
}

static void best_finish(const tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n)
{
    const tsh_tensor *out = job->a->out;
    if (job->op == TSH_OP_ARGMAX || job->op == TSH_OP_ARGMIN) {
        for (int64_t k = 0; k < n; k++) ((int64_t *)tsh_data(out))[k0 + k] = st[k].k + 1;
        return;
    }
    char *p = tsh_data(out);
    for (int64_t k = 0; k < n; k++) {
        switch (out->dtype) {
        case TSH_F32: ((float *)p)[k0 + k] = (float)st[k].v; break;
        case TSH_F64: ((double *)p)[k0 + k] = st[k].v; break;
        default: tsh_store_i64(out->dtype, p + (k0 + k) * (int64_t)tsh_dtype_size(out->dtype), st[k].i); break;
        }
    }
    if (job->a->out2)
        for (int64_t k = 0; k < n; k++) ((int64_t *)tsh_data(job->a->out2))[k0 + k] = st[k].k + 1;
}

static const tsh_rop best_fn = {best_block, best_combine, best_finish};

static tsh_status cpu_extreme(tsh_op op, const tsh_kargs *a)
{
    tsh_rjob job;
    tsh_rjob_init(&job, op, a, &best_fn, 0);
    job.half512 = tsh_dtype_is_half(job.dt) && tsh_cpu_half512();
    return tsh_reduce_run(&job);
}

void tsh_cpu_register_reduce_extreme(tsh_kernel_fn *k)
{
    k[TSH_OP_MAX] = cpu_extreme;
    k[TSH_OP_MIN] = cpu_extreme;
    k[TSH_OP_ARGMAX] = cpu_extreme;
    k[TSH_OP_ARGMIN] = cpu_extreme;
}
