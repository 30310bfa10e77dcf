/* cpu/nn_pool512.c: AVX-512 loops for float32 max pooling with a 2x2
 * window, stride 2 and no padding (LeNet's), forward and backward, one plane
 * per call. LeNet's rows are short (7 to 14 windows), so a scalar loop pays
 * for its selects and index math window by window; here one vector holds 16
 * windows, from one output row or, when rows have 8 windows or fewer, from
 * two. Not here: deciding when these apply, other dtypes, windows and CPUs
 * (nn_pool.c). */
#include "nn.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define INLINE TARGET static inline __attribute__((always_inline))

bool tsh_pool512_ok(void)
{
    static int ok = -1; /* the answer never changes, so a race only repeats it */
    if (ok < 0)
        ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    return ok;
}

/* A group of 16 windows of one plane. The 32 floats of the top input row
 * from offset lo hold windows 0-7 (lanes 0-7), those from hi windows 8-15;
 * the bottom row is W further on. Lanes past the data are masked off (mlo,
 * mhi: floats). first is each window's 1-based top-left position in the
 * plane (lanes 0-7, then 8-15): the origin of its index. Offsets rather
 * than pointers, so that backward can lay the same groups over dx. */
typedef struct {
    int64_t lo, hi;
    __mmask16 mlo, mhi;
    __m512i first[2];
} group;

/* The 1-based top-left positions of 8 windows of output row oh, from w0. */
INLINE __m512i firsts(int64_t oh, int64_t w0, int64_t W)
{
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    return _mm512_add_epi64(_mm512_set1_epi64(2 * oh * W + 2 * w0 + 1), even);
}

/* The two layouts of a group. row_group: n <= 16 windows of output row oh
 * from window w0 on. pair_group: the n <= 8 windows of rows oh and oh + 1,
 * or of oh alone when two is false. */
INLINE group row_group(int64_t W, int64_t oh, int64_t w0, int64_t n)
{
    int64_t r = 2 * oh * W + 2 * w0;
    int lo = n >= 8 ? 16 : (int)(2 * n), hi = n > 8 ? (int)(2 * n - 16) : 0;
    return (group){r, hi ? r + 16 : r, (__mmask16)((1u << lo) - 1), (__mmask16)((1u << hi) - 1),
                   {firsts(oh, w0, W), firsts(oh, w0 + 8, W)}};
}

INLINE group pair_group(int64_t W, int64_t oh, int64_t n, bool two)
{
    int64_t r = 2 * oh * W;
    __mmask16 m = (__mmask16)((1u << (2 * n)) - 1);
    return (group){r, two ? r + 2 * W : r, m, two ? m : 0, {firsts(oh, 0, W), firsts(oh + 1, 0, W)}};
}

/* The max of each window and its position k in {0, 1, W, W + 1}. Strictly
 * larger wins, so ties go to the first in the window's row-major order; a
 * NaN never wins a comparison, so windows holding one are redone with the
 * rule of ops.h (the first NaN wins), which the scalar loops follow too. */
INLINE __m512 max16(const float *x, const group *g, int64_t W, __m512i *k)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const float *lo = x + g->lo, *hi = x + g->hi;
    __m512 t0 = _mm512_maskz_loadu_ps(g->mlo, lo), t1 = _mm512_maskz_loadu_ps(g->mhi, hi);
    __m512 u0 = _mm512_maskz_loadu_ps(g->mlo, lo + W), u1 = _mm512_maskz_loadu_ps(g->mhi, hi + W);
    __m512 a[4] = {_mm512_permutex2var_ps(t0, even, t1), _mm512_permutex2var_ps(t0, odd, t1),
                   _mm512_permutex2var_ps(u0, even, u1), _mm512_permutex2var_ps(u0, odd, u1)};
    __m512i at[4] = {_mm512_setzero_si512(), _mm512_set1_epi32(1), _mm512_set1_epi32((int)W),
                     _mm512_set1_epi32((int)W + 1)};
    __m512 best = a[0];
    __m512i where = at[0];
    for (int j = 1; j < 4; j++) {
        __mmask16 m = _mm512_cmp_ps_mask(a[j], best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, m, a[j]);
        where = _mm512_mask_mov_epi32(where, m, at[j]);
    }
    if (__builtin_expect(_mm512_cmp_ps_mask(a[0], a[1], _CMP_UNORD_Q) | _mm512_cmp_ps_mask(a[2], a[3], _CMP_UNORD_Q),
                         0))
        for (int j = 3; j >= 0; j--) { /* the earliest NaN is written last */
            __mmask16 m = _mm512_cmp_ps_mask(a[j], a[j], _CMP_UNORD_Q);
            best = _mm512_mask_mov_ps(best, m, a[j]);
            where = _mm512_mask_mov_epi32(where, m, at[j]);
        }
    *k = where;
    return best;
}

/* The 1-based plane positions of the winners: first + k, as int64. */
INLINE void indices(const group *g, __m512i k, __m512i out[2])
{
    out[0] = _mm512_add_epi64(g->first[0], _mm512_cvtepi32_epi64(_mm512_castsi512_si256(k)));
    out[1] = _mm512_add_epi64(g->first[1], _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(k, 1)));
}

/* (want_ix is a constant at each call, so the index work drops out of the
 * loop that has no indices to write.) */
