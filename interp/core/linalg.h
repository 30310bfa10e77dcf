/* linalg.h: the matrix-product front end (matmul and its special cases,
 * addmm, outer) plus diag and trace. Every product goes to the one GEMM
 * kernel (TSH_OP_GEMM); this layer checks shapes and dtypes, applies
 * PyTorch's matmul rules (1-d promotion, batch broadcasting, folding batch
 * dims into rows), and runs float16/bfloat16 through float32.
 * Conventions as in front.h: 0-based dims, new references out, nothing
 * leaked on failure, messages naming the op and the shapes. */
#ifndef TSH_LINALG_H
#define TSH_LINALG_H

#include "front.h"

/* PyTorch's torch.matmul: 1-d x 1-d is a dot product (0-dim result), 2-d x
 * 1-d a matrix-vector product, 1-d x 2-d a vector-matrix product, and
 * anything with more dims a batched product that broadcasts the batch dims. */
tsh_status tsh_matmul(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);
tsh_status tsh_mm(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);   /* 2-d x 2-d */
tsh_status tsh_bmm(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);  /* 3-d, equal batch */
tsh_status tsh_mv(tsh_tensor *a, tsh_tensor *v, tsh_tensor **out);   /* 2-d x 1-d */
tsh_status tsh_dot(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);  /* 1-d x 1-d -> 0-dim */
/* a (m) and b (n) -> m x n, in the promoted dtype (bool x bool is "and"). */
tsh_status tsh_outer(tsh_tensor *a, tsh_tensor *b, tsh_tensor **out);
/* beta * input + alpha * (m1 @ m2); input broadcasts to the result; with
 * beta 0 input is not read. Integer dtypes truncate alpha and beta. */
tsh_status tsh_addmm(tsh_tensor *input, tsh_tensor *m1, tsh_tensor *m2, double beta,
                     double alpha, tsh_tensor **out);

/* Low level: out[b] = alpha * a[b] @ b[b] + beta * out[b] for 3-d tensors of
 * one dtype whose shapes the caller has checked; float16/bfloat16 through
 * float32. Any strides, batch stride 0 included. */
tsh_status tsh_gemm_(tsh_tensor *out, tsh_tensor *a, tsh_tensor *b, double alpha, double beta);

/* torch.diag: a 1-d tensor -> square matrix with it on diagonal k; a 2-d
 * tensor -> its diagonal k as a new 1-d tensor (empty when k is outside). */
tsh_status tsh_diag(tsh_tensor *t, int64_t k, tsh_tensor **out);
/* Sum of the main diagonal of a 2-d tensor, 0-dim; integers sum as int64. */
tsh_status tsh_trace(tsh_tensor *t, tsh_tensor **out);

#endif
