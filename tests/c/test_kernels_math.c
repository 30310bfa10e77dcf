/* test_kernels_math.c: the fast elementwise kernels against the reference
 * ones, through the front end (interp/core/mathops.c): every binary,
 * comparison, logical and unary op and clamp, on every dtype the op takes,
 * over random shapes in every layout, with broadcast, 0-dim, wrapped-number
 * and empty operands, mixed dtypes, in-place and strided outputs. Values
 * against hand-computed answers are in tests/lua/test_math.lua. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kcheck.h"
#include "mathops.h"
#include "ref/ref.h"

static const tsh_dtype all_dtypes[] = {TSH_BOOL, TSH_U8, TSH_I32, TSH_I64,
                                       TSH_F16, TSH_BF16, TSH_F32, TSH_F64};
#define NDT (int)(sizeof all_dtypes / sizeof all_dtypes[0])

/* ---- value shaping: the kernels are compared where both are defined ---- */

static void map_values(tsh_tensor *t, double (*fn)(double))
{
    int64_t n = tsh_numel(t);
    for (int64_t i = 0; i < n; i++) {
        char *p = tsh_ref_ptr(t, i);
        tsh_store_f64(t->dtype, p, fn(tsh_load_f64(t->dtype, p)));
    }
}

static double nonzero(double v) { return v == 0 ? 1 : v; }
/* Quarters are exact in every float type, so float floor division and
 * remainder agree bit for bit between float32 and the double reference. */
static double quarters(double v) { return floor(v * 4) / 4; }
static double quarters_nonzero(double v) { return nonzero(quarters(v)); }

/* ---- tolerances ---- */

static bool is_transcendental(tsh_op op)
{
    switch (op) {
    case TSH_OP_EXP: case TSH_OP_LOG: case TSH_OP_LOG1P: case TSH_OP_EXPM1: case TSH_OP_SIN:
    case TSH_OP_COS: case TSH_OP_TAN: case TSH_OP_TANH: case TSH_OP_SIGMOID: case TSH_OP_GELU:
    case TSH_OP_SILU: case TSH_OP_POW: case TSH_OP_ATAN2: case TSH_OP_RSQRT:
        return true;
    default: return false;
    }
}

/* Ops whose float32 result, rounded once to float16 or bfloat16, is the
 * correctly rounded one (float32 holds more than twice their precision, so
 * the two roundings of the fast kernels agree with the reference's one). */
static bool half_exact(tsh_op op)
{
    switch (op) {
    case TSH_OP_ADD: case TSH_OP_SUB: case TSH_OP_MUL: case TSH_OP_DIV: case TSH_OP_MAXIMUM:
    case TSH_OP_MINIMUM: case TSH_OP_RELU_BACKWARD: case TSH_OP_NEG: case TSH_OP_ABS: case TSH_OP_RELU:
    case TSH_OP_SQUARE: case TSH_OP_SQRT: case TSH_OP_RECIPROCAL: case TSH_OP_SIGN: case TSH_OP_FLOOR:
    case TSH_OP_CEIL: case TSH_OP_TRUNC: case TSH_OP_CLAMP:
        return true;
    default: return false;
    }
}

/* Set while a call passes an alpha other than 1: a + alpha*b is two
 * operations, and no longer exact in float16/bfloat16. */
static bool with_alpha;

static void tolerance(tsh_op op, tsh_dtype dt, double *rtol, double *atol)
{
    *rtol = kc_rtol(dt);
    *atol = dt == TSH_F64 ? 1e-12 : dt == TSH_F32 ? 1e-6 : dt == TSH_F16 ? 1e-3 : dt == TSH_BF16 ? 1e-2 : 0;
    if (is_transcendental(op) && dt == TSH_F32) *rtol = 4e-6, *atol = 4e-6;
    if ((op == TSH_OP_ADD || op == TSH_OP_SUB) && tsh_dtype_is_float(dt)) *atol *= 30; /* alpha rounding */
    if ((dt == TSH_F16 || dt == TSH_BF16) && half_exact(op) && !with_alpha) *rtol = *atol = 0;
}

/* When >= 0, replaces the absolute tolerance (relative-only checks of exp
 * and tanh, whose results are never cancellations). */
static double atol_override = -1;

/* ---- running one call on both backends ---- */

typedef tsh_status (*call_fn)(void *ctx, tsh_tensor **res);

/* Runs `fn` with the reference and then the fast kernels; checks they
 * agree on success or failure, and on the values. */
static void both(const char *what, call_fn fn, void *ctx, tsh_op op)
{
    tsh_tensor *want = NULL, *got = NULL;
    kc_use_ref(1);
    tsh_status s1 = fn(ctx, &want);
    char msg1[256];
    snprintf(msg1, sizeof msg1, "%s", tsh_errmsg());
    kc_use_ref(0);
    tsh_status s2 = fn(ctx, &got);
    KC_CHECK(s1 == s2, "%s: ref status %d (%s), fast status %d (%s)", what, s1, s1 ? msg1 : "", s2,
             s2 ? tsh_errmsg() : "");
    if (s1 == TSH_OK && s2 == TSH_OK) {
        double rtol, atol;
        tolerance(op, want->dtype, &rtol, &atol);
        if (atol_override >= 0) atol = atol_override;
        KC_CHECK(kc_compare(what, got, want, rtol, atol), "%s", what);
    }
    tsh_tensor_release(want);
    tsh_tensor_release(got);
}

/* ---- binary and comparison ops ---- */

typedef struct binspec {
    tsh_op op;
    double lo, hi, blo, bhi; /* value ranges of a and b */
    double (*fix_b)(double); /* applied to b, e.g. no zero divisors */
    double (*fix_f)(double); /* applied to a and b when floating */
} binspec;

