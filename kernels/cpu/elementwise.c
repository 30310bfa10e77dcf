/* cpu/elementwise.c: fast binary kernels (add .. atan2) and the registration
 * of the whole elementwise family (comparisons in elementwise_compare.c,
 * unary ops and clamp in elementwise_unary.c). Inputs arrive broadcast to
 * the output's shape in the output's dtype (interp/core/math.c sees to it);
 * tsh_iter coalesces dims and runs chunks on OpenMP threads, and the inner
 * loops below have contiguous and broadcast-scalar forms that vectorise.
 * Integer arithmetic goes through unsigned types: it wraps as PyTorch's does,
 * without the undefined behaviour of signed overflow. */

/* No FP exception flags are read here; without trapping math GCC may turn
 * guarded selects (maximum's NaN test) into blends. See elementwise_unary.c. */
#pragma GCC optimize("no-trapping-math")

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <tgmath.h>

#include "elementwise.h"
#include "half.h"
#include "iter.h"

/* float32 pow and atan2 come from glibc's vector math library, declared
 * with their SIMD forms as in cpu/create.c: a loop over lanes calls
 * _ZGVeN16vv_powf and friends, 4, 8 or 16 floats a call by the clone's ISA.
 * Measured on random operands: powf within 0.62 ulp (scalar powf: 0.50),
 * atan2f within 3.3 ulp, special values as the scalar functions. */
#if defined(TSH_HAVE_LIBMVEC) && defined(_OPENMP)
#define TSH_VMATH 1
#pragma omp declare simd notinbranch
extern float powf(float, float);
#pragma omp declare simd notinbranch
extern float atan2f(float, float);
#endif

typedef struct bin_ctx {
    tsh_op op;
    tsh_dtype dt;
    double alpha;
    int64_t ialpha;
    int zero; /* an integer division by zero was met */
    bool half512; /* tsh_cpu_half512() */
} bin_ctx;

/* One pass over n elements computing EXPR from `a` and `b` of type T. The
 * contiguous and scalar forms carry `omp simd` (SIMD): the output may be the
 * same array as an input (in-place ops), which is no loop-carried
 * dependence. Integer division, which records a zero divisor in a shared
 * flag, passes NOSIMD instead. */
#define SIMD _Pragma("omp simd")
#define NOSIMD
#define BIN_LOOP_(T, EXPR, VEC)                                                    \
    do {                                                                           \
        const int64_t es = sizeof(T);                                              \
        if (s[0] == es && s[1] == es && s[2] == es) {                              \
            T *o = (T *)p[0];                                                      \
            const T *x = (const T *)p[1], *y = (const T *)p[2];                    \
            VEC for (int64_t i = 0; i < n; i++) {                                  \
                T a = x[i], b = y[i];                                              \
                o[i] = (T)(EXPR);                                                  \
            }                                                                      \
        } else if (s[0] == es && s[1] == es && s[2] == 0) {                        \
            T *o = (T *)p[0];                                                      \
            const T *x = (const T *)p[1], b = *(const T *)p[2];                    \
            VEC for (int64_t i = 0; i < n; i++) {                                  \
                T a = x[i];                                                        \
                o[i] = (T)(EXPR);                                                  \
            }                                                                      \
        } else if (s[0] == es && s[1] == 0 && s[2] == es) {                        \
            T *o = (T *)p[0];                                                      \
            const T a = *(const T *)p[1], *y = (const T *)p[2];                    \
            VEC for (int64_t i = 0; i < n; i++) {                                  \
                T b = y[i];                                                        \
                o[i] = (T)(EXPR);                                                  \
            }                                                                      \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                T a = *(const T *)(p[1] + i * s[1]), b = *(const T *)(p[2] + i * s[2]); \
                *(T *)(p[0] + i * s[0]) = (T)(EXPR);                               \
            }                                                                      \
        }                                                                          \
    } while (0)
#define BIN_LOOP(T, EXPR) BIN_LOOP_(T, EXPR, SIMD)

/* PyTorch's floor division for floats, which stays exact where floor(a / b)
 * would round across an integer. */
static inline float floordiv_f32(float a, float b)
{
    if (b == 0) return a / b;
    float mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div == 0) return copysign(0.0f, a / b);
    float fl = floor(div);
    return div - fl > 0.5f ? fl + 1 : fl;
}

