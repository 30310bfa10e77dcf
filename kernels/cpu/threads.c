/* cpu/threads.c: one thread pool. OpenBLAS is linked in its OpenMP build, so
 * it and our kernels share libgomp's pool instead of fighting over cores. */
#include <cblas.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>

#include "../../interp/core/backend.h"

void openblas_set_num_threads(int n);

void tsh_set_num_threads(int n)
{
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int tsh_get_num_threads(void) { return omp_get_max_threads(); }

/* A small GEMM: OpenBLAS maps and touches its packing buffers on its first
 * call (0.7 ms measured), which would otherwise land on a user's first
 * matmul. On a helper thread, so startup does not wait for it; exit does
 * (join_blas), since OpenBLAS frees those buffers in its destructor. */
static pthread_t blas_thread;
static int blas_started;

static void *warm_blas(void *arg)
{
    (void)arg;
    static float a[64 * 64], c[64 * 64];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 64, 64, 1.0f, a, 64, a, 64, 0.0f, c, 64);
    return NULL;
}

static void join_blas(void)
{
    if (blas_started) pthread_join(blas_thread, NULL);
    blas_started = 0;
}

void tsh_warm_up(void)
{
    static int done;
    if (done) return;
    done = 1;
    /* libgomp creates a pool's workers at the first parallel region of the
     * thread that owns it: make that now, on the main thread */
#pragma omp parallel
    {
    }
    /* (without the thread, the first matmul pays, as before) */
    if (pthread_create(&blas_thread, NULL, warm_blas, NULL) == 0) {
        blas_started = 1;
        atexit(join_blas);
    }
}
