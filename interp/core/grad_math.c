/* grad_math.c: backward rules of elementwise math, and how mathops.c
 * records them (PyTorch's formulas and node names). Rules compute input
 * gradients with front-end ops, in the broadcast shape; the engine sums them
 * down to each input's shape and casts them to its dtype. A rule skips every
 * input whose n->next[k] is NULL, and nodes save only what those need.
 * Not here: comparisons and logic (not differentiable; their in-place forms
 * on a tensor that requires grad record a zero gradient, as PyTorch). */
#include "grad_math.h"

#include "grad_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "index.h"

/* Saved-tensor slots. The output is saved by tsh_node_attach (save_output). */
enum { SLOT_A = 0, SLOT_B = 1, SLOT_OUT = 2, SLOT_C = 3 };

/* masked_fill, not where: its kernel is branch-free on broadcast operands,
 * several times faster on the masks backward makes (relu has its own
 * relu_backward op) */
tsh_status tsh_gr_mask(tsh_tensor *cond, tsh_tensor *t, bool keep, tsh_tensor **o)
{
    tsh_stack_scalar s;
    tsh_tensor *zero = tsh_gr_num(&s, 0);
    if (!keep) return tsh_masked_fill(t, cond, zero, o);
    tsh_tensor *inv = NULL;
    TSH_TRY(tsh_unary(TSH_OP_LOGICAL_NOT, cond, 0, NULL, &inv));
    tsh_status st = tsh_masked_fill(t, inv, zero, o);
    tsh_tensor_release(inv);
    return st;
}

tsh_status tsh_gr_zeros(tsh_node *n, int k, tsh_tensor *g, tsh_tensor **o)
{
    tsh_tensor *z = NULL;
    TSH_TRY(tsh_full(0, NULL, 0.0, n->in_dtype[k], g->storage->device, &z));
    tsh_status st = tsh_expand(z, n->in_ndim[k], n->in_shape[k], o);
    tsh_tensor_release(z);
    return st;
}

void tsh_gr_release(int n, tsh_tensor **ts)
{
    for (int k = 0; k < n; k++) {
        tsh_tensor_release(ts[k]);
        ts[k] = NULL;
    }
}

/* Saves input t; a copy when the op is about to overwrite its storage. */
static tsh_status save_input(tsh_node *n, int slot, tsh_tensor *t, tsh_tensor *out)
{
    if (!out || t->wrapped || t->storage != out->storage) return tsh_node_save(n, slot, t);
    bool was = tsh_grad_enabled();
    tsh_set_grad_enabled(false); /* a plain copy, not a recorded clone */
    tsh_tensor *c = NULL;
    tsh_status st = tsh_clone(t, &c);
    tsh_set_grad_enabled(was);
    if (st != TSH_OK) return st;
    n->saved[slot] = c;
    n->saved_version[slot] = c->storage->version;
    return TSH_OK;
}

static double wrapped_value(const tsh_tensor *t)
{
    return tsh_load_f64(t->dtype, tsh_data(t));
}

/* Every rule that gives zeros (floor, sign, comparisons done in place, ...). */
static tsh_status zero_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    for (int k = 0; k < n->n_in; k++)
        if (n->next[k]) TSH_TRY(tsh_gr_zeros(n, k, g, &grads[k]));
    return TSH_OK;
}

/* ---- binary ops ---- */

/* d(a + alpha*b) = (g, alpha*g); sub stores -alpha */
static tsh_status add_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (n->next[0]) grads[0] = tsh_tensor_retain(g);
    if (!n->next[1]) return TSH_OK;
    double alpha = n->f[0];
    if (alpha == 1) {
        grads[1] = tsh_tensor_retain(g);
        return TSH_OK;
    }
    if (alpha == -1) return tsh_gr_un(TSH_OP_NEG, g, &grads[1]);
    return tsh_gr_bin_n(TSH_OP_MUL, g, alpha, &grads[1]);
}

/* d(a * b) = (g * b, g * a) */
static tsh_status mul_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *a, *b;
    if (n->next[0]) {
        TSH_TRY(tsh_node_saved(n, SLOT_B, &b));
        TSH_TRY(tsh_gr_bin(TSH_OP_MUL, g, b, &grads[0]));
    }
    if (n->next[1]) {
        TSH_TRY(tsh_node_saved(n, SLOT_A, &a));
        TSH_TRY(tsh_gr_bin(TSH_OP_MUL, g, a, &grads[1]));
    }
    return TSH_OK;
}

