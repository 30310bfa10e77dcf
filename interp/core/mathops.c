/* mathops.c: the elementwise front end: PyTorch's dtype rules per op, then one
 * shared path (run_elementwise) that broadcasts, checks an `out` tensor,
 * picks where the kernel writes and dispatches. It computes nothing itself.
 * Tiny ops matter (`a + b` on 2 elements should cost well under a
 * microsecond), so operands are described by views built in this frame's
 * memory: no expand views, no cast copies when dtypes already match, and
 * 0-dim CPU operands (Lua numbers) are converted in place. */
#include "mathops.h"

#include "autograd.h"
#include "grad_math.h"
#include "grad_view.h"

#include <stdio.h>
#include <string.h>

/* ---- numbers as operands ---- */

static void noop_release(void *ctx, void *data, size_t nbytes)
{
    (void)ctx, (void)data, (void)nbytes;
}

/* A 0-dim CPU tensor over s->v. The refcounts start high so that a
 * retain/release pair inside a call can never drop them to zero and free
 * memory that malloc did not give. */
static tsh_tensor *stack_tensor(tsh_stack_scalar *s, tsh_dtype dt, bool wrapped)
{
    memset(&s->t, 0, sizeof s->t);
    memset(&s->s, 0, sizeof s->s);
    s->s.refcount = 1 << 30;
    s->s.data = &s->v;
    s->s.nbytes = sizeof s->v;
    s->s.device = tsh_cpu_device();
    s->s.release = noop_release;
    s->t.refcount = 1 << 30;
    s->t.dtype = dt;
    s->t.storage = &s->s;
    s->t.wrapped = wrapped;
    return &s->t;
}

tsh_tensor *tsh_stack_scalar_init(tsh_stack_scalar *s, const tsh_scalar *v)
{
    switch (v->kind) {
    case TSH_SCALAR_FLOAT: s->v.f = v->f; return stack_tensor(s, TSH_F64, true);
    case TSH_SCALAR_BOOL: s->v.b = v->i != 0; return stack_tensor(s, TSH_BOOL, true);
    default: s->v.i = v->i; return stack_tensor(s, TSH_I64, true);
    }
}

bool tsh_can_cast(tsh_dtype from, tsh_dtype to)
{
    if (tsh_dtype_is_float(from) && !tsh_dtype_is_float(to)) return false;
    if (from != TSH_BOOL && to == TSH_BOOL) return false;
    return true;
}

/* ---- operands: cast if needed, then a broadcast view in caller memory ----
 * A Lua number reaches the kernel as a 0-dim CPU tensor broadcast with
 * stride 0, whatever the output's device: a device backend reads that one
 * value from host memory (tsh_check_same_device lets wrapped numbers mix). */

typedef struct operand {
    tsh_tensor view;        /* what the kernel reads */
    tsh_tensor *owned;      /* a cast copy, released by operand_done */
    tsh_stack_scalar conv;  /* a converted 0-dim CPU value */
} operand;

/* A number in the common dtype `via` when that is float16/bfloat16. */
static double round_via(tsh_dtype via, double v)
{
    uint16_t h;
    tsh_store_f64(via, &h, v);
    return tsh_load_f64(via, &h);
}

/* t as dtype dt. torch casts every operand to the common dtype `via`
 * before computing, so where that is float16/bfloat16 (computed as
 * float32, dt) an operand of another dtype is rounded to it first:
 * bf16 t:eq(0.1) compares with 0.10009765625, and int64 2049 meets a
 * float16 tensor as 2048. */
