/* cpu/index.c: fast CPU kernels for indexing and selection. Gather-like ops
 * run through tsh_iter with the indexed operand "restrided" (stride 0 along
 * the indexed dim, the index added per element), as PyTorch's
 * TensorIterator does; index_select, index_add and index_fill have
 * contiguous row paths;
 * compactions (masked_select/scatter, nonzero) count per chunk, then write in
 * parallel. Scatter and index_add never split the writes to one output
 * element across threads, so duplicates apply in index order: deterministic.
 * Validation lives in the front end; these only compute. */
#include <stdlib.h>
#include <string.h>

#include "../../interp/core/backend.h"
#include "../kernels.h"
#include "iter.h"

/* BODY once per element size, with E the unsigned type of that size: ops
 * that only move elements need nothing more than the size. */
#define BY_SIZE(es, ...)                                                      \
    switch (es) {                                                             \
    case 1: { typedef uint8_t E; __VA_ARGS__; } break;                        \
    case 2: { typedef uint16_t E; __VA_ARGS__; } break;                       \
    case 4: { typedef uint32_t E; __VA_ARGS__; } break;                       \
    default: { typedef uint64_t E; __VA_ARGS__; } break;                      \
    }

static int64_t prod(const int64_t *s, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++) p *= s[d];
    return p;
}

/* ---- hardware gather and scatter ---- */

/* Rows of 4- and 8-byte elements gathered (o[k] = x[ix[k] - 1]) and
 * scattered (o[ix[k] - 1] = x[k]) with the vector gather/scatter
 * instructions. GCC does not emit them for these loops (its cost model for
 * the x86-64-v3/v4 clones says no), but on this machine (Sapphire Rapids,
 * 1 thread, (4096,1024) float32 along the rows, int64 indices) they win:
 * gather 4.4 ms one element at a time, 3.0 ms with AVX-512 and 3.1 with
 * AVX2; scatter 4.0 ms, 3.4 with AVX-512 (AVX2 has no scatter). A scatter
 * writes its lanes from the lowest up when indices repeat, so the last
 * write to an element wins, as in the scalar loop. TENSH_INDEX_AVX512=0
 * turns the AVX-512 forms off (tests then reach the AVX2 gather). */
enum { VEC_NONE, VEC_AVX2, VEC_AVX512 };

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VEC_GATHER 1

__attribute__((target("avx512f")))
static int64_t gather_512(void *o, const void *x, const int64_t *ix, int64_t n, size_t es)
{
    const char *b = (const char *)x - es; /* indices are 1-based */
    int64_t k = 0;
    if (es == 4)
        for (; k + 8 <= n; k += 8)
            _mm256_storeu_si256((__m256i *)((uint32_t *)o + k),
                                _mm512_i64gather_epi32(_mm512_loadu_si512(ix + k), b, 4));
    else
        for (; k + 8 <= n; k += 8)
            _mm512_storeu_si512((uint64_t *)o + k, _mm512_i64gather_epi64(_mm512_loadu_si512(ix + k), b, 8));
    return k;
}

__attribute__((target("avx2")))
static int64_t gather_256(void *o, const void *x, const int64_t *ix, int64_t n, size_t es)
{
    const char *b = (const char *)x - es;
    int64_t k = 0;
    if (es == 4)
        for (; k + 4 <= n; k += 4)
            _mm_storeu_si128((__m128i *)((uint32_t *)o + k),
                             _mm256_i64gather_epi32((const int *)b, _mm256_loadu_si256((const __m256i *)(ix + k)), 4));
    else
        for (; k + 4 <= n; k += 4)
            _mm256_storeu_si256((__m256i *)((uint64_t *)o + k),
                                _mm256_i64gather_epi64((const long long *)b, _mm256_loadu_si256((const __m256i *)(ix + k)), 8));
    return k;
}

__attribute__((target("avx512f")))
static int64_t scatter_512(void *o, const void *x, const int64_t *ix, int64_t n, size_t es)
{
    char *b = (char *)o - es;
    int64_t k = 0;
    if (es == 4)
        for (; k + 8 <= n; k += 8)
            _mm512_i64scatter_epi32(b, _mm512_loadu_si512(ix + k),
                                    _mm256_loadu_si256((const __m256i *)((const uint32_t *)x + k)), 4);
    else
        for (; k + 8 <= n; k += 8)
            _mm512_i64scatter_epi64(b, _mm512_loadu_si512(ix + k), _mm512_loadu_si512((const uint64_t *)x + k), 8);
    return k;
}
#endif

