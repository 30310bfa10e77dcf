/* cpu/half.c: float16 and bfloat16 <-> float32 over blocks (see half.h),
 * and the sum and the extreme of a row of halves in one AVX-512 pass. float16 goes through
 * F16C where the CPU has it, bfloat16 through integer shifts that
 * vectorise on any x86-64; both fall back to the scalar conversions of
 * interp/core/dtype.c, which define the results. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TSH_X86_SIMD 1
#endif

#include "half.h"
#include "iter.h"

/* float16 <-> float32 with F16C (x86-64-v3 and up), rounding to nearest
 * even like tsh_f32_to_f16: 4M float32 to float16 took 22.6 ms one element
 * at a time, 0.87 ms so (torch 1.6), one thread. Two NaN cases differ from
 * the scalar code and are put back: vcvtps2ph keeps the top of a NaN's
 * payload (the scalar code gives the plain quiet NaN), and vcvtph2ps quiets
 * a signalling NaN (the scalar code keeps it). Checked once over all 2^32
 * floats; test_kernels_copy checks every half and 1M random floats. */
#ifdef TSH_X86_SIMD
__attribute__((target("avx2,f16c"))) static void f32_to_f16_f16c(uint16_t *restrict d, const float *restrict x,
                                                                   int64_t n)
{
    const __m128i abs = _mm_set1_epi16(0x7fff), inf = _mm_set1_epi16(0x7c00), payload = _mm_set1_epi16(0x01ff);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m128i nan = _mm_cmpgt_epi16(_mm_and_si128(h, abs), inf);
        _mm_storeu_si128((__m128i *)(d + i), _mm_andnot_si128(_mm_and_si128(nan, payload), h));
    }
    for (; i < n; i++) d[i] = tsh_f32_to_f16(x[i]);
}

__attribute__((target("avx2,f16c"))) static void f16_to_f32_f16c(float *restrict d, const uint16_t *restrict x,
                                                                   int64_t n)
{
    const __m128i abs = _mm_set1_epi16(0x7fff), inf = _mm_set1_epi16(0x7c00);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(x + i));
        __m128i nan = _mm_cmpgt_epi16(_mm_and_si128(h, abs), inf);
        if (!_mm_testz_si128(nan, nan)) { /* rare: a NaN among the 8 */
            for (int k = 0; k < 8; k++) d[i + k] = tsh_f16_to_f32(x[i + k]);
            continue;
        }
        _mm256_storeu_ps(d + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) d[i] = tsh_f16_to_f32(x[i]);
}

static bool have_f16c(void)
{
    static int has = -1; /* the answer never changes, so a race only repeats it */
    if (has < 0) has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    return has;
}
#endif

/* bfloat16 is float32's top half: widening is a shift, narrowing the
 * branch-free rounding of tsh_f32_to_bf16; both vectorise per clone. */
TSH_MULTIVERSION static void bf16_to_f32(float *restrict d, const uint16_t *restrict x, int64_t n)
{
    uint32_t *restrict u = (uint32_t *)d;
    for (int64_t i = 0; i < n; i++) u[i] = (uint32_t)x[i] << 16;
}

TSH_MULTIVERSION static void f32_to_bf16(uint16_t *restrict d, const float *restrict x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) d[i] = tsh_f32_to_bf16(x[i]);
}

void tsh_cpu_half_to_f32(tsh_dtype dt, float *restrict d, const uint16_t *restrict x, int64_t n)
{
    if (dt == TSH_BF16) {
        bf16_to_f32(d, x, n);
        return;
    }
#ifdef TSH_X86_SIMD
    if (have_f16c()) {
        f16_to_f32_f16c(d, x, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) d[i] = tsh_f16_to_f32(x[i]);
}

void tsh_cpu_f32_to_half(tsh_dtype dt, uint16_t *restrict d, const float *restrict x, int64_t n)
{
    if (dt == TSH_BF16) {
        f32_to_bf16(d, x, n);
        return;
    }
#ifdef TSH_X86_SIMD
    if (have_f16c()) {
        f32_to_f16_f16c(d, x, n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) d[i] = tsh_f32_to_f16(x[i]);
}

void tsh_cpu_widen(tsh_dtype dt, float *restrict d, const char *x, int64_t sx, int64_t n)
{
    if (sx == 2) {
        tsh_cpu_half_to_f32(dt, d, (const uint16_t *)x, n);
        return;
    }
    uint16_t buf[TSH_HALF_BLOCK];
    for (int64_t i = 0; i < n; i++) buf[i] = *(const uint16_t *)(x + i * sx);
    tsh_cpu_half_to_f32(dt, d, buf, n);
}

void tsh_cpu_narrow(tsh_dtype dt, char *d, int64_t sd, const float *restrict x, int64_t n)
{
    if (sd == 2) {
        tsh_cpu_f32_to_half(dt, (uint16_t *)d, x, n);
        return;
    }
    uint16_t buf[TSH_HALF_BLOCK];
    tsh_cpu_f32_to_half(dt, buf, x, n);
    for (int64_t i = 0; i < n; i++) *(uint16_t *)(d + i * sd) = buf[i];
}

/* ---- the sum of a row, in one pass ----
 * Widening a block into L1 and summing it there in double (the float32
 * path's accuracy) took as long as the float32 sum, 0.53 ms for 4M
 * bfloat16 against torch's 0.31: half of it the widening pass, half the
 * double adds. Here each half is widened in a register and added in
 * float32, 64 lanes over a block of 4096 (64 terms a lane: about 1e-6
 * relative, far below the result's half-precision rounding), and only the
 * block totals go to double, as torch's float accumulation with a cascade.
 * 4M bfloat16, one thread: 0.29-0.30 ms (torch 0.30-0.31; 0.33 with 16
 * halves a load, where vpmovzxwd was the half of the work). */
#define SUM_BLOCK 4096

#ifdef TSH_X86_SIMD
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,f16c")))

AVX512 static inline __m512 ld_f16(const uint16_t *p, __mmask16 m)
{
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}

AVX512 static inline __m512 ld_bf16(const uint16_t *p, __mmask16 m)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

#define SUM_BLOCK_LOOP(LD)                                                          \
    do {                                                                            \
        for (; i + 64 <= m; i += 64)                                                \
            for (int q = 0; q < 4; q++) acc[q] = _mm512_add_ps(acc[q], LD(p + i + 16 * q, 0xffff)); \
        for (; i < m; i += 16) {                                                    \
            __mmask16 k = m - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (m - i)) - 1); \
            acc[0] = _mm512_add_ps(acc[0], LD(p + i, k));                           \
        }                                                                           \
    } while (0)

