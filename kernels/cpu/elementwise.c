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
#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <tgmath.h>

#include "elementwise.h"
#include "iter.h"

typedef struct bin_ctx {
    tsh_op op;
    tsh_dtype dt;
    double alpha;
    int64_t ialpha;
    int zero; /* an integer division by zero was met */
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

static void bin_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    bin_ctx *c = vctx;
    int zero = 0;
    switch (c->dt) {
    case TSH_F32: FLOAT_OPS(float, f32); break;
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
    bin_ctx c = {op, k->out->dtype, k->f[0], k->i[0], 0};
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
