/* reduce_impl.h: shared pieces of the fast reduction kernels (cpu/reduce*.c):
 * the parallel driver over (outer, red, inner), the per-output state it
 * combines, a vectorisable exp, the row reductions, and the multi-versioning
 * attribute. Not a public API: the cpu/reduce*.c files, cpu/nn_loss.c (cross
 * entropy's log-sum-exp, the regression losses) and cpu/nn_norm.c include it. */
#ifndef TSH_CPU_REDUCE_IMPL_H
#define TSH_CPU_REDUCE_IMPL_H

#include <math.h>
#include <string.h>

#include "../kernels.h"
#include "iter.h"


/* Columns handled together when inner > 1: the accumulators of one block
 * stay in L1 while the reduced dim streams past. */
#define TSH_RED_JB 256

/* Narrower column blocks for long reduced dims, so that a block (columns x
 * red) stays in L2 across the passes that multi-pass ops make over it. */
static inline int64_t tsh_red_jb(int64_t red)
{
    int64_t jb = TSH_RED_JB;
    while (jb > 16 && jb * red * 8 > ((int64_t)1 << 20)) jb /= 2;
    return jb;
}

typedef struct tsh_rgeom { int64_t outer, red, inner; } tsh_rgeom;

/* The running result of one output: what each op keeps is documented at
 * the op (a sum in v, a max in v with its position in k, ...). */
typedef struct tsh_rstate {
    double v, s;
    int64_t i, k;
} tsh_rstate;

struct tsh_rjob;
typedef struct tsh_rop {
    /* States of outputs (o, j), o in [o0, o1), j in [j0, j1), over the
     * reduced positions [r0, r1): st[(o - o0) * (j1 - j0) + (j - j0)].
     * Either o1 - o0 == 1 or inner == 1. */
    void (*block)(const struct tsh_rjob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1,
                  int64_t r0, int64_t r1, tsh_rstate *st);
    /* acc[k] <- acc[k] followed by part[k] (part covers later positions),
     * k in [0, n): a call per array, not per state, as a column split
     * combines thousands. */
    void (*combine)(const struct tsh_rjob *job, tsh_rstate *acc, const tsh_rstate *part, int64_t n);
    /* Writes outputs [k0, k0 + n) (flat index o * inner + j) from states. */
    void (*finish)(const struct tsh_rjob *job, const tsh_rstate *st, int64_t k0, int64_t n);
} tsh_rop;

typedef struct tsh_rjob {
    const tsh_kargs *a;
    tsh_op op;
    tsh_rgeom g;
    tsh_dtype dt;  /* input dtype */
    const char *x; /* input data */
    const tsh_rop *fn;
    int mode;      /* op-specific variant (norm kind, max or min, ...) */
    bool half512;  /* rows of halves through tsh_cpu_half_sum512 (sum, mean)
                    * or tsh_cpu_half_best512 (max, min) */
} tsh_rjob;

/* Fills a job for kernel arguments `a` (geometry from a->i[0..2]). */
void tsh_rjob_init(tsh_rjob *job, tsh_op op, const tsh_kargs *a, const tsh_rop *fn, int mode);

/* Runs job->fn over the whole reduction in parallel: over outputs when
 * there are enough, else over chunks of the reduced dim whose states are
 * combined in order (so results do not depend on the thread count). */
tsh_status tsh_reduce_run(tsh_rjob *job);

/* Pointer to input element (o, r, j) of type T. */
#define TSH_RED_AT(job, T, o, r, j) \
    ((const T *)(job)->x + ((o) * (job)->g.red + (r)) * (job)->g.inner + (j))

/* The maps of the float map-sums (sum, mean, norm, var), x -> x, |x|, x^2,
 * x != 0, |x|^pw, (x - sh)^2, and the sum of map(x) over a contiguous run of
 * n float32 or float64, in double (cpu/reduce.c). */
enum { MAP_ID, MAP_ABS, MAP_SQ, MAP_NZ, MAP_POW, MAP_SQDEV };
double tsh_cpu_row_msum(tsh_dtype dt, const char *src, int64_t n, int map, double sh, double pw);
/* The sum of map(a - b), map MAP_SQ or MAP_ABS, over contiguous runs a and
 * b of n float32 or float64, in double (cpu/reduce.c). */
double tsh_cpu_row_dmsum(tsh_dtype dt, const char *a, const char *b, int64_t n, int map);
/* The extreme of a run of n elements: floats as double (NaN if any is NaN),
 * integers and bool as int64 (cpu/reduce_extreme.c). */
