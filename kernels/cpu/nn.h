/* cpu/nn.h: shared by the CPU kernel files of the nn family only (nn_conv.c,
 * nn_dnnl.c, nn_pool.c, nn_loss.c). Not an interface for anything else. */
#ifndef TSH_CPU_NN_H
#define TSH_CPU_NN_H

#include "../kernels.h"

void tsh_cpu_register_nn_pool(tsh_kernel_fn *k);
void tsh_cpu_register_nn_loss(tsh_kernel_fn *k);

/* Runs a float32 convolution op (CONV2D or one of its backwards) through
 * oneDNN. TSH_OK when it ran; TSH_ERR_NOTIMPL (with no message recorded)
 * when oneDNN is not built in, is turned off (TENSH_DNNL=0), or has no
 * implementation for the case: the caller then uses im2col + GEMM. Other
 * statuses are real failures (out of memory, interrupt). */
tsh_status tsh_dnnl_conv(tsh_op op, const tsh_kargs *a);
/* Direct float32 convolution (nn_direct.c) for stride-1 layers with few
 * input channels and 12..32-wide output rows, on AVX-512 machines (forward
 * and weight gradient; TENSH_CONV_DIRECT=0 turns it off). TSH_ERR_NOTIMPL,
 * with no message, when it does not take the case. */
tsh_status tsh_direct_conv(tsh_op op, const tsh_kargs *a);
/* How many ops it has run (-1: not on this machine or build). */
int64_t tsh_direct_conv_calls(void);

/* How many ops oneDNN has run (-1 when it is not built in): lets tests
 * check that the oneDNN path is the one being tested. */
int64_t tsh_dnnl_conv_calls(void);

#endif