static inline double floordiv_f64(double a, double b)
{
    if (b == 0) return a / b;
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div == 0) return copysign(0.0, a / b);
    double fl = floor(div);
    return div - fl > 0.5 ? fl + 1 : fl;
}

/* fmod's sign follows a; remainder's follows b, as Lua's % does. */
static inline float remainder_f32(float a, float b)
{
    float m = fmod(a, b);
    return m != 0 && ((b < 0) != (m < 0)) ? m + b : m;
}

static inline double remainder_f64(double a, double b)
{
    double m = fmod(a, b);
    return m != 0 && ((b < 0) != (m < 0)) ? m + b : m;
}

/* ---- float32 fmod, remainder and floor division, vectorised ----
 *
 * glibc's fmodf is a scalar call (a bitwise long division), and the three
 * ops took 33-37 ms on 4M floats against torch's 12.5-14 (one thread).
 * The exact fmod of two floats is a float, and with q = trunc(|a| / |b|)
 * it is |a| - q |b| for q < 2^22: the float quotient then rounds off the
 * true one by less than one, and never below an integer it passes, so q
 * is the true quotient or one more; fma(-q, |b|, |a|) is exact (the exact
 * value lies within |b| of 0 on |b|'s ulp grid), and one more q shows as
 * a negative r, put right by adding |b|. A lane with a larger quotient, a
 * zero, infinite or NaN operand is `bad`, and its whole block goes
 * through the scalar functions above. fmod is exact either way, and
 * remainder and floor division apply the same float operations to it, so
 * both forms give the same bits. */
#define DIVBLK 256 /* elements per block: on the stack, in L1 */

static inline float fmod_lane(float a, float b, int *bad)
{
    float A = fabs(a), B = fabs(b), qf = A / B;
    *bad = !(qf < 0x1p22f) | !(B <= 0x1.fffffep127f);
    float q = trunc(qf), r = fma(-q, B, A);
    r = r < 0 ? r + B : r;
    return copysign(r, a);
}

/* `op`'s result from fmod's m, as remainder_f32 and floordiv_f32 do it
 * (b != 0 here: zero divisors take the scalar path). */
static inline float divmod_lane(tsh_op op, float a, float b, float m)
{
    bool flip = m != 0 && ((b < 0) != (m < 0));
    if (op == TSH_OP_FMOD) return m;
    if (op == TSH_OP_REMAINDER) return flip ? m + b : m;
    float div = (a - m) / b;
    div = flip ? div - 1 : div;
    float fl = floor(div), z = copysign(0.0f, a) * copysign(1.0f, b);
    return div == 0 ? z : div - fl > 0.5f ? fl + 1 : fl;
}

static float divmod_scalar(tsh_op op, float a, float b)
{
    return op == TSH_OP_FMOD ? fmod(a, b) : op == TSH_OP_REMAINDER ? remainder_f32(a, b) : floordiv_f32(a, b);
}

/* An operand's block as a unit-stride array: in place when it is one,
 * else gathered into buf (a stride-0 scalar is filled in once by the caller). */
static inline const float *block_in(const char *p, int64_t s, int64_t i0, int64_t len, float *buf)
{
    if (s == sizeof(float)) return (const float *)p + i0;
    if (s == 0) return buf;
    for (int64_t i = 0; i < len; i++) buf[i] = *(const float *)(p + (i0 + i) * s);
    return buf;
}

/* Results go through r[] so that an in-place op (out == a) still has its
 * inputs when a block falls back to the scalar path. */