/* d(a / b) = (g / b, -(g / b) * (a / b)) */
static tsh_status div_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *a = NULL, *b, *t[3] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_B, &b));
    if (n->next[1]) TSH_TRY(tsh_node_saved(n, SLOT_A, &a));
    tsh_status st = tsh_gr_bin(TSH_OP_DIV, g, b, &t[0]);
    if (st == TSH_OK && n->next[1]) {
        st = tsh_gr_bin(TSH_OP_DIV, a, b, &t[1]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[0], t[1], &t[2]);
        if (st == TSH_OK) st = tsh_gr_un(TSH_OP_NEG, t[2], &grads[1]);
    }
    if (st == TSH_OK && n->next[0]) grads[0] = tsh_tensor_retain(t[0]);
    tsh_gr_release(3, t);
    return st;
}

/* pow, by which operand is a number (i[0]): 0 x^e (e = f[0]), 1 x^y, 2 c^y
 * (c = f[0]). d/dx = e*x^(e-1), zero where e == 0; d/dy = x^y * log(x),
 * zero where x == 0 and y >= 0 (PyTorch's choice at the kink). */
static tsh_status pow_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x = NULL, *e = NULL, *y = NULL, *t[6] = {NULL};
    tsh_status st = TSH_OK;
    int kind = (int)n->i[0];
    if (kind == 0 && n->next[0]) {
        double ev = n->f[0];
        if (ev == 0) return tsh_gr_zeros(n, 0, g, &grads[0]);
        if (ev == 1) {
            grads[0] = tsh_tensor_retain(g);
            return TSH_OK;
        }
        TSH_TRY(tsh_node_saved(n, SLOT_A, &x));
        if (ev == 2) {
            st = tsh_gr_bin_n(TSH_OP_MUL, x, 2, &t[1]);
        } else {
            st = tsh_gr_bin_n(TSH_OP_POW, x, ev - 1, &t[0]);
            if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_MUL, t[0], ev, &t[1]);
        }
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, g, t[1], &grads[0]);
        tsh_gr_release(6, t);
        return st;
    }
    if (kind == 1 && n->next[0]) {
        TSH_TRY(tsh_node_saved(n, SLOT_A, &x));
        TSH_TRY(tsh_node_saved(n, SLOT_B, &e));
        st = tsh_gr_bin_n(TSH_OP_SUB, e, 1, &t[0]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_POW, x, t[0], &t[1]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[1], e, &t[2]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[2], g, &t[3]);
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, e, 0, &t[4]);
        if (st == TSH_OK) st = tsh_gr_mask(t[4], t[3], false, &grads[0]);
        tsh_gr_release(6, t);
        if (st != TSH_OK) return st;
    }
    if (kind != 0 && n->next[1]) {
        TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
        if (kind == 1) {
            TSH_TRY(tsh_node_saved(n, SLOT_A, &x));
            TSH_TRY(tsh_node_saved(n, SLOT_B, &e));
            st = tsh_gr_un(TSH_OP_LOG, x, &t[0]);
        } else {
            st = tsh_scalar_f64(log(n->f[0]), TSH_F64, true, &t[0]);
        }
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, y, t[0], &t[1]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[1], g, &t[2]);
        bool kink = kind == 1 || n->f[0] == 0;
        if (st == TSH_OK && kink) {
            /* zero where the base is 0 and the exponent >= 0 */
            tsh_tensor *base0 = NULL;
            if (kind == 1) {
                st = tsh_gr_bin_n(TSH_OP_EQ, x, 0, &t[3]);
                if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_GE, e, 0, &t[4]);
                if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_LOGICAL_AND, t[3], t[4], &t[5]);
                base0 = t[5];
            } else {
                TSH_TRY(tsh_node_saved(n, SLOT_B, &e));
                st = tsh_gr_bin_n(TSH_OP_GE, e, 0, &t[3]);
                base0 = t[3];
            }
            if (st == TSH_OK) st = tsh_gr_mask(base0, t[2], false, &grads[1]);
        } else if (st == TSH_OK) {
            grads[1] = tsh_tensor_retain(t[2]);
        }
        tsh_gr_release(6, t);
    }
    return st;
}

