/* ref/elementwise.c: reference kernels for binary, comparison, logical and
 * unary ops and clamp: one element at a time, floats in double and integers
 * in int64 (wrapping as two's complement, through unsigned arithmetic so
 * that overflow is defined), then stored to the output's dtype. The oracle
 * the fast kernels are tested against; not fast. */
#include <math.h>

#include "ref.h"

/* Two's complement wrapping arithmetic on int64. */
static int64_t wadd(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wsub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t wmul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

/* b != 0 is checked by the caller. -1 is special: INT64_MIN / -1 traps. */
static int64_t floordiv_i(int64_t a, int64_t b)
{
    if (b == -1) return wsub(0, a);
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

static int64_t remainder_i(int64_t a, int64_t b)
{
    if (b == -1) return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

static int64_t pow_i(int64_t a, int64_t b)
{
    if (b < 0) return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0; /* PyTorch's rule */
    int64_t r = 1;
    for (uint64_t e = (uint64_t)b; e; e >>= 1) { /* by squaring, wrapping */
        if (e & 1) r = wmul(r, a);
        a = wmul(a, a);
    }
    return r;
}

/* PyTorch's floor division for floats: exact at ties where floor(a/b) is not. */
static double floordiv_f(double a, double b)
{
    if (b == 0) return a / b;
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div == 0) return copysign(0.0, a / b);
    double fl = floor(div);
    if (div - fl > 0.5) fl += 1;
    return fl;
}

static double remainder_f(double a, double b)
{
    double mod = fmod(a, b);
    if (mod != 0 && ((b < 0) != (mod < 0))) mod += b;
    return mod;
}

static double binary_f(tsh_op op, double a, double b, double alpha)
{
    switch (op) {
    case TSH_OP_ADD: return a + alpha * b;
    case TSH_OP_SUB: return a - alpha * b;
    case TSH_OP_MUL: return a * b;
    case TSH_OP_DIV: return a / b;
    case TSH_OP_FLOOR_DIVIDE: return floordiv_f(a, b);
    case TSH_OP_REMAINDER: return remainder_f(a, b);
    case TSH_OP_FMOD: return fmod(a, b);
    case TSH_OP_POW: return pow(a, b);
    case TSH_OP_MAXIMUM: return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
    case TSH_OP_MINIMUM: return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
    case TSH_OP_ATAN2: return atan2(a, b);
    case TSH_OP_RELU_BACKWARD: return b <= 0 ? 0 : a;
    default: return NAN;
    }
}

static int64_t binary_i(tsh_op op, int64_t a, int64_t b, int64_t alpha, bool *zero)
{
    switch (op) {
    case TSH_OP_ADD: return wadd(a, wmul(alpha, b));
    case TSH_OP_SUB: return wsub(a, wmul(alpha, b));
    case TSH_OP_MUL: return wmul(a, b);
    case TSH_OP_FLOOR_DIVIDE: if (b == 0) break; return floordiv_i(a, b);
    case TSH_OP_REMAINDER: if (b == 0) break; return remainder_i(a, b);
    case TSH_OP_FMOD: if (b == 0) break; return b == -1 ? 0 : a % b;
    case TSH_OP_POW: return pow_i(a, b);
    case TSH_OP_MAXIMUM: return a > b ? a : b;
    case TSH_OP_MINIMUM: return a < b ? a : b;
    case TSH_OP_RELU_BACKWARD: return b <= 0 ? 0 : a;
    default: return 0;
    }
    *zero = true;
    return 0;
}

static tsh_status ref_binary(tsh_op op, const tsh_kargs *k)
{
    const tsh_tensor *o = k->out, *x = k->in[0], *y = k->in[1];
    int64_t n = tsh_numel(o);
    bool zero = false;
    for (int64_t i = 0; i < n; i++) {
        if (tsh_ref_isint(o->dtype))
            tsh_ref_seti(o, i, binary_i(op, tsh_ref_geti(x, i), tsh_ref_geti(y, i), k->i[0], &zero));
        else
            tsh_ref_set(o, i, binary_f(op, tsh_ref_get(x, i), tsh_ref_get(y, i), k->f[0]));
    }
    if (zero) return tsh_fail(TSH_ERR_ARG, "%s: integer division by zero", tsh_op_infos[op].name);
    return TSH_OK;
}

static bool compare(tsh_op op, double a, double b, int64_t ia, int64_t ib, bool ints)
{
    bool za = ints ? ia != 0 : a != 0, zb = ints ? ib != 0 : b != 0;
    switch (op) {
    case TSH_OP_EQ: return ints ? ia == ib : a == b;
    case TSH_OP_NE: return ints ? ia != ib : a != b;
    case TSH_OP_LT: return ints ? ia < ib : a < b;
    case TSH_OP_LE: return ints ? ia <= ib : a <= b;
    case TSH_OP_GT: return ints ? ia > ib : a > b;
    case TSH_OP_GE: return ints ? ia >= ib : a >= b;
    case TSH_OP_LOGICAL_AND: return za && zb;
    case TSH_OP_LOGICAL_OR: return za || zb;
    case TSH_OP_LOGICAL_XOR: return za != zb;
    default: return false;
    }
}

static tsh_status ref_compare(tsh_op op, const tsh_kargs *k)
{
    const tsh_tensor *o = k->out, *x = k->in[0], *y = k->in[1];
    int64_t n = tsh_numel(o);
    bool ints = tsh_ref_isint(x->dtype);
    for (int64_t i = 0; i < n; i++) {
        bool r = ints ? compare(op, 0, 0, tsh_ref_geti(x, i), tsh_ref_geti(y, i), true)
                      : compare(op, tsh_ref_get(x, i), tsh_ref_get(y, i), 0, 0, false);
        tsh_ref_seti(o, i, r);
    }
    return TSH_OK;
}

static double round_decimals(double a, int64_t d)
{
    if (d == 0) return nearbyint(a);
    if (d > 0) {
        double p = pow(10.0, (double)d);
        return nearbyint(a * p) / p;
    }
    double p = pow(10.0, (double)-d);
    return nearbyint(a / p) * p;
}

static double unary_f(tsh_op op, double a, const tsh_kargs *k)
{
    switch (op) {
    case TSH_OP_NEG: return -a;
    case TSH_OP_ABS: return fabs(a);
    case TSH_OP_SIGN: return (double)((0 < a) - (a < 0));
    case TSH_OP_EXP: return exp(a);
    case TSH_OP_LOG: return log(a);
    case TSH_OP_LOG1P: return log1p(a);
    case TSH_OP_EXPM1: return expm1(a);
    case TSH_OP_SQRT: return sqrt(a);
    case TSH_OP_RSQRT: return 1 / sqrt(a);
    case TSH_OP_SIN: return sin(a);
    case TSH_OP_COS: return cos(a);
    case TSH_OP_TAN: return tan(a);
    case TSH_OP_TANH: return tanh(a);
    case TSH_OP_SIGMOID: return 1 / (1 + exp(-a));
    case TSH_OP_RELU: return isnan(a) ? a : a > 0 ? a : 0;
    case TSH_OP_GELU:
        if (k->i[0]) return 0.5 * a * (1 + tanh(sqrt(2 / M_PI) * (a + 0.044715 * a * a * a)));
        return 0.5 * a * (1 + erf(a * M_SQRT1_2));
    case TSH_OP_SILU: return a / (1 + exp(-a));
    case TSH_OP_FLOOR: return floor(a);
    case TSH_OP_CEIL: return ceil(a);
    case TSH_OP_ROUND: return round_decimals(a, k->i[0]);
    case TSH_OP_TRUNC: return trunc(a);
    case TSH_OP_RECIPROCAL: return 1 / a;
    case TSH_OP_SQUARE: return a * a;
    case TSH_OP_LOGICAL_NOT: return a == 0;
    case TSH_OP_CLAMP:
        /* NaN in the input or a bound propagates, as torch.clamp does */
        if ((k->i[0] & 1) && !isnan(a)) a = isnan(k->f[0]) || k->f[0] > a ? k->f[0] : a;
        if ((k->i[0] & 2) && !isnan(a)) a = isnan(k->f[1]) || k->f[1] < a ? k->f[1] : a;
        return a;
    default: return NAN;
    }
}

static int64_t unary_i(tsh_op op, int64_t a, const tsh_kargs *k)
{
    switch (op) {
    case TSH_OP_NEG: return wsub(0, a);
    case TSH_OP_ABS: return a < 0 ? wsub(0, a) : a;
    case TSH_OP_SIGN: return (0 < a) - (a < 0);
    case TSH_OP_RELU: return a > 0 ? a : 0;
    case TSH_OP_FLOOR: case TSH_OP_CEIL: case TSH_OP_ROUND: case TSH_OP_TRUNC: return a;
    case TSH_OP_SQUARE: return wmul(a, a);
    case TSH_OP_LOGICAL_NOT: return a == 0;
    case TSH_OP_CLAMP:
        if ((k->i[0] & 1) && a < k->i[1]) a = k->i[1];
        if ((k->i[0] & 2) && a > k->i[2]) a = k->i[2];
        return a;
    default: return 0;
    }
}

static tsh_status ref_unary(tsh_op op, const tsh_kargs *k)
{
    const tsh_tensor *o = k->out, *x = k->in[0];
    int64_t n = tsh_numel(o);
    for (int64_t i = 0; i < n; i++) {
        if (tsh_ref_isint(x->dtype)) tsh_ref_seti(o, i, unary_i(op, tsh_ref_geti(x, i), k));
        else tsh_ref_set(o, i, unary_f(op, tsh_ref_get(x, i), k));
    }
    return TSH_OK;
}

void tsh_ref_register_elementwise(tsh_kernel_fn *k)
{
    for (int op = 0; op < TSH_OP_COUNT; op++) {
        switch (tsh_op_infos[op].kind) {
        case TSH_KIND_BINARY: k[op] = ref_binary; break;
        case TSH_KIND_COMPARE: k[op] = ref_compare; break;
        case TSH_KIND_UNARY: k[op] = ref_unary; break;
        default: break;
        }
    }
}
