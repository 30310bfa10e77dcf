/* optim.h: fused optimizer updates (the kernels' contract is in ops.h). */
#ifndef TSH_OPTIM_H
#define TSH_OPTIM_H

#include "tensor.h"

typedef struct tsh_sgd_opts {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize, first; /* first: the buffer starts as the gradient */
} tsh_sgd_opts;

/* One torch.optim.SGD step for parameter p with gradient g, in place, in
 * one pass; buf is the momentum buffer (NULL without momentum), updated in
 * place. p and buf must be contiguous float32/float64 tensors; g of p's
 * shape, dtype and device, any strides. */
tsh_status tsh_sgd_update(tsh_tensor *p, tsh_tensor *g, tsh_tensor *buf, const tsh_sgd_opts *o);

#endif
