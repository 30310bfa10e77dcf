/* nn.h: the front end of the neural-network functions (Lua's nn.functional):
 * linear, convolution, pooling, normalisation, embedding, dropout and the
 * losses, with PyTorch's semantics and checks, each recording one autograd
 * node whose rule is in grad_nn.c / grad_nn_loss.c. Class targets and
 * embedding indices are 1-based, as everywhere in tensh. Not here: the
 * element-wise activations (mathops.h) and softmax (reduce.h). */
#ifndef TSH_NN_H
#define TSH_NN_H

#include "front.h"

/* ---- layers (nn_conv.c, nn_pool.c) ---- */

/* y = x @ w^T + b: x (..., in) or (in), w (out, in), b (out) or NULL. */
tsh_status tsh_linear(tsh_tensor *x, tsh_tensor *w, tsh_tensor *b, tsh_tensor **out);

/* (h, w) pairs; conv2d's input is (N, C, H, W) or unbatched (C, H, W). */
typedef struct tsh_conv_opts {
    int64_t stride[2], padding[2], dilation[2], groups;
} tsh_conv_opts;
tsh_status tsh_conv2d(tsh_tensor *x, tsh_tensor *w, tsh_tensor *b, const tsh_conv_opts *o, tsh_tensor **out);

typedef struct tsh_pool_opts {
    int64_t kernel[2], stride[2], padding[2], dilation[2];
    bool ceil_mode, count_include_pad;
} tsh_pool_opts;
/* indices (1-based positions in each input plane, int64) when asked for. */
tsh_status tsh_max_pool2d(tsh_tensor *x, const tsh_pool_opts *o, tsh_tensor **out, tsh_tensor **indices);
tsh_status tsh_avg_pool2d(tsh_tensor *x, const tsh_pool_opts *o, tsh_tensor **out);
/* size[k] < 0: keep the input's size in that dim. */
tsh_status tsh_adaptive_avg_pool2d(tsh_tensor *x, const int64_t size[2], tsh_tensor **out);

/* ---- normalisation, embedding, dropout (nn_norm.c) ---- */

/* x (N, C, ...). training: normalises with the batch's statistics and
 * updates running_mean/var in place (when given) with momentum; otherwise
 * uses them. weight/bias (C) may be NULL. */
tsh_status tsh_batch_norm(tsh_tensor *x, tsh_tensor *running_mean, tsh_tensor *running_var, tsh_tensor *weight,
                          tsh_tensor *bias, bool training, double momentum, double eps, tsh_tensor **out);
/* Normalises over the last nd dims, which must equal shape; weight and
 * bias (that shape) may be NULL. */
tsh_status tsh_layer_norm(tsh_tensor *x, int nd, const int64_t *shape, tsh_tensor *weight, tsh_tensor *bias,
                          double eps, tsh_tensor **out);
/* Rows of weight (num, dim) at the 1-based indices idx (int64/int32, any
 * shape): idx's shape + (dim). padding_row (0-based, or -1 for none) gets
 * no gradient. */
tsh_status tsh_embedding(tsh_tensor *idx, tsh_tensor *weight, int64_t padding_row, tsh_tensor **out);
/* Zeroes each element with probability p (Philox, the global generator)
 * and scales the rest by 1/(1-p); returns x itself when not training or
 * p == 0. */
tsh_status tsh_dropout(tsh_tensor *x, double p, bool training, tsh_tensor **out);

/* ---- losses (nn_loss.c) ---- */

typedef enum tsh_reduction { TSH_REDUCTION_NONE, TSH_REDUCTION_MEAN, TSH_REDUCTION_SUM } tsh_reduction;

/* input (N, C), (C) or (N, C, d1, ...) logits; target int64 class indices
 * (1..C or ignore_index) of input's shape without dim 2 (1-based), or
 * probabilities of input's shape. weight (C) may be NULL. */
tsh_status tsh_cross_entropy(tsh_tensor *input, tsh_tensor *target, tsh_tensor *weight, int64_t ignore_index,
                             tsh_reduction r, double label_smoothing, tsh_tensor **out);
/* The same with log-probabilities in and class-index targets only. */
tsh_status tsh_nll_loss(tsh_tensor *input, tsh_tensor *target, tsh_tensor *weight, int64_t ignore_index,
                        tsh_reduction r, tsh_tensor **out);
/* (a - b)^2 and |a - b|, a and b broadcast together. */
tsh_status tsh_mse_loss(tsh_tensor *a, tsh_tensor *b, tsh_reduction r, tsh_tensor **out);
tsh_status tsh_l1_loss(tsh_tensor *a, tsh_tensor *b, tsh_reduction r, tsh_tensor **out);
/* The numerically stable form; weight broadcasts to x, pos_weight to x's
 * last dims (one per class); both may be NULL. */
tsh_status tsh_bce_with_logits(tsh_tensor *x, tsh_tensor *y, tsh_tensor *weight, tsh_tensor *pos_weight,
                               tsh_reduction r, tsh_tensor **out);

#endif
