/* iter.h: strided iteration for fast CPU kernels, the way PyTorch's
 * TensorIterator does it: operands of one shape (inputs already broadcast by
 * the front end, stride 0 allowed), dims of size 1 dropped and mergeable dims
 * coalesced, then the element range cut into chunks that OpenMP threads run.
 * A kernel supplies only the inner loop, which sees byte strides, so a
 * contiguous inner loop can be written to vectorise. */
#ifndef TSH_ITER_H
#define TSH_ITER_H

#include "../../interp/core/status.h"
#include "../../interp/core/tensor.h"

#define TSH_ITER_MAXOPS 4
#define TSH_GRAIN 32768 /* elements per chunk: below this, one thread */

typedef struct tsh_iter {
    int ndim, nops;
    int64_t numel;
    int64_t shape[TSH_MAX_DIMS];                  /* innermost last */
    int64_t stride[TSH_ITER_MAXOPS][TSH_MAX_DIMS]; /* bytes */
    char *data[TSH_ITER_MAXOPS];
} tsh_iter;

/* ts[0] is the output; every operand has ts[0]'s shape. */
void tsh_iter_init(tsh_iter *it, int nops, tsh_tensor *const *ts);

/* The inner loop: n elements, operand k at ptr[k] advancing by stride[k] bytes. */
/* Hot loops are compiled for AVX-512, AVX2 and the baseline, chosen once at
 * load time (GCC's ifunc-based target_clones): the build targets a baseline
 * x86-64, and softmax's exp needs the wide vectors to keep up with torch. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define TSH_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TSH_MULTIVERSION
#endif

typedef void (*tsh_loop_fn)(void *ctx, char **ptr, const int64_t *stride, int64_t n);

/* Runs fn over every element; `grain` is the chunk size (0: TSH_GRAIN).
 * Returns TSH_ERR_INTERRUPT if Ctrl-C arrived (remaining chunks skipped). */
tsh_status tsh_iter_run(const tsh_iter *it, int64_t grain, tsh_loop_fn fn, void *ctx);

/* Runs fn over the elements [begin, end) of the row-major order, on the
 * calling thread and in order. For kernels that keep per-chunk state, such
 * as the two passes of a compaction (count per chunk, then write). */
void tsh_iter_run_range(const tsh_iter *it, int64_t begin, int64_t end, tsh_loop_fn fn, void *ctx);

/* Parallel for over [0, n) in chunks of `grain` (at least 1: pick it, as
 * TSH_GRAIN elements or a plane count); fn(ctx, begin, end). */
typedef void (*tsh_range_fn)(void *ctx, int64_t begin, int64_t end);
tsh_status tsh_parallel_for(int64_t n, int64_t grain, tsh_range_fn fn, void *ctx);

/* Whether the environment turns a fast path off (NAME=0: TENSH_DNNL,
 * TENSH_CONV_DIRECT, TENSH_POOL_AVX512). Read on each call, so that tests
 * can switch paths within one process. */
bool tsh_env_off(const char *name);

/* n elements of es bytes (1, 2, 4 or 8) from x to d, byte strides sx and
 * sd: one memmove when both are dense, else a typed loop. */
void tsh_move_elems(size_t es, char *d, int64_t sd, const char *x, int64_t sx, int64_t n);

#endif
