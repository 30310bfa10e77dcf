/* cpu/create.c: fast kernels for arange, linspace/logspace and the random
 * ops. Outputs are contiguous (ops.h). Random kernels work in batches of
 * Philox blocks: the counters of a batch are run through the ten rounds
 * together (a loop over lanes the compiler vectorises), and because each
 * layout of random.h is "consecutive words in element order", the batch's
 * words are then read as a flat array. Chunks are whole blocks, so the
 * element -> bits map, and thus every value, is the same for any thread count. */
#include <math.h>
#include <string.h>

#include "../../interp/core/random.h"
#include "../kernels.h"
#include "iter.h"

/* Box-Muller's log, sin and cos come from glibc's vector math library:
 * declared with their SIMD forms (as glibc's own math-vector.h does under
 * -ffast-math), a loop over lanes calls _ZGVdN4v_log and friends, 2, 4 or 8
 * doubles a call by the clone's ISA: randn(16M) took 156 ms with scalar
 * libm, torch 91. Every lane of a batch is computed, used or not, so each
 * value goes through the same code whatever the chunking. */
#if defined(TSH_HAVE_LIBMVEC) && defined(_OPENMP)
#pragma omp declare simd notinbranch
extern double log(double);
#pragma omp declare simd notinbranch
extern double sin(double);
#pragma omp declare simd notinbranch
extern double cos(double);
#endif

#define LINE_GRAIN 65536 /* elements per chunk for arange/linspace */
#define BLOCK_GRAIN 8192 /* Philox blocks per chunk for random ops */
#define BATCH 64         /* Philox blocks computed together */

/* ---- arange, linspace ---- */

typedef struct {
    const tsh_kargs *a;
    void *out;
    tsh_dtype dt;
    int64_t n;
} line_ctx;

static void arange_range(void *vctx, int64_t b, int64_t e)
{
    const line_ctx *c = vctx;
    double f0 = c->a->f[0], f1 = c->a->f[1];
    uint64_t i0 = (uint64_t)c->a->i[0], i1 = (uint64_t)c->a->i[1];
#define ARANGE_LOOP(T, V) \
    for (int64_t k = b; k < e; k++) ((T *)c->out)[k] = (T)(V)
    switch (c->dt) {
    case TSH_F32: ARANGE_LOOP(float, f0 + (double)k * f1); break;
    case TSH_F64: ARANGE_LOOP(double, f0 + (double)k * f1); break;
    case TSH_I64: ARANGE_LOOP(int64_t, (int64_t)(i0 + (uint64_t)k * i1)); break;
    case TSH_I32: ARANGE_LOOP(int32_t, (int64_t)(i0 + (uint64_t)k * i1)); break;
    case TSH_U8: ARANGE_LOOP(uint8_t, (int64_t)(i0 + (uint64_t)k * i1)); break;
    default: break;
    }
#undef ARANGE_LOOP
}

static tsh_status cpu_arange(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    line_ctx c = {a, tsh_data(a->out), a->out->dtype, tsh_numel(a->out)};
    return tsh_parallel_for(c.n, LINE_GRAIN, arange_range, &c);
}

/* As PyTorch: float32 steps in float; float64 and integers in double. The
 * first half counts up from start, the second down from end. Each half is
 * its own loop, and logspace's pow a pass of its own, so that the lines
 * vectorise: 4M float32 3.6 -> 0.61 ms at 1 thread (torch 1.4), float64
 * 3.7 -> 1.3 ms (torch 12.7). Compiled per ISA, start + step * k becomes
 * one fused multiply-add where the CPU has one: the last bit then depends
 * on the CPU (of linspace(-3.5, 2.25, 1001), 152 float32 values differ from
 * PyTorch's in it, against 428 with two roundings). */
#define LINE_HALVES(T, o, lo, hi, step)                                            \
    do {                                                                           \
        if (n == 1) (o)[0] = (lo);                                                 \
        else {                                                                     \
            for (int64_t k = b; k < mid; k++) (o)[k] = (lo) + (step) * (T)k;       \
            for (int64_t k = mid; k < e; k++) (o)[k] = (hi) - (step) * (T)(n - 1 - k); \
        }                                                                          \
        if (lg)                                                                    \
            for (int64_t k = b; k < e; k++) (o)[k] = (T)pow(base, (double)(o)[k]); \
    } while (0)