/* maximum/minimum: the gradient goes to the larger (smaller) operand, split
 * evenly on ties; i[0] = 1 for minimum */
static tsh_status extremum_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *a, *b, *t[4] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_A, &a));
    TSH_TRY(tsh_node_saved(n, SLOT_B, &b));
    bool min = n->i[0];
    /* g where the operands differ, g / 2 where they tie */
    tsh_status st = tsh_gr_bin(TSH_OP_EQ, a, b, &t[0]);
    if (st == TSH_OK) st = tsh_gr_axpy_n(1, -0.5, t[0], &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, g, t[1], &t[2]);
    for (int k = 0; k < 2 && st == TSH_OK; k++) {
        if (!n->next[k]) continue;
        /* input k loses where the other one wins */
        bool a_loses = (k == 0) != min;
        st = tsh_gr_bin(a_loses ? TSH_OP_LT : TSH_OP_GT, a, b, &t[3]);
        if (st == TSH_OK) st = tsh_gr_mask(t[3], t[2], false, &grads[k]);
        tsh_tensor_release(t[3]);
        t[3] = NULL;
    }
    tsh_gr_release(4, t);
    return st;
}

/* atan2(a, b): (g * b, -g * a) / (a^2 + b^2) */
static tsh_status atan2_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *a, *b, *t[6] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_A, &a));
    TSH_TRY(tsh_node_saved(n, SLOT_B, &b));
    tsh_status st = tsh_gr_un(TSH_OP_SQUARE, a, &t[0]);
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_SQUARE, b, &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_ADD, t[0], t[1], &t[2]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, g, t[2], &t[3]);
    if (st == TSH_OK && n->next[0]) st = tsh_gr_bin(TSH_OP_MUL, t[3], b, &grads[0]);
    if (st == TSH_OK && n->next[1]) {
        st = tsh_gr_bin(TSH_OP_MUL, t[3], a, &t[4]);
        if (st == TSH_OK) st = tsh_gr_un(TSH_OP_NEG, t[4], &grads[1]);
    }
    tsh_gr_release(6, t);
    return st;
}

/* remainder (i[0] 0) / fmod (i[0] 1): (g, -g * floor(a / b)) or trunc */
static tsh_status mod_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (n->next[0]) grads[0] = tsh_tensor_retain(g);
    if (!n->next[1]) return TSH_OK;
    tsh_tensor *a, *b, *t[2] = {NULL};
    TSH_TRY(tsh_node_saved(n, SLOT_A, &a));
    TSH_TRY(tsh_node_saved(n, SLOT_B, &b));
    tsh_status st = tsh_div_mode(a, b, n->i[0] ? "trunc" : "floor", NULL, &t[0]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, g, t[0], &t[1]);
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_NEG, t[1], &grads[1]);
    tsh_gr_release(2, t);
    return st;
}

/* PyTorch has no derivative for floor_divide: the output records that,
 * and backward through it is an error, not a silent zero */
static tsh_status floor_divide_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    (void)n, (void)g, (void)grads;
    return tsh_fail(TSH_ERR_NOTIMPL, "backward: the derivative for floor_divide is not implemented "
                                     "(as in PyTorch); use div(a, b, {rounding_mode='floor'}), whose "
                                     "gradient is zero, or detach() the input");
}

/* The in-place op's name ("add_"), for messages. */
static const char *inplace_name(tsh_op op, char *buf, size_t n)
{
    snprintf(buf, n, "%s_", tsh_op_infos[op].name);
    return buf;
}

static const char *const compare_names[2][TSH_OP_COUNT] = {
    {[TSH_OP_EQ] = "EqBackward0", [TSH_OP_NE] = "NeBackward0", [TSH_OP_LT] = "LtBackward0",
     [TSH_OP_LE] = "LeBackward0", [TSH_OP_GT] = "GtBackward0", [TSH_OP_GE] = "GeBackward0",
     [TSH_OP_LOGICAL_AND] = "LogicalAndBackward0", [TSH_OP_LOGICAL_OR] = "LogicalOrBackward0",
     [TSH_OP_LOGICAL_XOR] = "LogicalXorBackward0"},
    {[TSH_OP_EQ] = "EqBackward1", [TSH_OP_NE] = "NeBackward1", [TSH_OP_LT] = "LtBackward1",
     [TSH_OP_LE] = "LeBackward1", [TSH_OP_GT] = "GtBackward1", [TSH_OP_GE] = "GeBackward1",
     [TSH_OP_LOGICAL_AND] = "LogicalAndBackward0", [TSH_OP_LOGICAL_OR] = "LogicalOrBackward0",
     [TSH_OP_LOGICAL_XOR] = "LogicalXorBackward0"},
};

