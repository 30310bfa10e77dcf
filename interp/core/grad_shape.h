/* grad_shape.h: recording the shape ops (cat, stack, repeat/tile, flip,
 * tril/triu, roll) for autograd (see autograd.h). shape.c calls these after
 * the forward, only when an input requires grad; on failure *out is
 * released. split/chunk are narrow views (grad_view.h). */
#ifndef TSH_GRAD_SHAPE_H
#define TSH_GRAD_SHAPE_H

#include "grad_view.h"

/* cat (stack false) or stack of n tensors along dim; any n. */
tsh_status tsh_grad_cat(int n, tsh_tensor *const *ts, int dim, bool stack, tsh_tensor **out);
/* repeat with n counts (t seen with leading 1s), tile included. */
tsh_status tsh_grad_repeat(tsh_tensor *t, int n, const int64_t *reps, tsh_tensor **out);
/* flip along the dims set in mask. */
tsh_status tsh_grad_flip(tsh_tensor *t, int64_t mask, tsh_tensor **out);
/* tril (upper false) or triu from diagonal k: the node for *out, or with
 * out NULL the node of the in-place form, to commit (grad_view.h). */
tsh_status tsh_grad_tri(bool upper, tsh_tensor *t, int64_t k, tsh_tensor **out, tsh_node **node);
tsh_status tsh_grad_roll(tsh_tensor *t, int n_shifts, const int64_t *shifts, int n_dims, const int *dims,
                         tsh_tensor **out);

#endif