/* The vector forms this op may use: read once per op, not per row. */
static int vec_isa(void)
{
#ifdef HAVE_VEC_GATHER
    static int cpu = -1; /* the answer never changes, so a race only repeats it */
    if (cpu < 0) cpu = __builtin_cpu_supports("avx512f") ? VEC_AVX512 : __builtin_cpu_supports("avx2") ? VEC_AVX2 : VEC_NONE;
    return cpu == VEC_AVX512 && tsh_env_off("TENSH_INDEX_AVX512") ? VEC_AVX2 : cpu;
#else
    return VEC_NONE;
#endif
}

/* How many elements (from the first) of a row the vector forms did; the
 * caller's loop does the rest. */
static int64_t gather_vec(int isa, void *o, const void *x, const int64_t *ix, int64_t n, size_t es)
{
#ifdef HAVE_VEC_GATHER
    if (es == 4 || es == 8) {
        if (isa == VEC_AVX512) return gather_512(o, x, ix, n, es);
        if (isa == VEC_AVX2) return gather_256(o, x, ix, n, es);
    }
#else
    (void)isa, (void)o, (void)x, (void)ix, (void)n, (void)es;
#endif
    return 0;
}

static int64_t scatter_vec(int isa, void *o, const void *x, const int64_t *ix, int64_t n, size_t es)
{
#ifdef HAVE_VEC_GATHER
    if ((es == 4 || es == 8) && isa == VEC_AVX512) return scatter_512(o, x, ix, n, es);
#else
    (void)isa, (void)o, (void)x, (void)ix, (void)n, (void)es;
#endif
    return 0;
}

/* ---- gather (and index_select on any layout) ---- */

typedef struct { size_t es; int64_t xdim; int isa; } gather_ctx;

static void gather_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    const gather_ctx *c = vc;
    char *o = p[0];
    const char *ix = p[1], *x = p[2];
    BY_SIZE(c->es, {
        E *oe = (E *)o;
        const E *xe = (const E *)x;
        const int64_t *ie = (const int64_t *)ix;
        if (s[0] == sizeof(E) && s[1] == 8) { /* dense out and index: element strides */
            int64_t sx = s[2] / (int64_t)sizeof(E), step = c->xdim / (int64_t)sizeof(E);
            if (sx == 0 && step == 1) /* along a dense inner dim */
                for (int64_t k = gather_vec(c->isa, oe, xe, ie, n, sizeof(E)); k < n; k++) oe[k] = xe[ie[k] - 1];
            else
                for (int64_t k = 0; k < n; k++) oe[k] = xe[k * sx + (ie[k] - 1) * step];
        } else {
            for (int64_t k = 0; k < n; k++) {
                int64_t j = *(const int64_t *)(ix + k * s[1]) - 1;
                *(E *)(o + k * s[0]) = *(const E *)(x + k * s[2] + j * c->xdim);
            }
        }
    })
}

/* out[p] = x[p with p[dim] = idx[p] - 1]; idx has out's shape. */
static tsh_status gather_run(const tsh_tensor *out, const tsh_tensor *x, const tsh_tensor *idx, int dim)
{
    tsh_tensor xr = *x;
    xr.ndim = out->ndim;
    memcpy(xr.shape, out->shape, sizeof xr.shape);
    xr.stride[dim] = 0;
    tsh_tensor *ts[3] = {(tsh_tensor *)out, (tsh_tensor *)idx, &xr};
    tsh_iter it;
    tsh_iter_init(&it, 3, ts);
    size_t es = tsh_dtype_size(x->dtype);
    gather_ctx c = {es, x->stride[dim] * (int64_t)es, vec_isa()};
    return tsh_iter_run(&it, 0, gather_loop, &c);
}

static tsh_status cpu_gather(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    return gather_run(a->out, a->in[0], a->in[1], (int)a->i[0]);
}

typedef struct {
    char *o;
    const char *x;
    const int64_t *idx;
    int64_t istride, k, size, inner;
    size_t es;
} select_ctx;