tsh_status tsh_grad_binary_begin(tsh_op op, tsh_tensor *a, tsh_tensor *b, const tsh_scalar *alpha,
                                 tsh_tensor *out, tsh_node **node)
{
    char buf[40];
    *node = NULL;
    if (out) TSH_TRY(tsh_ag_check_inplace(out, inplace_name(op, buf, sizeof buf)));
    tsh_tensor *ins[2] = {a, b};
    double al = !alpha ? 1 : alpha->kind == TSH_SCALAR_FLOAT ? alpha->f : (double)alpha->i;
    tsh_node *n = NULL;
    tsh_status st = TSH_OK;
    int save = 0; /* bit 0: a, bit 1: b, bit 2: the output */
    switch (op) {
    case TSH_OP_ADD:
    case TSH_OP_SUB:
        TSH_TRY(tsh_node_new(op == TSH_OP_ADD ? "AddBackward0" : a->wrapped ? "RsubBackward1" : "SubBackward0",
                             add_backward, 2, ins, &n));
        n->f[0] = op == TSH_OP_ADD ? al : -al;
        break;
    case TSH_OP_MUL:
        TSH_TRY(tsh_node_new("MulBackward0", mul_backward, 2, ins, &n));
        save = (n->next[1] ? 1 : 0) | (n->next[0] ? 2 : 0);
        break;
    case TSH_OP_DIV:
        TSH_TRY(tsh_node_new("DivBackward0", div_backward, 2, ins, &n));
        save = 2 | (n->next[1] ? 1 : 0);
        break;
    case TSH_OP_POW:
        if (b->wrapped) {
            TSH_TRY(tsh_node_new("PowBackward0", pow_backward, 2, ins, &n));
            n->i[0] = 0, n->f[0] = wrapped_value(b);
            save = n->f[0] != 0 && n->f[0] != 1;
        } else if (a->wrapped) {
            TSH_TRY(tsh_node_new("PowBackward2", pow_backward, 2, ins, &n));
            n->i[0] = 2, n->f[0] = wrapped_value(a), save = 4 | (n->f[0] == 0 ? 2 : 0);
        } else {
            TSH_TRY(tsh_node_new("PowBackward1", pow_backward, 2, ins, &n));
            n->i[0] = 1, save = 3 | (n->next[1] ? 4 : 0);
        }
        break;
    case TSH_OP_MAXIMUM:
    case TSH_OP_MINIMUM:
        TSH_TRY(tsh_node_new(op == TSH_OP_MAXIMUM ? "MaximumBackward0" : "MinimumBackward0",
                             extremum_backward, 2, ins, &n));
        n->i[0] = op == TSH_OP_MINIMUM, save = 3;
        break;
    case TSH_OP_ATAN2:
        TSH_TRY(tsh_node_new("Atan2Backward0", atan2_backward, 2, ins, &n));
        save = 3;
        break;
    case TSH_OP_REMAINDER:
    case TSH_OP_FMOD:
        TSH_TRY(tsh_node_new(op == TSH_OP_FMOD ? (b->wrapped ? "FmodBackward0" : "FmodBackward1")
                                               : (b->wrapped ? "RemainderBackward0" : "RemainderBackward1"),
                             mod_backward, 2, ins, &n));
        n->i[0] = op == TSH_OP_FMOD, save = n->next[1] ? 3 : 0;
        break;
    case TSH_OP_FLOOR_DIVIDE:
        TSH_TRY(tsh_node_new("NotImplemented", floor_divide_backward, 2, ins, &n));
        break;
    default:
        if (tsh_op_infos[op].kind != TSH_KIND_COMPARE)
            return tsh_fail(TSH_ERR_NOTIMPL, "%s: gradients are not implemented", tsh_op_infos[op].name);
        /* only reached in place, on a tensor that requires grad */
        TSH_TRY(tsh_node_new(compare_names[!b->wrapped][op], zero_backward, 2, ins, &n));
        break;
    }
    if (save & 1) st = save_input(n, SLOT_A, a, out);
    if (st == TSH_OK && (save & 2)) st = save_input(n, SLOT_B, b, out);
    if (save & 4) n->save_output = SLOT_OUT + 1;
    if (st != TSH_OK) {
        tsh_node_release(n);
        return st;
    }
    *node = n;
    return TSH_OK;
}

