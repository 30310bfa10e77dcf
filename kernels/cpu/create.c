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

/* As PyTorch: float32 steps in float; float64 and integers in double. */
static void linspace_range(void *vctx, int64_t b, int64_t e)
{
    const line_ctx *c = vctx;
    int64_t n = c->n, half = n / 2;
    double s = c->a->f[0], en = c->a->f[1], base = c->a->f[2];
    bool lg = c->a->i[0] != 0;
    if (c->dt == TSH_F32) {
        float fs = (float)s, fe = (float)en, step = n > 1 ? (fe - fs) / (float)(n - 1) : 0;
        float *o = c->out;
        for (int64_t k = b; k < e; k++) {
            float v = n == 1 ? fs : k < half ? fs + step * (float)k : fe - step * (float)(n - 1 - k);
            o[k] = lg ? (float)pow(base, (double)v) : v;
        }
        return;
    }
    double step = n > 1 ? (en - s) / (double)(n - 1) : 0;
    for (int64_t k = b; k < e; k++) {
        double v = n == 1 ? s : k < half ? s + step * (double)k : en - step * (double)(n - 1 - k);
        if (lg) v = pow(base, v);
        if (c->dt == TSH_F64) ((double *)c->out)[k] = v;
        else tsh_store_f64(c->dt, (char *)c->out + k * (int64_t)tsh_dtype_size(c->dt), v);
    }
}

static tsh_status cpu_linspace(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    line_ctx c = {a, tsh_data(a->out), a->out->dtype, tsh_numel(a->out)};
    return tsh_parallel_for(c.n, LINE_GRAIN, linspace_range, &c);
}

/* ---- random ---- */

/* Blocks first .. first+nb-1 of seed's stream into w (4 words each). */
static void philox_batch(uint64_t seed, uint64_t first, int nb, uint32_t *w)
{
    uint32_t c0[BATCH], c1[BATCH], c2[BATCH], c3[BATCH];
    for (int l = 0; l < BATCH; l++) {
        uint64_t ctr = first + (uint64_t)l;
        c0[l] = (uint32_t)ctr;
        c1[l] = (uint32_t)(ctr >> 32);
        c2[l] = 0;
        c3[l] = 0;
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        for (int l = 0; l < BATCH; l++) {
            uint64_t p0 = (uint64_t)TSH_PHILOX_M0 * c0[l], p1 = (uint64_t)TSH_PHILOX_M1 * c2[l];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
            c1[l] = (uint32_t)p1;
            c3[l] = (uint32_t)p0;
            c0[l] = n0;
            c2[l] = n2;
        }
        k0 += TSH_PHILOX_W0;
        k1 += TSH_PHILOX_W1;
    }
    for (int l = 0; l < nb; l++) {
        w[4 * l] = c0[l];
        w[4 * l + 1] = c1[l];
        w[4 * l + 2] = c2[l];
        w[4 * l + 3] = c3[l];
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
    case TSH_OP_RAND_NORMAL:
        for (int64_t i = 0; i < m; i += 2) {
            double z[2];
            tsh_rand_normal_pair(w + 2 * i, &z[0], &z[1]);
            for (int h = 0; h < 2 && i + h < m; h++) {
                double v = f[0] + f[1] * z[h];
                if (c->dt == TSH_F32) ((float *)c->out)[k0 + i + h] = (float)v;
                else ((double *)c->out)[k0 + i + h] = v;
            }
        }
        break;
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
        philox_batch(c->seed, c->base + (uint64_t)blk, nb, w);
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