void tsh_cpu_row_best(tsh_dtype dt, const char *src, int64_t n, bool max, double *fv, int64_t *iv);
/* Sum of exp(x - m) over a run of float32 or float64, m finite and >= every
 * x (cpu/reduce.c). */
double tsh_cpu_row_expsum(tsh_dtype dt, const char *src, int64_t n, double m);

/* exp(x) for x <= 0 (and NaN, which it passes through): Cephes' expf
 * polynomial after a two-constant range reduction, about 1 ulp. Written as
 * straight-line float code so that `omp simd` loops vectorise it. Results
 * below FLT_MIN flush to 0, which softmax and logsumexp can afford. */
static inline float tsh_exp_neg(float x)
{
    float under = x < -87.33654f;
    x = x < -87.33654f ? -87.33654f : x;
    /* adding 1.5 * 2^23 rounds x * log2(e) to the integer n, which then
     * sits in the low mantissa bits of t: read it there (no float-to-int
     * conversion, which NaN would make undefined) */
    float t = x * 1.44269504088896341f + 12582912.0f;
    float r = t - 12582912.0f;
    float f = x - r * 0.693359375f;
    f = f - r * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * f + 1.3981999507e-3f;
    p = p * f + 8.3334519073e-3f;
    p = p * f + 4.1665795894e-2f;
    p = p * f + 1.6666665459e-1f;
    p = p * f + 5.0000001201e-1f;
    p = p * f * f + f + 1.0f;
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    uint32_t bits = (tb - 0x4B400000u + 127u) << 23; /* 2^n */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale * (1.0f - under);
}

/* Rows this short (inner == 1) are transposed a block at a time into a
 * small buffer and handed to the column kernels: per-row call overhead would
 * otherwise cost more than the arithmetic. */
#define TSH_SHORT_RED 16

/* dst[r * w + k] = src[k * n + r] for k < w rows of n elements of size es. */
static inline void tsh_rows_to_cols(const char *src, char *dst, int64_t w, int64_t n, size_t es)
{
#define TSH_T(T)                                                                     \
    for (int64_t k = 0; k < w; k++)                                                  \
        for (int64_t r = 0; r < n; r++) ((T *)dst)[r * w + k] = ((const T *)src)[k * n + r];
    switch (es) {
    case 1: TSH_T(uint8_t); break;
    case 2: TSH_T(uint16_t); break;
    case 4: TSH_T(uint32_t); break;
    default: TSH_T(uint64_t); break;
    }
#undef TSH_T
}

/* The inverse: dst[k * n + r] = src[r * w + k]. */
static inline void tsh_cols_to_rows(const char *src, char *dst, int64_t w, int64_t n, size_t es)
{
#define TSH_T(T)                                                                     \
    for (int64_t k = 0; k < w; k++)                                                  \
        for (int64_t r = 0; r < n; r++) ((T *)dst)[k * n + r] = ((const T *)src)[r * w + k];
    switch (es) {
    case 1: TSH_T(uint8_t); break;
    case 2: TSH_T(uint16_t); break;
    case 4: TSH_T(uint32_t); break;
    default: TSH_T(uint64_t); break;
    }
#undef TSH_T
}

/* Ops along one dim (cumsum, softmax, sort, ...): the driver hands out
 * whole lines. With inner == 1, lines(job, o0, o1, 0, 1) covers rows
 * [o0, o1); else lines(job, o, o + 1, j0, j1) covers the columns [j0, j1)
 * of outer index o. A line kernel that cannot get memory sets failed. */
typedef struct tsh_djob tsh_djob;
struct tsh_djob {
    const tsh_kargs *a;
    tsh_op op;
    tsh_rgeom g;
    void (*lines)(tsh_djob *job, int64_t o0, int64_t o1, int64_t j0, int64_t j1);
    bool one_pass; /* reads each line once: full-width column blocks */
    int64_t nb, jb;
    int failed;
};
tsh_status tsh_dim_run(tsh_djob *job);

/* The rest of the family, registered from tsh_cpu_register_reduce. */
void tsh_cpu_register_reduce_dim(tsh_kernel_fn *k);
void tsh_cpu_register_reduce_extreme(tsh_kernel_fn *k);
void tsh_cpu_register_reduce_sort(tsh_kernel_fn *k);

#endif