static tsh_status operand_prepare(operand *o, tsh_tensor *t, tsh_dtype dt, tsh_dtype via, int nd,
                                  const int64_t *shape)
{
    tsh_tensor *src = t;
    o->owned = NULL;
    bool round_first = via != dt && t->dtype != via;
    if (t->dtype != dt) {
        if (t->ndim == 0 && t->storage->device.type == TSH_CPU) {
            /* result types only ever widen, so the value fits */
            src = stack_tensor(&o->conv, dt, t->wrapped);
            if (tsh_dtype_is_float(dt)) {
                double v = tsh_load_f64(t->dtype, tsh_data(t));
                tsh_store_f64(dt, &o->conv.v, round_first ? round_via(via, v) : v);
            } else {
                tsh_store_i64(dt, &o->conv.v, tsh_load_i64(t->dtype, tsh_data(t)));
            }
        } else if (round_first) {
            tsh_tensor *r = NULL;
            TSH_TRY(tsh_to_dtype(t, via, &r));
            tsh_status st = tsh_to_dtype(r, dt, &o->owned);
            tsh_tensor_release(r);
            TSH_TRY(st);
            src = o->owned;
        } else {
            TSH_TRY(tsh_to_dtype(t, dt, &o->owned));
            src = o->owned;
        }
    }
    o->view = *src;
    o->view.ndim = nd;
    for (int d = 0; d < nd; d++) {
        int sd = d - (nd - src->ndim);
        o->view.shape[d] = shape[d];
        o->view.stride[d] = sd < 0 || src->shape[sd] != shape[d] ? 0 : src->stride[sd];
    }
    return TSH_OK;
}

static void operand_done(operand *o) { tsh_tensor_release(o->owned); }

/* True when the kernel writing `out` could read an element of `in` that
 * another element's write already changed: shared storage, different view. */
static bool partial_overlap(const tsh_tensor *out, const tsh_tensor *in)
{
    if (in->storage != out->storage || tsh_numel(out) == 0) return false;
    if (in->offset != out->offset || in->dtype != out->dtype) return true;
    for (int d = 0; d < out->ndim; d++)
        if (out->shape[d] != 1 && in->stride[d] != out->stride[d]) return true;
    return false;
}

/* ---- the shared path ---- */

typedef struct ew_call {
    tsh_op op;
    const char *name;     /* for messages: "add" or "add_" */
    int nin;
    tsh_tensor *in[2];
    tsh_dtype in_dt;      /* what the kernel reads */
    tsh_dtype via_dt;     /* the common dtype operands are cast to first (in_dt's storage form) */
    tsh_dtype kout_dt;    /* what the kernel writes */
    tsh_dtype res_dt;     /* what the user gets */
    tsh_kargs k;          /* f and i prefilled */
} ew_call;

static tsh_status check_out(const ew_call *c, tsh_tensor *out, int nd, const int64_t *shape)
{
    char a[128], b[128];
    if (out->ndim != nd || memcmp(out->shape, shape, sizeof(int64_t) * (size_t)nd) != 0)
        return tsh_fail(TSH_ERR_SHAPE, "%s: output with shape %s doesn't match the broadcast shape %s",
                        c->name, tsh_shape_str(a, sizeof a, out->ndim, out->shape),
                        tsh_shape_str(b, sizeof b, nd, shape));
    if (!tsh_can_cast(c->res_dt, out->dtype))
        return tsh_fail(TSH_ERR_DTYPE, "%s: result type %s can't be cast to the desired output type %s",
                        c->name, tsh_dtype_name(c->res_dt), tsh_dtype_name(out->dtype));
    for (int d = 0; d < out->ndim; d++)
        if (out->shape[d] > 1 && out->stride[d] == 0)
            return tsh_fail(TSH_ERR_ARG, "%s: the output is an expanded view (more than one element "
                            "refers to a single memory location); clone it first", c->name);
    for (int i = 0; i < c->nin; i++)
        if (c->in[i]->storage->device.type != out->storage->device.type && !c->in[i]->wrapped) {
            char x[32], y[32];
            return tsh_fail(TSH_ERR_DEVICE, "%s: tensors are on different devices (%s and %s)", c->name,
                            tsh_device_str(out->storage->device, x, sizeof x),
                            tsh_device_str(c->in[i]->storage->device, y, sizeof y));
        }
    return TSH_OK;
}

static tsh_device result_device(const ew_call *c)
{
    for (int i = 0; i < c->nin; i++)
        if (!c->in[i]->wrapped) return c->in[i]->storage->device;
    return c->in[0]->storage->device;
}