tsh_status tsh_grad_div_mode_begin(tsh_tensor *a, tsh_tensor *b, tsh_tensor *out, tsh_node **node)
{
    *node = NULL;
    if (out) TSH_TRY(tsh_ag_check_inplace(out, "div_"));
    tsh_tensor *ins[2] = {a, b};
    return tsh_node_new("DivBackward2", zero_backward, 2, ins, node);
}

tsh_status tsh_grad_end(tsh_node *node, tsh_status st, tsh_tensor *result)
{
    if (!node) return st;
    if (st != TSH_OK) {
        tsh_node_release(node);
        return st;
    }
    /* an in-place write through a view becomes its base's history
     * (CopySlices); anything else takes the node as it is */
    return tsh_grad_inplace_commit(result, node);
}

/* ---- unary ops ---- */

enum { SAVE_NONE, SAVE_INPUT, SAVE_OUTPUT, SAVE_ZERO };

typedef struct unary_rule {
    const char *name;
    unsigned char save; /* what the rule reads; SAVE_ZERO: zero gradient */
} unary_rule;

static const unary_rule unary_rules[TSH_OP_COUNT] = {
    [TSH_OP_NEG] = {"NegBackward0", SAVE_NONE},
    [TSH_OP_ABS] = {"AbsBackward0", SAVE_INPUT},
    [TSH_OP_SIGN] = {"SignBackward0", SAVE_ZERO},
    [TSH_OP_EXP] = {"ExpBackward0", SAVE_OUTPUT},
    [TSH_OP_LOG] = {"LogBackward0", SAVE_INPUT},
    [TSH_OP_LOG1P] = {"Log1PBackward0", SAVE_INPUT},
    [TSH_OP_EXPM1] = {"Expm1Backward0", SAVE_OUTPUT},
    [TSH_OP_SQRT] = {"SqrtBackward0", SAVE_OUTPUT},
    [TSH_OP_RSQRT] = {"RsqrtBackward0", SAVE_OUTPUT},
    [TSH_OP_SIN] = {"SinBackward0", SAVE_INPUT},
    [TSH_OP_COS] = {"CosBackward0", SAVE_INPUT},
    [TSH_OP_TAN] = {"TanBackward0", SAVE_OUTPUT},
    [TSH_OP_TANH] = {"TanhBackward0", SAVE_OUTPUT},
    [TSH_OP_SIGMOID] = {"SigmoidBackward0", SAVE_OUTPUT},
    [TSH_OP_RELU] = {"ReluBackward0", SAVE_OUTPUT},
    [TSH_OP_GELU] = {"GeluBackward0", SAVE_INPUT},
    [TSH_OP_SILU] = {"SiluBackward0", SAVE_INPUT},
    [TSH_OP_FLOOR] = {"FloorBackward0", SAVE_ZERO},
    [TSH_OP_CEIL] = {"CeilBackward0", SAVE_ZERO},
    [TSH_OP_ROUND] = {"RoundBackward0", SAVE_ZERO},
    [TSH_OP_TRUNC] = {"TruncBackward0", SAVE_ZERO},
    [TSH_OP_RECIPROCAL] = {"ReciprocalBackward0", SAVE_OUTPUT},
    [TSH_OP_SQUARE] = {"PowBackward0", SAVE_INPUT}, /* torch.square is pow(x, 2) */
    [TSH_OP_LOGICAL_NOT] = {"LogicalNotBackward0", SAVE_ZERO},
};

#define INV_SQRT_2PI 0.3989422804014327 /* 1 / sqrt(2 pi) */
#define GELU_BETA 0.7978845608028654    /* sqrt(2 / pi) */
#define GELU_KAPPA 0.044715

