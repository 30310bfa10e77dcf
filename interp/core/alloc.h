/* alloc.h: the caching host allocator behind CPU storage.
 * Freed blocks are kept in size-class free lists and handed out again, so a
 * training loop that allocates the same shapes each step stops touching the
 * kernel. Blocks of 2 MiB or more are 2 MiB aligned and advised as huge pages
 * (fresh big buffers otherwise cost one page fault per 4 KiB). Thread-safe. */
#ifndef TSH_ALLOC_H
#define TSH_ALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef struct tsh_mem_stats {
    int64_t allocated;      /* bytes in live blocks (rounded sizes) */
    int64_t peak_allocated;
    int64_t cached;         /* bytes held in free lists */
    int64_t n_alloc;        /* calls to tsh_host_alloc */
    int64_t n_cache_hit;    /* of which were served from the cache */
    int64_t n_system;       /* of which went to the system */
} tsh_mem_stats;

void *tsh_host_alloc(size_t nbytes);   /* NULL when the system is out of memory */
size_t tsh_host_mem_total(void);       /* RAM + swap, in bytes: no request above it is tried */
void tsh_host_free(void *p, size_t nbytes);
void tsh_host_empty_cache(void);
tsh_mem_stats tsh_host_mem_stats(void);

#endif