static tsh_status run_elementwise(ew_call *c, tsh_tensor *out, tsh_tensor **res)
{
    int nd;
    int64_t shape[TSH_MAX_DIMS];
    tsh_tensor *a = c->in[0], *b = c->nin > 1 ? c->in[1] : NULL;
    if (!b || tsh_same_shape(a, b)) {
        nd = a->ndim;
        memcpy(shape, a->shape, sizeof(int64_t) * (size_t)nd);
        if (b) TSH_TRY(tsh_check_same_device(c->name, 2, c->in));
    } else {
        TSH_TRY(tsh_check_same_device(c->name, 2, c->in));
        TSH_TRY(tsh_broadcast_shape(c->name, 2, c->in, &nd, shape));
    }
    if (out) TSH_TRY(check_out(c, out, nd, shape));

    operand ops[2];
    int nready = 0;
    tsh_status st = TSH_OK;
    for (; nready < c->nin && st == TSH_OK; nready++)
        st = operand_prepare(&ops[nready], c->in[nready], c->in_dt, c->via_dt, nd, shape);
    if (st != TSH_OK) nready--; /* the failed one holds nothing */

    /* Where the kernel writes: straight into the result when its dtype is
     * the kernel's and no input aliases it badly; else a temporary. */
    tsh_tensor *kout = NULL, *result = NULL, *tmp = NULL;
    if (st == TSH_OK) {
        bool direct = out && out->dtype == c->kout_dt;
        for (int i = 0; direct && i < c->nin; i++) direct = !partial_overlap(out, &ops[i].view);
        if (direct) {
            kout = out;
        } else if (!out && c->res_dt == c->kout_dt) {
            st = tsh_tensor_empty(nd, shape, c->res_dt, result_device(c), &result);
            kout = result;
        } else {
            st = tsh_tensor_empty(nd, shape, c->kout_dt, result_device(c), &tmp);
            kout = tmp;
        }
    }
    if (st == TSH_OK) {
        c->k.out = kout;
        c->k.in[0] = &ops[0].view;
        c->k.in[1] = c->nin > 1 ? &ops[1].view : NULL;
        st = tsh_dispatch(c->op, &c->k);
    }
    if (st == TSH_OK && tmp) {
        if (out) st = tsh_copy_(out, tmp);
        else st = tsh_to_dtype(tmp, c->res_dt, &result);
    }
    for (int i = 0; i < nready; i++) operand_done(&ops[i]);
    tsh_tensor_release(tmp);
    if (st != TSH_OK) {
        tsh_tensor_release(result);
        return st;
    }
    if (res) *res = out ? tsh_tensor_retain(out) : result;
    else tsh_tensor_release(result);
    return TSH_OK;
}

/* ---- autograd: see grad_math.h ---- */

/* An unrecorded op (grad mode off, or nothing requires grad). A write into
 * a tensor with a history under no_grad keeps that history, as PyTorch. */
static tsh_status elementwise_plain(ew_call *c, tsh_tensor *out, tsh_tensor **res)
{
    tsh_status st = run_elementwise(c, out, res);
    if (out && out->ag && st == TSH_OK) tsh_ag_written(out);
    return st;
}

/* Hands the result of a recorded op to the caller. */
static tsh_status recorded(tsh_status st, tsh_tensor *r, tsh_tensor **res)
{
    if (st != TSH_OK || !res) tsh_tensor_release(r);
    else *res = r;
    return st;
}

/* "add", or "add_" for the in-place form; no formatting on the hot path. */
static const char *op_name(tsh_op op, bool inplace, char *buf, size_t n)
{
    const char *s = tsh_op_infos[op].name;
    size_t k = strlen(s);
    if (!inplace || k + 2 > n) return s;
    memcpy(buf, s, k);
    buf[k] = '_';
    buf[k + 1] = 0;
    return buf;
}

/* ---- binary and comparison ops ---- */

