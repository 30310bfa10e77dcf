/* cpu/elementwise_unary.c: fast unary kernels (neg .. logical_not) and
 * clamp with scalar bounds. Input and output have one shape; the dtype is
 * the output's except for logical_not (any input, bool output). Float math
 * uses <tgmath.h> so one loop body serves float32 and float64. The loops
 * are compiled per ISA (TSH_MULTIVERSION) and call glibc's vector math
 * (libmvec) where it has the function, 16 floats or 8 doubles a call with
 * AVX-512: scalar libm was one call per element (sin of 4M floats 25 ms,
 * now 1.2; torch 3.5). tanh in float32 has an inline form, and
 * float32 rsqrt an AVX-512 one. */

/* Nothing here reads the floating-point exception flags, and with trapping
 * math GCC will not evaluate an FP operation that the source guards by a
 * comparison: selects such as clamp's and loops of floor, ceil and trunc
 * then stay scalar. Before the includes, so that every inline function in
 * this file is compiled alike (and can be inlined). */
#pragma GCC optimize("no-trapping-math")

#include <math.h>
#include <stdint.h>
#include <string.h>

/* glibc's vector math library (libmvec): declared with their SIMD forms,
 * as glibc's own math-vector.h does under -ffast-math, these become calls
 * of 4, 8 or 16 floats (2, 4 or 8 doubles) by the clone's ISA, as in
 * cpu/create.c. Before <tgmath.h>, whose macros take these names. glibc
 * gives them 4 ulp at most (we saw 3: log, sin, tan), inside the kernel
 * test's 4e-6 for float32 and 1e-10 for float64; every lane is computed,
 * so results do not depend on chunking. float32 gelu has its own form
 * (vgelu_f32) around expf. */
#if defined(TSH_HAVE_LIBMVEC) && defined(_OPENMP)
#define TSH_MVEC 1
#pragma omp declare simd notinbranch
extern float expf(float);
#pragma omp declare simd notinbranch
extern float logf(float);
#pragma omp declare simd notinbranch
extern float log1pf(float);
#pragma omp declare simd notinbranch
extern float expm1f(float);
#pragma omp declare simd notinbranch
extern float sinf(float);
#pragma omp declare simd notinbranch
extern float cosf(float);
#pragma omp declare simd notinbranch
extern float tanf(float);
#pragma omp declare simd notinbranch
extern double exp(double);
#pragma omp declare simd notinbranch
extern double log(double);
#pragma omp declare simd notinbranch
extern double log1p(double);
#pragma omp declare simd notinbranch
extern double expm1(double);
#pragma omp declare simd notinbranch
extern double sin(double);
#pragma omp declare simd notinbranch
extern double cos(double);
#pragma omp declare simd notinbranch
extern double tan(double);
#pragma omp declare simd notinbranch
extern double tanh(double);
#pragma omp declare simd notinbranch
extern double erf(double);
#endif

#include <tgmath.h>

#include "elementwise.h"
#include "half.h"
#include "iter.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TSH_RSQRT512 1
#endif

typedef struct un_ctx {
    tsh_op op;
    tsh_dtype dt;  /* the input's */
    int64_t param; /* round: decimals; gelu: 1 for the tanh form */
    bool rsqrt512; /* float32 rsqrt with AVX-512 */
    bool half512;  /* tsh_cpu_half512() */
    int clamp_flags;
    double lo, hi;
    int64_t ilo, ihi;
} un_ctx;

/* One pass computing EXPR from `a` (type TI) into an output of type TO. */
#define UN_LOOP(TI, TO, EXPR)                                                      \
    do {                                                                           \
        if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TI)) {          \
            TO *o = (TO *)p[0];                                                    \
            const TI *x = (const TI *)p[1];                                        \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                  \
                TI a = x[i];                                                       \
                o[i] = (TO)(EXPR);                                                 \
            }                                                                      \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                TI a = *(const TI *)(p[1] + i * s[1]);                             \
                *(TO *)(p[0] + i * s[0]) = (TO)(EXPR);                             \
            }                                                                      \
        }                                                                          \
    } while (0)

