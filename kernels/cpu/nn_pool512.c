/* cpu/nn_pool512.c: AVX-512 loops for float32 max pooling with a 2x2
 * window, stride 2 and no padding (LeNet's), forward and backward, over a
 * run of planes. LeNet's rows are short (5 or 14 windows), so a scalar loop
 * pays for its selects and index math window by window; here one vector
 * holds 16 windows, from one output row or, when rows have 8 windows or
 * fewer, from two (consecutive rows, of one plane or of two). Not here:
 * deciding when these apply, other dtypes, windows and CPUs, and the
 * elements no window covers (nn_pool.c). */
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

/* A group of 16 windows. The 32 floats of the top input line from offset
 * lo hold windows 0-7 (lanes 0-7), those from hi windows 8-15; the bottom
 * line is W further on. Lanes past the data are masked off (mlo, mhi:
 * floats). first is each window's 1-based top-left position in its plane
 * (lanes 0-7, then 8-15): the origin of its index. Offsets rather than
 * pointers, so that backward can lay the same groups over dx. */
typedef struct {
    int64_t lo, hi;
    __mmask16 mlo, mhi;
    __m512i first[2];
} group;

/* Output row r of a run of planes: the input offset of its top line, and
 * its row oh in its plane. */
typedef struct {
    int64_t top, oh;
} rowpos;

INLINE rowpos next_row(rowpos q, const tsh_pool_dims *d)
{
    if (q.oh + 1 < d->OH) return (rowpos){q.top + 2 * d->W, q.oh + 1};
    return (rowpos){q.top + (d->H - 2 * q.oh) * d->W, 0}; /* the next plane's first */
}

/* The 1-based top-left positions of 8 windows of output row oh, from w0. */
INLINE __m512i firsts(int64_t oh, int64_t w0, int64_t W)
{
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    return _mm512_add_epi64(_mm512_set1_epi64(2 * oh * W + 2 * w0 + 1), even);
}

/* The two layouts of a group. row_group: n <= 16 windows of row q from
 * window w0 on. pair_group: the n <= 8 windows of rows q and q2, or of q
 * alone when two is false. */
INLINE group row_group(int64_t W, rowpos q, int64_t w0, int64_t n)
{
    int64_t r = q.top + 2 * w0;
    int lo = n >= 8 ? 16 : (int)(2 * n), hi = n > 8 ? (int)(2 * n - 16) : 0;
    return (group){r, hi ? r + 16 : r, (__mmask16)((1u << lo) - 1), (__mmask16)((1u << hi) - 1),
                   {firsts(q.oh, w0, W), firsts(q.oh, w0 + 8, W)}};
}

INLINE group pair_group(int64_t W, rowpos q, rowpos q2, int64_t n, bool two)
{
    __mmask16 m = (__mmask16)((1u << (2 * n)) - 1);
    return (group){q.top, two ? q2.top : q.top, m, two ? m : 0, {firsts(q.oh, 0, W), firsts(q2.oh, 0, W)}};
}

/* Where m is set: the window's best so far is v, at position k. */
INLINE void take(__mmask16 m, __m512 v, __m512i k, __m512 *best, __m512i *where)
{
    *best = _mm512_mask_mov_ps(*best, m, v);
    *where = _mm512_mask_mov_epi32(*where, m, k);
}

/* The max of each window and its position k in {0, 1, W, W + 1}. Strictly
 * larger wins, so ties go to the first in the window's row-major order; a
 * NaN never wins a comparison, so windows holding one are redone with the
 * rule of ops.h (the first NaN wins), which the scalar loops follow too.
 * (Written out rather than looped over arrays: at -O2 GCC keeps such arrays
 * of vectors on the stack.) */
