/* cpu/elementwise_half.c: the cheap float16/bfloat16 elementwise ops
 * (add .. minimum, neg, abs, relu, square) in one pass with AVX-512, as
 * torch's kernels do them: 16 halves loaded, widened in a register,
 * computed in float32 and rounded once on the store. These ops move memory
 * and barely compute, so staging blocks through L1 (bin_half in
 * cpu/elementwise.c, which serves every other op and CPU) costs a fifth of
 * their time or more. Contiguous operands and broadcast scalars only; the
 * callers fall back to the block path for anything else. */
#include <stdbool.h>

#include "elementwise.h"
#include "iter.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,f16c")))

AVX512 static inline __m512 ld_f16(const uint16_t *p, __mmask16 m)
{
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}

AVX512 static inline __m512 ld_bf16(const uint16_t *p, __mmask16 m)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

/* Rounds to nearest even like tsh_f32_to_f16; vcvtps2ph keeps the top of a
 * NaN's payload, which the scalar code clears. */
AVX512 static inline void st_f16(uint16_t *p, __mmask16 m, __m512 v)
{
    __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    h = _mm256_mask_blend_epi16(nan, h, _mm256_and_si256(h, _mm256_set1_epi16((short)0xfe00)));
    _mm256_mask_storeu_epi16(p, m, h);
}

/* tsh_f32_to_bf16 on 16 lanes: round to nearest even, NaN made quiet. */
AVX512 static inline void st_bf16(uint16_t *p, __mmask16 m, __m512 v)
{
    __m512i u = _mm512_castps_si512(v);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), odd), 16);
    __m512i q = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), q);
    _mm512_mask_cvtepi32_storeu_epi16(p, m, r);
}

AVX512 static inline __m512 bcast(__m512 v) { return _mm512_broadcastss_ps(_mm512_castps512_ps128(v)); }

static inline __mmask16 tail_mask(int64_t left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

/* One pass of o = EXPR over a and b: an operand with stride 0 is a
 * broadcast scalar, widened once (the callers pass strides 2 or 0). */
#define HBIN(LD, ST, EXPR)                                                          \
    do {                                                                            \
        __m512 a0 = bcast(LD(x, 1)), b0 = bcast(LD(y, 1));                          \
        for (int64_t i = 0; i < n; i += 16) {                                       \
            __mmask16 m = tail_mask(n - i);                                         \
            __m512 a = sx ? LD(x + i, m) : a0, b = sy ? LD(y + i, m) : b0;          \
            ST(o + i, m, EXPR);                                                     \
        }                                                                           \
    } while (0)

/* `a > b ? a : b` with NaN from a or b: vmaxps returns b when either is NaN. */
#define HMAX _mm512_mask_mov_ps(_mm512_max_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a)
#define HMIN _mm512_mask_mov_ps(_mm512_min_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a)

#define HBIN_OPS(LD, ST)                                                            \
    do {                                                                            \
        switch (op) {                                                               \
        case TSH_OP_ADD:                                                            \
            if (alpha == 1) HBIN(LD, ST, _mm512_add_ps(a, b));                      \
            else HBIN(LD, ST, _mm512_fmadd_ps(al, b, a));                           \
            return true;                                                            \
        case TSH_OP_SUB:                                                            \
            if (alpha == 1) HBIN(LD, ST, _mm512_sub_ps(a, b));                      \
            else HBIN(LD, ST, _mm512_fnmadd_ps(al, b, a));                          \
            return true;                                                            \
        case TSH_OP_MUL: HBIN(LD, ST, _mm512_mul_ps(a, b)); return true;            \
        case TSH_OP_DIV: HBIN(LD, ST, _mm512_div_ps(a, b)); return true;            \
        case TSH_OP_MAXIMUM: HBIN(LD, ST, HMAX); return true;                       \
        case TSH_OP_MINIMUM: HBIN(LD, ST, HMIN); return true;                       \
        default: return false;                                                      \
        }                                                                           \
    } while (0)

AVX512 static bool bin512(tsh_op op, tsh_dtype dt, float alpha, char **p, const int64_t *s, int64_t n)
{
    uint16_t *o = (uint16_t *)p[0];
    const uint16_t *x = (const uint16_t *)p[1], *y = (const uint16_t *)p[2];
    bool sx = s[1] != 0, sy = s[2] != 0;
    const __m512 al = _mm512_set1_ps(alpha);
    if (dt == TSH_F16) HBIN_OPS(ld_f16, st_f16);
    else HBIN_OPS(ld_bf16, st_bf16);
}

#define HUN(LD, ST, EXPR)                                                           \
    do {                                                                            \
        for (int64_t i = 0; i < n; i += 16) {                                       \
            __mmask16 m = tail_mask(n - i);                                         \
            __m512 a = LD(x + i, m);                                                \
            ST(o + i, m, EXPR);                                                     \
        }                                                                           \
    } while (0)

/* relu keeps NaN: zero where a <= 0 holds (false for NaN). */
#define HUN_OPS(LD, ST)                                                             \
    do {                                                                            \
        const __m512 sign = _mm512_set1_ps(-0.0f), zero = _mm512_setzero_ps();      \
        switch (op) {                                                               \
        case TSH_OP_NEG: HUN(LD, ST, _mm512_xor_ps(a, sign)); return true;          \
        case TSH_OP_ABS: HUN(LD, ST, _mm512_andnot_ps(sign, a)); return true;       \
        case TSH_OP_SQUARE: HUN(LD, ST, _mm512_mul_ps(a, a)); return true;          \
        case TSH_OP_RELU:                                                           \
            HUN(LD, ST, _mm512_mask_mov_ps(a, _mm512_cmp_ps_mask(a, zero, _CMP_LE_OQ), zero)); \
            return true;                                                            \
        default: return false;                                                      \
        }                                                                           \
    } while (0)

AVX512 static bool un512(tsh_op op, tsh_dtype dt, char **p, int64_t n)
{
    uint16_t *o = (uint16_t *)p[0];
    const uint16_t *x = (const uint16_t *)p[1];
    if (dt == TSH_F16) HUN_OPS(ld_f16, st_f16);
    else HUN_OPS(ld_bf16, st_bf16);
}

bool tsh_cpu_half_binary(tsh_op op, tsh_dtype dt, double alpha, char **p, const int64_t *s, int64_t n)
{
    if (s[0] != 2 || (s[1] != 2 && s[1] != 0) || (s[2] != 2 && s[2] != 0)) return false;
    return bin512(op, dt, (float)alpha, p, s, n);
}

bool tsh_cpu_half_unary(tsh_op op, tsh_dtype dt, char **p, const int64_t *s, int64_t n)
{
    return s[0] == 2 && s[1] == 2 && un512(op, dt, p, n);
}
#else
bool tsh_cpu_half_binary(tsh_op op, tsh_dtype dt, double alpha, char **p, const int64_t *s, int64_t n)
{
    (void)op, (void)dt, (void)alpha, (void)p, (void)s, (void)n;
    return false;
}

bool tsh_cpu_half_unary(tsh_op op, tsh_dtype dt, char **p, const int64_t *s, int64_t n)
{
    (void)op, (void)dt, (void)p, (void)s, (void)n;
    return false;
}
#endif
