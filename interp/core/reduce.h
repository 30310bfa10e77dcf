/* reduce.h: the front end of reductions (sum ... all) and of ops along one
 * dim (cumsum, softmax, sort, topk): dtype rules as PyTorch's, the dims to
 * reduce, empty-tensor rules, and the (outer, red, inner) layout handed to
 * kernels (see ops.h). It never computes values itself; dims are 0-based. */
#ifndef TSH_REDUCE_H
#define TSH_REDUCE_H

#include "front.h"

/* Which dims to reduce and how. `dims` has bit d set for each dim d to
 * reduce; 0 means every dim (a full reduction). `dtype` >= 0 casts the
 * input to that dtype first (sum, prod, mean, cumsum, cumprod, softmax,
 * log_softmax take it, as PyTorch's dtype= argument); -1 means none. */
typedef struct tsh_reduce_spec {
    uint32_t dims;
    bool keepdim;
    int dtype;
} tsh_reduce_spec;

#define TSH_REDUCE_ALL ((tsh_reduce_spec){0, false, -1})

/* sum and prod of bool/integer tensors give int64; mean needs a float
 * tensor (or a float dtype); var, std and norm need a float tensor;
 * logsumexp computes integers as float32. any/all give bool (uint8 for a
 * uint8 input, as torch). Outputs of full reductions are 0-dim. */
tsh_status tsh_sum(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out);
tsh_status tsh_prod(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out);
tsh_status tsh_mean(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out);
/* Divides by max(0, N - correction); std is the square root. */
tsh_status tsh_var(tsh_tensor *t, const tsh_reduce_spec *r, double correction, bool std,
                   tsh_tensor **out);
/* p: 2, 1, INFINITY, -INFINITY, 0 (count of nonzeros) or any other number. */
tsh_status tsh_norm(tsh_tensor *t, const tsh_reduce_spec *r, double p, tsh_tensor **out);
tsh_status tsh_logsumexp(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out);
tsh_status tsh_any(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out);
tsh_status tsh_all(tsh_tensor *t, const tsh_reduce_spec *r, tsh_tensor **out);

/* max/min of every element (0-dim), or along one dim with 1-based int64
 * indices; an empty reduction is an error. NaN propagates. */
tsh_status tsh_max(tsh_tensor *t, tsh_tensor **out);
tsh_status tsh_min(tsh_tensor *t, tsh_tensor **out);
tsh_status tsh_max_dim(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                       tsh_tensor **indices);
tsh_status tsh_min_dim(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                       tsh_tensor **indices);
/* 1-based int64 index of the first max/min; dim < 0: into the flattened
 * tensor (0-dim result, or all dims of size 1 with keepdim). */
tsh_status tsh_argmax(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **out);
tsh_status tsh_argmin(tsh_tensor *t, int dim, bool keepdim, tsh_tensor **out);

/* Along one dim; dtype >= 0 casts the input first, as torch's dtype=. */
tsh_status tsh_cumsum(tsh_tensor *t, int dim, int dtype, tsh_tensor **out);
tsh_status tsh_cumprod(tsh_tensor *t, int dim, int dtype, tsh_tensor **out);
/* In place, in t's dtype (bool is refused: its running sum is int64). */
tsh_status tsh_cumsum_(tsh_tensor *t, int dim);
tsh_status tsh_cumprod_(tsh_tensor *t, int dim);
tsh_status tsh_softmax(tsh_tensor *t, int dim, int dtype, tsh_tensor **out);
tsh_status tsh_log_softmax(tsh_tensor *t, int dim, int dtype, tsh_tensor **out);
/* Stable sort along dim: values and 1-based int64 indices; NaN sorts above
 * +inf. topk gives the k largest (or smallest), sorted. */
tsh_status tsh_sort(tsh_tensor *t, int dim, bool descending, tsh_tensor **values,
                    tsh_tensor **indices);
tsh_status tsh_topk(tsh_tensor *t, int64_t k, int dim, bool largest, tsh_tensor **values,
                    tsh_tensor **indices);

#endif