static const binspec binspecs[] = {
    {TSH_OP_ADD, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_SUB, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_MUL, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_DIV, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_FLOOR_DIVIDE, -20, 20, -6, 6, nonzero, quarters_nonzero},
    {TSH_OP_REMAINDER, -20, 20, -6, 6, nonzero, quarters_nonzero},
    {TSH_OP_FMOD, -20, 20, -6, 6, nonzero, quarters_nonzero},
    {TSH_OP_POW, -4, 4, -2, 7, NULL, NULL},
    {TSH_OP_MAXIMUM, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_MINIMUM, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_ATAN2, -10, 10, -10, 10, NULL, NULL},
    {TSH_OP_RELU_BACKWARD, -10, 10, -3, 3, NULL, NULL},
    {TSH_OP_EQ, -3, 3, -3, 3, NULL, NULL},
    {TSH_OP_NE, -3, 3, -3, 3, NULL, NULL},
    {TSH_OP_LT, -3, 3, -3, 3, NULL, NULL},
    {TSH_OP_LE, -3, 3, -3, 3, NULL, NULL},
    {TSH_OP_GT, -3, 3, -3, 3, NULL, NULL},
    {TSH_OP_GE, -3, 3, -3, 3, NULL, NULL},
    {TSH_OP_LOGICAL_AND, -2, 2, -2, 2, NULL, NULL},
    {TSH_OP_LOGICAL_OR, -2, 2, -2, 2, NULL, NULL},
    {TSH_OP_LOGICAL_XOR, -2, 2, -2, 2, NULL, NULL},
};

/* Does PyTorch run op when both operands have dtype dt? */
static bool binary_takes(tsh_op op, tsh_dtype dt)
{
    if (dt != TSH_BOOL) return true;
    return op != TSH_OP_SUB && op != TSH_OP_FLOOR_DIVIDE && op != TSH_OP_REMAINDER &&
           op != TSH_OP_FMOD && op != TSH_OP_POW;
}

typedef struct bin_call {
    tsh_op op;
    tsh_tensor *a, *b, *out; /* out: NULL, a (in place) or a strided output */
    const tsh_scalar *alpha;
} bin_call;

static tsh_status run_bin(void *vctx, tsh_tensor **res)
{
    bin_call *c = vctx;
    if (!c->out) return tsh_binary(c->op, c->a, c->b, c->alpha, NULL, res);
    /* write into a fresh copy so that both backends start from the same data */
    tsh_tensor *dst;
    TSH_TRY(tsh_clone(c->out, &dst));
    tsh_tensor *a = c->out == c->a ? dst : c->a;
    tsh_status st = tsh_binary(c->op, a, c->b, c->alpha, dst, NULL);
    if (st != TSH_OK) { tsh_tensor_release(dst); return st; }
    *res = dst;
    return TSH_OK;
}

/* A shape that broadcasts to (nd, shape): some dims set to 1, some leading dims dropped. */
static int broadcast_shape_of(int nd, const int64_t *shape, int64_t *out)
{
    int drop = nd ? (int)kc_randint(0, nd) : 0, k = 0;
    for (int d = drop; d < nd; d++) out[k++] = kc_uniform() < 0.5 ? 1 : shape[d];
    return k;
}

static tsh_tensor *wrapped_number(tsh_dtype like, double lo, double hi)
{
    tsh_tensor *t = NULL;
    double v = lo + (hi - lo) * kc_uniform();
    if (like == TSH_BOOL) tsh_scalar_i64(kc_uniform() < 0.5, TSH_BOOL, true, &t);
    else if (!tsh_dtype_is_float(like) || kc_uniform() < 0.3) tsh_scalar_i64((int64_t)floor(v), TSH_I64, true, &t);
    else tsh_scalar_f64(v, TSH_F64, true, &t);
    return t;
}

static void shape_values(const binspec *s, tsh_tensor *a, tsh_tensor *b)
{
    if (s->fix_b && !tsh_dtype_is_float(tsh_result_type(2, (tsh_tensor *[]){a, b}))) map_values(b, s->fix_b);
    if (s->fix_f) {
        if (tsh_dtype_is_float(a->dtype)) map_values(a, quarters);
        if (tsh_dtype_is_float(b->dtype)) map_values(b, s->fix_f);
    }
    if (s->op == TSH_OP_POW && !tsh_dtype_is_float(b->dtype) && b->wrapped) map_values(b, fabs);
}

/* Set for the second run of the float16/bfloat16 cases (see main). */
static bool half_only;

static bool skip_dtype(tsh_dtype dt) { return half_only && dt != TSH_F16 && dt != TSH_BF16; }

static void test_binary_op(const binspec *s)
{
    for (int di = 0; di < NDT; di++) {
        tsh_dtype dt = all_dtypes[di];
        if (!binary_takes(s->op, dt) || skip_dtype(dt)) continue;
        for (int iter = 0; iter < 24; iter++) {
            int64_t shape[TSH_MAX_DIMS], bshape[TSH_MAX_DIMS];
            int nd = kc_rand_shape(4, 5, 1, shape);
            kc_layout la = (kc_layout)(iter % KC_LAYOUT_COUNT);
            kc_layout lb = (kc_layout)kc_randint(0, KC_LAYOUT_COUNT - 1);
            int variant = iter % 6;
            tsh_dtype bdt = dt;
            if (variant == 5) { /* mixed dtypes */
                bdt = all_dtypes[kc_randint(0, NDT - 1)];
                if (!binary_takes(s->op, tsh_promote(dt, bdt))) bdt = dt;
            }
            tsh_tensor *a = kc_tensor(nd, shape, dt, la, s->lo, s->hi), *b;
            switch (variant) {
            case 1: { int bnd = broadcast_shape_of(nd, shape, bshape);
                      b = kc_tensor(bnd, bshape, bdt, lb, s->blo, s->bhi); break; }
            case 2: b = kc_tensor(0, bshape, bdt, KC_CONTIG, s->blo, s->bhi); break;
            case 3: b = wrapped_number(dt, s->blo, s->bhi); break;
            default: b = kc_tensor(nd, shape, bdt, lb, s->blo, s->bhi); break;
            }
            shape_values(s, a, b);
            bin_call c = {s->op, a, b, NULL, NULL};
            if (variant == 4) { c.a = b, c.b = a; } /* the broadcast one on the left */
            tsh_scalar alpha = {TSH_SCALAR_INT, 2, 0};
            if ((s->op == TSH_OP_ADD || s->op == TSH_OP_SUB) && iter % 3 == 0) {
                if (tsh_dtype_is_float(dt)) alpha = (tsh_scalar){TSH_SCALAR_FLOAT, 0, -1.5};
                else if (dt == TSH_BOOL) alpha = (tsh_scalar){TSH_SCALAR_BOOL, 1, 0};
                c.alpha = &alpha;
            }
            char what[128];
            snprintf(what, sizeof what, "%s %s/%s variant %d layout %d", tsh_op_infos[s->op].name,
                     tsh_dtype_name(dt), tsh_dtype_name(bdt), variant, la);
            with_alpha = c.alpha != NULL;
            both(what, run_bin, &c, s->op);
            /* in place into a, when the result fits a's dtype and shape */
            if (variant != 4 && variant != 5 && tsh_op_infos[s->op].kind == TSH_KIND_BINARY &&
                !tsh_op_infos[s->op].float_only) {
                c.out = c.a;
                snprintf(what, sizeof what, "%s_ %s layout %d", tsh_op_infos[s->op].name, tsh_dtype_name(dt), la);
                both(what, run_bin, &c, s->op);
            }
            with_alpha = false;
            tsh_tensor_release(a);
            tsh_tensor_release(b);
        }
    }
}