static void select_rows(void *vc, int64_t b, int64_t e)
{
    const select_ctx *c = vc;
    int64_t row = c->inner * (int64_t)c->es;
    if (c->inner > 1) {
        for (int64_t r = b; r < e; r++) {
            int64_t src = r / c->k * c->size + c->idx[r % c->k * c->istride] - 1;
            memcpy(c->o + r * row, c->x + src * row, (size_t)row);
        }
        return;
    }
    /* single elements (selecting along the last dim): a typed gather loop
     * over the rows of k, with no division per element */
    BY_SIZE(c->es, {
        E *o = (E *)c->o;
        const E *x = (const E *)c->x;
        for (int64_t r = b; r < e;) {
            int64_t q = r / c->k, j = r % c->k, end = (q + 1) * c->k < e ? (q + 1) * c->k : e;
            const E *xr = x + q * c->size - 1;
            for (; r < end; r++, j++) o[r] = xr[c->idx[j * c->istride]];
        }
    })
}

static tsh_status cpu_index_select(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    const tsh_tensor *o = a->out, *x = a->in[0], *idx = a->in[1];
    int dim = (int)a->i[0];
    if (tsh_is_contiguous(o) && tsh_is_contiguous(x)) {
        select_ctx c = {tsh_data(o), tsh_data(x), (const int64_t *)tsh_data(idx), idx->stride[0],
                        o->shape[dim], x->shape[dim], prod(x->shape, dim + 1, x->ndim),
                        tsh_dtype_size(x->dtype)};
        int64_t rows = prod(o->shape, 0, dim + 1);
        if (rows == 0 || c.inner == 0) return TSH_OK;
        int64_t grain = TSH_GRAIN / c.inner;
        return tsh_parallel_for(rows, grain > 0 ? grain : 1, select_rows, &c);
    }
    /* Any layout: the 1-d index seen with out's shape (stride 0 off dim). */
    tsh_tensor ie = *idx;
    ie.ndim = o->ndim;
    memcpy(ie.shape, o->shape, sizeof ie.shape);
    memset(ie.stride, 0, sizeof ie.stride);
    ie.stride[dim] = idx->stride[0];
    return gather_run(o, x, &ie, dim);
}

/* ---- scatter and index_add on any layout ---- */

typedef struct {
    tsh_dtype dt;
    int mode; /* 0 set, 1 add, 2 multiply */
    int64_t odim; /* bytes between out elements along dim */
    double fa;
    int64_t ia;
    int isa;
} scatter_ctx;

/* One typed loop: q is the target in out, v the source value. Strides in
 * elements (every byte stride is a multiple of its element's size). */
#define SCATTER_LOOP(T, OP)                                                   \
    do {                                                                      \
        const int64_t *ie = (const int64_t *)ix, si = s[0] / 8;               \
        const T *xe = (const T *)x;                                           \
        T *oe = (T *)o;                                                       \
        int64_t sx = s[1] / (int64_t)sizeof(T), so = s[2] / (int64_t)sizeof(T); \
        int64_t step = c->odim / (int64_t)sizeof(T);                          \
        for (int64_t k = 0; k < n; k++) {                                     \
            T *q = oe + k * so + (ie[k * si] - 1) * step;                     \
            T v = xe[k * sx];                                                 \
            *q = (T)(OP);                                                     \
        }                                                                     \
    } while (0)

static void scatter_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    const scatter_ctx *c = vc;
    const char *ix = p[0], *x = p[1];
    char *o = p[2];
    if (c->mode == 0) {
        BY_SIZE(tsh_dtype_size(c->dt), {
            if (s[0] == 8 && s[1] == sizeof(E) && s[2] == 0 && c->odim == sizeof(E)) {
                const int64_t *ie = (const int64_t *)ix;
                const E *xe = (const E *)x;
                E *oe = (E *)o - 1;
                for (int64_t k = scatter_vec(c->isa, oe + 1, xe, ie, n, sizeof(E)); k < n; k++) oe[ie[k]] = xe[k];
            } else {
                SCATTER_LOOP(E, v);
            }
        })
        return;
    }
    bool add = c->mode == 1;
    switch (c->dt) {
    case TSH_F32: {
        float al = (float)c->fa;
        if (add) SCATTER_LOOP(float, *q + al * v); else SCATTER_LOOP(float, *q * v);
        break;
    }
    case TSH_F64:
        if (add) SCATTER_LOOP(double, *q + c->fa * v); else SCATTER_LOOP(double, *q * v);
        break;
    /* integers wrap through their unsigned type: no signed overflow */
    case TSH_I64:
        if (add) SCATTER_LOOP(uint64_t, *q + (uint64_t)c->ia * v); else SCATTER_LOOP(uint64_t, *q * v);
        break;
    case TSH_I32:
        if (add) SCATTER_LOOP(uint32_t, *q + (uint32_t)c->ia * v); else SCATTER_LOOP(uint32_t, *q * v);
        break;
    case TSH_U8:
        if (add) SCATTER_LOOP(uint8_t, *q + (uint8_t)c->ia * v); else SCATTER_LOOP(uint8_t, *q * v);
        break;
    case TSH_BOOL:
        if (add) SCATTER_LOOP(uint8_t, *q | v); else SCATTER_LOOP(uint8_t, *q & v);
        break;
    default: break;
    }
}

