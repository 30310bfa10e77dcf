/* grad_view.h: autograd for views, copies and in-place writes: the rules of
 * the view ops (view.c), of clone/to/copy_/fill_ (front.c), and the
 * machinery every in-place op uses to record itself, views included
 * (CopySlices on the base, as PyTorch). Not here: the engine (autograd.h)
 * and the rules of other op families (grad_*.c). */
#ifndef TSH_GRAD_VIEW_H
#define TSH_GRAD_VIEW_H

#include "autograd.h"
#include "ops.h"

/* ---- views ----
 * A view made while grad mode is on remembers its base (the tensor that is
 * not itself such a view) and the base's grad_fn at that moment. */

/* The base's history changed since (an in-place write through some view,
 * or into the base itself). */
static inline bool tsh_view_is_stale(const tsh_tensor *t)
{
    const tsh_autograd *ag = t->ag;
    if (!ag || !ag->base) return false;
    const tsh_autograd *bg = ag->base->ag;
    return (bg ? bg->grad_fn : NULL) != ag->base_fn;
}
/* Rebuilds a stale view's grad_fn from the base's (AsStridedBackward0).
 * The engine calls it before reading a view's autograd state. */
tsh_status tsh_view_refresh(tsh_tensor *t);

typedef enum tsh_view_kind {
    TSH_VIEW_RESHAPE,    /* view, reshape, flatten: p unused */
    TSH_VIEW_COPY,       /* reshape that had to copy: not a view */
    TSH_VIEW_TRANSPOSE,  /* p = {d0, d1} */
    TSH_VIEW_PERMUTE,    /* p = dims (one per dim) */
    TSH_VIEW_SLICE,      /* p = {dim, start, end, step} (narrow too) */
    TSH_VIEW_SELECT,     /* p = {dim, index} */
    TSH_VIEW_EXPAND,
    TSH_VIEW_SQUEEZE,    /* p = {dim}, -1 for all */
    TSH_VIEW_UNSQUEEZE,
    TSH_VIEW_UNFOLD,     /* p = {dim, size, step} */
} tsh_view_kind;

/* Records *out, made from `in` by a view op: a node when `in` requires
 * grad, and the base link (grad mode on, float tensors). On failure *out
 * is released and set to NULL. */
tsh_status tsh_grad_view(tsh_view_kind kind, tsh_tensor *in, tsh_tensor **out, const int64_t *p);

/* *out (a new tensor computed from `in`) gets a node passing the gradient
 * through unchanged (CloneBackward0, ToCopyBackward0); nothing when `in`
 * does not require grad or *out is not float. On failure *out is released. */
tsh_status tsh_grad_identity(const char *name, tsh_tensor *in, tsh_tensor **out);

/* ---- in-place writes ----
 * An in-place op records itself in three steps:
 *   bool rec; TSH_TRY(tsh_grad_inplace_begin("op_", t, n, inputs, &rec));
 *   if (rec) make its node with t as input 0 (before the write: the edge is
 *            t's history so far) and the other inputs after it;
 *   write (with grad mode off if the write goes through front-end ops);
 *   if (rec) TSH_TRY(tsh_grad_inplace_commit(t, node));
 * begin records only when grad mode is on, t is float and t or an input
 * requires grad; it refuses leaves that require grad, views of them, and
 * views whose elements overlap (expand, unfold). commit makes the node t's
 * history, or for a view of a base, the base's (CopySlices: the base's
 * gradient outside the view passes unchanged, inside it goes through the
 * node); other views of that base pick the change up when next used.
 * commit takes over the node, and releases it on failure. */
tsh_status tsh_grad_inplace_begin(const char *op, tsh_tensor *t, int n, tsh_tensor *const *inputs,
                                  bool *record);
tsh_status tsh_grad_inplace_commit(tsh_tensor *t, tsh_node *node);

/* copy_ with recording (front.c sends it here when autograd state is
 * involved): CopyBackwards, the old values get no gradient, src gets g. */
tsh_status tsh_grad_copy_(tsh_tensor *dst, tsh_tensor *src);
/* A write of values that depend on nothing that requires grad (fill_):
 * dispatches op with a (a->out is the tensor written) and records `name`,
 * zero gradient for the old values. opname words errors. */
tsh_status tsh_grad_overwrite_(const char *opname, const char *name, tsh_op op, const tsh_kargs *a);

/* ---- small helpers for rules ---- */
/* Runs the forward of a composite op with grad mode off; returns the old mode. */
static inline bool tsh_grad_pause(void)
{
    bool was = tsh_grad_enabled();
    tsh_set_grad_enabled(false);
    return was;
}
/* A new tensor of zeros with this shape and g's dtype and device. */
tsh_status tsh_grad_zeros(const tsh_tensor *g, int ndim, const int64_t *shape, tsh_tensor **out);

#endif
