/* index.h: the front end of indexing and selection: index_select, gather,
 * scatter, index_add/copy/fill, masked fill/select/scatter, where, nonzero,
 * and the indexing syntax t[...] (views, index tensors and masks).
 * It checks shapes, dtypes, devices and every index value, so kernels can
 * assume valid indices; it does not compute the results itself.
 *
 * Dims are 0-based (the Lua layer maps them). Index *values* held in
 * tensors are 1-based (1..size), as everywhere in tensh; int32 index tensors
 * are accepted and widened to int64. Messages name dims 1-based. */
#ifndef TSH_INDEX_H
#define TSH_INDEX_H

#include "front.h"

typedef enum tsh_scatter_mode {
    TSH_SCATTER_SET = 0,
    TSH_SCATTER_ADD = 1,
    TSH_SCATTER_MULTIPLY = 2,
} tsh_scatter_mode;

/* out = t's slices along dim at idx (1-d or 0-d), a copy. */
tsh_status tsh_index_select(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor **out);
/* out[..j..] = t[..idx[..j..]..] along dim; out has idx's shape. */
tsh_status tsh_gather(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor **out);
/* gather with t and idx broadcast off dim; dim < 0: both flattened. */
tsh_status tsh_take_along_dim(tsh_tensor *t, tsh_tensor *idx, int dim, tsh_tensor **out);

/* In place: t[..idx[..j..]..] (mode)= src[..j..] along dim. src has t's
 * dtype and as many dims as idx, and is at least idx's size. */
tsh_status tsh_scatter_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src,
                        tsh_scatter_mode mode);
/* The same with one value (a number or 0-d tensor, converted to t's dtype). */
tsh_status tsh_scatter_value_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *value,
                              tsh_scatter_mode mode);
/* In place along dim at the 1-d idx: src's slice k goes to slice idx[k].
 * alpha (NULL for 1) is a 0-d tensor; integral for integer tensors. */
tsh_status tsh_index_add_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src, tsh_tensor *alpha);
tsh_status tsh_index_copy_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *src);
tsh_status tsh_index_fill_(tsh_tensor *t, int dim, tsh_tensor *idx, tsh_tensor *value);

/* In place where mask (bool, broadcast to t's shape) is true: value (a
 * number or 0-d tensor, converted to t's dtype). */
tsh_status tsh_masked_fill_(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *value);
/* Out of place: t and mask broadcast together; t's dtype. */
tsh_status tsh_masked_fill(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *value, tsh_tensor **out);
/* The elements of t where mask (broadcast together) is true, 1-d. */
tsh_status tsh_masked_select(tsh_tensor *t, tsh_tensor *mask, tsh_tensor **out);
/* In place: the true positions of mask take src's elements in order. */
tsh_status tsh_masked_scatter_(tsh_tensor *t, tsh_tensor *mask, tsh_tensor *src);
/* cond ? a : b, broadcast, with a and b promoted (numbers are wrapped). */
tsh_status tsh_where(tsh_tensor *cond, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);
/* The 1-based coordinates of t's nonzero elements, count x ndim int64. */
tsh_status tsh_nonzero(tsh_tensor *t, tsh_tensor **out);

/* ---- the indexing syntax t[...] ----
 * One entry per dim, left to right. Positions are as the user wrote them:
 * 1-based, negative counting from the end (-1 is the last), because the
 * messages must quote them. A bool tensor must be the only entry (a mask
 * over t's leading dims); at most one integer index tensor. */
typedef enum tsh_index_kind {
    TSH_INDEX_AT,     /* start: one position; the dim is dropped (a view) */
    TSH_INDEX_RANGE,  /* start..end inclusive by step >= 1 (a view); start == end keeps the dim */
    TSH_INDEX_ALL,    /* the whole dim */
    TSH_INDEX_TENSOR, /* idx: int64/int32 positions (a copy), or a bool mask */
} tsh_index_kind;

typedef struct tsh_index_spec {
    tsh_index_kind kind;
    int64_t start, end, step;
    tsh_tensor *idx;
} tsh_index_spec;

tsh_status tsh_index_get(tsh_tensor *t, int n, const tsh_index_spec *s, tsh_tensor **out);
/* t[...] = value: a wrapped number fills, a tensor is broadcast and
 * converted to t's dtype. */
tsh_status tsh_index_set(tsh_tensor *t, int n, const tsh_index_spec *s, tsh_tensor *value);

/* ---- shared by index.c and index_mask.c only (not for other families) ---- */
/* idx (int64 or int32) as a contiguous host int64 tensor whose values are
 * checked to lie in 1..size; op NULL words the message for t[...]. */
tsh_status tsh_idx_checked(const char *op, tsh_tensor *idx, int dim, int64_t size, tsh_tensor **out);
tsh_status tsh_idx_host(tsh_tensor *t, tsh_tensor **out);
/* A fill value (number or 0-d tensor) for dtype dt: f for floats, i else. */
tsh_status tsh_idx_fill_value(const char *op, tsh_tensor *value, tsh_dtype dt, double *f, int64_t *i);
/* Dispatches SCATTER (mode) or INDEX_ADD (alpha fa/ia) on x, computing
 * float16/bfloat16 arithmetic in float32. */
tsh_status tsh_idx_run(tsh_op op, tsh_tensor *x, tsh_tensor *src, tsh_tensor *idx, int dim, int mode,
                       double fa, int64_t ia);
/* Unchecked building blocks on >= 1-d x and a checked 1-d index ix. */
tsh_status tsh_idx_select_raw(tsh_tensor *x, int dim, tsh_tensor *ix, tsh_tensor **out);
tsh_status tsh_idx_fill_raw(tsh_tensor *x, int dim, tsh_tensor *ix, tsh_tensor *value);
tsh_status tsh_idx_spread(tsh_tensor *ix, const tsh_tensor *like, int dim, tsh_tensor **out);

#endif