static bool is_int_division(tsh_op op)
{
    return op == TSH_OP_FLOOR_DIVIDE || op == TSH_OP_REMAINDER || op == TSH_OP_FMOD;
}

static tsh_status binary_types(ew_call *c, const tsh_scalar *alpha)
{
    tsh_tensor *a = c->in[0], *b = c->in[1];
    tsh_dtype dt = tsh_result_type(2, c->in);
    tsh_op op = c->op;
    if (op == TSH_OP_SUB && (a->dtype == TSH_BOOL || b->dtype == TSH_BOOL))
        return tsh_fail(TSH_ERR_DTYPE, a->dtype == b->dtype
                            ? "%s: subtraction of two bool tensors is not supported; use logical_xor"
                            : "%s: subtraction with a bool tensor is not supported; to invert a mask use logical_not",
                        c->name);
    if ((is_int_division(op) || op == TSH_OP_POW) && dt == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s: expected integer or floating point operands, got two bool "
                        "(convert with :long() or :float())", c->name);
    if (tsh_op_infos[op].float_only && !tsh_dtype_is_float(dt)) dt = TSH_DEFAULT_DTYPE;
    if (op == TSH_OP_POW && !tsh_dtype_is_float(dt) && b->wrapped && !tsh_dtype_is_float(b->dtype)
        && tsh_load_i64(b->dtype, tsh_data(b)) < 0)
        return tsh_fail(TSH_ERR_ARG, "%s: integers to negative integer powers are not allowed", c->name);
    if (is_int_division(op) && !tsh_dtype_is_float(dt) && b->ndim == 0 &&
        b->storage->device.type == TSH_CPU && tsh_load_i64(b->dtype, tsh_data(b)) == 0)
        return tsh_fail(TSH_ERR_ARG, "%s: integer division by zero", c->name);

    c->k.f[0] = 1;
    c->k.i[0] = 1;
    if (alpha) {
        if (alpha->kind == TSH_SCALAR_BOOL && dt != TSH_BOOL)
            return tsh_fail(TSH_ERR_ARG, "%s: a boolean alpha is only supported for bool results, got %s",
                            c->name, tsh_dtype_name(dt));
        if (alpha->kind == TSH_SCALAR_FLOAT && !tsh_dtype_is_float(dt))
            return tsh_fail(TSH_ERR_ARG, "%s: alpha must be an integer for %s tensors, got %g",
                            c->name, tsh_dtype_name(dt), alpha->f);
        c->k.f[0] = alpha->kind == TSH_SCALAR_FLOAT ? alpha->f : (double)alpha->i;
        c->k.i[0] = alpha->kind == TSH_SCALAR_FLOAT ? 0 : alpha->i;
    }
    /* float16 and bfloat16 reach the arithmetic kernels as they are (they
     * compute in float32 and round once); comparisons read float32 */
    c->in_dt = tsh_op_infos[op].kind == TSH_KIND_COMPARE ? tsh_dtype_compute(dt) : dt;
    c->via_dt = dt;
    /* alpha too is cast to the tensors' dtype, as torch does */
    if (c->via_dt != tsh_dtype_compute(dt)) c->k.f[0] = round_via(c->via_dt, c->k.f[0]);
    if (tsh_op_infos[op].kind == TSH_KIND_COMPARE) {
        c->kout_dt = c->res_dt = TSH_BOOL;
    } else {
        c->kout_dt = c->in_dt;
        c->res_dt = dt;
    }
    return TSH_OK;
}