INLINE void max_plane(const float *x, int64_t W, int64_t OH, int64_t OW, float *y, int64_t *ix, bool want_ix)
{
    __m512i k, pos[2];
    if (OW <= 8) { /* two output rows a vector */
        __mmask8 mo = (__mmask8)((1u << OW) - 1);
        for (int64_t oh = 0; oh < OH; oh += 2) {
            bool two = oh + 1 < OH;
            group g = pair_group(W, oh, OW, two);
            __m512 best = max16(x, &g, W, &k);
            _mm256_mask_storeu_ps(y + oh * OW, mo, _mm512_castps512_ps256(best));
            if (two) _mm256_mask_storeu_ps(y + (oh + 1) * OW, mo, _mm512_extractf32x8_ps(best, 1));
            if (!want_ix) continue;
            indices(&g, k, pos);
            _mm512_mask_storeu_epi64(ix + oh * OW, mo, pos[0]);
            if (two) _mm512_mask_storeu_epi64(ix + (oh + 1) * OW, mo, pos[1]);
        }
        return;
    }
    for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow += 16) {
            int64_t n = OW - ow < 16 ? OW - ow : 16;
            __mmask16 mo = (__mmask16)((1u << n) - 1);
            group g = row_group(W, oh, ow, n);
            __m512 best = max16(x, &g, W, &k);
            _mm512_mask_storeu_ps(y + oh * OW + ow, mo, best);
            if (!want_ix) continue;
            indices(&g, k, pos);
            _mm512_mask_storeu_epi64(ix + oh * OW + ow, (__mmask8)mo, pos[0]);
            _mm512_mask_storeu_epi64(ix + oh * OW + ow + 8, (__mmask8)(mo >> 8), pos[1]);
        }
}

TARGET void tsh_pool512_max2x2(const float *x, int64_t W, int64_t OH, int64_t OW, float *y, int64_t *ix)
{
    if (ix) max_plane(x, W, OH, OW, y, ix, true);
    else max_plane(x, W, OH, OW, y, ix, false);
}

/* Backward of one group: g (the windows' dy) goes where each window's index
 * points and 0 to its other three elements, so every element a window
 * covers is written once (the windows do not overlap). False when a live
 * window's index is none of its four positions; the caller then redoes the
 * plane the general way. */
INLINE bool put16(const group *gr, float *dx, int64_t W, __m512 g, const __m512i ix[2], __mmask16 live)
{
    const __m512i ilo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ihi = _mm512_add_epi32(ilo, _mm512_set1_epi32(8));
    const int64_t at[4] = {0, 1, W, W + 1};
    __mmask16 m[4];
    for (int j = 0; j < 4; j++) {
        __m512i d = _mm512_set1_epi64(at[j]);
        __mmask8 lo = _mm512_cmpeq_epi64_mask(ix[0], _mm512_add_epi64(gr->first[0], d));
        __mmask8 hi = _mm512_cmpeq_epi64_mask(ix[1], _mm512_add_epi64(gr->first[1], d));
        m[j] = (__mmask16)(lo | (unsigned)hi << 8);
    }
    if (((m[0] | m[1] | m[2] | m[3]) & live) != live) return false;
    /* g + 0 rather than g: -0 becomes +0, as in the general loop's 0 + dy */
    float *lo = dx + gr->lo, *hi = dx + gr->hi;
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < 2; r++) {
        __m512 e = _mm512_maskz_add_ps(m[2 * r], g, zero), o = _mm512_maskz_add_ps(m[2 * r + 1], g, zero);
        _mm512_mask_storeu_ps(lo + r * W, gr->mlo, _mm512_permutex2var_ps(e, ilo, o));
        _mm512_mask_storeu_ps(hi + r * W, gr->mhi, _mm512_permutex2var_ps(e, ihi, o));
    }
    return true;
}

TARGET bool tsh_pool512_max2x2_bwd(float *dx, int64_t W, int64_t OH, int64_t OW, const float *dy,
                                   const int64_t *ix)
{
    __m512i pos[2];
    if (OW <= 8) {
        __mmask8 mo = (__mmask8)((1u << OW) - 1);
        for (int64_t oh = 0; oh < OH; oh += 2) {
            bool two = oh + 1 < OH;
            const float *d1 = dy + oh * OW, *d2 = two ? d1 + OW : d1;
            const int64_t *i1 = ix + oh * OW, *i2 = two ? i1 + OW : i1;
            __mmask8 m2 = two ? mo : 0;
            group gr = pair_group(W, oh, OW, two);
            __m512 g = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_maskz_loadu_ps(mo, d1)),
                                          _mm256_maskz_loadu_ps(m2, d2), 1);
            pos[0] = _mm512_maskz_loadu_epi64(mo, i1), pos[1] = _mm512_maskz_loadu_epi64(m2, i2);
            if (!put16(&gr, dx, W, g, pos, (__mmask16)(mo | (unsigned)m2 << 8))) return false;
        }
        return true;
    }
    for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow += 16) {
            int64_t n = OW - ow < 16 ? OW - ow : 16;
            __mmask16 mo = (__mmask16)((1u << n) - 1);
            group gr = row_group(W, oh, ow, n);
            __m512 g = _mm512_maskz_loadu_ps(mo, dy + oh * OW + ow);
            pos[0] = _mm512_maskz_loadu_epi64((__mmask8)mo, ix + oh * OW + ow);
            pos[1] = _mm512_maskz_loadu_epi64((__mmask8)(mo >> 8), ix + oh * OW + ow + 8);
            if (!put16(&gr, dx, W, g, pos, mo)) return false;
        }
    return true;
}

#else

bool tsh_pool512_ok(void) { return false; }

void tsh_pool512_max2x2(const float *x, int64_t W, int64_t OH, int64_t OW, float *y, int64_t *ix)
{
    (void)x, (void)W, (void)OH, (void)OW, (void)y, (void)ix;
}

bool tsh_pool512_max2x2_bwd(float *dx, int64_t W, int64_t OH, int64_t OW, const float *dy, const int64_t *ix)
{
    (void)dx, (void)W, (void)OH, (void)OW, (void)dy, (void)ix;
    return false;
}

#endif