/* Outputs the kernel writes through strides, and in-place ops whose other
 * operand overlaps the output (the front end must use a temporary). */
static void test_binary_outputs(void)
{
    for (int iter = 0; iter < 40; iter++) {
        int64_t shape[2] = {kc_randint(1, 6), kc_randint(1, 6)};
        tsh_dtype dt = iter % 2 ? TSH_F32 : TSH_I64;
        tsh_tensor *a = kc_tensor(2, shape, dt, KC_CONTIG, -5, 5);
        tsh_tensor *b = kc_tensor(2, shape, dt, (kc_layout)(iter % KC_LAYOUT_COUNT), -5, 5);
        tsh_tensor *out = kc_tensor(2, shape, iter % 4 < 2 ? dt : TSH_F64, (kc_layout)((iter / 2) % KC_LAYOUT_COUNT), 0, 1);
        bin_call c = {TSH_OP_MUL, a, b, out, NULL};
        both("mul into a strided output", run_bin, &c, TSH_OP_MUL);
        c = (bin_call){TSH_OP_GT, a, b, out, NULL};
        both("gt into a strided output", run_bin, &c, TSH_OP_GT);
        tsh_tensor_release(a);
        tsh_tensor_release(b);
        tsh_tensor_release(out);

        int64_t sq[2] = {shape[0], shape[0]};
        tsh_tensor *m = kc_tensor(2, sq, dt, KC_CONTIG, -5, 5), *mt;
        tsh_transpose(m, 0, 1, &mt);
        /* m:add_(m:t()) reads elements it has already written unless the
         * front end computes into a temporary first */
        tsh_tensor *want, *got;
        tsh_clone(m, &want);
        tsh_tensor *wt;
        tsh_transpose(want, 0, 1, &wt);
        tsh_tensor *sum;
        kc_use_ref(1);
        tsh_binary(TSH_OP_ADD, m, mt, NULL, NULL, &sum);
        kc_use_ref(0);
        KC_CHECK(tsh_binary(TSH_OP_ADD, want, wt, NULL, want, NULL) == TSH_OK, "add_ with overlap: %s", tsh_errmsg());
        got = want;
        KC_CHECK(kc_compare("add_ of its own transpose", got, sum, 0, 0), "overlap");
        tsh_tensor_release(sum);
        tsh_tensor_release(wt);
        tsh_tensor_release(want);
        tsh_tensor_release(mt);
        tsh_tensor_release(m);
    }
}

/* Integer division by a zero in a tensor: both kernels report it. */
static void test_zero_division(void)
{
    const tsh_op ops[] = {TSH_OP_FLOOR_DIVIDE, TSH_OP_REMAINDER, TSH_OP_FMOD};
    const tsh_dtype dts[] = {TSH_U8, TSH_I32, TSH_I64};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int ref = 0; ref < 2; ref++) {
                int64_t n = 100000; /* big enough to run on several threads */
                tsh_tensor *a, *b, *r = NULL;
                tsh_full(1, &n, 7, dts[j], tsh_cpu_device(), &a);
                tsh_full(1, &n, 3, dts[j], tsh_cpu_device(), &b);
                tsh_store_i64(dts[j], tsh_ref_ptr(b, n - 5), 0);
                kc_use_ref(ref);
                tsh_status st = tsh_binary(ops[i], a, b, NULL, NULL, &r);
                KC_CHECK(st == TSH_ERR_ARG && strstr(tsh_errmsg(), "division by zero"),
                         "%s %s by a zero (%s): status %d", tsh_op_infos[ops[i]].name,
                         tsh_dtype_name(dts[j]), ref ? "ref" : "cpu", st);
                KC_CHECK(r == NULL, "no result on error");
                tsh_tensor_release(a);
                tsh_tensor_release(b);
            }
    kc_use_ref(0);
}

/* ---- unary ops ---- */

typedef struct unspec {
    tsh_op op;
    double lo, hi;
    int64_t param;
} unspec;

static const unspec unspecs[] = {
    {TSH_OP_NEG, -10, 10, 0},     {TSH_OP_ABS, -10, 10, 0},     {TSH_OP_SIGN, -3, 3, 0},
    {TSH_OP_EXP, -10, 10, 0},     {TSH_OP_LOG, -1, 10, 0},      {TSH_OP_LOG1P, -0.9, 10, 0},
    {TSH_OP_EXPM1, -5, 5, 0},     {TSH_OP_SQRT, -1, 20, 0},     {TSH_OP_RSQRT, 0.01, 20, 0},
    {TSH_OP_SIN, -10, 10, 0},     {TSH_OP_COS, -10, 10, 0},     {TSH_OP_TAN, -1.5, 1.5, 0},
    {TSH_OP_TANH, -5, 5, 0},      {TSH_OP_SIGMOID, -20, 20, 0}, {TSH_OP_RELU, -5, 5, 0},
    {TSH_OP_GELU, -6, 6, 0},      {TSH_OP_GELU, -6, 6, 1},      {TSH_OP_SILU, -20, 20, 0},
    {TSH_OP_FLOOR, -10, 10, 0},   {TSH_OP_CEIL, -10, 10, 0},    {TSH_OP_ROUND, -10, 10, 0},
    {TSH_OP_ROUND, -10, 10, 2},   {TSH_OP_ROUND, -1000, 1000, -2}, {TSH_OP_TRUNC, -10, 10, 0},
    {TSH_OP_RECIPROCAL, -10, 10, 0}, {TSH_OP_SQUARE, -100, 100, 0}, {TSH_OP_LOGICAL_NOT, -2, 2, 0},
};

