/* dtype.h: the element types a tensor can hold, their sizes and names,
 * PyTorch's type promotion, and scalar load/store for generic (slow) paths.
 * float16 and bfloat16 are storage types: ops compute them in float32 (the
 * elementwise kernels read and write them directly, rounding once). */
#ifndef TSH_DTYPE_H
#define TSH_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum tsh_dtype {
    TSH_BOOL = 0,
    TSH_U8,
    TSH_I32,
    TSH_I64,
    TSH_F16,
    TSH_BF16,
    TSH_F32,
    TSH_F64,
    TSH_DTYPE_COUNT
} tsh_dtype;

#define TSH_DEFAULT_DTYPE TSH_F32

size_t tsh_dtype_size(tsh_dtype dt);
const char *tsh_dtype_name(tsh_dtype dt);      /* "float32" */
const char *tsh_dtype_short(tsh_dtype dt);     /* "f32" */
bool tsh_dtype_from_name(const char *name, tsh_dtype *out); /* accepts aliases */
bool tsh_dtype_is_float(tsh_dtype dt);
bool tsh_dtype_is_half(tsh_dtype dt);          /* f16, bf16 */
bool tsh_dtype_is_int(tsh_dtype dt);           /* u8, i32, i64 (not bool) */

/* Category order used by promotion: bool < integer < floating. */
int tsh_dtype_category(tsh_dtype dt);
/* The smallest type that holds both, as torch.promote_types does. */
tsh_dtype tsh_promote(tsh_dtype a, tsh_dtype b);
/* The type ops compute in: float16/bfloat16 compute as float32. */
tsh_dtype tsh_dtype_compute(tsh_dtype dt);

uint16_t tsh_f32_to_f16(float f);
float tsh_f16_to_f32(uint16_t h);
/* bfloat16 rounds to nearest even by adding just under half an ulp; NaN
 * stays a quiet NaN. Inline and branch-free (a select), so that the CPU
 * kernels' conversion loops over it vectorise. */
static inline uint16_t tsh_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16, q = (u >> 16) | 0x40u;
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? q : r);
}
float tsh_bf16_to_f32(uint16_t h);

/* A float to int64 as C cannot (out of range is undefined there): NaN to
 * 0, saturating at int64's bounds. Narrower integer types then wrap. */
static inline int64_t tsh_f64_to_i64_sat(double v)
{
    if (!(v == v)) return 0;
    if (v >= 9.2233720368547758e18) return INT64_MAX;
    if (v <= -9.2233720368547758e18) return INT64_MIN;
    return (int64_t)v;
}

/* Generic element access for reference kernels and odd paths. */
double tsh_load_f64(tsh_dtype dt, const void *p);
int64_t tsh_load_i64(tsh_dtype dt, const void *p);
void tsh_store_f64(tsh_dtype dt, void *p, double v);
void tsh_store_i64(tsh_dtype dt, void *p, int64_t v);

#endif