TSH_MULTIVERSION
static void divmod_f32(tsh_op op, char **p, const int64_t *s, int64_t n)
{
    float ba[DIVBLK], bb[DIVBLK], r[DIVBLK];
    if (s[1] == 0)
        for (int i = 0; i < DIVBLK; i++) ba[i] = *(const float *)p[1];
    if (s[2] == 0)
        for (int i = 0; i < DIVBLK; i++) bb[i] = *(const float *)p[2];
    for (int64_t i0 = 0; i0 < n; i0 += DIVBLK) {
        int64_t len = n - i0 < DIVBLK ? n - i0 : DIVBLK;
        const float *x = block_in(p[1], s[1], i0, len, ba), *y = block_in(p[2], s[2], i0, len, bb);
        int slow = 0;
        /* one loop per op: with `op` inside, GCC computes all three and blends */
#define DIVMOD_LOOP(OP)                                                                \
    _Pragma("omp simd reduction(| : slow)") for (int64_t i = 0; i < len; i++) {        \
        int bad;                                                                       \
        float m = fmod_lane(x[i], y[i], &bad);                                         \
        r[i] = divmod_lane(OP, x[i], y[i], m);                                         \
        slow |= bad;                                                                   \
    }
        if (op == TSH_OP_FMOD) DIVMOD_LOOP(TSH_OP_FMOD)
        else if (op == TSH_OP_REMAINDER) DIVMOD_LOOP(TSH_OP_REMAINDER)
        else DIVMOD_LOOP(TSH_OP_FLOOR_DIVIDE)
#undef DIVMOD_LOOP
        if (slow)
            for (int64_t i = 0; i < len; i++) r[i] = divmod_scalar(op, x[i], y[i]);
        if (s[0] == sizeof(float)) memcpy((float *)p[0] + i0, r, (size_t)len * sizeof(float));
        else
            for (int64_t i = 0; i < len; i++) *(float *)(p[0] + (i0 + i) * s[0]) = r[i];
    }
}

#if TSH_VMATH
/* An operand's elements [i0, i0 + len) into buf; a stride-0 scalar is
 * filled in once by the caller. */
static inline void gather_f32(float *buf, const char *p, int64_t s, int64_t i0, int64_t len)
{
    if (s == sizeof(float)) memcpy(buf, (const float *)p + i0, (size_t)len * sizeof(float));
    else if (s != 0)
        for (int64_t i = 0; i < len; i++) buf[i] = *(const float *)(p + (i0 + i) * s);
}

/* float32 pow and atan2 in blocks of DIVBLK lanes, every lane of a block
 * always computed (a tail block is padded), so each element goes through
 * the vector function whatever the chunking or thread count: the scalar
 * and vector functions differ in the last bit. One thread, 4M floats:
 * pow(t, 2.5) 18.6 -> 6.6 ms and pow(t, t) 18.6 -> 7.3 ms (torch 17.2);
 * 128K floats: atan2 2.07 -> 0.14 ms. pow(t, 2) is t * t, as in torch
 * (and as exact as a correctly rounded powf). */
TSH_MULTIVERSION
static void vmath_f32(tsh_op op, char **p, const int64_t *s, int64_t n)
{
    float ba[DIVBLK] __attribute__((aligned(64))), bb[DIVBLK] __attribute__((aligned(64)));
    float r[DIVBLK] __attribute__((aligned(64)));
    for (int i = 0; i < DIVBLK; i++) /* the padding of a tail block */
        ba[i] = s[1] == 0 ? *(const float *)p[1] : 1.0f, bb[i] = s[2] == 0 ? *(const float *)p[2] : 1.0f;
    bool square = op == TSH_OP_POW && s[2] == 0 && *(const float *)p[2] == 2.0f;
    for (int64_t i0 = 0; i0 < n; i0 += DIVBLK) {
        int64_t len = n - i0 < DIVBLK ? n - i0 : DIVBLK;
        gather_f32(ba, p[1], s[1], i0, len);
        gather_f32(bb, p[2], s[2], i0, len);
        if (square) {
#pragma omp simd
            for (int i = 0; i < DIVBLK; i++) r[i] = ba[i] * ba[i];
        } else if (op == TSH_OP_POW) {
#pragma omp simd
            for (int i = 0; i < DIVBLK; i++) r[i] = powf(ba[i], bb[i]);
        } else {
#pragma omp simd
            for (int i = 0; i < DIVBLK; i++) r[i] = atan2f(ba[i], bb[i]);
        }
        if (s[0] == sizeof(float)) memcpy((float *)p[0] + i0, r, (size_t)len * sizeof(float));
        else
            for (int64_t i = 0; i < len; i++) *(float *)(p[0] + (i0 + i) * s[0]) = r[i];
    }
}
#endif

/* maximum and minimum with NaN from either side, as two plain selects. */
#define MAX_EXPR(T) ({ T m_ = a > b ? a : b; a != a ? a : m_; })
#define MIN_EXPR(T) ({ T m_ = a < b ? a : b; a != a ? a : m_; })