AVX512 double tsh_cpu_half_sum512(tsh_dtype dt, const uint16_t *x, int64_t n)
{
    double total = 0;
    for (int64_t b = 0; b < n; b += SUM_BLOCK) {
        int64_t m = n - b < SUM_BLOCK ? n - b : SUM_BLOCK, i = 0;
        const uint16_t *p = x + b;
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        if (dt == TSH_F16) {
            SUM_BLOCK_LOOP(ld_f16);
        } else {
            /* 32 at a time as 16 words: the even halves shifted up, the odd
             * ones masked in place (half the loads and conversions) */
            const __m512i top = _mm512_set1_epi32((int)0xffff0000u);
            for (; i + 64 <= m; i += 64)
                for (int q = 0; q < 2; q++) {
                    __m512i w = _mm512_loadu_si512(p + i + 32 * q);
                    acc[2 * q] = _mm512_add_ps(acc[2 * q], _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
                    acc[2 * q + 1] = _mm512_add_ps(acc[2 * q + 1], _mm512_castsi512_ps(_mm512_and_si512(w, top)));
                }
            SUM_BLOCK_LOOP(ld_bf16);
        }
        __m512 s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(s));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
        total += _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
    }
    return total;
}

/* The extreme of n contiguous halves, NaN if any is NaN: the reduction
 * of max() and min() in one pass, as the sum above (4M bfloat16, one
 * thread: 0.30 ms; 0.55 widening blocks into L1; torch 0.51). Masked-off
 * tail lanes keep their accumulator. */
AVX512 double tsh_cpu_half_best512(tsh_dtype dt, const uint16_t *x, int64_t n, bool max)
{
    const __m512 init = _mm512_set1_ps(max ? -INFINITY : INFINITY);
    __m512 acc[4] = {init, init, init, init};
    __mmask16 nan = 0;
#define BEST_STEP(q, k, v)                                                          \
    do {                                                                            \
        __m512 v_ = (v);                                                            \
        nan |= _mm512_cmp_ps_mask(v_, v_, _CMP_UNORD_Q);                            \
        acc[q] = max ? _mm512_mask_max_ps(acc[q], k, acc[q], v_) : _mm512_mask_min_ps(acc[q], k, acc[q], v_); \
    } while (0)
#define BEST_LOOP(LD)                                                               \
    do {                                                                            \
        for (; i + 64 <= n; i += 64)                                                \
            for (int q = 0; q < 4; q++) BEST_STEP(q, 0xffff, LD(x + i + 16 * q, 0xffff)); \
        for (; i < n; i += 16) {                                                    \
            __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1); \
            BEST_STEP(0, k, LD(x + i, k));                                          \
        }                                                                           \
    } while (0)
    int64_t i = 0;
    if (dt == TSH_F16) BEST_LOOP(ld_f16);
    else BEST_LOOP(ld_bf16);
#undef BEST_LOOP
#undef BEST_STEP
    if (nan) return NAN;
    __m512 a = max ? _mm512_max_ps(_mm512_max_ps(acc[0], acc[1]), _mm512_max_ps(acc[2], acc[3]))
                   : _mm512_min_ps(_mm512_min_ps(acc[0], acc[1]), _mm512_min_ps(acc[2], acc[3]));
    return max ? _mm512_reduce_max_ps(a) : _mm512_reduce_min_ps(a);
}

bool tsh_cpu_half512(void)
{
    static int ok = -1; /* the answer never changes, so a race only repeats it */
    if (ok < 0)
        ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("f16c");
    return ok && !tsh_env_off("TENSH_HALF512");
}
#else
bool tsh_cpu_half512(void) { return false; }

double tsh_cpu_half_sum512(tsh_dtype dt, const uint16_t *x, int64_t n)
{
    (void)dt, (void)x, (void)n;
    return 0;
}

double tsh_cpu_half_best512(tsh_dtype dt, const uint16_t *x, int64_t n, bool max)
{
    (void)dt, (void)x, (void)n, (void)max;
    return 0;
}
#endif
