/* cpu/elementwise_unary.c: fast unary kernels (neg .. logical_not) and
 * clamp with scalar bounds. Input and output have one shape; the dtype is
 * the output's except for logical_not (any input, bool output). Float math
 * uses <tgmath.h> so one loop body serves float32 and float64. */
#include <stdint.h>
#include <tgmath.h>

#include "elementwise.h"
#include "iter.h"

typedef struct un_ctx {
    tsh_op op;
    tsh_dtype dt;  /* the input's */
    int64_t param; /* round: decimals; gelu: 1 for the tanh form */
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

/* round with decimals is computed in double (as the reference is): scaling
 * in float32 would move ties. */
static inline double round_decimals(double a, int64_t d)
{
    double p = pow(10.0, (double)(d > 0 ? d : -d));
    return d > 0 ? nearbyint(a * p) / p : nearbyint(a / p) * p;
}

#define FLOAT_UNARY(T)                                                             \
    do {                                                                           \
        switch (c->op) {                                                           \
        case TSH_OP_NEG: UN_LOOP(T, T, -a); break;                                 \
        case TSH_OP_ABS: UN_LOOP(T, T, fabs(a)); break;                            \
        case TSH_OP_SIGN: UN_LOOP(T, T, (0 < a) - (a < 0)); break;                 \
        case TSH_OP_EXP: UN_LOOP(T, T, exp(a)); break;                             \
        case TSH_OP_LOG: UN_LOOP(T, T, log(a)); break;                             \
        case TSH_OP_LOG1P: UN_LOOP(T, T, log1p(a)); break;                         \
        case TSH_OP_EXPM1: UN_LOOP(T, T, expm1(a)); break;                         \
        case TSH_OP_SQRT: UN_LOOP(T, T, sqrt(a)); break;                           \
        case TSH_OP_RSQRT: UN_LOOP(T, T, 1 / sqrt(a)); break;                      \
        case TSH_OP_SIN: UN_LOOP(T, T, sin(a)); break;                             \
        case TSH_OP_COS: UN_LOOP(T, T, cos(a)); break;                             \
        case TSH_OP_TAN: UN_LOOP(T, T, tan(a)); break;                             \
        case TSH_OP_TANH: UN_LOOP(T, T, tanh(a)); break;                           \
        case TSH_OP_SIGMOID: UN_LOOP(T, T, 1 / (1 + exp(-a))); break;              \
        case TSH_OP_RELU: UN_LOOP(T, T, a > 0 || a != a ? a : 0); break;          \
        case TSH_OP_GELU:                                                          \
            if (c->param) {                                                        \
                const T k0 = (T)0.7978845608028654, k1 = (T)0.044715;              \
                UN_LOOP(T, T, (T)0.5 * a * (1 + tanh(k0 * (a + k1 * a * a * a)))); \
            } else {                                                               \
                UN_LOOP(T, T, (T)0.5 * a * (1 + erf(a * (T)0.7071067811865476)));  \
            }                                                                      \
            break;                                                                 \
        case TSH_OP_SILU: UN_LOOP(T, T, a / (1 + exp(-a))); break;                 \
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
                UN_LOOP(T, T, a < lo ? lo : a > hi ? hi : a);                      \
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
            UN_LOOP(T, T, a < lo ? lo : a > hi ? hi : a);                          \
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
        UN_LOOP(uint8_t, uint8_t, a < lo ? lo : a > hi ? hi : a);
        break;
    }
    default: break;
    }
}

static void un_loop(void *vctx, char **p, const int64_t *s, int64_t n)
{
    const un_ctx *c = vctx;
    switch (c->dt) {
    case TSH_F32: FLOAT_UNARY(float); break;
    case TSH_F64: FLOAT_UNARY(double); break;
    case TSH_I64: INT_UNARY(int64_t, uint64_t, INT64_MIN, INT64_MAX); break;
    case TSH_I32: INT_UNARY(int32_t, uint32_t, INT32_MIN, INT32_MAX); break;
    case TSH_U8: case TSH_BOOL: byte_unary(c, p, s, n); break;
    default: break;
    }
}

tsh_status tsh_cpu_unary(tsh_op op, const tsh_kargs *k)
{
    tsh_tensor *ts[2] = {k->out, k->in[0]};
    tsh_iter it;
    tsh_iter_init(&it, 2, ts);
    un_ctx c = {.op = op, .dt = k->in[0]->dtype, .param = k->i[0]};
    if (op == TSH_OP_CLAMP) {
        c.param = 0;
        c.clamp_flags = (int)k->i[0];
        c.lo = k->f[0], c.hi = k->f[1];
        c.ilo = k->i[1], c.ihi = k->i[2];
    }
    return tsh_iter_run(&it, 0, un_loop, &c);
}