/* The op switch for one float type; `al` is alpha in that type. */
#define FLOAT_OPS(T, SFX)                                                     \
    do {                                                                           \
        const T al = (T)c->alpha;                                                  \
        switch (c->op) {                                                           \
        case TSH_OP_ADD: if (al == 1) BIN_LOOP(T, a + b); else BIN_LOOP(T, a + al * b); break; \
        case TSH_OP_SUB: if (al == 1) BIN_LOOP(T, a - b); else BIN_LOOP(T, a - al * b); break; \
        case TSH_OP_MUL: BIN_LOOP(T, a * b); break;                                \
        case TSH_OP_DIV: BIN_LOOP(T, a / b); break;                                \
        case TSH_OP_FLOOR_DIVIDE: BIN_LOOP(T, floordiv_##SFX(a, b)); break;              \
        case TSH_OP_REMAINDER: BIN_LOOP(T, remainder_##SFX(a, b)); break;              \
        case TSH_OP_FMOD: BIN_LOOP(T, fmod(a, b)); break;                          \
        case TSH_OP_POW: BIN_LOOP(T, pow(a, b)); break;                            \
        case TSH_OP_MAXIMUM: BIN_LOOP(T, MAX_EXPR(T)); break;                        \
        case TSH_OP_MINIMUM: BIN_LOOP(T, MIN_EXPR(T)); break;                        \
        case TSH_OP_ATAN2: BIN_LOOP(T, atan2(a, b)); break;                        \
        case TSH_OP_RELU_BACKWARD: BIN_LOOP(T, b <= 0 ? 0 : a); break;             \
        default: break;                                                            \
        }                                                                          \
    } while (0)

/* The op switch for one integer type T with its unsigned twin U. */
#define INT_OPS(T, U)                                                              \
    do {                                                                           \
        const U al = (U)c->ialpha;                                                 \
        switch (c->op) {                                                           \
        case TSH_OP_ADD: if (al == 1) BIN_LOOP(T, (U)a + (U)b); else BIN_LOOP(T, (U)a + al * (U)b); break; \
        case TSH_OP_SUB: if (al == 1) BIN_LOOP(T, (U)a - (U)b); else BIN_LOOP(T, (U)a - al * (U)b); break; \
        case TSH_OP_MUL: BIN_LOOP(T, (U)a * (U)b); break;                          \
        case TSH_OP_FLOOR_DIVIDE: BIN_LOOP_(T, tsh_floordiv_i64(a, b, &zero), NOSIMD); break; \
        case TSH_OP_REMAINDER: BIN_LOOP_(T, tsh_remainder_i64(a, b, &zero), NOSIMD); break; \
        case TSH_OP_FMOD: BIN_LOOP_(T, tsh_fmod_i64(a, b, &zero), NOSIMD); break;           \
        case TSH_OP_POW: BIN_LOOP(T, tsh_pow_i64(a, b)); break;                    \
        case TSH_OP_MAXIMUM: BIN_LOOP(T, a > b ? a : b); break;                    \
        case TSH_OP_MINIMUM: BIN_LOOP(T, a < b ? a : b); break;                    \
        case TSH_OP_RELU_BACKWARD: BIN_LOOP(T, b <= 0 ? 0 : a); break;             \
        default: break;                                                            \
        }                                                                          \
    } while (0)

static void bin_loop(void *vctx, char **p, const int64_t *s, int64_t n);

/* float16 and bfloat16: each block of TSH_HALF_BLOCK elements is widened
 * into L1, run through the float32 loop and rounded once on the way out,
 * as torch computes them; a broadcast scalar is widened once. The cheap
 * ops on contiguous operands take the one-pass AVX-512 kernels instead.
 * a+b on 4M bfloat16, one thread, took 7.4 ms through three full-size
 * float32 copies (two casts in, one out); 1.2 ms this way (float16 1.7,
 * its F16C conversions being 8 wide), 0.85 in one pass (torch: bfloat16
 * 1.2, float16 9.6). For this path bin_loop is compiled per ISA: its
 * float32 loop ran 4 wide on the L1 blocks, 1.6 ms of bfloat16 a+b. */
static void bin_half(const bin_ctx *c, char **p, const int64_t *s, int64_t n)
{
    float a[TSH_HALF_BLOCK], b[TSH_HALF_BLOCK], r[TSH_HALF_BLOCK];
    bin_ctx fc = *c;
    fc.dt = TSH_F32;
    char *fp[3] = {(char *)r, (char *)a, (char *)b};
    int64_t fs[3] = {sizeof(float), s[1] ? (int64_t)sizeof(float) : 0, s[2] ? (int64_t)sizeof(float) : 0};
    if (c->half512 && tsh_cpu_half_binary(c->op, c->dt, c->alpha, p, s, n)) return;
    if (!s[1]) tsh_cpu_widen(c->dt, a, p[1], 2, 1);
    if (!s[2]) tsh_cpu_widen(c->dt, b, p[2], 2, 1);
    for (int64_t i0 = 0; i0 < n; i0 += TSH_HALF_BLOCK) {
        int64_t len = n - i0 < TSH_HALF_BLOCK ? n - i0 : TSH_HALF_BLOCK;
        if (s[1]) tsh_cpu_widen(c->dt, a, p[1] + i0 * s[1], s[1], len);
        if (s[2]) tsh_cpu_widen(c->dt, b, p[2] + i0 * s[2], s[2], len);
        bin_loop(&fc, fp, fs, len);
        tsh_cpu_narrow(c->dt, p[0] + i0 * s[0], s[0], r, len);
    }
}

TSH_MULTIVERSION static void bin_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    bin_ctx *c = vctx;
    int zero = 0;
    switch (c->dt) {
    case TSH_F16: case TSH_BF16: bin_half(c, p, s, n); break;
    case TSH_F32:
        if (c->op == TSH_OP_FMOD || c->op == TSH_OP_REMAINDER || c->op == TSH_OP_FLOOR_DIVIDE) {
            divmod_f32(c->op, p, s, n);
            break;
        }
#if TSH_VMATH
        if (c->op == TSH_OP_POW || c->op == TSH_OP_ATAN2) {
            vmath_f32(c->op, p, s, n);
            break;
        }
#endif
        FLOAT_OPS(float, f32);
        break;
    case TSH_F64: FLOAT_OPS(double, f64); break;
    case TSH_I64: INT_OPS(int64_t, uint64_t); break;
    case TSH_I32: INT_OPS(int32_t, uint32_t); break;
    case TSH_U8: INT_OPS(uint8_t, uint8_t); break;
    case TSH_BOOL: {
        const int64_t al = c->ialpha;
        switch (c->op) {
        case TSH_OP_ADD: /* a + alpha*b, then nonzero */
            if (al == 1) BIN_LOOP(uint8_t, a | b);
            else BIN_LOOP(uint8_t, (a + al * b) != 0);
            break;
        case TSH_OP_MUL: case TSH_OP_MINIMUM: BIN_LOOP(uint8_t, a & b); break;
        case TSH_OP_MAXIMUM: BIN_LOOP(uint8_t, a | b); break;
        case TSH_OP_RELU_BACKWARD: BIN_LOOP(uint8_t, a & b); break;
        default: break;
        }
        break;
    }
    default: break;
    }
    if (zero) __atomic_store_n(&c->zero, 1, __ATOMIC_RELAXED);
}

/* Big float32 add/sub/mul into a fresh output: the result goes around the
 * caches with streaming stores. A normal store first reads each output line
 * (it is not in any cache), a third more memory traffic; the output of a
 * 16M-float add is read later, if at all, from memory anyway. SSE's
 * streaming store is in every x86-64; elsewhere the plain loops run.
 *
 * Not into memory that has never been touched, though: the kernel zeroes
 * each page as it faults in, through the cache, and a streaming store then
 * has to push those lines out again. On a fresh 64 MiB output c = a + b
 * took 23-24 ms streaming against 16 ms with plain stores (5 ms either way
 * into a block from the allocator's cache). mincore() tells them apart. */
#define STREAM_MIN ((int64_t)4 << 20) /* elements: 16 MiB of float32, well past L2 */

#if defined(__x86_64__)
typedef struct {
    const tsh_kargs *k;
    tsh_op op;
} stream_ctx;

/* One element, for the unaligned head and the tail of a range. */
static inline float stream_one(tsh_op op, float x, float y, float al)
{
    return op == TSH_OP_ADD ? x + al * y : op == TSH_OP_SUB ? x - al * y : x * y;
}

static void stream_range(void *vc, int64_t begin, int64_t end)
{
    const stream_ctx *c = vc;
    float *o = (float *)tsh_data(c->k->out);
    const float *x = (const float *)tsh_data(c->k->in[0]), *y = (const float *)tsh_data(c->k->in[1]);
    const float al = (float)c->k->f[0];
    int64_t i = begin;
    for (; i < end && ((uintptr_t)(o + i) & 15); i++) o[i] = stream_one(c->op, x[i], y[i], al);
    __m128 va = _mm_set1_ps(al);
    if (c->op == TSH_OP_MUL)
        for (; i + 4 <= end; i += 4) _mm_stream_ps(o + i, _mm_mul_ps(_mm_loadu_ps(x + i), _mm_loadu_ps(y + i)));
    else if (c->op == TSH_OP_ADD)
        for (; i + 4 <= end; i += 4)
            _mm_stream_ps(o + i, _mm_add_ps(_mm_loadu_ps(x + i), _mm_mul_ps(va, _mm_loadu_ps(y + i))));
    else
        for (; i + 4 <= end; i += 4)
            _mm_stream_ps(o + i, _mm_sub_ps(_mm_loadu_ps(x + i), _mm_mul_ps(va, _mm_loadu_ps(y + i))));
    for (; i < end; i++) o[i] = stream_one(c->op, x[i], y[i], al);
    _mm_sfence();
}

/* Whether the pages holding p[0] and p[n/2] are in memory (a fresh block
 * from the system has neither; one from the cache has both). */
static bool resident(const char *p, size_t n)
{
    static size_t page;
    if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
    const char *at[2] = {p, p + n / 2};
    for (int i = 0; i < 2; i++) {
        unsigned char in = 0;
        void *start = (void *)((uintptr_t)at[i] & ~(uintptr_t)(page - 1));
        if (mincore(start, 1, &in) != 0 || !(in & 1)) return false;
    }
    return true;
}

static bool streams(tsh_op op, const tsh_kargs *k)
{
    const tsh_tensor *o = k->out, *x = k->in[0], *y = k->in[1];
    return o->dtype == TSH_F32 && (op == TSH_OP_ADD || op == TSH_OP_SUB || op == TSH_OP_MUL) &&
           tsh_numel(o) >= STREAM_MIN && tsh_is_contiguous(o) && tsh_is_contiguous(x) && tsh_is_contiguous(y) &&
           tsh_same_shape(o, x) && tsh_same_shape(o, y) && o->storage != x->storage && o->storage != y->storage &&
           resident(tsh_data(o), (size_t)tsh_numel(o) * sizeof(float));
}
#endif

static tsh_status cpu_binary(tsh_op op, const tsh_kargs *k)
{
#if defined(__x86_64__)
    if (streams(op, k)) {
        stream_ctx sc = {k, op};
        return tsh_parallel_for(tsh_numel(k->out), TSH_GRAIN * 2, stream_range, &sc);
    }
#endif
    tsh_tensor *ts[3] = {k->out, k->in[0], k->in[1]};
    tsh_iter it;
    tsh_iter_init(&it, 3, ts);
    bin_ctx c = {op, k->out->dtype, k->f[0], k->i[0], 0, false};
    c.half512 = tsh_dtype_is_half(c.dt) && tsh_cpu_half512();
    TSH_TRY(tsh_iter_run(&it, 0, bin_loop, &c));
    if (c.zero) return tsh_fail(TSH_ERR_ARG, "%s: integer division by zero", tsh_op_infos[op].name);
    return TSH_OK;
}

void tsh_cpu_register_elementwise(tsh_kernel_fn *k)
{
    for (int op = 0; op < TSH_OP_COUNT; op++) {
        switch (tsh_op_infos[op].kind) {
        case TSH_KIND_BINARY: k[op] = cpu_binary; break;
        case TSH_KIND_COMPARE: k[op] = tsh_cpu_compare; break;
        case TSH_KIND_UNARY: k[op] = tsh_cpu_unary; break;
        default: break;
        }
    }
}