/* min(max(a, lo), hi) for lo <= hi, as two plain selects (a nested ?: keeps
 * the loop from vectorising). NaN stays NaN. A GNU statement expression. */
#define CLAMP_EXPR(T) ({ T t_ = a < lo ? lo : a; t_ > hi ? hi : t_; })

/* round with decimals is computed in double (as the reference is): scaling
 * in float32 would move ties. */
static inline double round_decimals(double a, int64_t d)
{
    double p = pow(10.0, (double)(d > 0 ? d : -d));
    return d > 0 ? nearbyint(a * p) / p : nearbyint(a / p) * p;
}

static inline float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* exp(x) in float32. libmvec's expf where we have it: 0.22 ns a float at
 * 16 lanes against 0.30 for the inline form below, which made exp of 4M
 * floats 1.6 ms, now 1.2-1.3 (torch 2.1), and sigmoid, silu and tanh
 * 0.3-0.6 ms faster. The inline form, for builds without libmvec, is
 * branch-free: Cephes' reduction x = n ln2 + r (ln2 split in two parts) and
 * degree-6 polynomial, within 1 ulp of the true value; 2^n is applied in two
 * halves so that subnormal results come out right. NaN passes through the
 * arithmetic; the ends saturate to inf and 0. */
static inline float vexp_f32(float x)
{
#ifdef TSH_MVEC
    return expf(x);
#else
    float n = nearbyint(x * 1.44269504088896341f);
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float y = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                 4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f) * (r * r) + r + 1.0f;
    float nc = n < -151.0f ? -151.0f : n;
    nc = nc > 129.0f ? 129.0f : nc;
    int32_t ni = (int32_t)nc, h = ni >> 1;
    y = y * bits_f32((uint32_t)(h + 127) << 23) * bits_f32((uint32_t)(ni - h + 127) << 23);
    y = x > 88.8f ? INFINITY : y;
    return x < -104.0f ? 0.0f : y;
#endif
}

/* tanh(x) in float32: 1 - 2/(e^2|x| + 1) for |x| > 0.625, Cephes' odd
 * polynomial below (where that form cancels); within 2 ulp. */
static inline float vtanh_f32(float x)
{
    float ax = fabs(x), z = x * x;
    float big = 1 - 2 / (vexp_f32(2 * ax) + 1);
    float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                    1.33314422036e-1f) * z - 3.33332819422e-1f) * z * ax + ax;
    return copysign(ax > 0.625f ? big : small, x);
}

/* gelu(x) = x Phi(x) in float32, with Phi(-|x|) = erfc(z) / 2, z = |x| /
 * sqrt(2), and Phi(x) = 1 - Phi(-x) for x > 0. erfc(z) = t exp(-z^2 +
 * P(t)), t = 1 / (1 + z/2), as in Numerical Recipes' erfcc, with a degree-9
 * P fitted here (near-minimax, Chebyshev nodes on z in [0, 20/sqrt(2)]):
 * 6e-8 relative in exact arithmetic, 3e-7 evaluated in float; gelu within
 * 5e-7 relative for |x| < 1, 1.3e-6 for |x| < 5. No 1 + erf that cancels:
 * with libmvec's erff, gelu was 1e-5 off relatively at x = -3 and lost
 * every digit by x = -6 (torch's float32 gelu is 4% off at x = -5). As
 * fast: 0.57 ns a float in cache against erff's 0.58 (AVX-512, 1 thread),
 * 4M floats 2.72 ms against 2.74 (torch 2.5). Past |x| = 20 erfc is 0 in float32;
 * clamping there keeps inf out of the arithmetic (gelu(-inf) stays NaN, as
 * 0.5 x (1 + erf) gives). The argument of exp rounds to about 88 ulp at
 * the far end, a relative error below what half an ulp of x moves the
 * result there (x^2 ulp). */
static inline float vgelu_f32(float x)
{
    float ax = fabs(x);
    ax = ax > 20.0f ? 20.0f : ax;
    float t = 1 / (1 + ax * 0.353553391f);
    float p = 1.613749609e-01f;
    p = p * t - 7.700551107e-01f;
    p = p * t + 1.365734357e+00f;
    p = p * t - 9.727776897e-01f;
    p = p * t + 1.466903903e-01f;
    p = p * t - 1.181282388e-01f;
    p = p * t + 7.468875103e-02f;
    p = p * t + 3.783934778e-01f;
    p = p * t + 9.995721189e-01f;
    p = p * t - 1.265492957e+00f;
    float h = 0.5f * t * vexp_f32(p - 0.5f * ax * ax);
    return x * (x < 0 ? h : 1 - h);
}

