/* cpu/copy.c: strided copy with dtype conversion, and fill. Same-dtype
 * copies move bytes, tile by tile when one operand walks the other's rows
 * down its columns (a transpose). Conversions run typed loops compiled per
 * ISA, the float16 ones with F16C where the CPU has it (cpu/half.c);
 * strided operands of a conversion are staged through small contiguous
 * buffers. Results are bit for bit those of the scalar conversions in
 * interp/core/dtype.c. */
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TSH_X86_SIMD 1
#endif

#include "../kernels.h"
#include "half.h"
#include "iter.h"

typedef struct { tsh_dtype dst, src; } copy_ctx;

static void copy_same(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const copy_ctx *c = vctx;
    tsh_move_elems(tsh_dtype_size(c->dst), p[0], s[0], p[1], s[1], n);
}

/* ---- transposing copies ----------------------------------------------
 * x:t():contiguous() walks the input down its columns: element by element,
 * each read touches a new cache line and a line is reused only after the
 * other 4095 (for 4096 rows) have pushed it out: 30 ms for (4096,1024)
 * float32, one thread. Cut into TILE x TILE blocks, the lines a block reads
 * stay in cache until every element on them has been written: 6.5 ms. With
 * rows 4 KiB apart those 32 lines all fall in one L1 set, so the 4- and
 * 8-byte types move 8x8 (4x4) blocks through AVX2 registers, a whole vector
 * per load and store: 3.6 ms (torch: 3.4-5); 2-byte types 8x8 blocks through
 * SSE2, float16 3.5 -> 1.8 ms (torch 3.5). 1-byte types stay scalar. */
#define TILE 32

typedef struct {
    const tsh_iter *it;
    size_t es;
    int a, b;              /* the tiled dims: the one the input walks in unit steps, and the inner one */
    int64_t na, nb;        /* tiles along each */
} tile_ctx;

/* r x c elements; d steps dr bytes a row and es bytes a column, x steps xr
 * and xc. Rows are written contiguously, columns read with stride xc. */
#define TILE_LOOP(T)                                                           \
    do {                                                                       \
        for (int64_t i = 0; i < r; i++) {                                      \
            T *dd = (T *)(d + i * dr);                                         \
            const char *xx = x + i * xr;                                       \
            for (int64_t j = 0; j < c; j++) dd[j] = *(const T *)(xx + j * xc); \
        }                                                                      \
    } while (0)

#ifdef TSH_X86_SIMD
/* 8x8 float32 (or any 4-byte type) through registers: 8 rows of x in, 8 of
 * d out, three rounds of shuffles. Strides in bytes. */