static bool unary_takes(tsh_op op, tsh_dtype dt, int64_t param)
{
    if (op == TSH_OP_ROUND && param != 0 && !tsh_dtype_is_float(dt)) return false;
    if (dt != TSH_BOOL) return true;
    return op != TSH_OP_NEG && op != TSH_OP_ABS && op != TSH_OP_RELU && op != TSH_OP_FLOOR &&
           op != TSH_OP_CEIL && op != TSH_OP_ROUND && op != TSH_OP_TRUNC;
}

typedef struct un_call {
    tsh_op op;
    tsh_tensor *a;
    int64_t param;
    bool inplace;
} un_call;

static tsh_status run_un(void *vctx, tsh_tensor **res)
{
    un_call *c = vctx;
    if (!c->inplace) return tsh_unary(c->op, c->a, c->param, NULL, res);
    tsh_tensor *dst;
    TSH_TRY(tsh_clone(c->a, &dst));
    tsh_status st = tsh_unary(c->op, dst, c->param, dst, NULL);
    if (st != TSH_OK) { tsh_tensor_release(dst); return st; }
    *res = dst;
    return TSH_OK;
}

static void test_unary_op(const unspec *s)
{
    for (int di = 0; di < NDT; di++) {
        tsh_dtype dt = all_dtypes[di];
        if (!unary_takes(s->op, dt, s->param) || skip_dtype(dt)) continue;
        for (int iter = 0; iter < 16; iter++) {
            int64_t shape[TSH_MAX_DIMS];
            int nd = kc_rand_shape(4, 6, 1, shape);
            kc_layout la = (kc_layout)(iter % KC_LAYOUT_COUNT);
            tsh_tensor *a = kc_tensor(nd, shape, dt, la, s->lo, s->hi);
            un_call c = {s->op, a, s->param, false};
            char what[128];
            snprintf(what, sizeof what, "%s(%lld) %s layout %d", tsh_op_infos[s->op].name,
                     (long long)s->param, tsh_dtype_name(dt), la);
            both(what, run_un, &c, s->op);
            c.inplace = true; /* float results into int tensors fail alike on both */
            both(what, run_un, &c, s->op);
            tsh_tensor_release(a);
        }
    }
}

/* float16 and bfloat16 at their edges: NaN on either side of maximum and
 * relu, overflow to inf, subnormals, and sums that tie (2048 + 1 in
 * float16), through every binary op and unary op, a tensor against its
 * reversal (19 elements: one full vector of 16 and a tail). */
static void test_half_edges(void)
{
    const double v[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 65504, -65504, 3e38, 1e-7, -6e-5,
                        1e-40, 2048, 1, 0.1, -2.5, 3, 256, 0.5, -1};
    int64_t n = (int64_t)(sizeof v / sizeof v[0]);
    const tsh_dtype dts[] = {TSH_F16, TSH_BF16};
    for (int k = 0; k < 2; k++) {
        tsh_tensor *a, *b;
        tsh_tensor_empty(1, &n, dts[k], tsh_cpu_device(), &a);
        tsh_tensor_empty(1, &n, dts[k], tsh_cpu_device(), &b);
        for (int64_t i = 0; i < n; i++) {
            tsh_store_f64(dts[k], tsh_ref_ptr(a, i), v[i]);
            tsh_store_f64(dts[k], tsh_ref_ptr(b, i), v[n - 1 - i]);
        }
        for (int op = 0; op < TSH_OP_COUNT; op++) {
            char what[64];
            snprintf(what, sizeof what, "%s on %s edges", tsh_op_infos[op].name, tsh_dtype_name(dts[k]));
            if (tsh_op_infos[op].kind == TSH_KIND_BINARY) {
                bin_call c = {(tsh_op)op, a, b, NULL, NULL};
                both(what, run_bin, &c, (tsh_op)op);
            } else if (tsh_op_infos[op].kind == TSH_KIND_UNARY && op != TSH_OP_CLAMP) {
                un_call c = {(tsh_op)op, a, 0, false};
                both(what, run_un, &c, (tsh_op)op);
            }
        }
        tsh_tensor_release(a);
        tsh_tensor_release(b);
    }
}

/* ---- clamp ---- */

typedef struct clamp_call {
    tsh_tensor *a, *lo, *hi;
} clamp_call;

static tsh_status run_clamp(void *vctx, tsh_tensor **res)
{
    clamp_call *c = vctx;
    return tsh_clamp(c->a, c->lo, c->hi, NULL, res);
}