/* gelu'(x) = Phi(x) + x phi(x). There is no erf op, but gelu(x) = x Phi(x)
 * gives Phi(x) = gelu(x) / x to within an ulp or two (Phi(0) = 1/2). */
static tsh_status gelu_grad(tsh_tensor *x, tsh_tensor **d)
{
    tsh_tensor *t[8] = {NULL};
    tsh_status st = tsh_gr_un(TSH_OP_SQUARE, x, &t[0]);
    if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_MUL, t[0], -0.5, &t[1]);
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_EXP, t[1], &t[2]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[2], x, &t[3]); /* x exp(-x^2/2) */
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_GELU, x, &t[4]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, t[4], x, &t[5]);
    if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_EQ, x, 0, &t[6]);
    if (st == TSH_OK) {
        tsh_stack_scalar half;
        st = tsh_masked_fill(t[5], t[6], tsh_gr_num(&half, 0.5), &t[7]); /* Phi(x) */
    }
    if (st == TSH_OK) st = tsh_gr_axpy(t[7], INV_SQRT_2PI, t[3], d);
    tsh_gr_release(8, t);
    return st;
}

/* The tanh form, u = beta (x + kappa x^3), gelu = x (1 + tanh u) / 2:
 * gelu' = (1 + tanh u) / 2 + x (1 - tanh^2 u) beta (1 + 3 kappa x^2) / 2 */
static tsh_status gelu_tanh_grad(tsh_tensor *x, tsh_tensor **d)
{
    tsh_tensor *t[10] = {NULL};
    tsh_status st = tsh_gr_un(TSH_OP_SQUARE, x, &t[0]);
    if (st == TSH_OK) st = tsh_gr_axpy_n(GELU_BETA, GELU_BETA * GELU_KAPPA, t[0], &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[1], x, &t[2]); /* u */
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_TANH, t[2], &t[3]);
    if (st == TSH_OK) st = tsh_gr_axpy_n(0.5, 0.5, t[3], &t[4]); /* (1 + tanh u) / 2 */
    if (st == TSH_OK) st = tsh_gr_un(TSH_OP_SQUARE, t[3], &t[5]);
    if (st == TSH_OK) st = tsh_gr_axpy_n(1, -1, t[5], &t[6]); /* 1 - tanh^2 u */
    if (st == TSH_OK) st = tsh_gr_axpy_n(1, 3 * GELU_KAPPA, t[0], &t[7]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[6], t[7], &t[8]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[8], x, &t[9]);
    if (st == TSH_OK) st = tsh_gr_axpy(t[4], 0.5 * GELU_BETA, t[9], d);
    tsh_gr_release(10, t);
    return st;
}

/* silu' = s (1 + x (1 - s)), s = sigmoid(x) */
static tsh_status silu_grad(tsh_tensor *x, tsh_tensor **d)
{
    tsh_tensor *t[4] = {NULL};
    tsh_status st = tsh_gr_un(TSH_OP_SIGMOID, x, &t[0]);
    if (st == TSH_OK) st = tsh_gr_axpy_n(1, -1, t[0], &t[1]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[1], x, &t[2]);
    if (st == TSH_OK) st = tsh_gr_axpy_n(1, 1, t[2], &t[3]);
    if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[3], t[0], d);
    tsh_gr_release(4, t);
    return st;
}

/* d (the local derivative, or NULL when the rule gives grads[0] itself)
 * from x (input) or y (output); i[0] is the op, i[1] gelu's form */
