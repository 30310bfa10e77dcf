/* status.c: the thread-local error message behind tsh_status. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errbuf[512];
volatile sig_atomic_t tsh_interrupt_flag = 0;

tsh_status tsh_fail(tsh_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return st;
}

const char *tsh_errmsg(void) { return errbuf; }

tsh_status tsh_check_interrupt(void)
{
    if (tsh_interrupt_flag)
        return tsh_fail(TSH_ERR_INTERRUPT, "interrupted");
    return TSH_OK;
}
