/* grad_math.h: recording elementwise ops for autograd (see autograd.h), and
 * small shorthands the backward rules of every grad_*.c file share.
 * mathops.c calls the *_begin functions before its kernel runs (so that an
 * in-place op can keep a copy of what it overwrites) and tsh_grad_end after;
 * only when tsh_ag_needed() said something requires grad. */
#ifndef TSH_GRAD_MATH_H
#define TSH_GRAD_MATH_H

#include "autograd.h"
#include "mathops.h"

/* A node for binary or comparison op `op` on (a, b) writing `out` (NULL: a
 * new tensor): checks that `out` may be written while recording, and saves
 * what the rule needs, copying inputs that `out` will overwrite. */
tsh_status tsh_grad_binary_begin(tsh_op op, tsh_tensor *a, tsh_tensor *b, const tsh_scalar *alpha,
                                 tsh_tensor *out, tsh_node **node);
tsh_status tsh_grad_unary_begin(tsh_op op, tsh_tensor *a, int64_t param, tsh_tensor *out,
                                tsh_node **node);
tsh_status tsh_grad_clamp_begin(tsh_tensor *a, tsh_tensor *min, tsh_tensor *max, tsh_tensor *out,
                                tsh_node **node);
/* div with a rounding mode: differentiable, with a zero gradient (PyTorch). */
tsh_status tsh_grad_div_mode_begin(tsh_tensor *a, tsh_tensor *b, tsh_tensor *out, tsh_node **node);
/* After the op: st is its status. On success makes `node` the grad_fn of
 * `result`; on failure (or if attaching fails) releases node. node may be
 * NULL (nothing recorded). Returns st or the attaching failure. */
tsh_status tsh_grad_end(tsh_node *node, tsh_status st, tsh_tensor *result);

/* ---- shorthands for backward rules (grad mode is off while they run) ---- */

static inline tsh_tensor *tsh_gr_num(tsh_stack_scalar *s, double v)
{
    tsh_scalar x = {.kind = TSH_SCALAR_FLOAT, .f = v};
    return tsh_stack_scalar_init(s, &x);
}

/* a OP b */
static inline tsh_status tsh_gr_bin(tsh_op op, tsh_tensor *a, tsh_tensor *b, tsh_tensor **o)
{
    return tsh_binary(op, a, b, NULL, NULL, o);
}

/* a OP v, for a number v */
static inline tsh_status tsh_gr_bin_n(tsh_op op, tsh_tensor *a, double v, tsh_tensor **o)
{
    tsh_stack_scalar s;
    return tsh_binary(op, a, tsh_gr_num(&s, v), NULL, NULL, o);
}

/* v + alpha * b, for a number v (one kernel) */
static inline tsh_status tsh_gr_axpy_n(double v, double alpha, tsh_tensor *b, tsh_tensor **o)
{
    tsh_stack_scalar s;
    tsh_scalar al = {.kind = TSH_SCALAR_FLOAT, .f = alpha};
    return tsh_binary(TSH_OP_ADD, tsh_gr_num(&s, v), b, &al, NULL, o);
}

/* a + alpha * b (one kernel) */
static inline tsh_status tsh_gr_axpy(tsh_tensor *a, double alpha, tsh_tensor *b, tsh_tensor **o)
{
    tsh_scalar al = {.kind = TSH_SCALAR_FLOAT, .f = alpha};
    return tsh_binary(TSH_OP_ADD, a, b, &al, NULL, o);
}

static inline tsh_status tsh_gr_un(tsh_op op, tsh_tensor *a, tsh_tensor **o)
{
    return tsh_unary(op, a, 0, NULL, o);
}

/* cond ? t : 0 (keep = true) or cond ? 0 : t (keep = false) */
tsh_status tsh_gr_mask(tsh_tensor *cond, tsh_tensor *t, bool keep, tsh_tensor **o);
/* zeros of the shape and dtype of input k of n, on g's device: one
 * element, expanded */
tsh_status tsh_gr_zeros(tsh_node *n, int k, tsh_tensor *g, tsh_tensor **o);
/* releases ts[0..n-1] and sets them NULL */
void tsh_gr_release(int n, tsh_tensor **ts);

#endif
