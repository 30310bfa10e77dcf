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
 * line is W further on; mlo and mhi mask off floats past the data. The
 * windows' outputs (and backward's inputs dy and indices) are at out0 and
 * out1, om0 and om1 saying which windows are there. first is each window's
 * 1-based top-left position in its plane, the origin of its index (32-bit:
 * nn_pool.c takes only planes of fewer than 2^31 elements). Offsets rather
 * than pointers, so that backward lays the same groups over dx. */
typedef struct {
    int64_t lo, hi, out0, out1;
    __mmask16 mlo, mhi;
    __mmask8 om0, om1;
    __m512i first;
} group;

/* The three ways to cut a run into groups: two output rows a group (rows
 * of 8 windows or fewer), one (9 to 16), or rows in groups of 16 windows. */
typedef enum { CUT_PAIRS, CUT_ROWS, CUT_CHUNKS } cut;

/* Output row r of the run: the input offset of its top line, and its row
 * oh in its plane. */
typedef struct {
    const tsh_pool_dims *d;
    int64_t rows, r, ow, top, oh;
} walk;

static cut cut_of(const tsh_pool_dims *d) { return d->OW <= 8 ? CUT_PAIRS : d->OW <= 16 ? CUT_ROWS : CUT_CHUNKS; }

/* From row r to r + 1 (the next plane's first after a plane's last). */
INLINE void next_row(walk *w)
{
    const tsh_pool_dims *d = w->d;
    w->r++;
    if (w->oh + 1 < d->OH) w->top += 2 * d->W, w->oh++;
    else w->top += (d->H - 2 * w->oh) * d->W, w->oh = 0;
}

/* first for windows 0-7 from plane position a, 8-15 from b. */
INLINE __m512i firsts(int64_t a, int64_t b)
{
    const __m512i odd8 = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);
    return _mm512_add_epi32(_mm512_mask_blend_epi32(0xff00, _mm512_set1_epi32((int)a), _mm512_set1_epi32((int)b)),
                            odd8);
}

/* The next group, and the walk past it. (how is a constant at each call,
 * so each loop gets its own straight-line copy.) */