TSH_MULTIVERSION static void linspace_range(void *vctx, int64_t b, int64_t e)
{
    const line_ctx *c = vctx;
    int64_t n = c->n, half = n / 2, mid = b > half ? b : e < half ? e : half;
    double s = c->a->f[0], en = c->a->f[1], base = c->a->f[2];
    bool lg = c->a->i[0] != 0;
    if (c->dt == TSH_F32) {
        float fs = (float)s, fe = (float)en, step = n > 1 ? (fe - fs) / (float)(n - 1) : 0;
        LINE_HALVES(float, (float *)c->out, fs, fe, step);
        return;
    }
    double step = n > 1 ? (en - s) / (double)(n - 1) : 0;
    if (c->dt == TSH_F64) {
        LINE_HALVES(double, (double *)c->out, s, en, step);
        return;
    }
    for (int64_t k = b; k < e; k++) { /* integers: rounded from double */
        double v = n == 1 ? s : k < half ? s + step * (double)k : en - step * (double)(n - 1 - k);
        if (lg) v = pow(base, v);
        tsh_store_f64(c->dt, (char *)c->out + k * (int64_t)tsh_dtype_size(c->dt), v);
    }
}
#undef LINE_HALVES

static tsh_status cpu_linspace(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    line_ctx c = {a, tsh_data(a->out), a->out->dtype, tsh_numel(a->out)};
    return tsh_parallel_for(c.n, LINE_GRAIN, linspace_range, &c);
}

/* ---- random ---- */

/* The BATCH blocks first .. first+BATCH-1 of seed's stream into w (4 words
 * each; a caller uses as many as it needs). One lane per block
 * (tsh_philox_lane), its state in registers through the ten rounds: the lane
 * loop vectorises, 8 or 16 blocks at a time. */
TSH_MULTIVERSION static void philox_batch(uint64_t seed, uint64_t first, uint32_t *w)
{
    uint32_t o0[BATCH], o1[BATCH], o2[BATCH], o3[BATCH];
#pragma omp simd
    for (int l = 0; l < BATCH; l++) {
        tsh_philox_words x = tsh_philox_lane(seed, first + (uint64_t)l);
        o0[l] = (uint32_t)x.w01;
        o1[l] = (uint32_t)(x.w01 >> 32);
        o2[l] = (uint32_t)x.w23;
        o3[l] = (uint32_t)(x.w23 >> 32);
    }
    for (int l = 0; l < BATCH; l++) {
        w[4 * l] = o0[l];
        w[4 * l + 1] = o1[l];
        w[4 * l + 2] = o2[l];
        w[4 * l + 3] = o3[l];
    }
}

typedef struct {
    tsh_op op;
    const tsh_kargs *a;
    char *out;
    tsh_dtype dt;
    int64_t n;
    int per;         /* elements per block */
    uint64_t seed, base, low, range;
    const void *p;   /* bernoulli probabilities, or NULL */
    tsh_dtype pdt;
} rand_ctx;

/* Typed store of m values given by expression V in i (element k0 + i). */
#define STORE_LOOP(T, V) \
    for (int64_t i = 0; i < m; i++) ((T *)c->out)[k0 + i] = (T)(V)
#define STORE_ANY(V)                                              \
    switch (c->dt) {                                              \
    case TSH_F32: STORE_LOOP(float, V); break;                    \
    case TSH_F64: STORE_LOOP(double, V); break;                   \
    case TSH_I64: STORE_LOOP(int64_t, V); break;                  \
    case TSH_I32: STORE_LOOP(int32_t, V); break;                  \
    case TSH_U8: STORE_LOOP(uint8_t, V); break;                   \
    case TSH_BOOL: STORE_LOOP(uint8_t, (V) != 0); break;          \
    default: break;                                               \
    }

/* The 2 * BATCH normals of a batch's blocks, in element order: z[2l] and
 * z[2l+1] from block l, as tsh_rand_normal_pair computes them (random.h).
 * Three loops: sin and cos of one angle in one loop would become sincos,
 * which has no vector form GCC knows. */
TSH_MULTIVERSION static void normal_batch(const uint32_t *w, double *z)
{
    double r[BATCH], th[BATCH], s[BATCH];
    for (int l = 0; l < BATCH; l++) {
        r[l] = 1.0 - tsh_rand_unit_f64(tsh_rand_words64(w + 4 * l));
        th[l] = 6.283185307179586476925 * tsh_rand_unit_f64(tsh_rand_words64(w + 4 * l + 2));
    }
#pragma omp simd
    for (int l = 0; l < BATCH; l++) r[l] = sqrt(-2.0 * log(r[l]));
#pragma omp simd
    for (int l = 0; l < BATCH; l++) s[l] = r[l] * sin(th[l]);
#pragma omp simd
    for (int l = 0; l < BATCH; l++) th[l] = r[l] * cos(th[l]);
    for (int l = 0; l < BATCH; l++) {
        z[2 * l] = th[l];
        z[2 * l + 1] = s[l];
    }
}

