/* alloc.c: size-class caching over posix_memalign, with huge pages for big
 * blocks. Sizes round up to one of four steps per power of two (at most 25%
 * waste) so that blocks of slightly different sizes are shared.
 *
 * Huge pages: a block of 2 MiB or more is marked MADV_HUGEPAGE when it is
 * freed into the cache, not when it is first allocated, so its first touch
 * takes ordinary pages and khugepaged may merge it later, in the
 * background. Marked at allocation, the first touch of a fresh 64 MiB
 * block cost 85-100 ms on the development VM (each 2 MiB page faulted in
 * by the host; the kernel's defrag is "madvise"), against 10 ms with 4 KiB
 * pages: 14x the op's steady 6 ms instead of 2.5x. The VM's balloon driver
 * reports every free 2 MiB block to the host (page_reporting_order 9),
 * which takes it back, so a fresh huge page is nearly always a host fault
 * there; where the host keeps it, a marked 64 MiB block faults in 8 ms. */
#include "alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>

#define HUGE_MIN ((size_t)2 << 20)
#define CACHE_LIMIT ((int64_t)4 << 30)
#define NCLASS 256

typedef struct block { struct block *next; } block;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static block *freelist[NCLASS];
static tsh_mem_stats stats;

/* Class index and rounded size: 64-byte minimum, then 4 steps per octave. */
static int size_class(size_t n, size_t *rounded)
{
    if (n <= 64) { *rounded = 64; return 0; }
    int lg = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^lg < n <= 2^(lg+1) */
    size_t base = (size_t)1 << lg, step = base / 4;
    size_t k = (n - base + step - 1) / step; /* 1..4 */
    *rounded = base + k * step;
    if (*rounded >= HUGE_MIN) /* keep big blocks whole huge pages */
        *rounded = (*rounded + HUGE_MIN - 1) & ~(HUGE_MIN - 1);
    int c = (lg - 6) * 4 + (int)k;
    return c < NCLASS ? c : -1;
}

static size_t mem_total;
static pthread_once_t mem_once = PTHREAD_ONCE_INIT;

static void read_mem_total(void)
{
    struct sysinfo si;
    mem_total = sysinfo(&si) == 0 ? ((size_t)si.totalram + si.totalswap) * si.mem_unit : SIZE_MAX;
}

size_t tsh_host_mem_total(void)
{
    pthread_once(&mem_once, read_mem_total);
    return mem_total;
}

void *tsh_host_alloc(size_t nbytes)
{
    size_t rounded;
    if (nbytes == 0) nbytes = 1;
    /* More than RAM and swap can never be used: refused up front, since
     * where the kernel overcommits (vm.overcommit_memory=1) posix_memalign
     * grants it and the first touch gets the process killed, and under
     * AddressSanitizer a request past 1 TiB aborts. */
    if (nbytes > tsh_host_mem_total()) return NULL;
    int c = size_class(nbytes, &rounded);
    pthread_mutex_lock(&lock);
    stats.n_alloc++;
    block *b = c >= 0 ? freelist[c] : NULL;
    if (b) {
        freelist[c] = b->next;
        stats.cached -= (int64_t)rounded;
        stats.n_cache_hit++;
    }
    stats.allocated += (int64_t)rounded;
    if (stats.allocated > stats.peak_allocated) stats.peak_allocated = stats.allocated;
    pthread_mutex_unlock(&lock);
    if (b) return b;

    void *p = NULL;
    size_t align = rounded >= HUGE_MIN ? HUGE_MIN : 64;
    if (posix_memalign(&p, align, rounded) != 0) {
        tsh_host_empty_cache(); /* give cached blocks back and retry once */
        if (posix_memalign(&p, align, rounded) != 0) p = NULL;
    }
    pthread_mutex_lock(&lock);
    if (!p) stats.allocated -= (int64_t)rounded;
    else stats.n_system++;
    pthread_mutex_unlock(&lock);
    return p;
}

void tsh_host_free(void *p, size_t nbytes)
{
    if (!p) return;
    size_t rounded;
    if (nbytes == 0) nbytes = 1;
    int c = size_class(nbytes, &rounded);
#ifdef MADV_HUGEPAGE
    /* huge pages for a big block once it has been touched (see the top) */
    if (rounded >= HUGE_MIN) madvise(p, rounded, MADV_HUGEPAGE);
#endif
    pthread_mutex_lock(&lock);
    stats.allocated -= (int64_t)rounded;
    if (c >= 0 && stats.cached + (int64_t)rounded <= CACHE_LIMIT) {
        block *b = p;
        b->next = freelist[c];
        freelist[c] = b;
        stats.cached += (int64_t)rounded;
        p = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(p);
}

void tsh_host_empty_cache(void)
{
    pthread_mutex_lock(&lock);
    block *all = NULL;
    for (int c = 0; c < NCLASS; c++) {
        while (freelist[c]) {
            block *b = freelist[c];
            freelist[c] = b->next;
            b->next = all;
            all = b;
        }
    }
    stats.cached = 0;
    pthread_mutex_unlock(&lock);
    while (all) {
        block *n = all->next;
        free(all);
        all = n;
    }
}

tsh_mem_stats tsh_host_mem_stats(void)
{
    pthread_mutex_lock(&lock);
    tsh_mem_stats s = stats;
    pthread_mutex_unlock(&lock);
    return s;
}
