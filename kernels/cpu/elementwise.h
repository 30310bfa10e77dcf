/* cpu/elementwise.h: what the fast elementwise kernel files share: the
 * kernels registered by cpu/elementwise.c, and the integer helpers that must
 * not trap (x86 raises SIGFPE for x / 0 and INT_MIN / -1). Not a public API. */
#ifndef TSH_CPU_ELEMENTWISE_H
#define TSH_CPU_ELEMENTWISE_H

#include "../kernels.h"

tsh_status tsh_cpu_compare(tsh_op op, const tsh_kargs *a);  /* elementwise_compare.c */
tsh_status tsh_cpu_unary(tsh_op op, const tsh_kargs *a);    /* elementwise_unary.c */

/* float16/bfloat16 ops in one AVX-512 pass (elementwise_half.c), which
 * return false for an op or a layout they leave to the block path (strides
 * other than 2, or 0 for a broadcast input). Call them only when
 * tsh_cpu_half512() (cpu/half.h) said yes. */
bool tsh_cpu_half_binary(tsh_op op, tsh_dtype dt, double alpha, char **p, const int64_t *s, int64_t n);
bool tsh_cpu_half_unary(tsh_op op, tsh_dtype dt, char **p, const int64_t *s, int64_t n);

/* PyTorch's rules: floor division and remainder take the divisor's sign;
 * b == 0 sets *zero (the caller reports it) and gives 0. Computed in int64,
 * which holds every narrower type's INT_MIN / -1. */
static inline int64_t tsh_floordiv_i64(int64_t a, int64_t b, int *zero)
{
    if (b == 0) { *zero = 1; return 0; }
    if (b == -1) return (int64_t)(0 - (uint64_t)a);
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

static inline int64_t tsh_remainder_i64(int64_t a, int64_t b, int *zero)
{
    if (b == 0) { *zero = 1; return 0; }
    if (b == -1) return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

static inline int64_t tsh_fmod_i64(int64_t a, int64_t b, int *zero)
{
    if (b == 0) { *zero = 1; return 0; }
    return b == -1 ? 0 : a % b;
}

/* Integer power by squaring, wrapping; negative exponents as PyTorch. */
static inline int64_t tsh_pow_i64(int64_t a, int64_t b)
{
    if (b < 0) return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
    uint64_t r = 1, x = (uint64_t)a;
    for (uint64_t e = (uint64_t)b; e; e >>= 1) {
        if (e & 1) r *= x;
        x *= x;
    }
    return (int64_t)r;
}

#endif