static void test_clamp(void)
{
    for (int di = 0; di < NDT; di++) { /* bool computes in int64, or is refused alike */
        tsh_dtype dt = all_dtypes[di];
        if (skip_dtype(dt)) continue;
        for (int iter = 0; iter < 24; iter++) {
            int64_t shape[TSH_MAX_DIMS], bshape[TSH_MAX_DIMS];
            int nd = kc_rand_shape(4, 5, 1, shape);
            kc_layout la = (kc_layout)(iter % KC_LAYOUT_COUNT);
            tsh_tensor *a = kc_tensor(nd, shape, dt, la, -10, 10), *lo = NULL, *hi = NULL;
            int variant = iter % 4;
            bool fl = tsh_dtype_is_float(dt);
            double l = dt == TSH_U8 ? 2 : -4, h = dt == TSH_U8 ? 200 : 5;
            if (variant == 0 || variant == 1) {
                if (iter % 3 != 1) tsh_scalar_i64((int64_t)l, TSH_I64, true, &lo);
                if (iter % 3 != 2) {
                    if (fl) tsh_scalar_f64(h + 0.5, TSH_F64, true, &hi);
                    else tsh_scalar_i64((int64_t)h, TSH_I64, true, &hi);
                }
                if (variant == 1 && lo && hi) { /* min > max: everything becomes max */
                    tsh_tensor *t = lo;
                    lo = hi, hi = t;
                }
            } else if (variant == 2) { /* tensor bounds that broadcast */
                int bnd = broadcast_shape_of(nd, shape, bshape);
                lo = kc_tensor(bnd, bshape, dt, KC_CONTIG, -8, 0);
                hi = kc_tensor(bnd, bshape, dt, KC_CONTIG, 0, 8);
            } else if (fl) { /* a NaN bound makes every element NaN */
                tsh_scalar_f64(NAN, TSH_F64, true, &lo);
            } else {
                tsh_scalar_f64(1.5, TSH_F64, true, &lo); /* int clamped by a float: float32 */
            }
            clamp_call c = {a, lo, hi};
            char what[96];
            snprintf(what, sizeof what, "clamp %s variant %d layout %d", tsh_dtype_name(dt), variant, la);
            both(what, run_clamp, &c, TSH_OP_CLAMP);
            tsh_tensor_release(a);
            tsh_tensor_release(lo);
            tsh_tensor_release(hi);
        }
    }
}

/* Edge values the random ranges do not reach: wrapping, INT_MIN / -1, NaN. */
static void test_edges(void)
{
    int64_t n = 4;
    tsh_tensor *a, *b, *r1 = NULL, *r2 = NULL;
    tsh_tensor_empty(1, &n, TSH_I64, tsh_cpu_device(), &a);
    tsh_tensor_empty(1, &n, TSH_I64, tsh_cpu_device(), &b);
    int64_t av[4] = {INT64_MIN, INT64_MAX, INT64_MIN, -7}, bv[4] = {-1, 2, 3, -1};
    memcpy(a->storage->data, av, sizeof av);
    memcpy(b->storage->data, bv, sizeof bv);
    const tsh_op ops[] = {TSH_OP_FLOOR_DIVIDE, TSH_OP_REMAINDER, TSH_OP_FMOD, TSH_OP_MUL,
                          TSH_OP_ADD, TSH_OP_SUB, TSH_OP_POW};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        kc_use_ref(1);
        tsh_status s1 = tsh_binary(ops[i], a, b, NULL, NULL, &r1);
        kc_use_ref(0);
        tsh_status s2 = tsh_binary(ops[i], a, b, NULL, NULL, &r2);
        KC_CHECK(s1 == TSH_OK && s2 == TSH_OK && kc_compare(tsh_op_infos[ops[i]].name, r2, r1, 0, 0),
                 "%s at the int64 edges", tsh_op_infos[ops[i]].name);
        tsh_tensor_release(r1);
        tsh_tensor_release(r2);
        r1 = r2 = NULL;
    }
    int64_t fd = ((int64_t *)a->storage->data)[0];
    tsh_binary(TSH_OP_FLOOR_DIVIDE, a, b, NULL, NULL, &r1);
    KC_CHECK(((int64_t *)r1->storage->data)[0] == fd, "INT64_MIN // -1 wraps to INT64_MIN");
    tsh_tensor_release(r1);
    const tsh_op uops[] = {TSH_OP_NEG, TSH_OP_ABS, TSH_OP_SQUARE, TSH_OP_SIGN};
    for (size_t i = 0; i < sizeof uops / sizeof uops[0]; i++) {
        kc_use_ref(1);
        tsh_unary(uops[i], a, 0, NULL, &r1);
        kc_use_ref(0);
        tsh_unary(uops[i], a, 0, NULL, &r2);
        KC_CHECK(kc_compare(tsh_op_infos[uops[i]].name, r2, r1, 0, 0), "%s at the int64 edges",
                 tsh_op_infos[uops[i]].name);
        tsh_tensor_release(r1);
        tsh_tensor_release(r2);
    }
    tsh_tensor_release(a);
    tsh_tensor_release(b);

    /* NaN and infinities through float ops */
    double fv[6] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e308};
    n = 6;
    tsh_tensor *f;
    tsh_tensor_empty(1, &n, TSH_F64, tsh_cpu_device(), &f);
    memcpy(f->storage->data, fv, sizeof fv);
    for (int op = 0; op < TSH_OP_COUNT; op++) {
        if (tsh_op_infos[op].kind != TSH_KIND_UNARY || op == TSH_OP_CLAMP) continue;
        un_call c = {(tsh_op)op, f, 0, false};
        char what[64];
        snprintf(what, sizeof what, "%s on nan/inf", tsh_op_infos[op].name);
        both(what, run_un, &c, (tsh_op)op);
    }
    /* float32 has its own exp, tanh and erf (gelu), rsqrt with AVX-512 and
     * libmvec's vector forms: their ends and edges (gelu's erf is clamped
     * at |x| / sqrt(2) = 3.92; subnormals for rsqrt; huge sin arguments) */
    float gv[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 88.7f, 88.72f, 88.73f, 89.0f, -87.3f,
                  -100.0f, -103.9f, -104.0f, -200.0f, 1e30f, -1e30f, 0.5f, -0.624f, 0.626f,
                  1e-30f, -9.0f, 9.0f, 44.0f, -45.0f, 5.54f, -5.54f, 5.55f, -5.55f, 1e-40f,
                  -1e-40f, 3e38f, 2.0f, -1.0f, 1e-45f, 0.3f, -3.0f};
    int64_t gn = (int64_t)(sizeof gv / sizeof gv[0]);
    tsh_tensor *g;
    tsh_tensor_empty(1, &gn, TSH_F32, tsh_cpu_device(), &g);
    memcpy(g->storage->data, gv, sizeof gv);
    const tsh_op fops[] = {TSH_OP_EXP, TSH_OP_TANH, TSH_OP_SIGMOID, TSH_OP_SILU, TSH_OP_GELU,
                           TSH_OP_RSQRT, TSH_OP_LOG, TSH_OP_LOG1P, TSH_OP_EXPM1, TSH_OP_SIN,
                           TSH_OP_COS, TSH_OP_TAN};
    for (size_t i = 0; i < sizeof fops / sizeof fops[0]; i++)
        for (int64_t param = 0; param < 2; param++) {
            /* rsqrt: the AVX-512 path, then the plain one */
            if (fops[i] == TSH_OP_RSQRT && param == 1) setenv("TENSH_RSQRT512", "0", 1);
            un_call c = {fops[i], g, fops[i] == TSH_OP_GELU ? param : 0, false};
            char what[64];
            snprintf(what, sizeof what, "%s on float32 edges", tsh_op_infos[fops[i]].name);
            if (fops[i] == TSH_OP_EXP || fops[i] == TSH_OP_TANH || fops[i] == TSH_OP_RSQRT) atol_override = 0;
            both(what, run_un, &c, fops[i]);
            atol_override = -1;
            unsetenv("TENSH_RSQRT512");
        }
    tsh_tensor_release(g);

    /* float32 gelu (erf form) in its negative tail, relatively: results of
     * 1e-7 and less, where 1 + erf would cancel (the double reference
     * keeps 1e-7 relative down to x = -6) */
    int64_t tn = 4096;
    tsh_tensor *tail = kc_tensor(1, &tn, TSH_F32, KC_CONTIG, -6, -1);
    un_call tc = {TSH_OP_GELU, tail, 0, false};
    atol_override = 0;
    both("gelu on its float32 negative tail", run_un, &tc, TSH_OP_GELU);
    atol_override = -1;
    tsh_tensor_release(tail);

    /* every pair of the special values, both ways round */
    int64_t sq[2] = {6, 6};
    tsh_tensor *col, *rows, *cols;
    tsh_view(f, 2, (int64_t[]){6, 1}, &col);
    tsh_expand(col, 2, sq, &rows);
    tsh_transpose(rows, 0, 1, &cols);
    tsh_tensor_release(col);
    for (size_t i = 0; i < sizeof binspecs / sizeof binspecs[0]; i++) {
        bin_call c = {binspecs[i].op, rows, cols, NULL, NULL};
        char what[64];
        snprintf(what, sizeof what, "%s on nan/inf", tsh_op_infos[binspecs[i].op].name);
        both(what, run_bin, &c, binspecs[i].op);
    }
    tsh_tensor_release(rows);
    tsh_tensor_release(cols);
    tsh_tensor_release(f);
}