static inline double vexp_f64(double x) { return exp(x); }
static inline double vgelu_f64(double x) { return 0.5 * x * (1 + erf(x * 0.7071067811865476)); }
static inline double vtanh_f64(double x) { return tanh(x); }

#ifdef TSH_RSQRT512
/* rsqrt of float32 with AVX-512: the 14-bit estimate and one Newton step,
 * y + y/2 (1 - a y y) with the residual from one rounding: every float in
 * [1, 4] came within 0.63 * 2^-23 relative of 1/sqrt(a) (the kernel test
 * allows 4e-6). sqrt and a division take 2.4
 * cycles a float at 16 lanes and made rsqrt 1.6 ms on 4M floats, compute
 * bound (torch 1.4); this is as fast as a copy. (a y) y rather than a (y y):
 * y*y overflows for subnormal a. 0 and inf keep the estimate, which is
 * exact there (+-inf, 0); NaN and a < 0 give NaN through the arithmetic. */
__attribute__((target("avx512f"))) static void rsqrt_f32_avx512(float *o, const float *x, int64_t n)
{
    const __m512 one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f), inf = _mm512_set1_ps(INFINITY);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 a = _mm512_maskz_loadu_ps(m, x + i);
        __m512 y = _mm512_rsqrt14_ps(a);
        __m512 r = _mm512_fnmadd_ps(_mm512_mul_ps(a, y), y, one);
        __m512 z = _mm512_fmadd_ps(_mm512_mul_ps(half, y), r, y);
        __mmask16 keep = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_EQ_OQ) | _mm512_cmp_ps_mask(a, inf, _CMP_EQ_OQ);
        _mm512_mask_storeu_ps(o + i, m, _mm512_mask_mov_ps(z, keep, y));
    }
}

static bool has_avx512f(void)
{
    static int ok = -1; /* the answer never changes, so a race only repeats it */
    if (ok < 0) ok = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return ok;
}
#endif

