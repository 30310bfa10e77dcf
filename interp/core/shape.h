/* shape.h: ops that rearrange whole tensors: cat, stack, split/chunk (as
 * views), repeat/tile, flip, tril/triu and roll. cat, stack, repeat and roll
 * are built from views and tsh_copy_; flip and tril/triu have kernels.
 * Conventions as in front.h: 0-based, non-negative dims; new references
 * out; nothing leaked on failure; messages name dims 1-based. */
#ifndef TSH_SHAPE_H
#define TSH_SHAPE_H

#include "front.h"

/* torch.cat: joins n tensors along dim, in the promoted dtype of all of
 * them. 1-d tensors of size 0 are skipped (PyTorch's legacy rule) but still
 * take part in the promotion. */
tsh_status tsh_cat(int n, tsh_tensor *const *ts, int dim, tsh_tensor **out);
/* The ndim a cat dim is counted against: that of the first tensor that is
 * not a skipped 1-d empty one (1 when every tensor is). */
int tsh_cat_ndim(int n, tsh_tensor *const *ts);
/* torch.stack: n tensors of one shape joined along a new dim (0..ndim). */
tsh_status tsh_stack(int n, tsh_tensor *const *ts, int dim, tsh_tensor **out);

/* split/chunk produce views t.narrow(dim, start_k, len_k). These compute the
 * pieces without allocating: piece k of split(size) starts at k*size and is
 * min(size, rest) long. */
tsh_status tsh_split_count(tsh_tensor *t, int dim, int64_t size, int64_t *count);
/* chunk(chunks): the split size and the number of pieces (PyTorch may give
 * fewer than asked; a size-0 dim gives `chunks` empty pieces). */
tsh_status tsh_chunk_plan(tsh_tensor *t, int dim, int64_t chunks, int64_t *size, int64_t *count);
/* split with explicit sizes: all >= 0 and summing to the dim's size. */
tsh_status tsh_split_sizes_check(tsh_tensor *t, int dim, int64_t n, const int64_t *sizes);

/* torch.Tensor.repeat: n >= t->ndim repeats, t viewed with leading 1s. */
tsh_status tsh_repeat(tsh_tensor *t, int n, const int64_t *reps, tsh_tensor **out);
/* torch.tile: like repeat, but reps shorter than ndim are padded with 1s. */
tsh_status tsh_tile(tsh_tensor *t, int n, const int64_t *reps, tsh_tensor **out);

/* A copy with the order of elements reversed along each of n dims. */
tsh_status tsh_flip(tsh_tensor *t, int n, const int *dims, tsh_tensor **out);

/* Lower/upper triangle of the last two dims, from diagonal k (0 the main,
 * > 0 above, < 0 below); the rest 0. The _ forms work in place. */
tsh_status tsh_tril(tsh_tensor *t, int64_t k, tsh_tensor **out);
tsh_status tsh_triu(tsh_tensor *t, int64_t k, tsh_tensor **out);
tsh_status tsh_tril_(tsh_tensor *t, int64_t k);
tsh_status tsh_triu_(tsh_tensor *t, int64_t k);

/* torch.roll: elements shifted by shifts[i] along dims[i], wrapping
 * around; with n_dims 0 the tensor is rolled as if flattened (n_shifts 1). */
tsh_status tsh_roll(tsh_tensor *t, int n_shifts, const int64_t *shifts, int n_dims,
                    const int *dims, tsh_tensor **out);

#endif