/* Long enough to take the threaded path and the vectorised loops. */
static void test_large(tsh_dtype dt)
{
    int64_t shape[2] = {301, 1023}, row[1] = {1023};
    tsh_tensor *a = kc_tensor(2, shape, dt, KC_CONTIG, -3, 3);
    tsh_tensor *b = kc_tensor(1, row, dt, KC_CONTIG, -3, 3);
    tsh_tensor *at = kc_tensor(2, shape, dt, KC_TRANSPOSED, -3, 3);
    tsh_tensor *num = wrapped_number(dt, -3, 3);
    const tsh_op ops[] = {TSH_OP_ADD, TSH_OP_MUL, TSH_OP_DIV, TSH_OP_MAXIMUM, TSH_OP_LT, TSH_OP_POW};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        bin_call c = {ops[i], a, b, NULL, NULL};
        both("large row-broadcast", run_bin, &c, ops[i]);
        c.b = at;
        both("large with a transposed operand", run_bin, &c, ops[i]);
        c.b = num;
        both("large with a number", run_bin, &c, ops[i]);
    }
    un_call u = {TSH_OP_SIGMOID, at, 0, false};
    both("large sigmoid", run_un, &u, TSH_OP_SIGMOID);
    u = (un_call){TSH_OP_EXP, a, 0, true};
    both("large exp_", run_un, &u, TSH_OP_EXP);
    u = (un_call){TSH_OP_RELU, a, 0, false};
    both("large relu", run_un, &u, TSH_OP_RELU);
    tsh_tensor_release(a);
    tsh_tensor_release(b);
    tsh_tensor_release(at);
    tsh_tensor_release(num);
}

/* Whether two float32 tensors of one shape hold the same bits (any NaN
 * equal to any NaN), signs of zero included. */
static bool same_bits(const char *what, tsh_tensor *got, tsh_tensor *want)
{
    int64_t n = tsh_numel(want);
    for (int64_t i = 0; i < n; i++) {
        float g = *(const float *)tsh_ref_ptr(got, i), w = *(const float *)tsh_ref_ptr(want, i);
        if ((isnan(g) && isnan(w)) || memcmp(&g, &w, sizeof g) == 0) continue;
        fprintf(stderr, "%s: element %lld: got %a, want %a\n", what, (long long)i, (double)g, (double)w);
        return false;
    }
    return true;
}

/* float32 fmod, remainder and floor division run vectorised in blocks of
 * 256 (cpu/elementwise.c), and a block with a zero, infinite or NaN
 * operand or a quotient past 2^22 goes through scalar fmodf. Here: values
 * over 70 binades with quotients below 2^21 (some just below an integer,
 * where the float quotient rounds up and the kernel corrects it), negative
 * operands, and specials (a quotient of 2^100 too) in some blocks only
 * (the tail included), through every operand form: contiguous, scalar
 * divisor or dividend (zero too), strided, in place. fmod and remainder
 * are exact, so they must match the reference bit for bit, signs of zero
 * included; floor division within tolerance. */