tsh_status tsh_binary(tsh_op op, tsh_tensor *a, tsh_tensor *b, const tsh_scalar *alpha,
                      tsh_tensor *out, tsh_tensor **res)
{
    char name[32];
    ew_call c = {.op = op, .nin = 2, .in = {a, b}};
    c.name = op_name(op, out && out == a, name, sizeof name);
    tsh_op_kind kind = tsh_op_infos[op].kind;
    if (kind != TSH_KIND_BINARY && kind != TSH_KIND_COMPARE)
        return tsh_fail(TSH_ERR_ARG, "%s is not a binary op", c.name);
    if (alpha && op != TSH_OP_ADD && op != TSH_OP_SUB)
        return tsh_fail(TSH_ERR_ARG, "%s: alpha is only for add and sub", c.name);
    TSH_TRY(binary_types(&c, alpha));
    /* comparisons record only when they overwrite a tensor that requires grad */
    bool ag = (kind == TSH_KIND_BINARY && tsh_ag_needed(2, c.in)) || (out && tsh_ag_needed(1, &out));
    if (!ag) return elementwise_plain(&c, out, res);
    tsh_node *n = NULL;
    tsh_tensor *r = NULL;
    TSH_TRY(tsh_grad_binary_begin(op, a, b, alpha, out, &n));
    /* grad mode off: a temporary copied into out must not record itself */
    bool was = tsh_grad_pause();
    tsh_status st = run_elementwise(&c, out, &r);
    tsh_set_grad_enabled(was);
    return recorded(tsh_grad_end(n, st, r), r, res);
}

static tsh_status div_mode(tsh_tensor *a, tsh_tensor *b, const char *mode, tsh_tensor *out,
                           tsh_tensor **res)
{
    if (strcmp(mode, "floor") == 0) return tsh_binary(TSH_OP_FLOOR_DIVIDE, a, b, NULL, out, res);
    if (strcmp(mode, "trunc") != 0)
        return tsh_fail(TSH_ERR_ARG, "div: rounding_mode must be 'trunc' or 'floor', got '%s'", mode);
    tsh_tensor *ts[2] = {a, b}, *q = NULL, *r = NULL, *d = NULL;
    tsh_dtype dt = tsh_result_type(2, ts);
    tsh_status st;
    if (dt == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "div: rounding_mode='trunc' expects integer or floating point "
                        "operands, got two bool (convert with :long() or :float())");
    if (tsh_dtype_is_float(dt)) {
        /* trunc(a / b), as PyTorch computes it */
        st = tsh_binary(TSH_OP_DIV, a, b, NULL, NULL, &q);
        if (st == TSH_OK) st = tsh_unary(TSH_OP_TRUNC, q, 0, q, NULL);
    } else {
        /* a - fmod(a, b) is an exact multiple of b, so floor division of it
         * is truncation; it moves a toward zero and cannot overflow. A bool
         * dividend is converted first: sub refuses bool. */
        tsh_tensor *ai = NULL;
        st = tsh_to_dtype(a, dt, &ai);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_FMOD, ai, b, NULL, NULL, &r);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_SUB, ai, r, NULL, NULL, &d);
        if (st == TSH_OK) st = tsh_binary(TSH_OP_FLOOR_DIVIDE, d, b, NULL, NULL, &q);
        tsh_tensor_release(ai);
    }
    tsh_tensor_release(r);
    tsh_tensor_release(d);
    if (st == TSH_OK && out) {
        char sa[128], sb[128];
        if (!tsh_same_shape(out, q))
            st = tsh_fail(TSH_ERR_SHAPE, "div_: output with shape %s doesn't match the broadcast shape %s",
                          tsh_shape_str(sa, sizeof sa, out->ndim, out->shape),
                          tsh_shape_str(sb, sizeof sb, q->ndim, q->shape));
        else if (!tsh_can_cast(q->dtype, out->dtype))
            st = tsh_fail(TSH_ERR_DTYPE, "div_: result type %s can't be cast to the desired output type %s",
                          tsh_dtype_name(q->dtype), tsh_dtype_name(out->dtype));
        else st = tsh_copy_(out, q);
        tsh_tensor_release(q);
        q = st == TSH_OK ? tsh_tensor_retain(out) : NULL;
    }
    if (st != TSH_OK) {
        tsh_tensor_release(q);
        return st;
    }
    if (res) *res = q;
    else tsh_tensor_release(q);
    return TSH_OK;
}