/* out[p with p[dim] = idx[p] - 1] (mode)= src[p] over idx's shape. The
 * chunks handed to threads never split a run along dim, and a chunk runs in
 * order, so writes to one out element happen on one thread in index order.
 * Many independent rows before dim: natural order, chunks of whole rows.
 * Few: dim moved innermost, so threads split the other dims instead. */
static tsh_status scatter_run(const tsh_tensor *out, const tsh_tensor *src, const tsh_tensor *idx,
                              int dim, scatter_ctx *c)
{
    int64_t n = tsh_numel(idx);
    if (n == 0) return TSH_OK;
    int nd = idx->ndim;
    tsh_tensor oi = *out, ii = *idx, si = *src;
    oi.ndim = si.ndim = nd;
    memcpy(oi.shape, idx->shape, sizeof oi.shape);
    memcpy(si.shape, idx->shape, sizeof si.shape);
    oi.stride[dim] = 0;
    c->odim = out->stride[dim] * (int64_t)tsh_dtype_size(out->dtype);
    int64_t block = prod(idx->shape, dim, nd), outer = n / block, run = block;
    if (outer < 4 * (int64_t)tsh_get_num_threads() && n > TSH_GRAIN) {
        int w = 0;
        tsh_tensor *ts[3] = {&ii, &si, &oi};
        const tsh_tensor *orig[3] = {idx, src, &oi};
        int64_t ostride[TSH_MAX_DIMS];
        memcpy(ostride, oi.stride, sizeof ostride);
        for (int d = 0; d <= nd; d++) {
            int from = d < nd ? d : dim;
            if (d < nd && d == dim) continue;
            for (int k = 0; k < 3; k++) {
                ts[k]->shape[w] = idx->shape[from];
                ts[k]->stride[w] = k == 2 ? ostride[from] : orig[k]->stride[from];
            }
            w++;
        }
        run = idx->shape[dim];
    }
    int64_t grain = (TSH_GRAIN + run - 1) / run * run;
    tsh_tensor *ts[3] = {&ii, &si, &oi};
    tsh_iter it;
    tsh_iter_init(&it, 3, ts);
    return tsh_iter_run(&it, grain, scatter_loop, c);
}

static bool arith_dtype(tsh_dtype dt) { return dt != TSH_F16 && dt != TSH_BF16; }

static tsh_status cpu_scatter(tsh_op op, const tsh_kargs *a)
{
    /* a source or index that shares out's memory is read as the scalar loop
     * reads it, element by element after the writes before it, not eight at
     * a time ahead of them */
    const tsh_storage *os = a->out->storage;
    bool alone = a->in[0]->storage != os && a->in[1]->storage != os;
    scatter_ctx c = {a->out->dtype, (int)a->i[1], 0, 1.0, 1, alone ? vec_isa() : VEC_NONE};
    if (c.mode != 0 && !arith_dtype(c.dt))
        return tsh_fail(TSH_ERR_NOTIMPL, "%s is not implemented for cpu %s", tsh_op_infos[op].name,
                        tsh_dtype_name(c.dt));
    return scatter_run(a->out, a->in[0], a->in[1], (int)a->i[0], &c);
}

/* index_add on contiguous out and src: rows of `inner` elements added in
 * index order; threads take (outer, inner-chunk) pieces, never a shared
 * target element. The add loop over a row vectorises. */
typedef struct {
    char *o;
    const char *x;
    const int64_t *idx;
    int64_t istride, k, size, inner, piece, npiece;
    tsh_dtype dt;
    double fa;
    int64_t ia;
} iadd_ctx;