static void test_divmod_f32(void)
{
    int64_t n = 3 * 256 + 77, n2 = 2 * n;
    tsh_tensor *a, *b, *wide, *strided = NULL;
    tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &a);
    tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &b);
    float *av = (float *)tsh_data(a), *bv = (float *)tsh_data(b);
    for (int64_t i = 0; i < n; i++) {
        float sa = kc_uniform() < 0.5 ? -1.0f : 1.0f, sb = kc_uniform() < 0.5 ? -1.0f : 1.0f;
        int eb = (int)kc_randint(-20, 20);
        bv[i] = sb * (float)ldexp(1 + kc_uniform(), eb);
        if (i % 3 == 0) { /* the float just below k b, whose quotient often rounds up to k */
            double kb = (double)kc_randint(1, (int64_t)1 << 21) * bv[i];
            av[i] = (float)kb;
            if (fabs((double)av[i]) >= fabs(kb)) av[i] = nextafterf(av[i], 0.0f);
        } else
            av[i] = sa * (float)ldexp(1 + kc_uniform(), eb + (int)kc_randint(-30, 20));
    }
    const int64_t at[] = {260, 300, 310, 320, 330, 340, 350, 360, 370, 380, 3 * 256 + 70};
    const float sa[] = {NAN, 5.0f, 5.0f, -5.0f, -7.25f, -INFINITY, 1e30f, 1e-40f, 1.0f, -0.0f, -3.0f};
    const float sb[] = {2.0f, 0.0f, -0.0f, INFINITY, -INFINITY, 3.0f, 3.0f, 0.75f, 1e-40f, 2.0f, NAN};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) av[at[i]] = sa[i], bv[at[i]] = sb[i];
    tsh_full(1, &n2, 0.0, TSH_F32, tsh_cpu_device(), &wide);
    for (int64_t i = 0; i < n; i++) ((float *)tsh_data(wide))[2 * i] = av[i];
    tsh_slice(wide, 0, 0, n2, 2, &strided);
    tsh_tensor *s0, *s1, *s2;
    tsh_full(0, NULL, -2.75, TSH_F32, tsh_cpu_device(), &s0);
    tsh_full(0, NULL, 0.0, TSH_F32, tsh_cpu_device(), &s1);
    tsh_full(0, NULL, 7.5, TSH_F32, tsh_cpu_device(), &s2);
    const tsh_op ops[] = {TSH_OP_FMOD, TSH_OP_REMAINDER, TSH_OP_FLOOR_DIVIDE};
    for (int i = 0; i < 3; i++) {
        bin_call calls[] = {{ops[i], a, b, NULL, NULL},  {ops[i], a, s0, NULL, NULL},
                            {ops[i], a, s1, NULL, NULL}, {ops[i], s2, b, NULL, NULL},
                            {ops[i], strided, b, NULL, NULL}, {ops[i], a, b, a, NULL},
                            {ops[i], b, strided, NULL, NULL}};
        const char *forms[] = {"contiguous", "scalar divisor", "zero scalar divisor", "scalar dividend",
                               "strided dividend", "in place", "strided divisor"};
        for (int j = 0; j < 7; j++) {
            char what[96];
            snprintf(what, sizeof what, "float32 %s, %s", tsh_op_infos[ops[i]].name, forms[j]);
            if (ops[i] == TSH_OP_FLOOR_DIVIDE) {
                both(what, run_bin, &calls[j], ops[i]);
                continue;
            }
            tsh_tensor *want = NULL, *got = NULL;
            kc_use_ref(1);
            tsh_status s_1 = run_bin(&calls[j], &want);
            kc_use_ref(0);
            tsh_status s_2 = run_bin(&calls[j], &got);
            KC_CHECK(s_1 == TSH_OK && s_2 == TSH_OK && same_bits(what, got, want), "%s", what);
            tsh_tensor_release(want);
            tsh_tensor_release(got);
        }
    }
    tsh_tensor *ts[] = {a, b, wide, strided, s0, s1, s2};
    for (int i = 0; i < 7; i++) tsh_tensor_release(ts[i]);
}

/* float32 pow and atan2 go through glibc's vector functions in blocks of
 * 256 lanes, a tail block padded (cpu/elementwise.c): random and special
 * operands (NaN, infinities, signed zeros, negative bases with integer and
 * fractional exponents, overflow, underflow) through every operand form,
 * pow(t, 2) as t * t, and each element's value independent of where its
 * block starts: the op on a slice gives the same bits as the slice of the
 * op on the whole. */