__attribute__((target("avx2"))) static inline void t8x8(char *d, int64_t ds, const char *x, int64_t xs)
{
    __m256 r0 = _mm256_loadu_ps((const float *)(x + 0 * xs)), r1 = _mm256_loadu_ps((const float *)(x + 1 * xs));
    __m256 r2 = _mm256_loadu_ps((const float *)(x + 2 * xs)), r3 = _mm256_loadu_ps((const float *)(x + 3 * xs));
    __m256 r4 = _mm256_loadu_ps((const float *)(x + 4 * xs)), r5 = _mm256_loadu_ps((const float *)(x + 5 * xs));
    __m256 r6 = _mm256_loadu_ps((const float *)(x + 6 * xs)), r7 = _mm256_loadu_ps((const float *)(x + 7 * xs));
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xee);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xee);
    _mm256_storeu_ps((float *)(d + 0 * ds), _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps((float *)(d + 1 * ds), _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps((float *)(d + 2 * ds), _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps((float *)(d + 3 * ds), _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps((float *)(d + 4 * ds), _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps((float *)(d + 5 * ds), _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps((float *)(d + 6 * ds), _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps((float *)(d + 7 * ds), _mm256_permute2f128_ps(s3, s7, 0x31));
}

/* 4x4 of an 8-byte type the same way. */
__attribute__((target("avx2"))) static inline void t4x4(char *d, int64_t ds, const char *x, int64_t xs)
{
    __m256d r0 = _mm256_loadu_pd((const double *)(x + 0 * xs)), r1 = _mm256_loadu_pd((const double *)(x + 1 * xs));
    __m256d r2 = _mm256_loadu_pd((const double *)(x + 2 * xs)), r3 = _mm256_loadu_pd((const double *)(x + 3 * xs));
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd((double *)(d + 0 * ds), _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd((double *)(d + 1 * ds), _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd((double *)(d + 2 * ds), _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd((double *)(d + 3 * ds), _mm256_permute2f128_pd(t1, t3, 0x31));
}

/* 8x8 of a 2-byte type with SSE2's unpacks (baseline x86-64). */
static inline void t8x8_16(char *d, int64_t ds, const char *x, int64_t xs)
{
    __m128i r[8], t[8], u[8];
    for (int k = 0; k < 8; k++) r[k] = _mm_loadu_si128((const __m128i *)(x + k * xs));
    for (int k = 0; k < 8; k += 2) {
        t[k / 2] = _mm_unpacklo_epi16(r[k], r[k + 1]);
        t[k / 2 + 4] = _mm_unpackhi_epi16(r[k], r[k + 1]);
    }
    /* t[0..3]: columns 0-3 of row pairs (0,1) .. (6,7); t[4..7]: columns 4-7 */
    for (int h = 0; h < 8; h += 4) {
        u[h + 0] = _mm_unpacklo_epi32(t[h + 0], t[h + 1]);
        u[h + 1] = _mm_unpackhi_epi32(t[h + 0], t[h + 1]);
        u[h + 2] = _mm_unpacklo_epi32(t[h + 2], t[h + 3]);
        u[h + 3] = _mm_unpackhi_epi32(t[h + 2], t[h + 3]);
    }
    for (int h = 0; h < 8; h += 4) {
        _mm_storeu_si128((__m128i *)(d + (h + 0) * ds), _mm_unpacklo_epi64(u[h + 0], u[h + 2]));
        _mm_storeu_si128((__m128i *)(d + (h + 1) * ds), _mm_unpackhi_epi64(u[h + 0], u[h + 2]));
        _mm_storeu_si128((__m128i *)(d + (h + 2) * ds), _mm_unpacklo_epi64(u[h + 1], u[h + 3]));
        _mm_storeu_si128((__m128i *)(d + (h + 3) * ds), _mm_unpackhi_epi64(u[h + 1], u[h + 3]));
    }
}

/* A whole tile of 4- or 8-byte elements in register blocks: x steps es
 * along a row (r), d along a column (c). */
__attribute__((target("avx2"))) static void tile_move_avx2(size_t es, char *d, int64_t dr, const char *x, int64_t xc)
{
    int64_t e = (int64_t)es;
    if (es == 4) {
        for (int64_t i = 0; i < TILE; i += 8)
            for (int64_t j = 0; j < TILE; j += 8) t8x8(d + i * dr + j * e, dr, x + j * xc + i * e, xc);
    } else {
        for (int64_t i = 0; i < TILE; i += 4)
            for (int64_t j = 0; j < TILE; j += 4) t4x4(d + i * dr + j * e, dr, x + j * xc + i * e, xc);
    }
}

static bool have_avx2(void)
{
    static int has = -1;
    if (has < 0) has = __builtin_cpu_supports("avx2");
    return has;
}
#endif

static void tile_move(size_t es, char *d, int64_t dr, const char *x, int64_t xr, int64_t xc, int64_t r,
                      int64_t c)
{
#ifdef TSH_X86_SIMD
    if ((es == 4 || es == 8) && r == TILE && c == TILE && xr == (int64_t)es && have_avx2()) {
        tile_move_avx2(es, d, dr, x, xc);
        return;
    }
    if (es == 2 && r == TILE && c == TILE && xr == 2) {
        for (int64_t i = 0; i < TILE; i += 8)
            for (int64_t j = 0; j < TILE; j += 8) t8x8_16(d + i * dr + j * 2, dr, x + j * xc + i * 2, xc);
        return;
    }
#endif
    switch (es) {
    case 1: TILE_LOOP(uint8_t); break;
    case 2: TILE_LOOP(uint16_t); break;
    case 4: TILE_LOOP(uint32_t); break;
    default: TILE_LOOP(uint64_t); break;
    }
}

static void tile_range(void *vctx, int64_t begin, int64_t end)
{
    const tile_ctx *t = vctx;
    const tsh_iter *it = t->it;
    int inner = it->ndim - 1;
    for (int64_t item = begin; item < end; item++) {
        int64_t q = item, tb = q % t->nb, ta = (q /= t->nb) % t->na;
        q /= t->na;
        char *d = it->data[0];
        const char *x = it->data[1];
        for (int k = inner; k >= 0; k--) { /* the other dims: the batch index q */
            if (k == t->a || k == t->b) continue;
            int64_t i = q % it->shape[k];
            q /= it->shape[k];
            d += i * it->stride[0][k];
            x += i * it->stride[1][k];
        }
        int64_t a0 = ta * TILE, b0 = tb * TILE;
        int64_t ra = it->shape[t->a] - a0 < TILE ? it->shape[t->a] - a0 : TILE;
        int64_t rb = it->shape[t->b] - b0 < TILE ? it->shape[t->b] - b0 : TILE;
        d += a0 * it->stride[0][t->a] + b0 * it->stride[0][t->b];
        x += a0 * it->stride[1][t->a] + b0 * it->stride[1][t->b];
        /* rows along whichever dim the output has in unit steps */
        if (it->stride[0][t->b] == (int64_t)t->es)
            tile_move(t->es, d, it->stride[0][t->a], x, it->stride[1][t->a], it->stride[1][t->b], ra, rb);
        else
            tile_move(t->es, d, it->stride[0][t->b], x, it->stride[1][t->b], it->stride[1][t->a], rb, ra);
    }
}

/* The dim to tile together with the inner one: the inner dim is where one
 * operand steps one element at a time, and this dim is where the other
 * does. -1 when the copy is not a transpose (or too narrow to gain). */
static int transpose_dim(const tsh_iter *it, size_t es)
{
    int inner = it->ndim - 1;
    if (inner < 1 || it->shape[inner] < 16) return -1;
    int unit_inner = it->stride[0][inner] == (int64_t)es ? 0 : it->stride[1][inner] == (int64_t)es ? 1 : -1;
    if (unit_inner < 0 || it->stride[1 - unit_inner][inner] == (int64_t)es) return -1;
    for (int k = inner - 1; k >= 0; k--)
        if (it->stride[1 - unit_inner][k] == (int64_t)es) return it->shape[k] >= 16 ? k : -1;
    return -1;
}

static tsh_status copy_tiled(const tsh_iter *it, int a, size_t es)
{
    int b = it->ndim - 1;
    tile_ctx t = {it, es, a, b, (it->shape[a] + TILE - 1) / TILE, (it->shape[b] + TILE - 1) / TILE};
    int64_t items = it->numel / (it->shape[a] * it->shape[b]) * t.na * t.nb;
    return tsh_parallel_for(items, TSH_GRAIN / (TILE * TILE), tile_range, &t);
}

/* ---- conversions ------------------------------------------------------ */

/* Within [LO, HI) the plain cast through MID is defined and gives what
 * tsh_f64_to_i64_sat gives, so a block of 64 that lies there (NaN does not) converts
 * with vector instructions (others saturate as tsh_load_i64 does). 4M float32 to int32 took 14 ms one element at a
 * time through double, now 1.2 (torch 1.1); to uint8 26 -> 0.7 (torch 1.2). */
#define F2I(TO, FROM, MID, LO, HI)                                                        \
    do {                                                                                  \
        TO *restrict d = (TO *)dv;                                                        \
        const FROM *restrict x = (const FROM *)xv;                                        \
        for (int64_t i = 0; i < n; i += 64) {                                             \
            int64_t m = n - i < 64 ? n - i : 64;                                          \
            int out = 0;                                                                  \
            for (int64_t j = 0; j < m; j++) out |= !(x[i + j] >= (LO)) | !(x[i + j] < (HI)); \
            if (!out) for (int64_t j = 0; j < m; j++) d[i + j] = (TO)(MID)x[i + j];       \
            else for (int64_t j = 0; j < m; j++) d[i + j] = (TO)tsh_f64_to_i64_sat(x[i + j]);        \
        }                                                                                 \
        return true;                                                                      \
    } while (0)

#define CAST(TO, FROM, CONV)                                                   \
    do {                                                                       \
        TO *restrict d = (TO *)dv;                                             \
        const FROM *restrict x = (const FROM *)xv;                             \
        for (int64_t i = 0; i < n; i++) { FROM v = x[i]; d[i] = (TO)(CONV); }  \
        return true;                                                           \
    } while (0)

#define PAIR(a, b) ((a) * TSH_DTYPE_COUNT + (b))

/* n contiguous elements of src into dst, for the pairs with a direct loop;
 * false for the rest. bool sources are read as != 0, as tsh_load_* does. */
TSH_MULTIVERSION static bool convert_direct(tsh_dtype dst, tsh_dtype src, void *dv, const void *xv, int64_t n)
{
    if (dst == TSH_BOOL) {
        switch (src) {
        case TSH_U8: CAST(uint8_t, uint8_t, v != 0);
        case TSH_I32: CAST(uint8_t, int32_t, v != 0);
        case TSH_I64: CAST(uint8_t, int64_t, v != 0);
        case TSH_F32: CAST(uint8_t, float, v != 0);
        case TSH_F64: CAST(uint8_t, double, v != 0);
        default: return false;
        }
    }
    switch (PAIR(dst, src)) {
    case PAIR(TSH_F32, TSH_F64): CAST(float, double, v);
    case PAIR(TSH_F32, TSH_I64): CAST(float, int64_t, v);
    case PAIR(TSH_F32, TSH_I32): CAST(float, int32_t, v);
    case PAIR(TSH_F32, TSH_U8): CAST(float, uint8_t, v);
    case PAIR(TSH_F32, TSH_BOOL): CAST(float, uint8_t, v != 0);
    case PAIR(TSH_F64, TSH_F32): CAST(double, float, v);
    case PAIR(TSH_F64, TSH_I64): CAST(double, int64_t, v);
    case PAIR(TSH_F64, TSH_I32): CAST(double, int32_t, v);
    case PAIR(TSH_F64, TSH_U8): CAST(double, uint8_t, v);
    case PAIR(TSH_F64, TSH_BOOL): CAST(double, uint8_t, v != 0);
    case PAIR(TSH_I64, TSH_I32): CAST(int64_t, int32_t, v);
    case PAIR(TSH_I64, TSH_U8): CAST(int64_t, uint8_t, v);
    case PAIR(TSH_I64, TSH_BOOL): CAST(int64_t, uint8_t, v != 0);
    case PAIR(TSH_I32, TSH_I64): CAST(int32_t, int64_t, v);
    case PAIR(TSH_I32, TSH_U8): CAST(int32_t, uint8_t, v);
    case PAIR(TSH_I32, TSH_BOOL): CAST(int32_t, uint8_t, v != 0);
    case PAIR(TSH_U8, TSH_I64): CAST(uint8_t, int64_t, v);
    case PAIR(TSH_U8, TSH_I32): CAST(uint8_t, int32_t, v);
    case PAIR(TSH_U8, TSH_BOOL): CAST(uint8_t, uint8_t, v != 0);
    case PAIR(TSH_I64, TSH_F32): F2I(int64_t, float, int64_t, -0x1p63, 0x1p63);
    case PAIR(TSH_I64, TSH_F64): F2I(int64_t, double, int64_t, -0x1p63, 0x1p63);
    case PAIR(TSH_I32, TSH_F32): F2I(int32_t, float, int32_t, -0x1p31, 0x1p31);
    case PAIR(TSH_I32, TSH_F64): F2I(int32_t, double, int32_t, -0x1p31, 0x1p31);
    case PAIR(TSH_U8, TSH_F32): F2I(uint8_t, float, int32_t, -0x1p31, 0x1p31);
    case PAIR(TSH_U8, TSH_F64): F2I(uint8_t, double, int32_t, -0x1p31, 0x1p31);
    case PAIR(TSH_BF16, TSH_F32): CAST(uint16_t, float, tsh_f32_to_bf16(v));
    case PAIR(TSH_BF16, TSH_F64): CAST(uint16_t, double, tsh_f32_to_bf16((float)v)); /* as tsh_store_f64 */
    case PAIR(TSH_F32, TSH_BF16): {
        uint32_t *restrict d = dv;
        const uint16_t *restrict x = xv;
        for (int64_t i = 0; i < n; i++) d[i] = (uint32_t)x[i] << 16;
        return true;
    }
    default: return false;
    }
}

#define BLOCK 512 /* elements staged at a time: a few KiB of stack, in L1 */

/* src into float32 as the generic path reads it on the way to a half:
 * exact from every type but float64 (rounded once) and int64 (through
 * double, then to float, as tsh_store_i64 does). */
TSH_MULTIVERSION static void to_f32(tsh_dtype src, float *restrict d, const void *xv, int64_t n)
{
    if (src == TSH_F16) {
        tsh_cpu_half_to_f32(TSH_F16, d, xv, n);
    } else if (src == TSH_I64) {
        const int64_t *restrict x = xv;
        for (int64_t i = 0; i < n; i++) d[i] = (float)(double)x[i];
    } else {
        convert_direct(TSH_F32, src, d, xv, n);
    }
}

/* n contiguous elements. Pairs with a half on one side and no direct loop
 * go through float32 a block at a time, which is exact on the other side. */
static void convert_contig(tsh_dtype dst, tsh_dtype src, char *d, const char *x, int64_t n)
{
    if (dst == TSH_F16 && src == TSH_F32) {
        tsh_cpu_f32_to_half(TSH_F16, (uint16_t *)d, (const float *)x, n);
        return;
    }
    if (dst == TSH_F32 && src == TSH_F16) {
        tsh_cpu_half_to_f32(TSH_F16, (float *)d, (const uint16_t *)x, n);
        return;
    }
    if (convert_direct(dst, src, d, x, n)) return;
    if (tsh_dtype_is_half(dst) || tsh_dtype_is_half(src)) {
        float buf[BLOCK];
        size_t ed = tsh_dtype_size(dst), ex = tsh_dtype_size(src);
        for (int64_t i = 0; i < n; i += BLOCK) {
            int64_t m = n - i < BLOCK ? n - i : BLOCK;
            to_f32(src, buf, x + i * (int64_t)ex, m);
            if (dst == TSH_F16) tsh_cpu_f32_to_half(TSH_F16, (uint16_t *)(d + i * (int64_t)ed), buf, m);
            else convert_direct(dst, TSH_F32, d + i * (int64_t)ed, buf, m);
        }
        return;
    }
    /* Any pair a new dtype brings before it has a loop above: through int64
     * when both are integral, else double; float to integer through the
     * saturating loader (C's cast is UB there). */
    bool ints = !tsh_dtype_is_float(dst) && !tsh_dtype_is_float(src);
    size_t ed = tsh_dtype_size(dst), ex = tsh_dtype_size(src);
    for (int64_t i = 0; i < n; i++) {
        char *pd = d + i * (int64_t)ed;
        const char *px = x + i * (int64_t)ex;
        if (ints || !tsh_dtype_is_float(dst)) tsh_store_i64(dst, pd, tsh_load_i64(src, px));
        else tsh_store_f64(dst, pd, tsh_load_f64(src, px));
    }
}

/* Strided operands are gathered into (and scattered from) contiguous
 * blocks, so that every layout runs the vector loops above. */
static void copy_convert(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const copy_ctx *c = vctx;
    int64_t ed = (int64_t)tsh_dtype_size(c->dst), ex = (int64_t)tsh_dtype_size(c->src);
    if (s[0] == ed && s[1] == ex) {
        convert_contig(c->dst, c->src, p[0], p[1], n);
        return;
    }
    _Alignas(64) char xb[BLOCK * 8], db[BLOCK * 8];
    for (int64_t i = 0; i < n; i += BLOCK) {
        int64_t m = n - i < BLOCK ? n - i : BLOCK;
        const char *x = p[1] + i * s[1];
        char *d = p[0] + i * s[0];
        if (s[1] != ex) {
            tsh_move_elems((size_t)ex, xb, ex, x, s[1], m);
            x = xb;
        }
        if (s[0] == ed) {
            convert_contig(c->dst, c->src, d, x, m);
        } else {
            convert_contig(c->dst, c->src, db, x, m);
            tsh_move_elems((size_t)ed, d, s[0], db, ed, m);
        }
    }
}

static tsh_status cpu_copy(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_tensor *ts[2] = {a->out, a->in[0]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    copy_ctx c = {a->out->dtype, a->in[0]->dtype};
    if (c.dst != c.src) return tsh_iter_run(&it, 0, copy_convert, &c);
    size_t es = tsh_dtype_size(c.dst);
    int k = transpose_dim(&it, es);
    if (k >= 0) return copy_tiled(&it, k, es);
    return tsh_iter_run(&it, 0, copy_same, &c);
}

typedef struct { tsh_dtype dt; double f; int64_t i; } fill_ctx;

#define FILL(T, V)                                                              \
    do {                                                                        \
        T v = (T)(V);                                                           \
        if (s[0] == sizeof(T)) for (int64_t k = 0; k < n; k++) ((T *)p[0])[k] = v; \
        else for (int64_t k = 0; k < n; k++) *(T *)(p[0] + k * s[0]) = v;       \
    } while (0)

static void fill_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const fill_ctx *c = vctx;
    switch (c->dt) {
    case TSH_BOOL: FILL(uint8_t, c->i != 0); break;
    case TSH_U8: FILL(uint8_t, c->i); break;
    case TSH_I32: FILL(int32_t, c->i); break;
    case TSH_I64: FILL(int64_t, c->i); break;
    case TSH_F16: FILL(uint16_t, tsh_f32_to_f16((float)c->f)); break;
    case TSH_BF16: FILL(uint16_t, tsh_f32_to_bf16((float)c->f)); break;
    case TSH_F32: FILL(float, c->f); break;
    case TSH_F64: FILL(double, c->f); break;
    default: break;
    }
}

static tsh_status cpu_fill(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_iter it;
    tsh_iter_init(&it, 1, &a->out);
    fill_ctx c = {a->out->dtype, a->f[0], a->i[0]};
    return tsh_iter_run(&it, 0, fill_loop, &c);
}

void tsh_cpu_register_copy(tsh_kernel_fn *k)
{
    k[TSH_OP_COPY] = cpu_copy;
    k[TSH_OP_FILL] = cpu_fill;
}
