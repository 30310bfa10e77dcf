/* status.h: how the core reports failure without knowing about Lua.
 * Every fallible core call returns a tsh_status; on failure it has also left a
 * message in a thread-local buffer (tsh_errmsg). Only interp/lua turns that
 * into a Lua error, after it has released what it allocated. Nothing here
 * exits or aborts on a user's error. */
#ifndef TSH_STATUS_H
#define TSH_STATUS_H

#include <signal.h>

typedef enum tsh_status {
    TSH_OK = 0,
    TSH_ERR_ARG,       /* a bad argument value or option */
    TSH_ERR_SHAPE,     /* shapes that do not fit together */
    TSH_ERR_DTYPE,     /* a dtype the op does not take */
    TSH_ERR_DEVICE,    /* mixed or unavailable devices */
    TSH_ERR_INDEX,     /* an index out of range */
    TSH_ERR_OOM,       /* an allocation failed */
    TSH_ERR_NOTIMPL,   /* no kernel for this op on this backend and dtype */
    TSH_ERR_INTERRUPT, /* Ctrl-C reached a running kernel */
    TSH_ERR_IO,        /* a file could not be read or written */
} tsh_status;

/* Records a printf-style message and returns `st`, so callers can write
 * `return tsh_fail(TSH_ERR_SHAPE, "...", ...)`. */
tsh_status tsh_fail(tsh_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *tsh_errmsg(void);

/* Set from a signal handler; long kernels poll it between chunks and return
 * TSH_ERR_INTERRUPT. The front end clears it before each op. */
extern volatile sig_atomic_t tsh_interrupt_flag;
tsh_status tsh_check_interrupt(void);

/* Internal invariants (not user errors): compiled in for debug builds. */
#ifdef TSH_DEBUG_ASSERTS
#include <assert.h>
#define TSH_ASSERT(c) assert(c)
#else
#define TSH_ASSERT(c) ((void)0)
#endif

#define TSH_TRY(expr) do { tsh_status st_ = (expr); if (st_ != TSH_OK) return st_; } while (0)

#endif
