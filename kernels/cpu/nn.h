/* cpu/nn.h: shared by the CPU kernel files of the nn family (nn_conv.c,
 * nn_dnnl.c, nn_direct.c, nn_pool.c, nn_pool512.c, nn_loss.c), and
 * tsh_dnnl_sgemm by linalg.c and threads.c. Not an interface for anything
 * else. */
#ifndef TSH_CPU_NN_H
#define TSH_CPU_NN_H

#include "../kernels.h"

void tsh_cpu_register_nn_pool(tsh_kernel_fn *k);
void tsh_cpu_register_nn_loss(tsh_kernel_fn *k);
void tsh_cpu_register_nn_norm(tsh_kernel_fn *k);

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

/* AVX-512 float32 max pooling with a 2x2 window, stride 2 and no padding,
 * over a run of contiguous planes (nn_pool512.c; nn_pool.c decides when it
 * applies: planes of fewer than 2^30 elements). tsh_pool512_ok: whether
 * this machine and build run it. The forward writes the OH x OW maxima of
 * each plane and, when ix is not NULL, their 1-based positions in their
 * planes. The backward writes the 2*OH rows and 2*OW columns of each plane
 * that the windows cover, or returns false, with dx written only inside
 * the windows, when an index lies outside its window. */
typedef struct {
    int64_t H, W, OH, OW;
} tsh_pool_dims;
bool tsh_pool512_ok(void);
void tsh_pool512_max2x2(const float *x, const tsh_pool_dims *d, int64_t planes, float *y, int64_t *ix);
bool tsh_pool512_max2x2_bwd(float *dx, const tsh_pool_dims *d, int64_t planes, const float *dy, const int64_t *ix);
/* How many max pooling ops (forward or backward) have taken it (-1: not on
 * this machine or build); TENSH_POOL_AVX512=0 turns it off. */
int64_t tsh_pool512_calls(void);

/* C = alpha op(A) op(B) + beta C in float32 on oneDNN (nn_dnnl.c), C
 * row-major or, with col, column-major; false when oneDNN is not built in,
 * is turned off (TENSH_DNNL=0) or fails, and the caller computes it itself.
 * Used by cpu/linalg.c and the start-up warm-up (cpu/threads.c) too. */
bool tsh_dnnl_sgemm(bool col, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *A,
                    int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* How many ops oneDNN has run (-1 when it is not built in): lets tests
 * check that the oneDNN path is the one being tested. */
int64_t tsh_dnnl_conv_calls(void);

#endif
