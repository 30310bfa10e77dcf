/* cpu/half.h: float16 and bfloat16 to and from float32 a block at a time,
 * for the CPU kernels that compute half tensors in float32 (elementwise,
 * reductions, copy). Results are bit for bit those of the scalar
 * conversions in interp/core/dtype.c: round to nearest even, NaN kept.
 * Not a public API. */
#ifndef TSH_CPU_HALF_H
#define TSH_CPU_HALF_H

#include "../../interp/core/dtype.h"

/* Elements a kernel widens at a time: a few KiB of float32 on the stack,
 * in L1 while the float32 loop runs over them. */
#define TSH_HALF_BLOCK 256

/* n contiguous halves of dtype dt (TSH_F16 or TSH_BF16) to float32 and back. */
void tsh_cpu_half_to_f32(tsh_dtype dt, float *restrict d, const uint16_t *restrict x, int64_t n);
void tsh_cpu_f32_to_half(tsh_dtype dt, uint16_t *restrict d, const float *restrict x, int64_t n);

/* The same for operands with a byte stride: sx, sd == 2 is contiguous; any
 * other stride (not 0) takes n <= TSH_HALF_BLOCK. */
void tsh_cpu_widen(tsh_dtype dt, float *restrict d, const char *x, int64_t sx, int64_t n);
void tsh_cpu_narrow(tsh_dtype dt, char *d, int64_t sd, const float *restrict x, int64_t n);

/* Whether the CPU runs the AVX-512 forms of the half kernels (this file's
 * and cpu/elementwise_half.c's), and TENSH_HALF512 is not 0: tests set it
 * to reach the portable paths. Reads the environment: once per kernel. */
bool tsh_cpu_half512(void);

/* The sum of n contiguous halves with AVX-512 (only when tsh_cpu_half512()
 * said yes): float32 lanes over blocks of 4096, the blocks added in double. */
double tsh_cpu_half_sum512(tsh_dtype dt, const uint16_t *x, int64_t n);
/* Their max (or min), NaN if any is NaN; the same condition. */
double tsh_cpu_half_best512(tsh_dtype dt, const uint16_t *x, int64_t n, bool max);

#endif