tsh_status tsh_div_mode(tsh_tensor *a, tsh_tensor *b, const char *mode, tsh_tensor *out,
                        tsh_tensor **res)
{
    if (!mode) return tsh_binary(TSH_OP_DIV, a, b, NULL, out, res);
    tsh_tensor *ts[2] = {a, b};
    if (!tsh_ag_needed(2, ts) && !(out && tsh_ag_needed(1, &out))) {
        tsh_status st = div_mode(a, b, mode, out, res);
        if (out && out->ag && st == TSH_OK) tsh_ag_written(out);
        return st;
    }
    /* one DivBackward2 node (a zero gradient), not the nodes of the ops
     * that compute it */
    tsh_node *n = NULL;
    tsh_tensor *r = NULL;
    TSH_TRY(tsh_grad_div_mode_begin(a, b, out, &n));
    tsh_set_grad_enabled(false);
    tsh_status st = div_mode(a, b, mode, out, &r);
    tsh_set_grad_enabled(true);
    return recorded(tsh_grad_end(n, st, r), r, res);
}

/* ---- unary ops and clamp ---- */

tsh_status tsh_unary(tsh_op op, tsh_tensor *a, int64_t param, tsh_tensor *out, tsh_tensor **res)
{
    char name[32];
    ew_call c = {.op = op, .nin = 1, .in = {a}};
    c.name = op_name(op, out && out == a, name, sizeof name);
    if (tsh_op_infos[op].kind != TSH_KIND_UNARY || op == TSH_OP_CLAMP)
        return tsh_fail(TSH_ERR_ARG, "%s is not a unary op", c.name);
    tsh_dtype dt = a->dtype;
    bool is_bool = dt == TSH_BOOL;
    switch (op) {
    case TSH_OP_NEG:
        if (is_bool)
            return tsh_fail(TSH_ERR_DTYPE, "%s: negation of a bool tensor is not supported; to invert "
                            "a mask use logical_not", c.name);
        break;
    case TSH_OP_ABS: case TSH_OP_RELU: case TSH_OP_FLOOR: case TSH_OP_CEIL: case TSH_OP_TRUNC:
        if (is_bool) return tsh_fail(TSH_ERR_DTYPE, "%s: expected an integer or floating point tensor, got bool", c.name);
        break;
    case TSH_OP_ROUND:
        if (is_bool) return tsh_fail(TSH_ERR_DTYPE, "%s: expected an integer or floating point tensor, got bool", c.name);
        if (param != 0 && !tsh_dtype_is_float(dt))
            return tsh_fail(TSH_ERR_DTYPE, "%s: decimals is only supported for floating point tensors, got %s",
                            c.name, tsh_dtype_name(dt));
        if (param > 300 || param < -300)
            return tsh_fail(TSH_ERR_ARG, "%s: decimals must be in -300..300, got %lld", c.name, (long long)param);
        break;
    case TSH_OP_SQUARE:
        if (is_bool) dt = TSH_I64; /* as pow(bool, 2) */
        break;
    default: break;
    }
    if (tsh_op_infos[op].float_only && !tsh_dtype_is_float(dt)) dt = TSH_DEFAULT_DTYPE;
    c.in_dt = c.via_dt = dt; /* float16 and bfloat16 too: the kernels compute them in float32 */
    if (op == TSH_OP_LOGICAL_NOT) c.kout_dt = c.res_dt = TSH_BOOL;
    else c.kout_dt = c.in_dt, c.res_dt = dt;
    c.k.i[0] = param;
    /* logical_not records only when it overwrites a tensor that requires grad */
    bool ag = (op != TSH_OP_LOGICAL_NOT && tsh_ag_needed(1, &a)) || (out && tsh_ag_needed(1, &out));
    if (!ag) return elementwise_plain(&c, out, res);
    tsh_node *n = NULL;
    tsh_tensor *r = NULL;
    TSH_TRY(tsh_grad_unary_begin(op, a, param, out, &n));
    /* grad mode off: a temporary copied into out must not record itself */
    bool was = tsh_grad_pause();
    tsh_status st = run_elementwise(&c, out, &r);
    tsh_set_grad_enabled(was);
    return recorded(tsh_grad_end(n, st, r), r, res);
}

