/* cpu/half.c: float16 and bfloat16 <-> float32 over blocks (see half.h).
 * float16 goes through F16C where the CPU has it, bfloat16 through integer
 * shifts that vectorise on any x86-64; both fall back to the scalar
 * conversions of interp/core/dtype.c, which define the results. */
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