#define ADD_ROW(T, EXPR)                                                      \
    do {                                                                      \
        T *q = (T *)qv;                                                       \
        const T *v = (const T *)pv;                                           \
        for (int64_t e = 0; e < len; e++) q[e] = (T)(EXPR);                   \
    } while (0)

static void add_row(const iadd_ctx *c, char *qv, const char *pv, int64_t len)
{
    switch (c->dt) {
    case TSH_F32: { float al = (float)c->fa; ADD_ROW(float, q[e] + al * v[e]); break; }
    case TSH_F64: ADD_ROW(double, q[e] + c->fa * v[e]); break;
    case TSH_I64: ADD_ROW(uint64_t, q[e] + (uint64_t)c->ia * v[e]); break;
    case TSH_I32: ADD_ROW(uint32_t, q[e] + (uint32_t)c->ia * v[e]); break;
    case TSH_U8: ADD_ROW(uint8_t, q[e] + (uint8_t)c->ia * v[e]); break;
    case TSH_BOOL: ADD_ROW(uint8_t, q[e] | v[e]); break;
    default: break;
    }
}

static void index_add_pieces(void *vc, int64_t b, int64_t e)
{
    const iadd_ctx *c = vc;
    int64_t es = (int64_t)tsh_dtype_size(c->dt);
    for (int64_t w = b; w < e; w++) {
        int64_t o = w / c->npiece, from = (w % c->npiece) * c->piece;
        int64_t len = c->inner - from < c->piece ? c->inner - from : c->piece;
        for (int64_t j = 0; j < c->k; j++) {
            int64_t dst = (o * c->size + c->idx[j * c->istride] - 1) * c->inner + from;
            int64_t src = (o * c->k + j) * c->inner + from;
            add_row(c, c->o + dst * es, c->x + src * es, len);
        }
    }
}

static tsh_status cpu_index_add(tsh_op op, const tsh_kargs *a)
{
    const tsh_tensor *o = a->out, *x = a->in[0], *idx = a->in[1];
    int dim = (int)a->i[0];
    if (!arith_dtype(o->dtype))
        return tsh_fail(TSH_ERR_NOTIMPL, "%s is not implemented for cpu %s", tsh_op_infos[op].name,
                        tsh_dtype_name(o->dtype));
    if (tsh_is_contiguous(o) && tsh_is_contiguous(x)) {
        iadd_ctx c = {tsh_data(o), tsh_data(x), (const int64_t *)tsh_data(idx), idx->stride[0],
                      x->shape[dim], o->shape[dim], prod(x->shape, dim + 1, x->ndim), 0, 1,
                      o->dtype, a->f[0], a->i[1]};
        int64_t outer = prod(x->shape, 0, dim), nth = tsh_get_num_threads();
        if (outer == 0 || c.inner == 0 || c.k == 0) return TSH_OK;
        c.piece = c.inner;
        if (outer < 2 * nth && c.inner >= 2 * nth * 256) /* few rows: split each row */
            c.piece = ((c.inner + 2 * nth - 1) / (2 * nth) + 63) / 64 * 64;
        c.npiece = (c.inner + c.piece - 1) / c.piece;
        int64_t work = c.k * c.piece, grain = work >= TSH_GRAIN ? 1 : TSH_GRAIN / work;
        return tsh_parallel_for(outer * c.npiece, grain, index_add_pieces, &c);
    }
    tsh_tensor ie = *idx;
    ie.ndim = x->ndim;
    memcpy(ie.shape, x->shape, sizeof ie.shape);
    memset(ie.stride, 0, sizeof ie.stride);
    ie.stride[dim] = idx->stride[0];
    scatter_ctx c = {o->dtype, 1, 0, a->f[0], a->i[1], VEC_NONE};
    return scatter_run(o, x, &ie, dim, &c);
}

/* ---- masked_fill and where ---- */

typedef struct { size_t es; uint64_t v; } fill_ctx;

static void masked_fill_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    const fill_ctx *c = vc;
    BY_SIZE(c->es, {
        E v = (E)c->v;
        if (s[0] == sizeof(E) && s[1] == 1) {
            E *o = (E *)p[0];
            const uint8_t *m = (const uint8_t *)p[1];
            for (int64_t k = 0; k < n; k++) o[k] = m[k] ? v : o[k];
        } else {
            for (int64_t k = 0; k < n; k++)
                if (p[1][k * s[1]]) *(E *)(p[0] + k * s[0]) = v;
        }
    })
}