#define FLOAT_UNARY(T, SFX)                                                        \
    do {                                                                           \
        switch (c->op) {                                                           \
        case TSH_OP_NEG: UN_LOOP(T, T, -a); break;                                 \
        case TSH_OP_ABS: UN_LOOP(T, T, fabs(a)); break;                            \
        case TSH_OP_SIGN: UN_LOOP(T, T, (0 < a) - (a < 0)); break;                 \
        case TSH_OP_EXP: UN_LOOP(T, T, vexp_##SFX(a)); break;                             \
        case TSH_OP_LOG: UN_LOOP(T, T, log(a)); break;                             \
        case TSH_OP_LOG1P: UN_LOOP(T, T, log1p(a)); break;                         \
        case TSH_OP_EXPM1: UN_LOOP(T, T, expm1(a)); break;                         \
        case TSH_OP_SQRT: UN_LOOP(T, T, sqrt(a)); break;                           \
        case TSH_OP_RSQRT: UN_LOOP(T, T, 1 / sqrt(a)); break;                      \
        case TSH_OP_SIN: UN_LOOP(T, T, sin(a)); break;                             \
        case TSH_OP_COS: UN_LOOP(T, T, cos(a)); break;                             \
        case TSH_OP_TAN: UN_LOOP(T, T, tan(a)); break;                             \
        case TSH_OP_TANH: UN_LOOP(T, T, vtanh_##SFX(a)); break;                           \
        case TSH_OP_SIGMOID: UN_LOOP(T, T, 1 / (1 + vexp_##SFX(-a))); break;              \
        case TSH_OP_RELU: UN_LOOP(T, T, a > 0 || a != a ? a : 0); break;           \
        case TSH_OP_GELU:                                                          \
            if (c->param) {                                                        \
                const T k0 = (T)0.7978845608028654, k1 = (T)0.044715;              \
                UN_LOOP(T, T, (T)0.5 * a * (1 + vtanh_##SFX(k0 * (a + k1 * a * a * a)))); \
            } else {                                                               \
                UN_LOOP(T, T, vgelu_##SFX(a));                                     \
            }                                                                      \
            break;                                                                 \
        case TSH_OP_SILU: UN_LOOP(T, T, a / (1 + vexp_##SFX(-a))); break;                 \
        case TSH_OP_FLOOR: UN_LOOP(T, T, floor(a)); break;                         \
        case TSH_OP_CEIL: UN_LOOP(T, T, ceil(a)); break;                           \
        case TSH_OP_TRUNC: UN_LOOP(T, T, trunc(a)); break;                         \
        case TSH_OP_ROUND:                                                         \
            if (c->param == 0) UN_LOOP(T, T, nearbyint(a));                        \
            else UN_LOOP(T, T, round_decimals(a, c->param));                       \
            break;                                                                 \
        case TSH_OP_RECIPROCAL: UN_LOOP(T, T, 1 / a); break;                       \
        case TSH_OP_SQUARE: UN_LOOP(T, T, a * a); break;                           \
        case TSH_OP_LOGICAL_NOT: UN_LOOP(T, uint8_t, a == 0); break;               \
        case TSH_OP_CLAMP: {                                                       \
            T lo = (c->clamp_flags & 1) ? (T)c->lo : -(T)INFINITY;                 \
            T hi = (c->clamp_flags & 2) ? (T)c->hi : (T)INFINITY;                  \
            if (lo != lo || hi != hi) UN_LOOP(T, T, (T)NAN + 0 * a);               \
            else {                                                                 \
                if (lo > hi) lo = hi; /* min(max(a, lo), hi) is then hi */         \
                UN_LOOP(T, T, CLAMP_EXPR(T));                      \
            }                                                                      \
            break;                                                                 \
        }                                                                          \
        default: break;                                                            \
        }                                                                          \
    } while (0)

/* Signed integers T (unsigned twin U, range TMIN..TMAX). */
#define INT_UNARY(T, U, TMIN, TMAX)                                                \
    do {                                                                           \
        switch (c->op) {                                                           \
        case TSH_OP_NEG: UN_LOOP(T, T, 0 - (U)a); break;                           \
        case TSH_OP_ABS: UN_LOOP(T, T, a < 0 ? 0 - (U)a : (U)a); break;            \
        case TSH_OP_SIGN: UN_LOOP(T, T, (0 < a) - (a < 0)); break;                 \
        case TSH_OP_RELU: UN_LOOP(T, T, a > 0 ? a : 0); break;                     \
        case TSH_OP_FLOOR: case TSH_OP_CEIL: case TSH_OP_ROUND: case TSH_OP_TRUNC: \
            UN_LOOP(T, T, a); break;                                               \
        case TSH_OP_SQUARE: UN_LOOP(T, T, (U)a * (U)a); break;                     \
        case TSH_OP_LOGICAL_NOT: UN_LOOP(T, uint8_t, a == 0); break;               \
        case TSH_OP_CLAMP: {                                                       \
            T lo = (c->clamp_flags & 1) ? (T)c->ilo : TMIN;                        \
            T hi = (c->clamp_flags & 2) ? (T)c->ihi : TMAX;                        \
            if (lo > hi) lo = hi;                                                  \
            UN_LOOP(T, T, CLAMP_EXPR(T));                          \
            break;                                                                 \
        }                                                                          \
        default: break;                                                            \
        }                                                                          \
    } while (0)

/* uint8 and bool: no negative values (and no `< 0` tests to warn about). */
static void byte_unary(const un_ctx *c, char **p, const int64_t *s, int64_t n)
{
    bool is_bool = c->dt == TSH_BOOL;
    switch (c->op) {
    case TSH_OP_NEG: UN_LOOP(uint8_t, uint8_t, 0 - a); break;
    case TSH_OP_SIGN: UN_LOOP(uint8_t, uint8_t, a != 0); break;
    case TSH_OP_ABS: case TSH_OP_RELU: case TSH_OP_FLOOR: case TSH_OP_CEIL: case TSH_OP_ROUND:
    case TSH_OP_TRUNC:
        UN_LOOP(uint8_t, uint8_t, a);
        break;
    case TSH_OP_SQUARE: UN_LOOP(uint8_t, uint8_t, a * a); break;
    case TSH_OP_LOGICAL_NOT: UN_LOOP(uint8_t, uint8_t, a == 0); break;
    case TSH_OP_CLAMP: {
        if (is_bool) break; /* refused by the front end */
        uint8_t lo = (c->clamp_flags & 1) ? (uint8_t)c->ilo : 0;
        uint8_t hi = (c->clamp_flags & 2) ? (uint8_t)c->ihi : UINT8_MAX;
        if (lo > hi) lo = hi;
        UN_LOOP(uint8_t, uint8_t, CLAMP_EXPR(uint8_t));
        break;
    }
    default: break;
    }
}

static void un_loop(void *vctx, char **p, const int64_t *s, int64_t n);

/* float16 and bfloat16 a block at a time through the float32 loop, as
 * bin_half in cpu/elementwise.c: widened into L1, rounded once on store
 * (logical_not writes its bool output directly). */
static void un_half(const un_ctx *c, char **p, const int64_t *s, int64_t n)
{
    float a[TSH_HALF_BLOCK], r[TSH_HALF_BLOCK];
    un_ctx fc = *c;
    fc.dt = TSH_F32;
    if (c->half512 && tsh_cpu_half_unary(c->op, c->dt, p, s, n)) return;
    bool direct = c->op == TSH_OP_LOGICAL_NOT;
    int64_t fs[2] = {direct ? s[0] : (int64_t)sizeof(float), sizeof(float)};
    for (int64_t i0 = 0; i0 < n; i0 += TSH_HALF_BLOCK) {
        int64_t len = n - i0 < TSH_HALF_BLOCK ? n - i0 : TSH_HALF_BLOCK;
        char *fp[2] = {direct ? p[0] + i0 * s[0] : (char *)r, (char *)a};
        tsh_cpu_widen(c->dt, a, p[1] + i0 * s[1], s[1], len);
        un_loop(&fc, fp, fs, len);
        if (!direct) tsh_cpu_narrow(c->dt, p[0] + i0 * s[0], s[0], r, len);
    }
}

TSH_MULTIVERSION static void un_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const un_ctx *c = vctx;
#ifdef TSH_RSQRT512
    if (c->rsqrt512 && s[0] == (int64_t)sizeof(float) && s[1] == (int64_t)sizeof(float)) {
        rsqrt_f32_avx512((float *)p[0], (const float *)p[1], n);
        return;
    }
#endif
    switch (c->dt) {
    case TSH_F32: FLOAT_UNARY(float, f32); break;
    case TSH_F64: FLOAT_UNARY(double, f64); break;
    case TSH_I64: INT_UNARY(int64_t, uint64_t, INT64_MIN, INT64_MAX); break;
    case TSH_I32: INT_UNARY(int32_t, uint32_t, INT32_MIN, INT32_MAX); break;
    case TSH_U8: case TSH_BOOL: byte_unary(c, p, s, n); break;
    case TSH_F16: case TSH_BF16: un_half(c, p, s, n); break;
    default: break;
    }
}

tsh_status tsh_cpu_unary(tsh_op op, const tsh_kargs *k)
{
    tsh_tensor *ts[2] = {k->out, k->in[0]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    un_ctx c = {.op = op, .dt = k->in[0]->dtype, .param = k->i[0]};
#ifdef TSH_RSQRT512
    c.rsqrt512 = op == TSH_OP_RSQRT && (c.dt == TSH_F32 || tsh_dtype_is_half(c.dt)) && has_avx512f() && !tsh_env_off("TENSH_RSQRT512");
#endif
    c.half512 = tsh_dtype_is_half(c.dt) && tsh_cpu_half512();
    if (op == TSH_OP_CLAMP) {
        c.param = 0;
        c.clamp_flags = (int)k->i[0];
        c.lo = k->f[0], c.hi = k->f[1];
        c.ilo = k->i[1], c.ihi = k->i[2];
    }
    return tsh_iter_run(&it, 0, un_loop, &c);
}
