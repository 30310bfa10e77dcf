/* grad_reduce.h: recording reductions and ops along a dim for autograd
 * (see autograd.h). reduce.c calls these after an op has made its outputs;
 * each returns at once when no input requires grad (or grad mode is off).
 * On failure they release the outputs they were given and set them NULL. */
#ifndef TSH_GRAD_REDUCE_H
#define TSH_GRAD_REDUCE_H

#include "reduce.h"

/* sum, mean, prod, var (f = correction, flag = std), norm (f = p),
 * logsumexp over r's dims; max and min of every element (r = NULL). */
tsh_status tsh_grad_reduce(tsh_op op, tsh_tensor *t, const tsh_reduce_spec *r, double f, bool flag,
                           tsh_tensor **out);
/* Ops whose values are elements of t picked along dim by 1-based indices:
 * max/min along a dim, sort, topk (keepdim true for the last two). */
tsh_status tsh_grad_select(tsh_op op, tsh_tensor *t, int dim, bool keepdim, tsh_tensor **values,
                           tsh_tensor **indices);
/* cumsum, cumprod, softmax, log_softmax along dim. */
tsh_status tsh_grad_dimwise(tsh_op op, tsh_tensor *t, int dim, tsh_tensor **out);

#endif