static tsh_status cpu_masked_fill(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    fill_ctx c = {tsh_dtype_size(a->out->dtype), 0};
    /* the value in out's representation, as raw bits of its size */
    char buf[8] = {0};
    if (tsh_dtype_is_float(a->out->dtype)) tsh_store_f64(a->out->dtype, buf, a->f[0]);
    else tsh_store_i64(a->out->dtype, buf, a->i[0]);
    BY_SIZE(c.es, { E v; memcpy(&v, buf, sizeof v); c.v = v; })
    tsh_tensor *ts[2] = {a->out, a->in[0]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    return tsh_iter_run(&it, 0, masked_fill_loop, &c);
}

/* Both sides are read and the mask picks bits: a branch on a random mask
 * mispredicted every other element, and where() on 4M float32 took 18.9 ms
 * on one thread (torch 2 threads: 8.4); the select vectorises. */
static void where_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    size_t es = *(const size_t *)vc;
    BY_SIZE(es, {
        if (s[0] == sizeof(E) && s[1] == 1 && s[2] == sizeof(E) && s[3] == sizeof(E)) {
            E *o = (E *)p[0];
            const uint8_t *m = (const uint8_t *)p[1];
            const E *x = (const E *)p[2], *y = (const E *)p[3];
            for (int64_t k = 0; k < n; k++) {
                E pick = (E)0 - (E)(m[k] != 0);
                o[k] = (x[k] & pick) | (y[k] & (E)~pick);
            }
        } else {
            for (int64_t k = 0; k < n; k++) {
                E pick = (E)0 - (E)(p[1][k * s[1]] != 0);
                E xv = *(const E *)(p[2] + k * s[2]), yv = *(const E *)(p[3] + k * s[3]);
                *(E *)(p[0] + k * s[0]) = (xv & pick) | (yv & (E)~pick);
            }
        }
    })
}

static tsh_status cpu_where(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    size_t es = tsh_dtype_size(a->out->dtype);
    tsh_tensor *ts[4] = {a->out, a->in[0], a->in[1], a->in[2]};
    tsh_iter it;
    tsh_iter_init(&it, 4, ts);
    return tsh_iter_run(&it, 0, where_loop, &es);
}

/* ---- compactions: count the mask per chunk, then write in parallel ---- */

typedef void (*chunk_fn)(void *ctx, const tsh_iter *it, int64_t begin, int64_t end, int64_t before);

typedef struct {
    const tsh_iter *mit, *wit;
    int64_t *before, n;
    chunk_fn fn;
    void *ctx;
} compact_ctx;

static void count_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    int64_t cnt = 0;
    if (s[0] == 1) for (int64_t k = 0; k < n; k++) cnt += p[0][k] != 0;
    else for (int64_t k = 0; k < n; k++) cnt += p[0][k * s[0]] != 0;
    *(int64_t *)vc += cnt;
}

static int64_t chunk_end(int64_t c, int64_t n)
{
    return (c + 1) * TSH_GRAIN < n ? (c + 1) * TSH_GRAIN : n;
}

static void count_chunks(void *vc, int64_t b, int64_t e)
{
    const compact_ctx *c = vc;
    for (int64_t k = b; k < e; k++) {
        int64_t cnt = 0;
        tsh_iter_run_range(c->mit, k * TSH_GRAIN, chunk_end(k, c->n), count_loop, &cnt);
        c->before[k] = cnt;
    }
}

static void write_chunks(void *vc, int64_t b, int64_t e)
{
    const compact_ctx *c = vc;
    for (int64_t k = b; k < e; k++) c->fn(c->ctx, c->wit, k * TSH_GRAIN, chunk_end(k, c->n), c->before[k]);
}

/* Runs fn over the chunks of wit (whose shape is the mask's), telling each
 * chunk how many true mask elements come before it in row-major order. */
