/* cpu/nn_pool512.c: AVX-512 loops for float32 max pooling with a 2x2
 * window, stride 2 and no padding (LeNet's), forward and backward, over a
 * run of planes. LeNet's rows are short (5 or 14 windows), so a scalar loop
 * pays for its selects and index math window by window. Here the forward
 * holds 16 windows a vector, from one output row or, when rows have 8
 * windows or fewer, from two (consecutive rows, of one plane or of two);
 * the backward writes 8 windows' 2x2 blocks a vector pair, with shifts in
 * place of compares and shuffles. Not here: deciding when these apply,
 * other dtypes, windows and CPUs, and the elements no window covers
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

/* A group of 16 windows of the forward. The 32 floats of the top input
 * line from offset lo hold windows 0-7 (lanes 0-7), those from hi windows
 * 8-15; the bottom line is W further on; mlo and mhi mask off floats past
 * the data. The windows' outputs are at out0 and out1, om0 and om1 saying
 * which windows are there. first is each window's 1-based top-left
 * position in its plane, the origin of its index (32-bit: nn_pool.c takes
 * only planes of fewer than 2^30 elements). */
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

/* Backward, 8 windows a vector and one 64-bit lane a window: its lane of
 * a line's vector holds the window's two elements of that line, the left in
 * its low half. Each window's dy, zero-extended to 64 bits, is shifted left
 * by 32k for the top line and by 32(k - W) for the bottom one, k being the
 * index's offset from the window's top-left corner (0, 1, W or W + 1): a
 * shift of 0 or 32 puts dy under the left or the right element, and any
 * other (64 or more, or negative, which the shift takes as huge) leaves 0.
 * So both lines come out in place, with no compares, blends or permutes.
 * dy + 0 rather than dy: -0 becomes +0, as in the general loop's 0 + dy.
 * An index outside its window leaves its window all 0 and is caught at the
 * end of the run: *near collects the smaller of the two shifts (at most 32
 * if valid), *bits the indices themselves (none may reach 2^31, which also
 * keeps 32k from wrapping). whole: all 8 windows are there, so no masks;
 * else live and line mask the windows and their floats. */
INLINE void grad8(float *dx, int64_t W, const float *dy, const int64_t *ix, __m512i first, __mmask8 live,
                  __mmask16 line, bool whole, __m512i *near, __m512i *bits)
{
    __m256 g = whole ? _mm256_loadu_ps(dy) : _mm256_maskz_loadu_ps(live, dy);
    __m512i i = whole ? _mm512_loadu_si512(ix) : _mm512_maskz_loadu_epi64(live, ix);
    __m512i gz = _mm512_cvtepu32_epi64(_mm256_castps_si256(_mm256_add_ps(g, _mm256_setzero_ps())));
    __m512i s = _mm512_slli_epi64(_mm512_sub_epi64(i, first), 5), sb = _mm512_sub_epi64(s, _mm512_set1_epi64(32 * W));
    __m512i top = _mm512_sllv_epi64(gz, s), bottom = _mm512_sllv_epi64(gz, sb);
    *bits = _mm512_or_si512(*bits, i);
    if (whole) {
        *near = _mm512_max_epu64(*near, _mm512_min_epu64(s, sb));
        _mm512_storeu_si512(dx, top);
        _mm512_storeu_si512(dx + W, bottom);
    } else {
        *near = _mm512_mask_max_epu64(*near, live, *near, _mm512_min_epu64(s, sb));
        _mm512_mask_storeu_ps(dx, line, _mm512_castsi512_ps(top));
        _mm512_mask_storeu_ps(dx + W, line, _mm512_castsi512_ps(bottom));
    }
}

/* Output rows in chunks of 8 windows: whole chunks unmasked, then the
 * rest of the row. */
TARGET bool tsh_pool512_max2x2_bwd(float *dx, const tsh_pool_dims *d, int64_t planes, const float *dy,
                                   const int64_t *ix)
{
    const __m512i corner = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15); /* 1-based, in a row's top line */
    int64_t W = d->W, OW = d->OW, rows = planes * d->OH, oh = 0, whole = OW / 8, rest = OW % 8;
    __mmask8 live = (__mmask8)((1u << rest) - 1);
    __mmask16 line = (__mmask16)((1u << (2 * rest)) - 1);
    __m512i near = _mm512_setzero_si512(), bits = _mm512_setzero_si512();
    for (int64_t r = 0; r < rows; r++, dy += OW, ix += OW) {
        __m512i first = _mm512_add_epi64(_mm512_set1_epi64(2 * oh * W), corner);
        for (int64_t c = 0; c < whole; c++, first = _mm512_add_epi64(first, _mm512_set1_epi64(16)))
            grad8(dx + 16 * c, W, dy + 8 * c, ix + 8 * c, first, 0xff, 0xffff, true, &near, &bits);
        if (rest) grad8(dx + 16 * whole, W, dy + 8 * whole, ix + 8 * whole, first, live, line, false, &near, &bits);
        if (oh + 1 < d->OH) dx += 2 * W, oh++;
        else dx += (d->H - 2 * oh) * W, oh = 0;
    }
    return !_mm512_cmpgt_epu64_mask(near, _mm512_set1_epi64(32)) &&
           !_mm512_test_epi64_mask(bits, _mm512_set1_epi64(~(int64_t)0x7fffffff));
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