/* Elements k0 .. k0+m-1 from the flat words w of their blocks. */
static void rand_fill(const rand_ctx *c, const uint32_t *w, int64_t k0, int64_t m)
{
    const double *f = c->a->f;
    switch (c->op) {
    case TSH_OP_RAND_UNIFORM:
        if (c->dt == TSH_F32) {
            float *o = (float *)c->out + k0;
            int bits = (int)c->a->i[2];
            if (f[0] == 0 && f[1] == 1)
                for (int64_t i = 0; i < m; i++) o[i] = tsh_rand_unit_f32(w[i], bits);
            else
                for (int64_t i = 0; i < m; i++) o[i] = tsh_rand_uniform_f32(tsh_rand_unit_f32(w[i], bits), f[0], f[1]);
        } else {
            double *o = (double *)c->out + k0;
            for (int64_t i = 0; i < m; i++)
                o[i] = tsh_rand_uniform_f64(tsh_rand_unit_f64(tsh_rand_words64(w + 2 * i)), f[0], f[1]);
        }
        break;
    case TSH_OP_RAND_NORMAL: {
        double z[2 * BATCH];
        normal_batch(w, z);
        if (c->dt == TSH_F32)
            for (int64_t i = 0; i < m; i++) ((float *)c->out)[k0 + i] = (float)(f[0] + f[1] * z[i]);
        else
            for (int64_t i = 0; i < m; i++) ((double *)c->out)[k0 + i] = f[0] + f[1] * z[i];
        break;
    }
    case TSH_OP_RANDINT:
        if (c->per == 2) {
            STORE_ANY((int64_t)(c->low + tsh_rand_below64(tsh_rand_words64(w + 2 * i), c->range)));
        } else {
            STORE_ANY((int64_t)(c->low + tsh_rand_below128(w + 4 * i, c->range)));
        }
        break;
    case TSH_OP_BERNOULLI:
        if (!c->p) {
            STORE_ANY(tsh_rand_unit_f64(tsh_rand_words64(w + 2 * i)) < f[0]);
        } else if (c->pdt == TSH_F32) {
            const float *p = (const float *)c->p + k0;
            STORE_ANY(tsh_rand_unit_f64(tsh_rand_words64(w + 2 * i)) < (double)p[i]);
        } else {
            const double *p = (const double *)c->p + k0;
            STORE_ANY(tsh_rand_unit_f64(tsh_rand_words64(w + 2 * i)) < p[i]);
        }
        break;
    default: break;
    }
}

static void rand_range(void *vctx, int64_t b, int64_t e)
{
    const rand_ctx *c = vctx;
    uint32_t w[4 * BATCH];
    for (int64_t blk = b; blk < e; blk += BATCH) {
        int nb = (int)(e - blk < BATCH ? e - blk : BATCH);
        philox_batch(c->seed, c->base + (uint64_t)blk, w);
        int64_t k0 = blk * c->per, k1 = (blk + nb) * c->per;
        if (k1 > c->n) k1 = c->n;
        rand_fill(c, w, k0, k1 - k0);
    }
}

static tsh_status cpu_random(tsh_op op, const tsh_kargs *a)
{
    rand_ctx c = {
        .op = op, .a = a, .out = tsh_data(a->out), .dt = a->out->dtype, .n = tsh_numel(a->out),
        .seed = (uint64_t)a->i[0], .base = (uint64_t)a->i[1],
        .low = (uint64_t)a->i[2], .range = (uint64_t)a->i[3] - (uint64_t)a->i[2],
    };
    if (op != TSH_OP_RANDINT) c.range = 0;
    if (op == TSH_OP_BERNOULLI && a->in[0]) {
        c.p = tsh_data(a->in[0]);
        c.pdt = a->in[0]->dtype;
    }
    c.per = tsh_rand_per_block(op, c.dt, c.range);
    int64_t blocks = (int64_t)tsh_rand_blocks(op, c.dt, c.range, c.n);
    return tsh_parallel_for(blocks, BLOCK_GRAIN, rand_range, &c);
}

void tsh_cpu_register_create(tsh_kernel_fn *k)
{
    k[TSH_OP_ARANGE] = cpu_arange;
    k[TSH_OP_LINSPACE] = cpu_linspace;
    k[TSH_OP_RAND_UNIFORM] = cpu_random;
    k[TSH_OP_RAND_NORMAL] = cpu_random;
    k[TSH_OP_RANDINT] = cpu_random;
    k[TSH_OP_BERNOULLI] = cpu_random;
}