static tsh_status compact(const tsh_tensor *mask, const tsh_iter *wit, chunk_fn fn, void *ctx)
{
    tsh_iter mit;
    tsh_iter_init(&mit, 1, (tsh_tensor *const *)&mask);
    int64_t n = mit.numel, nchunk = (n + TSH_GRAIN - 1) / TSH_GRAIN;
    if (n == 0) return TSH_OK;
    if (nchunk == 1) {
        fn(ctx, wit, 0, n, 0);
        return tsh_check_interrupt();
    }
    compact_ctx c = {&mit, wit, malloc((size_t)nchunk * sizeof(int64_t)), n, fn, ctx};
    if (!c.before) return tsh_fail(TSH_ERR_OOM, "out of memory");
    tsh_status st = tsh_parallel_for(nchunk, 1, count_chunks, &c);
    if (st == TSH_OK) {
        int64_t sum = 0;
        for (int64_t k = 0; k < nchunk; k++) {
            int64_t cnt = c.before[k];
            c.before[k] = sum;
            sum += cnt;
        }
        st = tsh_parallel_for(nchunk, 1, write_chunks, &c);
    }
    free(c.before);
    return st;
}

/* A cursor into a 1-d operand (out of masked_select, src of masked_scatter). */
typedef struct { char *p; int64_t step; size_t es; } cursor;

/* The compactions below never branch on the mask, which a random mask
 * mispredicts every other element: each element is written (or read) either
 * at the cursor or at a scratch slot, the address picked by masking (GCC
 * turned a ?: of the two back into a branch), and the cursor moves by 0 or
 * 1. 4M float32, random mask, 1 thread: masked_select 22.1 -> 5.7 ms,
 * masked_scatter 25.5 -> 6.8 ms, nonzero 32.9 -> 8.7 ms (torch: 35.4,
 * 20.0, 30.1). */
static void select_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    cursor *c = vc;
    BY_SIZE(c->es, {
        E scratch;
        char *q = c->p;
        for (int64_t k = 0; k < n; k++) {
            uintptr_t m = -(uintptr_t)(p[1][k * s[1]] != 0);
            E *dst = (E *)(((uintptr_t)q & m) | ((uintptr_t)&scratch & ~m));
            *dst = *(const E *)(p[0] + k * s[0]);
            q += c->step & (int64_t)m;
        }
        c->p = q;
    })
}

static void select_chunk(void *vc, const tsh_iter *it, int64_t b, int64_t e, int64_t before)
{
    const cursor *c = vc;
    cursor local = {c->p + before * c->step, c->step, c->es};
    tsh_iter_run_range(it, b, e, select_loop, &local);
}

static tsh_status cpu_masked_select(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_tensor *ts[2] = {a->in[0], a->in[1]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    size_t es = tsh_dtype_size(a->out->dtype);
    cursor c = {tsh_data(a->out), a->out->stride[0] * (int64_t)es, es};
    return compact(a->in[1], &it, select_chunk, &c);
}

static void mscatter_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    cursor *c = vc;
    BY_SIZE(c->es, {
        const char *q = c->p;
        for (int64_t k = 0; k < n; k++) {
            uintptr_t m = -(uintptr_t)(p[1][k * s[1]] != 0);
            E *o = (E *)(p[0] + k * s[0]);
            *o = *(const E *)(((uintptr_t)q & m) | ((uintptr_t)o & ~m));
            q += c->step & (int64_t)m;
        }
        c->p = (char *)q;
    })
}

static void mscatter_chunk(void *vc, const tsh_iter *it, int64_t b, int64_t e, int64_t before)
{
    const cursor *c = vc;
    cursor local = {c->p + before * c->step, c->step, c->es};
    tsh_iter_run_range(it, b, e, mscatter_loop, &local);
}

