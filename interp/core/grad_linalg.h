/* grad_linalg.h: recording matrix products, diag and trace for autograd
 * (see autograd.h). linalg.c calls these after the forward, only when an
 * input requires grad; on failure *out is released. */
#ifndef TSH_GRAD_LINALG_H
#define TSH_GRAD_LINALG_H

#include "grad_view.h"

typedef enum tsh_product_kind {
    TSH_PRODUCT_MATMUL, /* any ranks: the rule follows them */
    TSH_PRODUCT_MM,
    TSH_PRODUCT_BMM,
    TSH_PRODUCT_MV,
    TSH_PRODUCT_DOT,
    TSH_PRODUCT_OUTER,
} tsh_product_kind;

tsh_status tsh_grad_product(tsh_product_kind kind, tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);
tsh_status tsh_grad_addmm(tsh_tensor *input, tsh_tensor *m1, tsh_tensor *m2, double beta, double alpha,
                          tsh_tensor **out);
tsh_status tsh_grad_diag(tsh_tensor *t, int64_t k, tsh_tensor **out);
tsh_status tsh_grad_trace(tsh_tensor *t, tsh_tensor **out);

#endif