INLINE __m512 max16(const float *x, const group *g, int64_t W, __m512i *k)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i k1 = _mm512_set1_epi32(1), kw = _mm512_set1_epi32((int)W), kw1 = _mm512_set1_epi32((int)W + 1);
    const float *lo = x + g->lo, *hi = x + g->hi;
    __m512 t0 = _mm512_maskz_loadu_ps(g->mlo, lo), t1 = _mm512_maskz_loadu_ps(g->mhi, hi);
    __m512 u0 = _mm512_maskz_loadu_ps(g->mlo, lo + W), u1 = _mm512_maskz_loadu_ps(g->mhi, hi + W);
    __m512 a0 = _mm512_permutex2var_ps(t0, even, t1), a1 = _mm512_permutex2var_ps(t0, odd, t1);
    __m512 a2 = _mm512_permutex2var_ps(u0, even, u1), a3 = _mm512_permutex2var_ps(u0, odd, u1);
    __m512 best = a0;
    __m512i where = _mm512_setzero_si512();
    take(_mm512_cmp_ps_mask(a1, best, _CMP_GT_OQ), a1, k1, &best, &where);
    take(_mm512_cmp_ps_mask(a2, best, _CMP_GT_OQ), a2, kw, &best, &where);
    take(_mm512_cmp_ps_mask(a3, best, _CMP_GT_OQ), a3, kw1, &best, &where);
    if (__builtin_expect(_mm512_cmp_ps_mask(a0, a1, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(a2, a3, _CMP_UNORD_Q), 0)) {
        /* the earliest NaN is taken last */
        take(_mm512_cmp_ps_mask(a3, a3, _CMP_UNORD_Q), a3, kw1, &best, &where);
        take(_mm512_cmp_ps_mask(a2, a2, _CMP_UNORD_Q), a2, kw, &best, &where);
        take(_mm512_cmp_ps_mask(a1, a1, _CMP_UNORD_Q), a1, k1, &best, &where);
        take(_mm512_cmp_ps_mask(a0, a0, _CMP_UNORD_Q), a0, _mm512_setzero_si512(), &best, &where);
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

/* rows output rows from the first plane's first. (want_ix is a constant
 * at each call, so the index work drops out of the loop that has no
 * indices to write.) */
INLINE void max_rows(const float *x, const tsh_pool_dims *d, int64_t rows, float *y, int64_t *ix, bool want_ix)
{
    int64_t W = d->W, OW = d->OW;
    rowpos q = {0, 0};
    __m512i k, pos[2];
    if (OW <= 8) { /* two output rows a vector */
        __mmask8 mo = (__mmask8)((1u << OW) - 1);
        for (int64_t r = 0; r < rows; r += 2) {
            bool two = r + 1 < rows;
            rowpos q2 = two ? next_row(q, d) : q;
            group g = pair_group(W, q, q2, OW, two);
            __m512 best = max16(x, &g, W, &k);
            _mm256_mask_storeu_ps(y + r * OW, mo, _mm512_castps512_ps256(best));
            if (two) _mm256_mask_storeu_ps(y + (r + 1) * OW, mo, _mm512_extractf32x8_ps(best, 1));
            if (want_ix) {
                indices(&g, k, pos);
                _mm512_mask_storeu_epi64(ix + r * OW, mo, pos[0]);
                if (two) _mm512_mask_storeu_epi64(ix + (r + 1) * OW, mo, pos[1]);
            }
            q = next_row(q2, d);
        }
        return;
    }
    for (int64_t r = 0; r < rows; r++, q = next_row(q, d))
        for (int64_t ow = 0; ow < OW; ow += 16) {
            int64_t n = OW - ow < 16 ? OW - ow : 16;
            __mmask16 mo = (__mmask16)((1u << n) - 1);
            group g = row_group(W, q, ow, n);
            __m512 best = max16(x, &g, W, &k);
            _mm512_mask_storeu_ps(y + r * OW + ow, mo, best);
            if (!want_ix) continue;
            indices(&g, k, pos);
            _mm512_mask_storeu_epi64(ix + r * OW + ow, (__mmask8)mo, pos[0]);
            _mm512_mask_storeu_epi64(ix + r * OW + ow + 8, (__mmask8)(mo >> 8), pos[1]);
        }
}

TARGET void tsh_pool512_max2x2(const float *x, const tsh_pool_dims *d, int64_t planes, float *y, int64_t *ix)
{
    if (ix) max_rows(x, d, planes * d->OH, y, ix, true);
    else max_rows(x, d, planes * d->OH, y, ix, false);
}

/* Each window's index as an offset from its first position, in 32 bits.
 * The narrowing saturates, so an offset too large for 32 bits cannot pass
 * for one of the four in the window. */
INLINE __m512i offsets(const group *gr, const __m512i ix[2])
{
    __m256i lo = _mm512_cvtsepi64_epi32(_mm512_sub_epi64(ix[0], gr->first[0]));
    __m256i hi = _mm512_cvtsepi64_epi32(_mm512_sub_epi64(ix[1], gr->first[1]));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* One input row of a group's windows: g where m0 (left column) or m1
 * (right) is set, 0 elsewhere, interleaved back into row order. g + 0
 * rather than g: -0 becomes +0, as in the general loop's 0 + dy. */
INLINE void put_row(float *lo, float *hi, const group *gr, __m512 g, __mmask16 m0, __mmask16 m1)
{
    const __m512i ilo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ihi = _mm512_add_epi32(ilo, _mm512_set1_epi32(8));
    __m512 l = _mm512_maskz_add_ps(m0, g, _mm512_setzero_ps()), r = _mm512_maskz_add_ps(m1, g, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(lo, gr->mlo, _mm512_permutex2var_ps(l, ilo, r));
    _mm512_mask_storeu_ps(hi, gr->mhi, _mm512_permutex2var_ps(l, ihi, r));
}

/* Backward of one group: g (the windows' dy) goes where each window's index
 * points and 0 to its other three elements, so every element a window
 * covers is written once (the windows do not overlap). False when a live
 * window's index is none of its four positions; the caller then redoes the
 * plane the general way. */
INLINE bool put16(const group *gr, float *dx, int64_t W, __m512 g, const __m512i ix[2], __mmask16 live)
{
    __m512i k = offsets(gr, ix);
    __mmask16 m0 = _mm512_cmpeq_epi32_mask(k, _mm512_setzero_si512());
    __mmask16 m1 = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(1));
    __mmask16 m2 = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32((int)W));
    __mmask16 m3 = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32((int)W + 1));
    if (((m0 | m1 | m2 | m3) & live) != live) return false;
    float *lo = dx + gr->lo, *hi = dx + gr->hi;
    put_row(lo, hi, gr, g, m0, m1);
    put_row(lo + W, hi + W, gr, g, m2, m3);
    return true;
}

TARGET bool tsh_pool512_max2x2_bwd(float *dx, const tsh_pool_dims *d, int64_t planes, const float *dy,
                                   const int64_t *ix)
{
    int64_t W = d->W, OW = d->OW, rows = planes * d->OH;
    rowpos q = {0, 0};
    __m512i pos[2];
    if (OW <= 8) {
        __mmask8 mo = (__mmask8)((1u << OW) - 1);
        for (int64_t r = 0; r < rows; r += 2) {
            bool two = r + 1 < rows;
            rowpos q2 = two ? next_row(q, d) : q;
            const float *d1 = dy + r * OW, *d2 = two ? d1 + OW : d1;
            const int64_t *i1 = ix + r * OW, *i2 = two ? i1 + OW : i1;
            __mmask8 m2 = two ? mo : 0;
            group gr = pair_group(W, q, q2, OW, two);
            __m512 g = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_maskz_loadu_ps(mo, d1)),
                                          _mm256_maskz_loadu_ps(m2, d2), 1);
            pos[0] = _mm512_maskz_loadu_epi64(mo, i1), pos[1] = _mm512_maskz_loadu_epi64(m2, i2);
            if (!put16(&gr, dx, W, g, pos, (__mmask16)(mo | (unsigned)m2 << 8))) return false;
            q = next_row(q2, d);
        }
        return true;
    }
    for (int64_t r = 0; r < rows; r++, q = next_row(q, d))
        for (int64_t ow = 0; ow < OW; ow += 16) {
            int64_t n = OW - ow < 16 ? OW - ow : 16;
            __mmask16 mo = (__mmask16)((1u << n) - 1);
            group gr = row_group(W, q, ow, n);
            __m512 g = _mm512_maskz_loadu_ps(mo, dy + r * OW + ow);
            pos[0] = _mm512_maskz_loadu_epi64((__mmask8)mo, ix + r * OW + ow);
            pos[1] = _mm512_maskz_loadu_epi64((__mmask8)(mo >> 8), ix + r * OW + ow + 8);
            if (!put16(&gr, dx, W, g, pos, mo)) return false;
        }
    return true;
}

#else

bool tsh_pool512_ok(void) { return false; }

void tsh_pool512_max2x2(const float *x, const tsh_pool_dims *d, int64_t planes, float *y, int64_t *ix)
{
    (void)x, (void)d, (void)planes, (void)y, (void)ix;
}

bool tsh_pool512_max2x2_bwd(float *dx, const tsh_pool_dims *d, int64_t planes, const float *dy, const int64_t *ix)
{
    (void)dx, (void)d, (void)planes, (void)dy, (void)ix;
    return false;
}

#endif
