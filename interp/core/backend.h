/* backend.h: a backend is a small vtable: how to allocate memory on its
 * device, and one kernel per op. The registry maps a device type to the
 * backend that serves it. The reference backend ("ref") holds the naive
 * kernels every test compares to; TENSH_KERNELS=ref (or a test) can make it
 * serve the CPU device instead of the fast kernels. */
#ifndef TSH_BACKEND_H
#define TSH_BACKEND_H

#include "ops.h"
#include "tensor.h"

typedef struct tsh_backend {
    const char *name;
    tsh_device_type device;
    void *(*alloc)(size_t nbytes);        /* NULL on failure */
    void (*free)(void *p, size_t nbytes);
    size_t (*capacity)(void);             /* the most memory a tensor could take there (host: RAM + swap) */
    tsh_kernel_fn kernels[TSH_OP_COUNT];
} tsh_backend;

/* Called once at start; safe to call again. */
void tsh_backends_init(void);
/* The backend that serves a device type; NULL if none is built or present. */
const tsh_backend *tsh_backend_for(tsh_device_type dev);
/* Makes `b` serve its device (tests use this to swap in the ref kernels). */
void tsh_backend_set(const tsh_backend *b);
const tsh_backend *tsh_backend_ref(void);
const tsh_backend *tsh_backend_cpu(void);

/* Kernel family registration, one per file in kernels/ref and kernels/cpu. */
void tsh_ref_register(tsh_kernel_fn *k);
void tsh_cpu_register(tsh_kernel_fn *k);

/* Runs op on the backend of out's (or in0's) device; a missing kernel is a
 * clear error naming op, device and dtype. Logs the op when TENSH_DEBUG=1. */
tsh_status tsh_dispatch(tsh_op op, const tsh_kargs *a);

/* Threads used by CPU kernels and OpenBLAS (one OpenMP pool). */
void tsh_set_num_threads(int n);
int tsh_get_num_threads(void);
/* Starts what would otherwise start inside a user's first ops: the thread
 * pool's workers (in this thread, which owns the pool) and, on a helper
 * thread, OpenBLAS's buffers. Called once at startup; cheap (tens of µs
 * on this thread). Call tsh_warm_up_exit(status) before exit(status)
 * (main.c, and os.exit through init.c's wrapper): it may end the process
 * itself (see cpu/threads.c). */
void tsh_warm_up(void);
void tsh_warm_up_exit(int status);

#endif