static tsh_status unary_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    if (!n->next[0]) return TSH_OK;
    tsh_op op = (tsh_op)n->i[0];
    tsh_tensor *x = NULL, *y = NULL, *d = NULL, *t[2] = {NULL};
    if (unary_rules[op].save == SAVE_INPUT) TSH_TRY(tsh_node_saved(n, SLOT_A, &x));
    if (unary_rules[op].save == SAVE_OUTPUT) TSH_TRY(tsh_node_saved(n, SLOT_OUT, &y));
    tsh_status st = TSH_OK;
    switch (op) {
    case TSH_OP_NEG: return tsh_gr_un(TSH_OP_NEG, g, &grads[0]);
    case TSH_OP_ABS: st = tsh_gr_un(TSH_OP_SIGN, x, &d); break;
    case TSH_OP_EXP: d = tsh_tensor_retain(y); break;
    case TSH_OP_LOG: return tsh_gr_bin(TSH_OP_DIV, g, x, &grads[0]);
    case TSH_OP_LOG1P:
        st = tsh_gr_bin_n(TSH_OP_ADD, x, 1, &t[0]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, g, t[0], &grads[0]);
        break;
    case TSH_OP_EXPM1: st = tsh_gr_bin_n(TSH_OP_ADD, y, 1, &d); break;
    case TSH_OP_SQRT:
        st = tsh_gr_bin_n(TSH_OP_MUL, y, 2, &t[0]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_DIV, g, t[0], &grads[0]);
        break;
    case TSH_OP_RSQRT: /* -y^3 / 2 */
        st = tsh_gr_bin_n(TSH_OP_POW, y, 3, &t[0]);
        if (st == TSH_OK) st = tsh_gr_bin_n(TSH_OP_MUL, t[0], -0.5, &d);
        break;
    case TSH_OP_SIN: st = tsh_gr_un(TSH_OP_COS, x, &d); break;
    case TSH_OP_COS:
        st = tsh_gr_un(TSH_OP_SIN, x, &t[0]);
        if (st == TSH_OK) st = tsh_gr_un(TSH_OP_NEG, t[0], &d);
        break;
    case TSH_OP_TAN: /* 1 + y^2 */
        st = tsh_gr_un(TSH_OP_SQUARE, y, &t[0]);
        if (st == TSH_OK) st = tsh_gr_axpy_n(1, 1, t[0], &d);
        break;
    case TSH_OP_TANH: /* 1 - y^2 */
        st = tsh_gr_un(TSH_OP_SQUARE, y, &t[0]);
        if (st == TSH_OK) st = tsh_gr_axpy_n(1, -1, t[0], &d);
        break;
    case TSH_OP_SIGMOID: /* y (1 - y) */
        st = tsh_gr_axpy_n(1, -1, y, &t[0]);
        if (st == TSH_OK) st = tsh_gr_bin(TSH_OP_MUL, t[0], y, &d);
        break;
    case TSH_OP_RELU: /* PyTorch's threshold_backward: zero where y <= 0, one pass,
                       * into g itself when nothing else sees it (no fresh buffer) */
        if (n->grad_private && g->dtype == y->dtype && tsh_same_shape(g, y)) {
            st = tsh_binary(TSH_OP_RELU_BACKWARD, g, y, NULL, g, NULL);
            if (st == TSH_OK) grads[0] = tsh_tensor_retain(g);
        } else {
            st = tsh_binary(TSH_OP_RELU_BACKWARD, g, y, NULL, NULL, &grads[0]);
        }
        break;
    case TSH_OP_GELU: st = n->i[1] ? gelu_tanh_grad(x, &d) : gelu_grad(x, &d); break;
    case TSH_OP_SILU: st = silu_grad(x, &d); break;
    case TSH_OP_RECIPROCAL: /* -y^2 */
        st = tsh_gr_un(TSH_OP_SQUARE, y, &t[0]);
        if (st == TSH_OK) st = tsh_gr_un(TSH_OP_NEG, t[0], &d);
        break;
    case TSH_OP_SQUARE: st = tsh_gr_bin_n(TSH_OP_MUL, x, 2, &d); break;
    default: st = tsh_gr_zeros(n, 0, g, &grads[0]); break;
    }
    if (st == TSH_OK && d) st = tsh_gr_bin(TSH_OP_MUL, g, d, &grads[0]);
    tsh_tensor_release(d);
    tsh_gr_release(2, t);
    return st;
}

tsh_status tsh_grad_unary_begin(tsh_op op, tsh_tensor *a, int64_t param, tsh_tensor *out,
                                tsh_node **node)
{
    char buf[40];
    *node = NULL;
    if (out) TSH_TRY(tsh_ag_check_inplace(out, inplace_name(op, buf, sizeof buf)));
    const unary_rule *r = &unary_rules[op];
    if (!r->name) return tsh_fail(TSH_ERR_NOTIMPL, "%s: gradients are not implemented", tsh_op_infos[op].name);
    const char *name = op == TSH_OP_ROUND && param ? "RoundBackward1" : r->name;
    tsh_node *n = NULL;
    TSH_TRY(tsh_node_new(name, r->save == SAVE_ZERO ? zero_backward : unary_backward, 1, &a, &n));
    n->i[0] = op;
    n->i[1] = param;
    tsh_status st = TSH_OK;
    if (r->save == SAVE_INPUT && n->next[0]) st = save_input(n, SLOT_A, a, out);
    if (r->save == SAVE_OUTPUT && n->next[0]) n->save_output = SLOT_OUT + 1;
    if (st != TSH_OK) {
        tsh_node_release(n);
        return st;
    }
    *node = n;
    return TSH_OK;
}