INLINE group next_group(walk *w, cut how)
{
    const tsh_pool_dims *d = w->d;
    int64_t W = d->W, OW = d->OW;
    group g;
    if (how == CUT_PAIRS) {
        bool two = w->r + 1 < w->rows;
        int64_t top = w->top, oh = w->oh, out = w->r * OW;
        __mmask16 m = (__mmask16)((1u << (2 * OW)) - 1);
        __mmask8 om = (__mmask8)((1u << OW) - 1);
        next_row(w);
        g = (group){top, two ? w->top : top, out, two ? out + OW : out, m, two ? m : 0, om, two ? om : 0,
                    firsts(2 * oh * W, 2 * (two ? w->oh : oh) * W)};
        if (two) next_row(w);
        return g;
    }
    int64_t n = OW - w->ow < 16 ? OW - w->ow : 16;
    int lo = n >= 8 ? 16 : (int)(2 * n), hi = n > 8 ? (int)(2 * n - 16) : 0;
    int64_t at = w->top + 2 * w->ow, out = w->r * OW + w->ow, pos = 2 * w->oh * W + 2 * w->ow;
    g = (group){at, hi ? at + 16 : at, out, hi ? out + 8 : out, (__mmask16)((1u << lo) - 1),
                (__mmask16)((1u << hi) - 1), (__mmask8)((1u << (n < 8 ? n : 8)) - 1),
                (__mmask8)((1u << (n > 8 ? n - 8 : 0)) - 1), firsts(pos, pos + 16)};
    w->ow += 16;
    if (how == CUT_ROWS || w->ow >= OW) w->ow = 0, next_row(w);
    return g;
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

/* Stores the winners' values and their indices, first + k, widened to
 * int64 by interleaving with zeros (they are positive). Rows of 9 or more
 * windows keep lanes 8-15 right after 0-7, so one store takes all 16. */
INLINE void put_max(const group *g, cut how, __m512 best, __m512i k, float *y, int64_t *ix)
{
    const __m512i wide0 = _mm512_setr_epi32(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
    const __m512i wide1 = _mm512_add_epi32(wide0, _mm512_setr_epi32(8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0, 8, 0));
    if (how == CUT_PAIRS) {
        _mm256_mask_storeu_ps(y + g->out0, g->om0, _mm512_castps512_ps256(best));
        _mm256_mask_storeu_ps(y + g->out1, g->om1, _mm512_extractf32x8_ps(best, 1));
    } else {
        _mm512_mask_storeu_ps(y + g->out0, (__mmask16)(g->om0 | (unsigned)g->om1 << 8), best);
    }
    if (!ix) return;
    __m512i pos = _mm512_add_epi32(g->first, k);
    _mm512_mask_storeu_epi64(ix + g->out0, g->om0, _mm512_permutex2var_epi32(pos, wide0, _mm512_setzero_si512()));
    _mm512_mask_storeu_epi64(ix + g->out1, g->om1, _mm512_permutex2var_epi32(pos, wide1, _mm512_setzero_si512()));
}

/* (ix == NULL or not is fixed at each call, as is how, so the index work
 * drops out of the loop that has no indices to write.) */
INLINE void max_run(const float *x, const tsh_pool_dims *d, int64_t planes, float *y, int64_t *ix, cut how)
{
    walk w = {d, planes * d->OH, 0, 0, 0, 0};
    while (w.r < w.rows) {
        group g = next_group(&w, how);
        __m512i k;
        __m512 best = max16(x, &g, d->W, &k);
        put_max(&g, how, best, k, y, ix);
    }
}

TARGET void tsh_pool512_max2x2(const float *x, const tsh_pool_dims *d, int64_t planes, float *y, int64_t *ix)
{
    switch (cut_of(d)) {
    case CUT_PAIRS: ix ? max_run(x, d, planes, y, ix, CUT_PAIRS) : max_run(x, d, planes, y, NULL, CUT_PAIRS); break;
    case CUT_ROWS: ix ? max_run(x, d, planes, y, ix, CUT_ROWS) : max_run(x, d, planes, y, NULL, CUT_ROWS); break;
    case CUT_CHUNKS: ix ? max_run(x, d, planes, y, ix, CUT_CHUNKS) : max_run(x, d, planes, y, NULL, CUT_CHUNKS);
    }
}

/* One input line of a group's windows: g where m0 (left column) or m1
 * (right) is set, 0 elsewhere, interleaved back into line order. g + 0
 * rather than g: -0 becomes +0, as in the general loop's 0 + dy. */
INLINE void put_line(float *lo, float *hi, const group *gr, __m512 g, __mmask16 m0, __mmask16 m1)
{
    const __m512i ilo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ihi = _mm512_add_epi32(ilo, _mm512_set1_epi32(8));
    __m512 l = _mm512_maskz_add_ps(m0, g, _mm512_setzero_ps()), r = _mm512_maskz_add_ps(m1, g, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(lo, gr->mlo, _mm512_permutex2var_ps(l, ilo, r));
    _mm512_mask_storeu_ps(hi, gr->mhi, _mm512_permutex2var_ps(l, ihi, r));
}

/* Backward of one group: g (the windows' dy) goes where each window's index
 * points and 0 to its other three elements, so every element a window
 * covers is written once (the windows do not overlap). An index outside
 * its window only clears that window's lanes of *valid (and, with any of
 * its upper 32 bits set, *high), to be checked once at the end: the writes
 * stay inside the windows whatever the indices hold. */
INLINE void put_grad(const group *gr, float *dx, const float *dy, const int64_t *ix, int64_t W, __mmask16 *valid,
                     __m512i *high)
{
    const __m512i low32 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    __m512 g = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_maskz_loadu_ps(gr->om0, dy + gr->out0)),
                                  _mm256_maskz_loadu_ps(gr->om1, dy + gr->out1), 1);
    __m512i i0 = _mm512_maskz_loadu_epi64(gr->om0, ix + gr->out0), i1 = _mm512_maskz_loadu_epi64(gr->om1, ix + gr->out1);
    *high = _mm512_ternarylogic_epi64(*high, i0, i1, 0xfe); /* high | i0 | i1 */
    __m512i k = _mm512_sub_epi32(_mm512_permutex2var_epi32(i0, low32, i1), gr->first);
    __mmask16 m0 = _mm512_cmpeq_epi32_mask(k, _mm512_setzero_si512());
    __mmask16 m1 = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(1));
    __mmask16 m2 = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32((int)W));
    __mmask16 m3 = _mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32((int)W + 1));
    *valid &= (__mmask16)(m0 | m1 | m2 | m3 | ~(gr->om0 | (unsigned)gr->om1 << 8));
    float *lo = dx + gr->lo, *hi = dx + gr->hi;
    put_line(lo, hi, gr, g, m0, m1);
    put_line(lo + W, hi + W, gr, g, m2, m3);
}

INLINE bool grad_run(float *dx, const tsh_pool_dims *d, int64_t planes, const float *dy, const int64_t *ix, cut how)
{
    const __m512i upper = _mm512_set1_epi64((int64_t)0xffffffff00000000);
    walk w = {d, planes * d->OH, 0, 0, 0, 0};
    __mmask16 valid = 0xffff;
    __m512i high = _mm512_setzero_si512();
    while (w.r < w.rows) {
        group g = next_group(&w, how);
        put_grad(&g, dx, dy, ix, d->W, &valid, &high);
    }
    return valid == 0xffff && !_mm512_test_epi64_mask(high, upper);
}

TARGET bool tsh_pool512_max2x2_bwd(float *dx, const tsh_pool_dims *d, int64_t planes, const float *dy,
                                   const int64_t *ix)
{
    switch (cut_of(d)) {
    case CUT_PAIRS: return grad_run(dx, d, planes, dy, ix, CUT_PAIRS);
    case CUT_ROWS: return grad_run(dx, d, planes, dy, ix, CUT_ROWS);
    default: return grad_run(dx, d, planes, dy, ix, CUT_CHUNKS);
    }
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
