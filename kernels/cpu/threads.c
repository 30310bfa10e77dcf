/* cpu/threads.c: one thread pool, and what starts with tensh so that a
 * user's first op does not pay for it (tsh_warm_up). OpenBLAS is linked in
 * its OpenMP build, so it and our kernels share libgomp's pool instead of
 * fighting over cores; oneDNN's OpenMP build shares it too. */
#include <cblas.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "../../interp/core/backend.h"
#include "iter.h"
#include "nn.h"

void openblas_set_num_threads(int n);

/* ---- The team under load ----------------------------------------------------
 * libgomp's idle threads spin for about 4 ms (300,000 pauses of 11-14 ns
 * here) before they sleep, and a region ends only when every thread of its
 * team has reached its barrier. When another busy process shares the cores,
 * one of our threads waits a whole time slice for its turn while the other
 * spins. Measured on 2 cores, two tensh processes adding 4M floats in a loop
 * took 8.0 ms an add each, against 0.88 ms alone and 1.8 ms with one thread
 * each; two torch processes (the same libgomp) take the same 8.0 ms. Fewer
 * spins do not help: a sleeping thread takes 70-100 µs to wake on this VM,
 * which made a 64K add 4.4 -> 72 µs with GOMP_SPINCOUNT=300.
 *
 * So every region of ours (tsh_parallel_for) reports when its first and its
 * last thread were done with their equal shares. A gap past what the work
 * explains (1 ms more than the first thread's whole time) means that our
 * threads do not all get a core. Two such regions in a row (one alone comes
 * on a quiet machine too: 0-55 in 5000 regions of pure arithmetic had a gap
 * of 2-4 ms here) and the team shrinks to one thread (OpenMP's count, which
 * OpenBLAS follows too) for 20 ms; then the next op tries the whole team
 * again. While the load lasts, each shrink lasts twice as long as the one
 * before, up to 1 s, so that trying again costs about 1%; once the team has
 * run whole for 2 s, the next shrink is back to 20 ms. (Going back to 20 ms
 * after any one region without a gap made the shrinks too short: the other
 * process is often between ops, and two copies of a mixed step kept taking
 * 4 ms an op.) The state is the main thread's: ops run there.
 *
 * With it, the two adding processes take 1.8 ms an add each, and two copies
 * of bench/load.sh's mixed step 3.0-3.4x the time of one alone (4.3-21x
 * before; torch 3.0-6.3x); alone, nothing changes. */
#define TEAM_LATE_MIN 1e-3
#define TEAM_LATE_RUN 2
#define TEAM_BACKOFF_MIN 0.02
#define TEAM_BACKOFF_MAX 1.0
#define TEAM_CALM 2.0

static int user_threads; /* set_num_threads's count; 0: OpenMP's default */

static tsh_team team;

bool tsh_team_note(tsh_team *w, double t0, double first, double last)
{
    if (last - first <= TEAM_LATE_MIN + (first - t0)) {
        w->late = 0;
        return false;
    }
    if (++w->late < TEAM_LATE_RUN) return false;
    w->late = 0;
    /* twice as long as the last shrink, unless the team has run whole
     * for a while since it ended */
    bool calm = w->backoff == 0 || last - w->whole_since > TEAM_CALM;
    w->backoff = calm ? TEAM_BACKOFF_MIN : w->backoff * 2 < TEAM_BACKOFF_MAX ? w->backoff * 2 : TEAM_BACKOFF_MAX;
    w->until = last + w->backoff;
    return true;
}

bool tsh_team_expired(tsh_team *w, double now)
{
    if (w->until <= 0 || now < w->until) return false;
    w->until = 0;
    w->whole_since = now;
    return true;
}

double tsh_team_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int full_team(void)
{
    if (!user_threads) user_threads = omp_get_max_threads();
    return user_threads;
}

static void use_threads(int n)
{
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int tsh_team_threads(void)
{
    if (team.until > 0 && tsh_team_expired(&team, tsh_team_clock())) use_threads(full_team());
    return omp_get_max_threads();
}

void tsh_team_report(double t0, double first, double last)
{
    if (omp_get_max_threads() > 1 && tsh_team_note(&team, t0, first, last)) {
        full_team(); /* remembered before the count drops */
        use_threads(1);
    }
}

void tsh_set_num_threads(int n)
{
    if (n < 1) n = 1;
    user_threads = n;
    if (team.until <= 0) use_threads(n);
}

int tsh_get_num_threads(void) { return full_team(); }

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
