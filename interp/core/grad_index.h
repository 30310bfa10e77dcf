/* grad_index.h: recording indexing ops for autograd (see autograd.h):
 * index_select, gather, scatter/scatter_add, index_add/copy/fill, masked
 * fill/select/scatter, where and the t[...] syntax. index.c and
 * index_mask.c describe the op in a tsh_index_grad and call these; index
 * tensors and masks are saved, never differentiated. */
#ifndef TSH_GRAD_INDEX_H
#define TSH_GRAD_INDEX_H

#include "grad_view.h"

typedef enum tsh_index_grad_kind {
    TSH_GI_SELECT,        /* index_select(t, dim, idx) */
    TSH_GI_INDEX,         /* t[.., idx, ..] on the view t: index_select, reshaped */
    TSH_GI_GATHER,        /* gather(t, dim, idx) */
    TSH_GI_SCATTER,       /* scatter_(t, dim, idx, src, mode) */
    TSH_GI_SCATTER_VALUE, /* scatter_(t, dim, idx, value, mode) */
    TSH_GI_INDEX_ADD,     /* index_add_(t, dim, idx, src, alpha) */
    TSH_GI_INDEX_COPY,    /* index_copy_(t, dim, idx, src) */
    TSH_GI_INDEX_FILL,    /* index_fill_(t, dim, idx, value) */
    TSH_GI_INDEX_PUT,     /* t[.., idx, ..] = value on the view t; shape: what t[..] gives */
    TSH_GI_MASKED_FILL,   /* masked_fill(_)(t, mask, value) */
    TSH_GI_MASKED_SELECT, /* masked_select(t, mask) */
    TSH_GI_MASKED_SCATTER,/* masked_scatter_(t, mask, src) */
    TSH_GI_MASK_GET,      /* t[mask]: mask expanded to t's shape */
    TSH_GI_MASK_PUT,      /* t[mask] = value: the same mask */
    TSH_GI_WHERE,         /* where(cond, a, b): t is a, src is b */
} tsh_index_grad_kind;

typedef struct tsh_index_grad {
    tsh_index_grad_kind kind;
    int dim;
    tsh_tensor *idx;     /* the index (1-based, checked), mask or condition */
    tsh_tensor *src;     /* src or value (may be a wrapped number); NULL for none */
    int mode;            /* scatter: tsh_scatter_mode */
    double alpha;        /* index_add */
    int ndim;            /* INDEX, INDEX_PUT, MASKED_SELECT: a shape */
    int64_t shape[TSH_MAX_DIMS];
} tsh_index_grad;

/* Out-of-place ops: records *out (made from t and a->src); on failure *out
 * is released. */
tsh_status tsh_grad_index_record(tsh_tensor *t, const tsh_index_grad *a, tsh_tensor **out);

/* In-place ops on t: begin makes the node (NULL when nothing is recorded)
 * or refuses; run the write with grad mode off when *node is set; end
 * commits the node after a successful write, or releases it. */
tsh_status tsh_grad_index_begin(const char *op, tsh_tensor *t, const tsh_index_grad *a, tsh_node **node);
tsh_status tsh_grad_index_end(tsh_tensor *t, tsh_node *node, tsh_status st);

#endif