static tsh_status clamp(tsh_tensor *a, tsh_tensor *min, tsh_tensor *max, tsh_tensor *out,
                        tsh_tensor **res)
{
    const char *name = out && out == a ? "clamp_" : "clamp";
    if (!min && !max)
        return tsh_fail(TSH_ERR_ARG, "%s: at least one of min and max must be given", name);
    tsh_tensor *ts[3] = {a, min, max};
    tsh_dtype dt = tsh_result_type(3, ts);
    if ((min && min->ndim > 0) || (max && max->ndim > 0)) {
        /* tensor bounds: min(max(a, lo), hi), each broadcasting */
        if (!max) return tsh_binary(TSH_OP_MAXIMUM, a, min, NULL, out, res);
        if (!min) return tsh_binary(TSH_OP_MINIMUM, a, max, NULL, out, res);
        tsh_tensor *lo = NULL;
        TSH_TRY(tsh_binary(TSH_OP_MAXIMUM, a, min, NULL, NULL, &lo));
        tsh_status st = tsh_binary(TSH_OP_MINIMUM, lo, max, NULL, out, res);
        tsh_tensor_release(lo);
        return st;
    }
    /* Number bounds: a bool tensor with integer bounds computes in int64,
     * as in PyTorch; bool bounds too have no clamp kernel (nor in torch).
     * Tensor bounds above take bool: maximum is "or", minimum "and". */
    if (dt == TSH_BOOL)
        return tsh_fail(TSH_ERR_DTYPE, "%s: expected integer or floating point bounds for a bool tensor, "
                        "got bool (give integer bounds, tensor bounds, or convert the tensor)", name);
    ew_call c = {.op = TSH_OP_CLAMP, .name = name, .nin = 1, .in = {a}};
    c.in_dt = c.kout_dt = c.res_dt = c.via_dt = dt;
    double v;
    int64_t iv;
    for (int k = 0; k < 2; k++) {
        tsh_tensor *bound = k ? max : min;
        if (!bound) continue;
        TSH_TRY(tsh_item_f64(bound, &v));
        TSH_TRY(tsh_item_i64(bound, &iv));
        /* integer bounds must fit the dtype, as PyTorch's checked conversion demands */
        int64_t lo = dt == TSH_U8 ? 0 : dt == TSH_I32 ? INT32_MIN : INT64_MIN;
        int64_t hi = dt == TSH_U8 ? UINT8_MAX : dt == TSH_I32 ? INT32_MAX : INT64_MAX;
        if (!tsh_dtype_is_float(dt) && (iv < lo || iv > hi))
            return tsh_fail(TSH_ERR_ARG, "%s: %s %lld is out of range for %s", name, k ? "max" : "min",
                            (long long)iv, tsh_dtype_name(dt));
        c.k.i[0] |= 1 << k;
        c.k.f[k] = v;
        c.k.i[1 + k] = iv;
    }
    return run_elementwise(&c, out, res);
}

tsh_status tsh_clamp(tsh_tensor *a, tsh_tensor *min, tsh_tensor *max, tsh_tensor *out,
                     tsh_tensor **res)
{
    tsh_tensor *ts[3] = {a, min, max};
    if (!tsh_ag_needed(3, ts) && !(out && tsh_ag_needed(1, &out))) {
        tsh_status st = clamp(a, min, max, out, res);
        if (out && out->ag && st == TSH_OK) tsh_ag_written(out);
        return st;
    }
    /* one clamp node, whichever kernels compute it (maximum and minimum
     * for tensor bounds) */
    tsh_node *n = NULL;
    tsh_tensor *r = NULL;
    TSH_TRY(tsh_grad_clamp_begin(a, min, max, out, &n));
    tsh_set_grad_enabled(false);
    tsh_status st = clamp(a, min, max, out, &r);
    tsh_set_grad_enabled(true);
    return recorded(tsh_grad_end(n, st, r), r, res);
}
