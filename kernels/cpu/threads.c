/* cpu/threads.c: one thread pool, and what starts with tensh so that a
 * user's first op does not pay for it (tsh_warm_up). OpenBLAS is linked in
 * its OpenMP build, so it and our kernels share libgomp's pool instead of
 * fighting over cores; oneDNN's OpenMP build shares it too. */
#include <cblas.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "../../interp/core/backend.h"
#include "nn.h"

void openblas_set_num_threads(int n);

void tsh_set_num_threads(int n)
{
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int tsh_get_num_threads(void) { return omp_get_max_threads(); }

/* Small GEMMs on a helper thread, so that startup does not wait: OpenBLAS
 * maps and touches its packing buffers on its first call (0.7 ms), and
 * oneDNN generates its GEMM kernels (7-30 ms), costs that would otherwise
 * land on a user's first matmul. The thread has a pool of one (no second
 * OpenMP team). oneDNN registers destructors for what it builds, which
 * exit() would run under the thread's feet: tsh_warm_up_exit joins a
 * finished thread, and ends a process that exits sooner (tensh -e '') with
 * _exit, after flushing stdio. Not in sanitizer builds, whose leak check
 * runs at exit(). */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define WARM_THREAD 1
#endif

static pthread_t blas_thread;
static int blas_started, blas_done;

#ifdef WARM_THREAD
static void *warm_blas(void *arg)
{
    (void)arg;
    static float a[64 * 64], c[64 * 64];
    omp_set_num_threads(1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 64, 64, 1.0f, a, 64, a, 64, 0.0f, c, 64);
    tsh_dnnl_sgemm(false, false, false, 64, 64, 64, 1.0f, a, 64, a, 64, 0.0f, c, 64);
    __atomic_store_n(&blas_done, 1, __ATOMIC_RELEASE);
    return NULL;
}
#endif

void tsh_warm_up_exit(int status)
{
    if (!blas_started) return;
    if (!__atomic_load_n(&blas_done, __ATOMIC_ACQUIRE)) {
        fflush(NULL);
        _exit(status);
    }
    pthread_join(blas_thread, NULL);
    blas_started = 0;
}

void tsh_warm_up(void)
{
    static int done;
    if (done) return;
    done = 1;
    /* libgomp creates a pool's workers at the first parallel region of the
     * thread that owns it: make that now, on the main thread */
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGWINCH);
    /* ... with Ctrl-C and resizes blocked, which the workers and the helper
     * inherit: those signals go to the main thread, whose REPL reads them */
    pthread_sigmask(SIG_BLOCK, &mask, &old);
#pragma omp parallel
    {
    }
#ifdef WARM_THREAD
    /* (without the thread, the first matmul pays, as before) */
    if (pthread_create(&blas_thread, NULL, warm_blas, NULL) == 0) blas_started = 1;
#endif
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}