/* ---- clamp ---- */

/* x passes where min <= x <= max; a tensor bound gets the gradient where
 * it wins (min only if min < max: when min > max every element is max).
 * i[0]: bit 1 min given, bit 2 max given. */
static tsh_status clamp_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *x, *lo = NULL, *hi = NULL, *t[4] = {NULL};
    bool has_lo = n->i[0] & 1, has_hi = n->i[0] & 2;
    TSH_TRY(tsh_node_saved(n, SLOT_A, &x));
    if (has_lo) TSH_TRY(tsh_node_saved(n, SLOT_B, &lo));
    if (has_hi) TSH_TRY(tsh_node_saved(n, SLOT_C, &hi));
    tsh_status st = TSH_OK;
    if (n->next[0]) {
        if (has_lo) st = tsh_gr_bin(TSH_OP_GE, x, lo, &t[0]);
        if (st == TSH_OK && has_hi) st = tsh_gr_bin(TSH_OP_LE, x, hi, &t[1]);
        if (st == TSH_OK && has_lo && has_hi) st = tsh_gr_bin(TSH_OP_LOGICAL_AND, t[0], t[1], &t[2]);
        if (st == TSH_OK) st = tsh_gr_mask(t[2] ? t[2] : t[0] ? t[0] : t[1], g, true, &grads[0]);
        tsh_gr_release(4, t);
    }
    if (st == TSH_OK && n->next[1]) {
        st = tsh_gr_bin(TSH_OP_LT, x, lo, &t[0]);
        if (st == TSH_OK && has_hi) st = tsh_gr_bin(TSH_OP_LT, lo, hi, &t[1]);
        if (st == TSH_OK && has_hi) st = tsh_gr_bin(TSH_OP_LOGICAL_AND, t[0], t[1], &t[2]);
        if (st == TSH_OK) st = tsh_gr_mask(t[2] ? t[2] : t[0], g, true, &grads[1]);
        tsh_gr_release(4, t);
    }
    if (st == TSH_OK && n->next[2]) {
        st = tsh_gr_bin(TSH_OP_GT, x, hi, &t[0]);
        if (st == TSH_OK && has_lo) st = tsh_gr_bin(TSH_OP_LT, hi, lo, &t[1]);
        if (st == TSH_OK && has_lo) st = tsh_gr_bin(TSH_OP_LOGICAL_OR, t[0], t[1], &t[2]);
        if (st == TSH_OK) st = tsh_gr_mask(t[2] ? t[2] : t[0], g, true, &grads[2]);
        tsh_gr_release(4, t);
    }
    return st;
}

tsh_status tsh_grad_clamp_begin(tsh_tensor *a, tsh_tensor *min, tsh_tensor *max, tsh_tensor *out,
                                tsh_node **node)
{
    *node = NULL;
    if (out) TSH_TRY(tsh_ag_check_inplace(out, "clamp_"));
    tsh_tensor *ins[3] = {a, min, max};
    bool tensor_bound = (min && !min->wrapped) || (max && !max->wrapped);
    tsh_node *n = NULL;
    TSH_TRY(tsh_node_new(tensor_bound ? "ClampBackward0" : "ClampBackward1", clamp_backward, 3, ins, &n));
    n->i[0] = (min ? 1 : 0) | (max ? 2 : 0);
    tsh_status st = save_input(n, SLOT_A, a, out);
    if (st == TSH_OK && min) st = save_input(n, SLOT_B, min, out);
    if (st == TSH_OK && max) st = save_input(n, SLOT_C, max, out);
    if (st != TSH_OK) {
        tsh_node_release(n);
        return st;
    }
    *node = n;
    return TSH_OK;
}