static tsh_status cpu_masked_scatter(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_tensor *ts[2] = {a->out, a->in[0]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    size_t es = tsh_dtype_size(a->out->dtype);
    cursor c = {tsh_data(a->in[1]), a->in[1]->stride[0] * (int64_t)es, es};
    return compact(a->in[0], &it, mscatter_chunk, &c);
}

typedef struct {
    int64_t *row;   /* next output row */
    int64_t pos;    /* linear index of the next element the loop sees */
    const tsh_tensor *x;
} nz_ctx;

static void nonzero_loop(void *vc, char **p, const int64_t *s, int64_t n)
{
    nz_ctx *c = vc;
    int nd = c->x->ndim;
    const int64_t *shape = c->x->shape;
    int64_t at[TSH_MAX_DIMS], i = c->pos; /* 1-based coordinates of element pos + k */
    for (int d = nd - 1; d >= 0; d--) {
        at[d] = i % shape[d] + 1;
        i /= shape[d];
    }
    int64_t scratch[TSH_MAX_DIMS], *row = c->row;
    for (int64_t k = 0; k < n; k++) {
        uintptr_t m = -(uintptr_t)(p[0][k * s[0]] != 0);
        int64_t *dst = (int64_t *)(((uintptr_t)row & m) | ((uintptr_t)scratch & ~m));
        for (int d = 0; d < nd; d++) dst[d] = at[d];
        row += nd & (int)m;
        for (int d = nd - 1; d >= 0 && ++at[d] > shape[d]; d--) at[d] = 1;
    }
    c->row = row;
    c->pos += n;
}

static void nonzero_chunk(void *vc, const tsh_iter *it, int64_t b, int64_t e, int64_t before)
{
    const nz_ctx *c = vc;
    nz_ctx local = {c->row + before * c->x->ndim, b, c->x};
    tsh_iter_run_range(it, b, e, nonzero_loop, &local);
}

static tsh_status cpu_nonzero(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_iter it;
    tsh_iter_init(&it, 1, &a->in[0]);
    nz_ctx c = {(int64_t *)tsh_data(a->out), 0, a->in[0]};
    return compact(a->in[0], &it, nonzero_chunk, &c);
}

/* ---- index_fill of contiguous slices ---- */

/* The slices are marked first, so that a repeated index is filled once, by
 * one thread; then slices run in parallel. One FILL dispatched per slice
 * ran serially: (4096, 1024) float32 with 4096 row indices, about 0.76 ms
 * of the out-of-place index_fill's 1.5 at 2 threads (torch 1.32). */
typedef struct {
    char *o;
    const uint8_t *mark;
    int64_t run, step;
    size_t es;
    uint64_t v; /* the value's bytes */
} ifill_ctx;

static void ifill_slices(void *vc, int64_t b, int64_t e)
{
    const ifill_ctx *c = vc;
    BY_SIZE(c->es, {
        E v;
        memcpy(&v, &c->v, sizeof v);
        for (int64_t j = b; j < e; j++) {
            if (!c->mark[j]) continue;
            E *p = (E *)(c->o + j * c->step);
            for (int64_t k = 0; k < c->run; k++) p[k] = v;
        }
    })
}

static tsh_status cpu_index_fill(tsh_op op, const tsh_kargs *a)
{
    const tsh_tensor *o = a->out, *idx = a->in[0];
    int dim = (int)a->i[0];
    int64_t size = o->shape[dim], n = tsh_numel(idx);
    if (size == 0 || tsh_numel(o) == 0) return TSH_OK;
    uint8_t *mark = calloc((size_t)size, 1);
    if (!mark) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", tsh_op_infos[op].name);
    for (int64_t k = 0; k < n; k++) mark[((const int64_t *)tsh_data(idx))[k * idx->stride[0]] - 1] = 1;
    ifill_ctx c = {tsh_data(o), mark, tsh_numel(o) / size, o->stride[dim] * (int64_t)tsh_dtype_size(o->dtype),
                   tsh_dtype_size(o->dtype), 0};
    if (tsh_dtype_is_float(o->dtype)) tsh_store_f64(o->dtype, &c.v, a->f[0]);
    else tsh_store_i64(o->dtype, &c.v, a->i[1]);
    int64_t grain = TSH_GRAIN / c.run;
    tsh_status st = tsh_parallel_for(size, grain > 0 ? grain : 1, ifill_slices, &c);
    free(mark);
    return st;
}

void tsh_cpu_register_index(tsh_kernel_fn *k)
{
    k[TSH_OP_INDEX_SELECT] = cpu_index_select;
    k[TSH_OP_GATHER] = cpu_gather;
    k[TSH_OP_SCATTER] = cpu_scatter;
    k[TSH_OP_INDEX_ADD] = cpu_index_add;
    k[TSH_OP_INDEX_FILL] = cpu_index_fill;
    k[TSH_OP_MASKED_FILL] = cpu_masked_fill;
    k[TSH_OP_WHERE] = cpu_where;
    k[TSH_OP_MASKED_SELECT] = cpu_masked_select;
    k[TSH_OP_MASKED_SCATTER] = cpu_masked_scatter;
    k[TSH_OP_NONZERO] = cpu_nonzero;
}
