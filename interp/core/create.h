/* create.h: the front end of construction (arange, range, linspace,
 * logspace, eye) and of random numbers (rand, randn, randint, randperm,
 * bernoulli, normal and the in-place fills). It validates, picks dtypes and
 * dispatches; the kernels compute. The generator's state and the Philox
 * stream layout are in random.h; the random front end is random.c. */
#ifndef TSH_CREATE_H
#define TSH_CREATE_H

#include "front.h"

/* A Lua number as the user wrote it: integers and floats give different
 * dtypes (int64 vs float32), as Python ints and floats do in PyTorch. */
typedef struct tsh_num {
    bool is_int;
    int64_t i;
    double f; /* the value as a double in either case */
} tsh_num;

static inline tsh_num tsh_num_int(int64_t v) { return (tsh_num){true, v, (double)v}; }
static inline tsh_num tsh_num_float(double v) { return (tsh_num){false, 0, v}; }

/* Whether dt holds the integer v exactly: within the range of an integer
 * dtype, within 2^(mantissa digits) of zero for a float dtype, 0/1 for bool. */
bool tsh_dtype_holds_int(tsh_dtype dt, int64_t v);

/* Passed as a dtype: "choose it from the arguments, as PyTorch does". */
#define TSH_DTYPE_AUTO TSH_DTYPE_COUNT

/* arange: [start, end) by step, length ceil((end - start) / step); range:
 * Torch7's, end included, length floor((end - start) / step) + 1. dtype
 * AUTO: int64 when all three are integers, else float32. */
tsh_status tsh_arange(tsh_num start, tsh_num end, tsh_num step, tsh_dtype dt, tsh_device dev,
                      tsh_tensor **out);
tsh_status tsh_range(tsh_num start, tsh_num end, tsh_num step, tsh_dtype dt, tsh_device dev,
                     tsh_tensor **out);
/* steps values from start to end inclusive (dtype AUTO: float32). */
tsh_status tsh_linspace(double start, double end, int64_t steps, tsh_dtype dt, tsh_device dev,
                        tsh_tensor **out);
/* base ^ linspace(start, end, steps). */
tsh_status tsh_logspace(double start, double end, int64_t steps, double base, tsh_dtype dt,
                        tsh_device dev, tsh_tensor **out);
/* n x m with ones on the diagonal (m < 0: m = n). */
tsh_status tsh_eye(int64_t n, int64_t m, tsh_dtype dt, tsh_device dev, tsh_tensor **out);

/* ---- random (random.c) ---- */

/* The generator: one Philox stream (seed, offset) shared by all devices. */
void tsh_rng_manual_seed(uint64_t seed);        /* seed, offset 0 */
uint64_t tsh_rng_seed(void);                    /* a non-deterministic seed, set and returned */
uint64_t tsh_rng_initial_seed(void);
void tsh_rng_get_state(uint64_t *seed, uint64_t *offset);
void tsh_rng_set_state(uint64_t seed, uint64_t offset);
/* Hands out `blocks` Philox blocks: returns the first, advances the offset. */
uint64_t tsh_rng_reserve(uint64_t blocks, uint64_t *seed);

/* In-place fills of any layout (float16/bfloat16 computed in float32). */
tsh_status tsh_uniform_(tsh_tensor *t, double lo, double hi);          /* [lo, hi) */
tsh_status tsh_normal_(tsh_tensor *t, double mean, double std);
tsh_status tsh_random_(tsh_tensor *t, int64_t low, int64_t high);      /* [low, high) */
/* p: a float tensor broadcastable to t, or NULL to use pf. */
tsh_status tsh_bernoulli_(tsh_tensor *t, tsh_tensor *p, double pf);

/* New tensors (dtype AUTO: float32 for rand/randn/normal, int64 for
 * randint/randperm). */
tsh_status tsh_rand(int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev, tsh_tensor **out);
tsh_status tsh_randn(int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev, tsh_tensor **out);
tsh_status tsh_normal(double mean, double std, int ndim, const int64_t *shape, tsh_dtype dt,
                      tsh_device dev, tsh_tensor **out);
tsh_status tsh_randint(int64_t low, int64_t high, int ndim, const int64_t *shape, tsh_dtype dt,
                       tsh_device dev, tsh_tensor **out);
/* A random permutation of 1..n (1-based, like every index stored in a tensor). */
tsh_status tsh_randperm(int64_t n, tsh_dtype dt, tsh_device dev, tsh_tensor **out);
/* 0/1 draws with probabilities p (a float tensor); the result has p's dtype. */
tsh_status tsh_bernoulli(tsh_tensor *p, tsh_tensor **out);

#endif
