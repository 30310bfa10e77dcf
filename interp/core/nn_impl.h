/* nn_impl.h: what the nn front-end files (nn_*.c) and their backward rules
 * (grad_nn*.c) share: small helpers and the rules' entry points. Internal
 * to that family; everything else uses nn.h. */
#ifndef TSH_NN_IMPL_H
#define TSH_NN_IMPL_H

#include "autograd.h"
#include "nn.h"

#define NN_SHAPE(buf, t) tsh_shape_str(buf, sizeof buf, (t)->ndim, (t)->shape)

/* Turns grad mode off for a forward computed from other front-end ops (its
 * own node is recorded afterwards); returns the previous mode to restore. */
static inline bool nn_grad_off(void)
{
    bool was = tsh_grad_enabled();
    tsh_set_grad_enabled(false);
    return was;
}

/* t converted to dtype dt and made contiguous (a new reference; t itself
 * retained when it already is). */
tsh_status nn_prep(tsh_tensor *t, tsh_dtype dt, tsh_tensor **out);
/* A floating tensor, or an error naming the op, the argument and its dtype. */
tsh_status nn_check_float(const char *op, const char *what, const tsh_tensor *t);
/* Same dtype as x (the input), or an error naming both. */
tsh_status nn_check_dtype(const char *op, const char *what, const tsh_tensor *x, const tsh_tensor *t);
/* t * v for a number v (grad mode is off in every caller). */
tsh_status nn_scale(tsh_tensor *t, double v, tsh_tensor **out);
/* A new tensor of t's shape, dtype and device filled with v. */
tsh_status nn_full_like(const tsh_tensor *t, double v, tsh_tensor **out);
/* Records node n as out's grad_fn after saving up to four tensors; on
 * failure releases n (out stays the caller's). */
tsh_status nn_record(tsh_node *n, tsh_tensor *out, int nsave, tsh_tensor *const *saved);
/* Refuses a tensor that requires grad where torch defines no derivative. */
tsh_status nn_no_grad_arg(const char *op, const char *what, const tsh_tensor *t);

/* softplus(-x) = log(1 + exp(-x)), stably: log1p(exp(-|x|)) + max(-x, 0). */
tsh_status nn_softplus_neg(tsh_tensor *x, tsh_tensor **out);

/* Dispatches a 2-d window op (conv or pooling) on 4-d contiguous operands;
 * win = {stride, padding, dilation, kernel-or-groups} packed, flags i[4]. */
tsh_status nn_window_op(tsh_op op, tsh_tensor *out, tsh_tensor *out2, tsh_tensor *in0, tsh_tensor *in1,
                        tsh_tensor *in2, const int64_t *win, int64_t flags);

/* Backward rules (grad_nn.c). */
tsh_status tsh_nn_linear_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_conv_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_max_pool_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_avg_pool_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_adaptive_avg_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_batch_norm_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_layer_norm_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_embedding_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_dropout_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
/* Loss rules (grad_nn_loss.c). */
tsh_status tsh_nn_class_loss_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_mse_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_l1_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);
tsh_status tsh_nn_bce_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads);

#endif
