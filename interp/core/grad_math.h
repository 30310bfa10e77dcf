/* grad_math.h: recording elementwise ops for autograd (see autograd.h).
 * Called by mathops.c after the forward result exists, only when
 * tsh_ag_needed() said an input requires grad. */
#ifndef TSH_GRAD_MATH_H
#define TSH_GRAD_MATH_H

#include "mathops.h"

tsh_status tsh_grad_binary(tsh_op op, tsh_tensor *a, tsh_tensor *b, const tsh_scalar *alpha,
                           tsh_tensor *result);

#endif