static void test_vmath_f32(void)
{
    int64_t n = 3 * 256 + 77, n2 = 2 * n;
    tsh_tensor *a, *b, *wide, *strided = NULL;
    tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &a);
    tsh_tensor_empty(1, &n, TSH_F32, tsh_cpu_device(), &b);
    float *av = (float *)tsh_data(a), *bv = (float *)tsh_data(b);
    for (int64_t i = 0; i < n; i++) {
        av[i] = (float)(kc_uniform() * 8 - 4);
        bv[i] = i % 4 == 0 ? (float)kc_randint(-6, 6) : (float)(kc_uniform() * 16 - 8);
    }
    const int64_t at[] = {5, 260, 300, 310, 320, 330, 340, 350, 360, 370, 380, 390, 400, 3 * 256 + 70};
    const float sa[] = {NAN, 0.0f, -0.0f, -0.0f, INFINITY, -INFINITY, -INFINITY, -2.0f, -2.0f, 1.0f, 1e30f, 1e-30f,
                        -1.0f, 3.0f};
    const float sb[] = {0.0f, -1.0f, -3.0f, 0.5f, -2.0f, 3.0f, 0.5f, 3.0f, 0.5f, NAN, 5.0f, 7.0f, INFINITY, NAN};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) av[at[i]] = sa[i], bv[at[i]] = sb[i];
    tsh_full(1, &n2, 0.0, TSH_F32, tsh_cpu_device(), &wide);
    for (int64_t i = 0; i < n; i++) ((float *)tsh_data(wide))[2 * i] = bv[i];
    tsh_slice(wide, 0, 0, n2, 2, &strided);
    tsh_tensor *s0, *s1, *s2;
    tsh_full(0, NULL, 2.5, TSH_F32, tsh_cpu_device(), &s0);
    tsh_full(0, NULL, 2.0, TSH_F32, tsh_cpu_device(), &s1);
    tsh_full(0, NULL, -1.5, TSH_F32, tsh_cpu_device(), &s2);
    const tsh_op ops[] = {TSH_OP_POW, TSH_OP_ATAN2};
    for (int i = 0; i < 2; i++) {
        bin_call calls[] = {{ops[i], a, b, NULL, NULL},  {ops[i], a, s0, NULL, NULL},
                            {ops[i], a, s1, NULL, NULL}, {ops[i], s2, b, NULL, NULL},
                            {ops[i], a, strided, NULL, NULL}, {ops[i], a, b, a, NULL}};
        const char *forms[] = {"contiguous", "scalar exponent", "exponent 2", "scalar base", "strided", "in place"};
        for (int j = 0; j < 6; j++) {
            char what[96];
            snprintf(what, sizeof what, "float32 %s, %s", tsh_op_infos[ops[i]].name, forms[j]);
            both(what, run_bin, &calls[j], ops[i]);
        }
        /* slices of 1..64 elements from all over (positive bases, so few
         * NaN): blocks start elsewhere and tail blocks hold other elements,
         * and a value that went through the scalar function in either
         * (1 in 20 differ in the last bit) would show */
        tsh_tensor *pa = NULL, *whole = NULL;
        KC_CHECK(tsh_unary(TSH_OP_ABS, a, 0, NULL, &pa) == TSH_OK &&
                     tsh_binary(ops[i], pa, b, NULL, NULL, &whole) == TSH_OK, "%s", tsh_errmsg());
        bool same = whole != NULL;
        for (int64_t len = 1; len <= 64 && same; len++) {
            int64_t start = (len * 13) % (n - len);
            tsh_tensor *ta = NULL, *tb = NULL, *part = NULL, *wpart = NULL;
            tsh_narrow(pa, 0, start, len, &ta);
            tsh_narrow(b, 0, start, len, &tb);
            tsh_narrow(whole, 0, start, len, &wpart);
            same = tsh_binary(ops[i], ta, tb, NULL, NULL, &part) == TSH_OK && same_bits("a slice", part, wpart);
            tsh_tensor *rs[] = {ta, tb, part, wpart};
            for (int k = 0; k < 4; k++) tsh_tensor_release(rs[k]);
        }
        KC_CHECK(same, "float32 %s: a value depends on where its block starts", tsh_op_infos[ops[i]].name);
        tsh_tensor_release(pa);
        tsh_tensor_release(whole);
    }
    /* pow(t, 2) is t * t, bit for bit */
    tsh_tensor *sq = NULL, *mul = NULL;
    KC_CHECK(tsh_binary(TSH_OP_POW, a, s1, NULL, NULL, &sq) == TSH_OK && tsh_binary(TSH_OP_MUL, a, a, NULL, NULL, &mul) == TSH_OK,
             "pow(t, 2): %s", tsh_errmsg());
    if (sq && mul) KC_CHECK(same_bits("pow(t, 2)", sq, mul), "float32 pow(t, 2) is not t * t");
    tsh_tensor *ts[] = {a, b, wide, strided, s0, s1, s2, sq, mul};
    for (int i = 0; i < 9; i++) tsh_tensor_release(ts[i]);
}

/* float32 add, sub and mul past 4M elements write with streaming stores
 * (cpu/elementwise.c): fresh outputs, and an output one float into its
 * storage, so that the stores start unaligned. */
static void test_streaming(void)
{
    int64_t n = ((int64_t)4 << 20) + 37, n1 = n + 1;
    tsh_tensor *a = kc_tensor(1, &n, TSH_F32, KC_CONTIG, -3, 3), *b = kc_tensor(1, &n, TSH_F32, KC_CONTIG, -3, 3);
    tsh_scalar alpha = {TSH_SCALAR_FLOAT, 0, 2.5};
    const tsh_op ops[] = {TSH_OP_ADD, TSH_OP_SUB, TSH_OP_MUL, TSH_OP_ADD};
    for (int i = 0; i < 4; i++) {
        bin_call c = {ops[i], a, b, NULL, i == 1 || i == 3 ? &alpha : NULL};
        both("streaming stores", run_bin, &c, ops[i]);
        tsh_tensor *want = NULL, *big = NULL, *view = NULL;
        kc_use_ref(1);
        KC_CHECK(tsh_binary(ops[i], a, b, c.alpha, NULL, &want) == TSH_OK, "ref: %s", tsh_errmsg());
        kc_use_ref(0);
        KC_CHECK(tsh_full(1, &n1, 0.0, TSH_F32, tsh_cpu_device(), &big) == TSH_OK, "full");
        KC_CHECK(tsh_narrow(big, 0, 1, n, &view) == TSH_OK, "narrow");
        KC_CHECK(tsh_binary(ops[i], a, b, c.alpha, view, NULL) == TSH_OK, "into a view: %s", tsh_errmsg());
        KC_CHECK(kc_compare("streaming stores into an unaligned view", view, want, 1e-6, 1e-6), "unaligned");
        KC_CHECK(((const float *)tsh_data(big))[0] == 0, "the float before the view is untouched");
        tsh_tensor_release(want);
        tsh_tensor_release(view);
        tsh_tensor_release(big);
    }
    tsh_tensor_release(a);
    tsh_tensor_release(b);
}

int main(void)
{
    tsh_backends_init();
    kc_seed(7);
    for (size_t i = 0; i < sizeof binspecs / sizeof binspecs[0]; i++) test_binary_op(&binspecs[i]);
    test_binary_outputs();
    test_half_edges();
    test_zero_division();
    for (size_t i = 0; i < sizeof unspecs / sizeof unspecs[0]; i++) test_unary_op(&unspecs[i]);
    test_clamp();
    test_edges();
    test_large(TSH_F32);
    test_large(TSH_F16);
    test_large(TSH_BF16);
    test_divmod_f32();
    test_vmath_f32();
    test_streaming();
    /* float16 and bfloat16 again through the block path, which serves CPUs
     * without AVX-512 and, here, only the layouts that the one-pass kernels
     * (cpu/elementwise_half.c) leave to it */
    setenv("TENSH_HALF512", "0", 1);
    half_only = true;
    for (size_t i = 0; i < sizeof binspecs / sizeof binspecs[0]; i++) test_binary_op(&binspecs[i]);
    for (size_t i = 0; i < sizeof unspecs / sizeof unspecs[0]; i++) test_unary_op(&unspecs[i]);
    test_clamp();
    test_half_edges();
    test_large(TSH_F16);
    test_large(TSH_BF16);
    unsetenv("TENSH_HALF512");
    return kc_finish();
}
